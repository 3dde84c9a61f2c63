import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.ts";
import { trendTable } from "../../src/cli/trend.ts";
import {
  buildTrend,
  renderTrendChart,
  trendChartConfiguration,
  trendCsv,
  TrendInputError,
  type TrendRun,
} from "../../src/report/trend.ts";
import { captureStdio, makeResult, tempDir, writeRunDir, type ResultSpec } from "./helpers.ts";

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function night(day: number, sizes: ResultSpec["sizes"], extra: Partial<ResultSpec> = {}): TrendRun {
  const startedAt = `2025-11-${String(day).padStart(2, "0")}T02:00:00.000Z`;
  return { name: `night-${day}`, result: makeResult({ startedAt, sizes, ...extra }) };
}

// Given out of date order on purpose.
const RUNS: TrendRun[] = [
  night(21, { 64: [9.1e6, 11e6], 1518: [812e3, 812e3] }),
  night(20, { 64: [10e6, 12e6], 1518: [800e3, 812e3] }),
  night(22, { 64: [9.9e6, 12e6], 1518: "n/a", 9216: [134e3, 135e3] }),
];

describe("buildTrend", () => {
  it("orders runs by startedAt and takes the primary threshold's rate per size", () => {
    const trend = buildTrend(RUNS);
    expect(trend.profile).toBe("tcp_1pkt");
    expect(trend.threshold).toEqual({ name: "NDR", lossPct: 0.01 });
    expect(trend.frameSizes).toEqual([64, 1518, 9216]);
    expect(trend.points).toEqual(
      [
        { run: "night-20", startedAt: "2025-11-20T02:00:00.000Z", ratePps: [10e6, 800e3, null] },
        { run: "night-21", startedAt: "2025-11-21T02:00:00.000Z", ratePps: [9.1e6, 812e3, null] },
        { run: "night-22", startedAt: "2025-11-22T02:00:00.000Z", ratePps: [9.9e6, null, 134e3] },
      ].map((p) => ({ ...p, generatorLimited: [false, false, false] })),
    );
  });

  it("accepts runs whose further thresholds differ, but not another primary, profile or speed", () => {
    const pdrOnly = night(23, { 64: [9e6] }, { thresholds: [0.01] });
    expect(buildTrend([...RUNS, pdrOnly]).points).toHaveLength(4);
    expect(() => buildTrend([])).toThrow(TrendInputError);
    expect(() => buildTrend([...RUNS, night(23, { 64: [9e6] }, { thresholds: [0] })])).toThrow(
      "runs are not comparable: loss thresholds NDR=0% (night-23) vs NDR=0.01% (night-20)",
    );
    expect(() => buildTrend([...RUNS, night(23, { 64: [9e6] }, { profile: "ipv6_1pkt" })])).toThrow(
      /profile ipv6_1pkt \(night-23\) vs tcp_1pkt \(night-20\)/,
    );
    expect(() => buildTrend([...RUNS, night(19, { 64: [9e6] }, { speedBps: 1e9 })])).toThrow(
      // The oldest run is the reference the others are checked against.
      /port speed 10 Gb\/s \(night-20\) vs 1 Gb\/s \(night-19\)/,
    );
  });
});

describe("trend.csv", () => {
  it("has run, date, then Mpps per frame size, N/A where a run had no result", () => {
    const lines = trendCsv(buildTrend(RUNS)).split("\r\n");
    expect(lines).toEqual([
      "run,date,64B_Mpps,1518B_Mpps,9216B_Mpps,generator_limited",
      "night-20,2025-11-20T02:00:00.000Z,10,0.8,N/A,",
      "night-21,2025-11-21T02:00:00.000Z,9.1,0.812,N/A,",
      "night-22,2025-11-22T02:00:00.000Z,9.9,N/A,0.134,",
      "",
    ]);
  });

  it("names the sizes whose rate was the generator's ceiling; the chart draws them hollow", () => {
    const slowGenerator = night(23, { 64: [0.14e6, 0.14e6], 1518: [0.13e6, 0.13e6] });
    for (const size of slowGenerator.result.sizes) {
      for (const r of size.results) r.generatorLimited = size.frameSize === 64;
    }
    const trend = buildTrend([...RUNS, slowGenerator]);
    expect(trendCsv(trend).split("\r\n").at(-2)).toBe(
      "night-23,2025-11-23T02:00:00.000Z,0.14,0.13,N/A,64",
    );
    const config = trendChartConfiguration(trend);
    const [at64, at1518] = config.data.datasets;
    const fill64 = at64.pointBackgroundColor as string[];
    expect(fill64.at(-1)).toBe("#ffffff");
    expect(fill64.slice(0, 3)).toEqual(Array(3).fill(at64.borderColor));
    expect((at1518.pointBackgroundColor as string[]).at(-1)).toBe(at1518.borderColor);
    expect(config.options?.plugins?.subtitle?.text).toMatch(/hollow point: generator-limited/);
    expect(trendChartConfiguration(buildTrend(RUNS)).options?.plugins?.subtitle?.text).not.toMatch(
      /hollow/,
    );
    const table = trendTable(trend).split("\n");
    expect(table.at(-3)).toMatch(/^2025-11-23 02:00 +0\.14\* +0\.13 +N\/A +night-23$/);
    expect(table.at(-2)).toBe(
      "* generator-limited: the generator's ceiling, the DUT forwards at least that",
    );
    expect(trendTable(buildTrend(RUNS))).not.toContain("*");
  });
});

