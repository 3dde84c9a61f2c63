import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { pythonFloat } from "../../src/report/csv.ts";
import {
  OutputWriteError,
  RunDirectory,
  writeFileAtomic,
  writeOutputFile,
} from "../../src/report/run-directory.ts";
import type { RunResult } from "../../src/report/result.ts";
import { ResultFileError } from "../../src/report/validate.ts";
import type { TrialRecord } from "../../src/search/types.ts";
import { canMountTmpfs, mountTmpfs } from "../cli/helpers.ts";
import { outcome, runResult, size, sweepResult } from "./fixtures.ts";

const tempDir = () => mkdtempSync(join(tmpdir(), "autotrex-report-"));
const tempFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith(".tmp"));

const DERIVED = ["Mpps.csv", "L1Gbps.csv", "L2Gbps.csv", "summary.csv"];
const CHARTS = ["Mpps.png", "L1Gbps.png", "L2Gbps.png"];

function trial(index: number, over: Partial<TrialRecord> = {}): TrialRecord {
  return {
    index,
    ratePps: 1_000_000,
    durationS: 1,
    txPackets: 1_000_000,
    rxPackets: 1_000_000,
    elapsedS: 1,
    offeredPps: 1_000_000,
    lossRatio: 0,
    valid: true,
    passed: [true, true],
    ...over,
  };
}

describe("RunDirectory", () => {
  it("creates the directory and writes result.json and every derived file", async () => {
    const out = join(tempDir(), "nested", "run");
    const dir = await RunDirectory.create(out);
    const result = sweepResult({ naSizes: [64] });
    dir.writeResult(result);
    expect(readdirSync(out).sort()).toEqual(["result.json", ...DERIVED, ...CHARTS].sort());
    expect(JSON.parse(readFileSync(join(out, "result.json"), "utf8"))).toEqual(result);
    expect(readFileSync(join(out, "Mpps.csv"), "utf8")).toMatch(
      /^Mpps\r\npacket_size,actual,theoretical\r\n64,N\/A,/,
    );
    for (const png of CHARTS) {
      expect(readFileSync(join(out, png)).subarray(1, 4).toString("ascii")).toBe("PNG");
    }
    expect(tempFiles(out)).toEqual([]);
  });

  it("writes no charts before a size is measured, and renders them once per new size", async () => {
    const out = tempDir();
    const dir = await RunDirectory.create(out);
    const result = runResult([], [0.01]);
    dir.writeResult(result);
    expect(readdirSync(out).sort()).toEqual(["result.json", ...DERIVED].sort());

    result.sizes.push(size(64, [outcome(64, 0.01, 5e6)]));
    dir.writeResult(result);
    const first = statSync(join(out, "Mpps.png")).mtimeMs;
    const inode = statSync(join(out, "Mpps.png")).ino;

    // A status change alone does not re-render: the chart file is the very same one.
    result.status = "complete";
    result.finishedAt = "2025-11-23T08:20:00.000Z";
    dir.writeResult(result);
    expect(statSync(join(out, "Mpps.png")).ino).toBe(inode);
    expect(statSync(join(out, "Mpps.png")).mtimeMs).toBe(first);
    expect(JSON.parse(readFileSync(join(out, "result.json"), "utf8")).status).toBe("complete");

    result.sizes.push(size(128, [outcome(128, 0.01, 4e6)]));
    dir.writeResult(result);
    expect(statSync(join(out, "Mpps.png")).ino).not.toBe(inode);
    expect(readFileSync(join(out, "L1Gbps.csv"), "utf8").split("\r\n")).toHaveLength(5);
  });

  it("appends one line per trial to trials.csv, header once, also across instances", async () => {
    const out = tempDir();
    const result = runResult([], [0.01, 0.5]);
    const dir = await RunDirectory.create(out);
    dir.writeResult(result);
    const at = new Date("2025-11-23T08:15:00.000Z");
    dir.appendTrial(64, trial(0), at);
    dir.appendTrial(
      64,
      trial(1, { passed: [false, true], rxPackets: 999_000, lossRatio: 0.001 }),
      at,
    );

    // A resumed run opens the directory again: the header is not repeated.
    const resumed = await RunDirectory.create(out);
    resumed.writeResult(result);
    resumed.appendTrial(
      1518,
      trial(0, { valid: false, invalidReason: "TX underrun", passed: [false, false] }),
      at,
      812_743.823146944,
    );
    const lines = readFileSync(join(out, "trials.csv"), "utf8").split("\r\n");
    expect(lines.at(-1)).toBe("");
    expect(lines.slice(0, -1)).toEqual([
      "frame_size,trial,started_at,rate_pps,offered_pps,line_rate_pct,duration_s,elapsed_s," +
        "tx_packets,rx_packets,loss_ratio,verdict_NDR,verdict_PDR," +
        "invalid_reason",
      "64,0,2025-11-23T08:15:00.000Z,1000000.0,1000000.0,6.72,1.0,1.0,1000000,1000000,0.0,pass,pass,",
      "64,1,2025-11-23T08:15:00.000Z,1000000.0,1000000.0,6.72,1.0,1.0,1000000,999000,0.001,fail,pass,",
      `1518,0,2025-11-23T08:15:00.000Z,1000000.0,1000000.0,${pythonFloat((1e6 / 812_743.823146944) * 100)},` +
        "1.0,1.0,1000000,1000000,0.0,invalid,invalid,TX underrun",
    ]);
    expect(tempFiles(out)).toEqual([]);
  });

  it("refuses a trial before the run's thresholds are known", async () => {
    const dir = await RunDirectory.create(tempDir());
    expect(() => dir.appendTrial(64, trial(0), new Date())).toThrow(/writeResult first/);
  });

  it("load() reads back what writeResult wrote", async () => {
    const out = tempDir();
    const dir = await RunDirectory.create(out);
    const result = sweepResult({ thresholds: [0.01, 0.5], naSizes: [64] });
    result.sizes[1].results[0].latencyUs = { min: 2, avg: 5.5, max: 31 };
    dir.writeResult(result);
    expect(RunDirectory.load(out)).toEqual(result);
  });
});

