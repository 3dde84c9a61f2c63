import { describe, expect, it } from "vitest";
import { lineRatePps } from "../../src/rate/line-rate.ts";
import {
  classicCsv,
  pythonFloat,
  SUMMARY_COLUMNS,
  summaryCsv,
  trialsCsvHeader,
  trialsCsvRow,
} from "../../src/report/csv.ts";
import type { TrialRecord } from "../../src/search/types.ts";
import { outcome, runResult, size, SPEED_BPS, thresholdsOf } from "./fixtures.ts";

/** 64 B at line rate, 128 B without a result, 1518 B at 0.5 Mpps; listed out of order. */
function crafted() {
  const line64 = lineRatePps(SPEED_BPS, 64);
  return runResult([
    size(1518, [outcome(1518, 0.01, 500_000)]),
    size(64, [outcome(64, 0.01, line64, { lineRateLimited: true })]),
    size(128, [], { reason: "no rate kept loss within 0.01 %" }),
  ]);
}

function rows(text: string): string[][] {
  return text
    .split("\r\n")
    .filter((l) => l !== "")
    .map((l) => l.split(","));
}

describe("pythonFloat", () => {
  it("writes floats as Python's repr does", () => {
    expect(pythonFloat(10)).toBe("10.0");
    expect(pythonFloat(0)).toBe("0.0");
    expect(pythonFloat(-0)).toBe("-0.0");
    expect(pythonFloat(0.5)).toBe("0.5");
    expect(pythonFloat(1e10 / 672 / 1e6)).toBe("14.880952380952381");
    expect(pythonFloat(1e10 / 672)).toBe("14880952.38095238");
    expect(pythonFloat(1e-4)).toBe("0.0001");
    expect(pythonFloat(1.5e-5)).toBe("1.5e-05");
    expect(pythonFloat(-2.5e-7)).toBe("-2.5e-07");
    expect(pythonFloat(1e16)).toBe("1e+16");
    expect(pythonFloat(1234567890123456)).toBe("1234567890123456.0");
    expect(pythonFloat(1.25e21)).toBe("1.25e+21");
    expect(pythonFloat(1e22)).toBe("1e+22");
    expect(pythonFloat(Number.NaN)).toBe("nan");
    expect(pythonFloat(Number.POSITIVE_INFINITY)).toBe("inf");
  });

  it("reads back to the same double", () => {
    for (const x of [
      1 / 3,
      2 / 3e-9,
      123456.789e7,
      9.869960988296487,
      5e-324,
      1.7976931348623157e308,
    ]) {
      expect(Number(pythonFloat(x))).toBe(x);
    }
  });
});

describe("classic CSVs (Mpps.csv, L1Gbps.csv, L2Gbps.csv)", () => {
  // Expected text as the original tool's csv.writer writes it (checked with Python 3), except
  // N/A where it wrote 0.0 for a size without a result.
  it("Mpps.csv: 10 Gb/s line rate 14.880952380952381 Mpps at 64 B, 0.812743823146944 at 1518 B", () => {
    expect(classicCsv("Mpps", crafted())).toBe(
      "Mpps\r\n" +
        "packet_size,actual,theoretical\r\n" +
        "64,14.880952380952381,14.880952380952381\r\n" +
        "128,N/A,8.445945945945947\r\n" +
        "1518,0.5,0.812743823146944\r\n",
    );
  });

  it("L1Gbps.csv: line rate is 10 Gbps at every size", () => {
    expect(classicCsv("L1Gbps", crafted())).toBe(
      "L1Gbps\r\n" +
        "packet_size,actual,theoretical\r\n" +
        "64,10.0,10.0\r\n" +
        "128,N/A,10.0\r\n" +
        "1518,6.152,10.0\r\n",
    );
  });

  it("L2Gbps.csv: frame bits only", () => {
    expect(classicCsv("L2Gbps", crafted())).toBe(
      "L2Gbps\r\n" +
        "packet_size,actual,theoretical\r\n" +
        "64,7.619047619047619,7.619047619047619\r\n" +
        "128,N/A,8.64864864864865\r\n" +
        "1518,6.072,9.869960988296487\r\n",
    );
  });

  it("uses the primary (first) threshold's result", () => {
    const result = runResult(
      [size(64, [outcome(64, 0.5, 3_000_000), outcome(64, 0.01, 2_000_000)])],
      [0.01, 0.5],
    );
    expect(rows(classicCsv("Mpps", result))[2]).toEqual(["64", "2.0", "14.880952380952381"]);
    // Only the secondary threshold found a rate: the classic CSVs say N/A.
    const pdrOnly = runResult([size(64, [outcome(64, 0.5, 3_000_000)])], [0.01, 0.5]);
    expect(rows(classicCsv("Mpps", pdrOnly))[2]).toEqual(["64", "N/A", "14.880952380952381"]);
  });

  it("has only the two header rows when nothing is measured yet", () => {
    expect(classicCsv("Mpps", runResult([]))).toBe("Mpps\r\npacket_size,actual,theoretical\r\n");
  });
});

