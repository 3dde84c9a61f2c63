/**
 * writeFileAtomic with a failure injected between the temp write and the rename: the old file
 * must be whole and no temp file left. A plain write would already have replaced the old one.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";

const failRename = vi.hoisted(() => ({ on: false }));
vi.mock("node:fs", async (importOriginal) => {
  const fs = await importOriginal<typeof import("node:fs")>();
  const renameSync: typeof fs.renameSync = (from, to) => {
    if (failRename.on) {
      throw Object.assign(new Error("EIO: i/o error, rename"), { code: "EIO", errno: -5 });
    }
    fs.renameSync(from, to);
  };
  return { ...fs, default: { ...fs, renameSync }, renameSync };
});

const { writeFileAtomic, OutputWriteError } = await import("../../src/report/run-directory.ts");

afterEach(() => {
  failRename.on = false;
});

describe("writeFileAtomic when the rename fails", () => {
  it("keeps the old file whole and leaves no temp file", () => {
    const out = mkdtempSync(join(tmpdir(), "autotrex-atomic-"));
    const file = join(out, "result.json");
    writeFileSync(file, '{"status":"running"}\n');
    failRename.on = true;
    expect(() => writeFileAtomic(file, '{"status":"complete"}\n')).toThrow(OutputWriteError);
    expect(readFileSync(file, "utf8")).toBe('{"status":"running"}\n');
    expect(readdirSync(out)).toEqual(["result.json"]);
  });

  it("names the file and the errno", () => {
    const out = mkdtempSync(join(tmpdir(), "autotrex-atomic-"));
    failRename.on = true;
    expect(() => writeFileAtomic(join(out, "a.csv"), "x")).toThrow(
      `cannot write ${join(out, "a.csv")}: EIO`,
    );
  });
});