describe("RunDirectory.load errors name the file and the problem", () => {
  const withResult = (text: string): string => {
    const out = tempDir();
    writeFileSync(join(out, "result.json"), text);
    return out;
  };
  const valid = (): RunResult => sweepResult({ naSizes: [64] });
  const edited = (edit: (r: Record<string, unknown>) => void): string => {
    const json = JSON.parse(JSON.stringify(valid())) as Record<string, unknown>;
    edit(json);
    return withResult(JSON.stringify(json));
  };

  it("a directory without result.json", () => {
    const out = tempDir();
    expect(() => RunDirectory.load(out)).toThrow(`${join(out, "result.json")}: not found`);
  });

  it("bad JSON", () => {
    const out = withResult('{"schemaVersion": 1,');
    expect(() => RunDirectory.load(out)).toThrow(`${join(out, "result.json")}: not valid JSON`);
    try {
      RunDirectory.load(out);
    } catch (err) {
      expect(err).toBeInstanceOf(ResultFileError);
      expect((err as ResultFileError).path).toBe(join(out, "result.json"));
    }
  });

  it("a JSON file that is not a result", () => {
    expect(() => RunDirectory.load(withResult("[1, 2]"))).toThrow(
      /the top level must be an object/,
    );
    expect(() => RunDirectory.load(withResult('{"name": "x"}'))).toThrow(/has no schemaVersion/);
  });

  it("a schema version this autotrex does not read", () => {
    const out = edited((r) => (r.schemaVersion = 3));
    expect(() => RunDirectory.load(out)).toThrow(
      `${join(out, "result.json")}: schemaVersion number 3 is not supported (this autotrex reads versions 1 and 2)`,
    );
  });

  it("a field of the wrong type or value, with its path", () => {
    expect(() => RunDirectory.load(edited((r) => (r.speedBps = "10G")))).toThrow(
      /result\.json: speedBps must be a number \(found "10G"\)/,
    );
    expect(() =>
      RunDirectory.load(
        edited((r) => ((r.sizes as Array<Record<string, unknown>>)[2].status = "done")),
      ),
    ).toThrow(/sizes\[2\]\.status must be one of "ok", "n\/a", "failed" \(found "done"\)/);
    expect(() =>
      RunDirectory.load(
        edited((r) => {
          const s = (r.sizes as Array<{ results: Array<Record<string, unknown>> }>)[1];
          delete s.results[0].ratePps;
        }),
      ),
    ).toThrow(/sizes\[1\]\.results\[0\]\.ratePps must be a number \(found nothing\)/);
    expect(() =>
      RunDirectory.load(
        edited((r) => ((r.parameters as Record<string, unknown>).sizes = [64, "x"])),
      ),
    ).toThrow(/parameters\.sizes\[1\] must be a whole number/);
    expect(() =>
      RunDirectory.load(edited((r) => ((r.parameters as Record<string, unknown>).thresholds = []))),
    ).toThrow(/parameters\.thresholds must be a non-empty array/);
  });
});

