/**
 * result.json version 2 names its thresholds; version 1 files (bare percentages) still read,
 * converted to the shape of version 2, so a v2 run compares with a v1 baseline and a trend
 * spans both. Files are written and read as the CLI reads them.
 */
import { describe, expect, it } from "vitest";
import { runCompare } from "../../src/cli/compare.ts";
import { runTrend } from "../../src/cli/trend.ts";
import { readRunResult } from "../../src/report/read-result.ts";
import type { RunResult } from "../../src/report/result.ts";
import { parseRunResult, ResultFileError } from "../../src/report/validate.ts";
import { asVersion1 } from "./fixtures.ts";
import { makeResult, tempDir, writeRunDir, type ResultSpec } from "./helpers.ts";

type Json = Record<string, unknown>;

const SPEC: ResultSpec = { sizes: { 64: [10e6, 12e6], 1518: [800e3, null], 9216: "n/a" } };

function expectError(text: string, message: string): void {
  let error: unknown;
  try {
    parseRunResult(text, "r.json");
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(ResultFileError);
  expect((error as Error).message).toBe(message);
}

describe("reading result.json version 1", () => {
  it("gives the version 2 shape: NDR and PDR named, results referenced by name", () => {
    const v2 = makeResult(SPEC);
    const read = parseRunResult(JSON.stringify(asVersion1(v2)));
    expect(read).toEqual(v2);
    expect(read.schemaVersion).toBe(2);
    expect(read.parameters.thresholds).toEqual([
      { name: "NDR", lossPct: 0.01 },
      { name: "PDR", lossPct: 0.5 },
    ]);
    expect(read.sizes[0].results.map((r) => r.threshold)).toEqual(["NDR", "PDR"]);
    expect(read).not.toHaveProperty("lossThresholdsPct");
  });

  it("names a v1 threshold as a plain --loss-threshold value is named (a lone 0.5 is PDR)", () => {
    const v1 = asVersion1(makeResult({ thresholds: [0.5], sizes: { 64: [12e6] } }));
    expect(parseRunResult(JSON.stringify(v1)).parameters.thresholds).toEqual([
      { name: "PDR", lossPct: 0.5 },
    ]);
  });

  it("keeps the generator-limited fields of each result", () => {
    const v2 = makeResult({ sizes: { 64: [598e3, 598e3] } });
    Object.assign(v2.sizes[0].results[0], {
      generatorLimited: true,
      offeredPps: 598001,
      elapsedS: 30.2,
    });
    const read = parseRunResult(JSON.stringify(asVersion1(v2)));
    expect(read.sizes[0].results[0]).toMatchObject({
      threshold: "NDR",
      generatorLimited: true,
      offeredPps: 598001,
      elapsedS: 30.2,
    });
  });

  it("refuses a v1 result for a threshold the run did not search, naming the field", () => {
    const v1 = asVersion1(makeResult(SPEC));
    ((v1.sizes as Json[])[1].results as Json[])[0].lossThresholdPct = 0.02;
    expectError(
      JSON.stringify(v1),
      "r.json: sizes[1].results[0].lossThresholdPct must be one of lossThresholdsPct (0.01, 0.5) (found number 0.02)",
    );
  });
});

describe("reading result.json version 2", () => {
  it("refuses a result naming a threshold the run does not have", () => {
    const v2 = makeResult(SPEC) as unknown as Json;
    ((v2.sizes as Json[])[0].results as Json[])[1].threshold = "loose";
    expectError(
      JSON.stringify(v2),
      'r.json: sizes[0].results[1].threshold must be one of "NDR", "PDR" (found "loose")',
    );
  });

  it("refuses thresholds that break the rules, in one line naming the field", () => {
    const withThresholds = (thresholds: unknown): string => {
      const v2 = makeResult(SPEC) as unknown as { parameters: Json };
      v2.parameters.thresholds = thresholds;
      return JSON.stringify(v2);
    };
    expectError(
      withThresholds([
        { name: "NDR", lossPct: 0.01 },
        { name: "NDR", lossPct: 0.5 },
      ]),
      "r.json: parameters.thresholds: name NDR given twice",
    );
    expectError(
      withThresholds([{ name: "NDR" }]),
      "r.json: parameters.thresholds[0].lossPct must be a number (found nothing)",
    );
    expectError(
      withThresholds([{ name: "N D R", lossPct: 0.01 }]),
      `r.json: parameters.thresholds: "N D R" is not a name of letters, digits, '-' and '_' (at most 32, starting with a letter or digit)`,
    );
    expectError(
      withThresholds("NDR"),
      'r.json: parameters.thresholds must be an array (found "NDR")',
    );
  });
});

describe("mixed versions", () => {
  it("compare: a v2 run against a v1 baseline, matched by name", async () => {
    const dir = tempDir();
    const baseline = writeRunDir(dir, "v1", asVersion1(makeResult(SPEC)) as unknown as RunResult);
    const current = writeRunDir(
      dir,
      "v2",
      makeResult({ sizes: { 64: [9e6, 12e6], 1518: [800e3, null], 9216: "n/a" } }),
    );
    const written: string[] = [];
    const code = await runCompare({ current, baseline, write: (t) => written.push(t) });
    expect(code).toBe(1);
    const table = written.join("");
    expect(table).toMatch(/64 B\s+NDR\(0\.01%\)\s+10\s+9\s+-10\.00\s+REGRESSED/);
    expect(table).toMatch(/64 B\s+PDR\(0\.5%\)\s+12\s+12\s+0\.00\s+ok/);
    // and the other way round
    expect(await runCompare({ current: baseline, baseline: current, write: () => {} })).toBe(0);
  });

  it("trend: runs of both versions on one line per size", async () => {
    const dir = tempDir();
    const night = (day: number, rate: number) =>
      makeResult({ startedAt: `2025-11-${day}T02:00:00.000Z`, sizes: { 64: [rate, 12e6] } });
    const runs = [
      writeRunDir(dir, "night-20", asVersion1(night(20, 10e6)) as unknown as RunResult),
      writeRunDir(dir, "night-21", night(21, 9e6)),
    ];
    const written: string[] = [];
    expect(await runTrend({ runDirs: runs, write: (t) => written.push(t) })).toBe(0);
    const lines = written.join("").split("\n");
    expect(lines[0]).toBe("tcp_1pkt: NDR (loss ≤ 0.01 %) in Mpps, 2 runs");
    expect(lines[2]).toMatch(/^2025-11-20 .*\s10\s+night-20$/);
    expect(lines[3]).toMatch(/^2025-11-21 .*\s9\s+night-21$/);
    expect(readRunResult(runs[0]).schemaVersion).toBe(2);
  });
});
