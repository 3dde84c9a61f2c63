/**
 * Thresholds by name, as a user meets them: `run --loss-threshold strict=0,loose=1` on the
 * embedded emulator, then every file and report of the run read back — result.json, the CSVs,
 * the charts' labels, the console, compare (table, JUnit, Markdown) and trend all say
 * "strict"/"loose", never NDR/PDR. And a version 1 run directory resumes.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { chartConfiguration } from "../../src/report/charts.ts";
import { METRICS } from "../../src/report/csv.ts";
import { readRunResult } from "../../src/report/read-result.ts";
import type { RunResult } from "../../src/report/result.ts";
import { autotrex, tempDir } from "../cli/helpers.ts";
import { asVersion1 } from "./fixtures.ts";

const RUN = ["run", "profiles/tcp_1pkt.ts", "--emulate", "--sizes", "64,1518"];

function csvRows(file: string): string[][] {
  return readFileSync(file, "utf8")
    .split("\r\n")
    .filter((line) => line !== "")
    .map((line) => line.split(","));
}

describe("a run with --loss-threshold strict=0,loose=1", () => {
  const dir = tempDir();
  const out = join(dir, "named");
  let stdout = "";

  beforeAll(async () => {
    const r = await autotrex([...RUN, "--loss-threshold", "strict=0,loose=1", "--out", out]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    stdout = r.stdout;
  }, 60_000);

  it("stores the thresholds once, by name, and each result names its threshold", () => {
    const json = JSON.parse(readFileSync(join(out, "result.json"), "utf8")) as RunResult &
      Record<string, unknown>;
    expect(json.schemaVersion).toBe(2);
    expect(json.parameters.thresholds).toEqual([
      { name: "strict", lossPct: 0 },
      { name: "loose", lossPct: 1 },
    ]);
    expect(json).not.toHaveProperty("lossThresholdsPct");
    expect(json.parameters).not.toHaveProperty("lossThresholdsPct");
    for (const size of json.sizes) {
      expect(size.results.map((r) => r.threshold)).toEqual(["strict", "loose"]);
      for (const r of size.results) {
        expect(r).not.toHaveProperty("lossThresholdPct");
        expect(typeof r.generatorLimited).toBe("boolean");
        expect(r.offeredPps).toBeGreaterThanOrEqual(r.ratePps);
        expect(r.elapsedS).toBeGreaterThan(0);
      }
    }
  });

  it("prints each result with its threshold's name and loss", () => {
    expect(stdout).toMatch(/64 B: \d+\.\d{3} Mpps strict \(≤0 %\), \d+\.\d{3} Mpps loose \(≤1 %\)/);
    expect(stdout).not.toMatch(/NDR|PDR/);
  });

  it("labels summary.csv and trials.csv by name; Mpps.csv keeps its format (first threshold)", () => {
    const summary = csvRows(join(out, "summary.csv"));
    expect(summary[0].slice(0, 3)).toEqual(["frame_size", "threshold", "loss_threshold_pct"]);
    expect(summary.slice(1).map((r) => r.slice(0, 3))).toEqual([
      ["64", "strict", "0.0"],
      ["64", "loose", "1.0"],
      ["1518", "strict", "0.0"],
      ["1518", "loose", "1.0"],
    ]);
    const trials = csvRows(join(out, "trials.csv"));
    expect(trials[0].slice(-3)).toEqual(["verdict_strict", "verdict_loose", "invalid_reason"]);
    const result = readRunResult(out);
    const mpps = csvRows(join(out, "Mpps.csv"));
    expect(mpps.slice(0, 2)).toEqual([["Mpps"], ["packet_size", "actual", "theoretical"]]);
    const strict64 = result.sizes[0].results.find((r) => r.threshold === "strict")!;
    expect(Number(mpps[2][1])).toBe(strict64.ratePps / 1e6);
  });

  it("labels the charts by name", () => {
    const result = readRunResult(out);
    for (const metric of METRICS) {
      const config = chartConfiguration(metric, result);
      const labels = config.data.datasets.map((d) => d.label);
      expect(labels.slice(0, 2)).toEqual(["strict (zero loss)", "loose (loss ≤ 1 %)"]);
      const subtitle = String(config.options?.plugins?.subtitle?.text);
      expect(subtitle).toContain("strict (zero loss), loose (loss ≤ 1 %)");
      expect(subtitle).not.toMatch(/NDR|PDR/);
      expect(
        readFileSync(join(out, `${metric}.png`))
          .subarray(1, 4)
          .toString(),
      ).toBe("PNG");
    }
  });

  it("compare, JUnit, Markdown and trend label by name", async () => {
    const junit = join(dir, "junit.xml");
    const markdown = join(dir, "summary.md");
    const compared = await autotrex([
      "compare",
      out,
      "--baseline",
      out,
      "--junit",
      junit,
      "--markdown",
      markdown,
    ]);
    expect(compared.code).toBe(0);
    expect(compared.stdout).toMatch(/64 B\s+strict\(0%\)\s/);
    expect(compared.stdout).toMatch(/1518 B\s+loose\(1%\)\s/);
    const xml = readFileSync(junit, "utf8");
    expect(xml).toContain('name="tcp_1pkt 64B strict(0%)"');
    expect(xml).toContain('name="tcp_1pkt 1518B loose(1%)"');
    expect(xml).toContain('<property name="thresholds" value="strict=0%,loose=1%"/>');
    const md = readFileSync(markdown, "utf8");
    expect(md).toMatch(/\| 64 B \| strict\(0%\) \|/);
    expect(md).toMatch(/\| 1518 B \| loose\(1%\) \|/);
    const trend = await autotrex(["trend", out, "--out", join(dir, "trend.png")]);
    expect(trend.code).toBe(0);
    expect(trend.stdout).toContain("tcp_1pkt: strict (zero loss) in Mpps, 1 runs");
    for (const text of [compared.stdout, xml, md, trend.stdout])
      expect(text).not.toMatch(/NDR|PDR/);
  });

  it("compare refuses a baseline whose thresholds have other names", async () => {
    const other = join(dir, "default-names");
    const r = await autotrex([...RUN, "--loss-threshold", "0,1", "--out", other, "--quiet"]);
    expect(r.code).toBe(0);
    expect(readRunResult(other).parameters.thresholds.map((t) => t.name)).toEqual(["NDR", "PDR"]);
    const compared = await autotrex(["compare", out, "--baseline", other]);
    expect(compared.code).toBe(2);
    expect(compared.stderr.trim()).toBe(
      "autotrex: runs are not comparable: loss thresholds strict=0%,loose=1% (current) vs NDR=0%,PDR=1% (baseline)",
    );
  });

  it("resumes a version 1 run directory and writes it as version 2", async () => {
    const old = join(dir, "v1");
    const first = await autotrex([...RUN, "--search", "bisection", "--out", old, "--quiet"]);
    expect(first.code).toBe(0);
    // As a version 1 autotrex leaves an interrupted run: 64 B measured, 1518 B not yet.
    const v1 = asVersion1(readRunResult(old)) as Record<string, unknown> & { sizes: unknown[] };
    v1.sizes = v1.sizes.slice(0, 1);
    v1.status = "interrupted";
    writeFileSync(join(old, "result.json"), JSON.stringify(v1, null, 2));
    const trials = readFileSync(join(old, "trials.csv"), "utf8");
    writeFileSync(
      join(old, "trials.csv"),
      trials.replace("verdict_NDR", "verdict_loss_le_0.01pct"),
    );

    const resumed = await autotrex(["run", "--resume", old, "--quiet"]);
    expect(resumed.stderr).toBe("");
    expect(resumed.code).toBe(0);
    const json = JSON.parse(readFileSync(join(old, "result.json"), "utf8")) as RunResult;
    expect(json.schemaVersion).toBe(2);
    expect(json.status).toBe("complete");
    expect(json.parameters.thresholds).toEqual([{ name: "NDR", lossPct: 0.01 }]);
    expect(json.sizes.map((s) => [s.frameSize, s.results.map((r) => r.threshold)])).toEqual([
      [64, ["NDR"]],
      [1518, ["NDR"]],
    ]);
  }, 60_000);
});

describe("--loss-threshold errors", () => {
  it.each([
    ["NDR=0.01,0.5", `autotrex: --loss-threshold "0.5": name every threshold (NAME=PCT) or none`],
    ["a=1,a=2", "autotrex: --loss-threshold: name a given twice"],
    ["x=abc", `autotrex: --loss-threshold "x=abc": expected a loss percentage from 0 to below 100`],
  ])("%s: one line naming the flag and the bad part, exit 2", async (flag, message) => {
    const r = await autotrex([...RUN, "--loss-threshold", flag, "--out", join(tempDir(), "x")]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(message);
  });
});