describe("writeFileAtomic", () => {
  it("replaces a file whole and leaves no temp file behind", () => {
    const out = tempDir();
    const file = join(out, "a.csv");
    writeFileAtomic(file, "old\n");
    writeFileAtomic(file, "new\n");
    expect(readFileSync(file, "utf8")).toBe("new\n");
    expect(readdirSync(out)).toEqual(["a.csv"]);
  });

  it("removes its temp file when the rename fails, and keeps the old content", () => {
    const out = tempDir();
    // A directory in the way: the rename fails after the temp file was written.
    mkdirSync(join(out, "result.json"));
    writeFileSync(join(out, "result.json", "keep"), "x");
    expect(() => writeFileAtomic(join(out, "result.json"), "{}")).toThrow();
    expect(readdirSync(out)).toEqual(["result.json"]);
    expect(readdirSync(join(out, "result.json"))).toEqual(["keep"]);
  });
});

describe("write errors", () => {
  const unmounts: Array<() => void> = [];
  afterEach(() => {
    for (const unmount of unmounts.splice(0)) unmount();
  });

  it("name the file and the errno, whichever call failed", () => {
    const out = tempDir();
    mkdirSync(join(out, "result.json", "keep"), { recursive: true });
    const err = (() => {
      try {
        writeFileAtomic(join(out, "result.json"), "{}");
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(OutputWriteError);
    expect((err as OutputWriteError).file).toBe(join(out, "result.json"));
    expect((err as Error).message).toMatch(
      new RegExp(`^cannot write ${out}/result.json: E[A-Z]+ \\([a-z ]+\\)$`),
    );
    writeFileSync(join(out, "file"), "");
    expect(() => writeOutputFile(join(out, "file", "junit.xml"), "x")).toThrow(
      `cannot write ${join(out, "file")}: ENOTDIR (not a directory)`,
    );
  });

  it("checkWritable creates the directory, returns the topmost one it created, leaves no probe", () => {
    const base = tempDir();
    const out = join(base, "results", "run");
    expect(RunDirectory.checkWritable(out)).toEqual({ createdDir: join(base, "results") });
    expect(readdirSync(out)).toEqual([]);
    expect(RunDirectory.checkWritable(out)).toEqual({ createdDir: undefined });
    writeFileSync(join(base, "file"), "");
    expect(() => RunDirectory.checkWritable(join(base, "file", "run"))).toThrow(
      /ENOTDIR \(not a directory\)/,
    );
  });

  it.runIf(canMountTmpfs)(
    "on a full disk the first failure is reported and result.json still gets its final status",
    async () => {
      const mount = mountTmpfs(64)!;
      unmounts.push(() => mount.unmount());
      const dir = await RunDirectory.create(join(mount.dir, "run"));
      const result = sweepResult();
      // result.json fits, the charts do not (tens of KiB each)
      const first = (() => {
        try {
          dir.writeResult(result);
        } catch (e) {
          return e as OutputWriteError;
        }
      })();
      expect(first).toBeInstanceOf(OutputWriteError);
      expect(first!.code).toBe("ENOSPC");
      expect(first!.file).toMatch(/\.png$/);
      // Not a byte left: only an in-place rewrite can record the final status.
      expect(() => writeFileSync(join(mount.dir, "filler"), Buffer.alloc(128 * 1024))).toThrow(
        /ENOSPC/,
      );
      dir.writeResult({ ...result, status: "failed", finishedAt: "2025-11-23T09:00:00.000Z" });
      const text = readFileSync(join(mount.dir, "run", "result.json"), "utf8");
      expect(JSON.parse(text)).toMatchObject({ status: "failed" });
      expect(tempFiles(join(mount.dir, "run"))).toEqual([]);
    },
  );
});