describe("summary.csv", () => {
  const result = runResult(
    [
      size(128, [], {
        status: "n/a",
        reason: "headers need 134 B",
        trialCount: 0,
        trialSeconds: 0,
      }),
      size(64, [
        outcome(64, 0.01, 7_440_476, {
          lossRatio: 0.00005,
          latencyUs: { min: 3.5, avg: 7.25, max: 40 },
        }),
      ]),
    ],
    [0.01, 0.5],
  );
  const table = rows(summaryCsv(result));
  const header = table[0];
  const col = (row: string[], name: (typeof SUMMARY_COLUMNS)[number]) => row[header.indexOf(name)];

  it("has one row per size × threshold, sizes ascending, thresholds in run order", () => {
    expect(header).toEqual([...SUMMARY_COLUMNS]);
    expect(table.slice(1).map((r) => [col(r, "frame_size"), col(r, "loss_threshold_pct")])).toEqual(
      [
        ["64", "0.01"],
        ["64", "0.5"],
        ["128", "0.01"],
        ["128", "0.5"],
      ],
    );
    for (const r of table) expect(r).toHaveLength(SUMMARY_COLUMNS.length);
  });

  it("carries every figure of a result", () => {
    const r = table[1];
    expect(col(r, "status")).toBe("ok");
    expect(col(r, "rate_pps")).toBe("7440476.0");
    expect(col(r, "rate_mpps")).toBe("7.440476");
    expect(Number(col(r, "l1_gbps"))).toBeCloseTo((7_440_476 * 84 * 8) / 1e9, 12);
    expect(Number(col(r, "l2_gbps"))).toBeCloseTo((7_440_476 * 64 * 8) / 1e9, 12);
    expect(Number(col(r, "line_rate_pct"))).toBeCloseTo((7_440_476 / (1e10 / 672)) * 100, 10);
    expect(col(r, "loss_ratio")).toBe("5e-05");
    expect(col(r, "line_rate_limited")).toBe("false");
    expect([col(r, "latency_min_us"), col(r, "latency_avg_us"), col(r, "latency_max_us")]).toEqual([
      "3.5",
      "7.25",
      "40.0",
    ]);
    expect(col(r, "theoretical_pps")).toBe("14880952.38095238");
    expect(col(r, "theoretical_l1_gbps")).toBe("10.0");
    expect(col(r, "trials")).toBe("8");
    expect(col(r, "trial_seconds")).toBe("240.0");
    expect(col(r, "reason")).toBe("");
  });

  it("says generator-limited where the rate is the most the generator sent", () => {
    const limited = runResult(
      [size(64, [outcome(64, 0.01, 598_000, { generatorLimited: true, offeredPps: 598_000.5 })])],
      [0.01],
    );
    const [head, r] = rows(summaryCsv(limited));
    const at = (name: (typeof SUMMARY_COLUMNS)[number]) => r[head.indexOf(name)];
    expect(at("status")).toBe("generator-limited");
    expect(at("generator_limited")).toBe("true");
    expect(at("line_rate_limited")).toBe("false");
    expect(at("offered_pps")).toBe("598000.5");
    expect(col(table[1], "status")).toBe("ok");
    expect(col(table[1], "generator_limited")).toBe("false");
  });

  it("leaves figures empty where there is no result and says why", () => {
    const pdr = table[2];
    expect(col(pdr, "status")).toBe("failed");
    expect(col(pdr, "rate_pps")).toBe("");
    expect(col(pdr, "line_rate_limited")).toBe("");
    const na = table[3];
    expect(col(na, "status")).toBe("n/a");
    expect(col(na, "reason")).toBe("headers need 134 B");
    expect(col(na, "latency_avg_us")).toBe("");
    expect(col(na, "theoretical_pps")).toBe(pythonFloat(lineRatePps(SPEED_BPS, 128)));
  });
});

describe("trials.csv rows", () => {
  const trial = (over: Partial<TrialRecord>): TrialRecord => ({
    index: 3,
    ratePps: 7_440_476.190476191,
    durationS: 30,
    txPackets: 223_214_286,
    rxPackets: 223_214_000,
    elapsedS: 30,
    offeredPps: 7_440_476.2,
    lossRatio: 286 / 223_214_286,
    valid: true,
    passed: [false, true],
    ...over,
  });
  const startedAt = new Date("2025-11-23T08:15:42.123Z");
  const line = lineRatePps(SPEED_BPS, 64);

  it("names a verdict column per threshold", () => {
    expect(trialsCsvHeader(thresholdsOf([0.01, 0.5]))).toBe(
      "frame_size,trial,started_at,rate_pps,offered_pps,line_rate_pct,duration_s,elapsed_s," +
        "tx_packets,rx_packets," +
        "loss_ratio,verdict_NDR,verdict_PDR,invalid_reason\r\n",
    );
  });

  it("writes one line per trial with the verdict per threshold", () => {
    const [r] = rows(trialsCsvRow(64, trial({}), startedAt, line, 2));
    expect(r).toEqual([
      "64",
      "3",
      "2025-11-23T08:15:42.123Z",
      "7440476.190476191",
      "7440476.2",
      pythonFloat((7_440_476.190476191 / line) * 100),
      "30.0",
      "30.0",
      "223214286",
      "223214000",
      pythonFloat(286 / 223_214_286),
      "fail",
      "pass",
      "",
    ]);
    expect(Number(r[5])).toBeCloseTo(50, 9);
  });

  it("marks an invalid trial in every verdict column and gives the reason", () => {
    const text = trialsCsvRow(
      64,
      trial({
        valid: false,
        invalidReason: "TX underrun, 2.1 % short",
        passed: [false, false],
        lossRatio: 0,
      }),
      startedAt,
      line,
      2,
    );
    // A reason with a comma is quoted, so the column count stays right for CSV readers.
    expect(
      text.endsWith(',223214286,223214000,0.0,invalid,invalid,"TX underrun, 2.1 % short"\r\n'),
    ).toBe(true);
    // One record per line even when a reason spans lines.
    const multiLine = trialsCsvRow(
      64,
      trial({ valid: false, invalidReason: "a\nb" }),
      startedAt,
      line,
      2,
    );
    expect(multiLine.endsWith(",invalid,invalid,a b\r\n")).toBe(true);
  });
});