describe("trend chart", () => {
  it("has one line per frame size over the run dates, gaps where a run had no result", () => {
    const config = trendChartConfiguration(buildTrend(RUNS));
    expect(config.type).toBe("line");
    expect(config.data.labels).toEqual([
      ["2025-11-20", "02:00"],
      ["2025-11-21", "02:00"],
      ["2025-11-22", "02:00"],
    ]);
    expect(config.data.datasets.map((d) => d.label)).toEqual(["64 B", "1518 B", "9216 B"]);
    expect(config.data.datasets[1].data).toEqual([0.8, 0.812, null]);
    // 64 B vs 9216 B spans ~75x: a linear axis would flatten the jumbo frames.
    expect(config.options?.scales?.y?.type).toBe("logarithmic");
    const close = buildTrend([night(20, { 64: [10e6] }), night(21, { 64: [9e6] })]);
    expect(trendChartConfiguration(close).options?.scales?.y?.type).toBe("linear");
  });

  it("renders a PNG", () => {
    const png = renderTrendChart(buildTrend(RUNS));
    expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    // IHDR: width and height of the image.
    expect(png.readUInt32BE(16)).toBe(1200);
    expect(png.readUInt32BE(20)).toBe(700);
  });
});

describe("autotrex trend (CLI, in process)", () => {
  const { out, err } = captureStdio();

  it("writes the chart and the CSV and prints a table", async () => {
    const dir = tempDir();
    const dirs = RUNS.map((run) => writeRunDir(dir, run.name, run.result));
    const png = join(dir, "out", "trend.png");
    const csv = join(dir, "trend.csv");
    // One run named by its result.json: same run name.
    const args = [...dirs.slice(0, 2), join(dirs[2], "result.json")];
    expect(await main(["node", "autotrex", "trend", ...args, "--out", png, "--csv", csv])).toBe(0);
    expect(readFileSync(png).subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    expect(readFileSync(csv, "utf8")).toBe(trendCsv(buildTrend(RUNS)));
    const table = out.join("").split("\n");
    expect(table[1]).toMatch(/^date \(UTC\)\s+64 B\s+1518 B\s+9216 B\s+run$/);
    expect(table[4]).toMatch(/^2025-11-22 02:00\s+9\.9\s+N\/A\s+0\.134\s+night-22$/);
  });

  it("skips a directory without a result in one line; exits 2 when none is left or the runs are not comparable", async () => {
    const dir = tempDir();
    const good = writeRunDir(dir, "a", RUNS[0].result);
    const other = writeRunDir(dir, "b", makeResult({ sizes: { 64: [1e6] }, speedBps: 25e9 }));
    const png = join(dir, "trend.png");
    expect(await main(["node", "autotrex", "trend", good, join(dir, "none"), "--out", png])).toBe(
      0,
    );
    expect(err.join("")).toMatch(/^autotrex: trend: skipped .*none: .*none: no such run directory/);
    expect(await main(["node", "autotrex", "trend", join(dir, "none"), "--out", png])).toBe(2);
    expect(err.join("")).toContain("no run to plot: all 1 skipped");
    expect(await main(["node", "autotrex", "trend", good, other, "--out", png])).toBe(2);
    // b started on the 20th, a (night-21) later: b is the reference.
    expect(err.join("")).toContain("port speed 10 Gb/s (a) vs 25 Gb/s (b)");
  });
});
