/** The number flags every command reads (src/cli/flags.ts): one line naming flag and text. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CliError } from "../../src/cli/exit-codes.ts";
import { emulateFromFlags, integerFlag, numberFlag, parseNumber } from "../../src/cli/flags.ts";
import { tempDir } from "../runner/helpers.ts";

const refusal = (make: () => unknown): string => {
  try {
    make();
  } catch (err) {
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(2);
    return (err as Error).message;
  }
  throw new Error("not refused");
};

describe("number flags", () => {
  it("reads numbers and refuses text, blanks and infinities in one line", () => {
    expect(parseNumber("--duration", " 2.5 ", (n) => n > 0, "seconds")).toBe(2.5);
    expect(numberFlag("--duration", undefined, "seconds")).toBeUndefined();
    for (const text of ["abc", "", "  ", "Infinity", "1,5"]) {
      expect(refusal(() => numberFlag("--duration", text, "seconds"))).toBe(
        `--duration ${JSON.stringify(text)}: expected seconds`,
      );
    }
    expect(refusal(() => parseNumber("--latency", "-1", (n) => n > 0, "a rate in pps"))).toBe(
      '--latency "-1": expected a rate in pps',
    );
  });

  it("integers are digits within their range", () => {
    expect(integerFlag("--port", "0", 0, 65535)).toBe(0);
    expect(integerFlag("--port", "65535", 0, 65535)).toBe(65535);
    for (const text of ["65536", "-1", "1.5", "1e3", "0x10", "", "4501x"]) {
      expect(refusal(() => integerFlag("--port", text, 0, 65535))).toBe(
        `--port ${JSON.stringify(text)}: expected an integer from 0 to 65535`,
      );
    }
  });
});

describe("emulateFromFlags", () => {
  it("fills what is not given from the base and checks the rest by the run spec", () => {
    const base = { dut: "noisy", timeScale: 0, seed: 7 };
    expect(emulateFromFlags({ seed: "3" }, base)).toEqual({ ...base, seed: 3 });
    expect(refusal(() => emulateFromFlags({ timeScale: "-1" }))).toMatch(/time-scale/);
  });

  it("loads the DUT: a preset that does not exist or a bad file is refused, named", () => {
    expect(refusal(() => emulateFromFlags({ dut: "no-such-preset" }))).toMatch(/no-such-preset/);
    const file = join(tempDir(), "dut.yaml");
    writeFileSync(file, "capacity:\n  basePps: -5\n");
    expect(refusal(() => emulateFromFlags({ dut: file }))).toContain(file);
  });
});
