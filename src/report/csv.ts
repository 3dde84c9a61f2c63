/**
 * The CSV files of a run directory, as pure functions of result.json (and of trial records).
 *
 * Mpps.csv, L1Gbps.csv and L2Gbps.csv keep the original tool's format: a first row with the
 * metric's name, then `packet_size,actual,theoretical`, one row per frame size ascending.
 * Numbers are written like Python's repr() of a float (shortest text that reads back to the
 * same double, `10.0` rather than `10`), which is what the original's csv.writer produced, and
 * records end in CRLF as Python's csv module (and RFC 4180) do. The one intended difference:
 * a size without a result says `N/A`, where the original wrote 0.0.
 */
import { stringify } from "csv-stringify/sync";
import type { Rates, RunResult, SizeResult, Threshold, ThresholdOutcome } from "./result.ts";
import type { TrialRecord } from "../search/types.ts";

export type Metric = "Mpps" | "L1Gbps" | "L2Gbps";
export const METRICS: readonly Metric[] = ["Mpps", "L1Gbps", "L2Gbps"];

/** What the classic CSVs and the charts write where a size has no result. */
export const NOT_AVAILABLE = "N/A";

/** Value of a metric for a set of rates, in the metric's unit (Mpps or Gbps). */
export function metricValue(metric: Metric, rates: Rates): number {
  switch (metric) {
    case "Mpps":
      return rates.ratePps / 1e6;
    case "L1Gbps":
      return rates.l1Bps / 1e9;
    case "L2Gbps":
      return rates.l2Bps / 1e9;
  }
}

/**
 * A number as Python's repr() writes a float: the shortest round-trip digits, fixed notation
 * for decimal exponents -4..15 (always with a fraction, `10.0`), otherwise `1.5e-05` style.
 */
export function pythonFloat(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const sign = x < 0 ? "-" : "";
  // toExponential() without an argument gives the shortest digits that round-trip.
  const [mantissa, expText] = Math.abs(x).toExponential().split("e");
  const digits = mantissa.replace(".", "");
  const exp = Number(expText);
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  if (exp < 0) return `${sign}0.${"0".repeat(-exp - 1)}${digits}`;
  const whole = digits.slice(0, exp + 1).padEnd(exp + 1, "0");
  const fraction = digits.slice(exp + 1) || "0";
  return `${sign}${whole}.${fraction}`;
}

function toCsv(rows: ReadonlyArray<ReadonlyArray<string>>): string {
  return stringify(rows as string[][], { record_delimiter: "windows" });
}

/** Sizes of a result in ascending frame-size order (result.json keeps the run's order). */
export function sizesAscending(result: RunResult): SizeResult[] {
  return [...result.sizes].sort((a, b) => a.frameSize - b.frameSize);
}

/** The outcome of a size for the threshold of that name, if that threshold found a rate. */
export function outcomeFor(size: SizeResult, threshold: string): ThresholdOutcome | undefined {
  return size.results.find((r) => r.threshold === threshold);
}

/** The primary threshold: the first of the run's list, used by the classic CSVs and charts. */
export function primaryThreshold(result: RunResult): Threshold {
  return result.parameters.thresholds[0];
}

/** Mpps.csv, L1Gbps.csv or L2Gbps.csv: the primary threshold's result per size. */
export function classicCsv(metric: Metric, result: RunResult): string {
  const primary = primaryThreshold(result).name;
  const rows: string[][] = [[metric], ["packet_size", "actual", "theoretical"]];
  for (const size of sizesAscending(result)) {
    const outcome = outcomeFor(size, primary);
    rows.push([
      String(size.frameSize),
      outcome ? pythonFloat(metricValue(metric, outcome)) : NOT_AVAILABLE,
      pythonFloat(metricValue(metric, size.theoretical)),
    ]);
  }
  return toCsv(rows);
}

export const SUMMARY_COLUMNS = [
  "frame_size",
  "threshold",
  "loss_threshold_pct",
  "status",
  "rate_pps",
  "rate_mpps",
  "l1_gbps",
  "l2_gbps",
  "line_rate_pct",
  "loss_ratio",
  "line_rate_limited",
  "generator_limited",
  "offered_pps",
  "latency_min_us",
  "latency_avg_us",
  "latency_max_us",
  "theoretical_pps",
  "theoretical_l1_gbps",
  "theoretical_l2_gbps",
  "trials",
  "trial_seconds",
  "reason",
] as const;

/**
 * Status of one size × threshold row: `ok` when the threshold found a rate, `generator-limited`
 * when that rate is the most the traffic generator could send (the DUT may be faster),
 * otherwise the size's own status (`n/a` when the frame cannot be built), `failed` for a size
 * that was measured but found no rate within this threshold.
 */
export function rowStatus(size: SizeResult, outcome: ThresholdOutcome | undefined): string {
  if (outcome) return outcome.generatorLimited ? "generator-limited" : "ok";
  return size.status === "n/a" ? "n/a" : "failed";
}

/**
 * summary.csv: one row per size × threshold with every figure. Cells without a value (no
 * result, no latency measured) are empty so that spreadsheets treat them as blanks.
 */
export function summaryCsv(result: RunResult): string {
  const rows: string[][] = [[...SUMMARY_COLUMNS]];
  const num = (x: number | undefined): string => (x === undefined ? "" : pythonFloat(x));
  for (const size of sizesAscending(result)) {
    for (const threshold of result.parameters.thresholds) {
      const o = outcomeFor(size, threshold.name);
      rows.push([
        String(size.frameSize),
        threshold.name,
        pythonFloat(threshold.lossPct),
        rowStatus(size, o),
        num(o?.ratePps),
        num(o && metricValue("Mpps", o)),
        num(o && metricValue("L1Gbps", o)),
        num(o && metricValue("L2Gbps", o)),
        num(o && (o.ratePps / size.theoretical.ratePps) * 100),
        num(o?.lossRatio),
        o ? String(o.lineRateLimited) : "",
        o ? String(o.generatorLimited === true) : "",
        num(o?.offeredPps),
        num(o?.latencyUs?.min),
        num(o?.latencyUs?.avg),
        num(o?.latencyUs?.max),
        pythonFloat(size.theoretical.ratePps),
        pythonFloat(metricValue("L1Gbps", size.theoretical)),
        pythonFloat(metricValue("L2Gbps", size.theoretical)),
        String(size.trialCount),
        pythonFloat(size.trialSeconds),
        o ? "" : (size.reason ?? ""),
      ]);
    }
  }
  return toCsv(rows);
}

/**
 * Header of trials.csv: one verdict column per loss threshold, in the run's order, named
 * `verdict_<threshold name>` (`verdict_NDR`); the percentages are in summary.csv and result.json.
 */
export function trialsCsvHeader(thresholds: readonly Threshold[]): string {
  return toCsv([
    [
      "frame_size",
      "trial",
      "started_at",
      "rate_pps",
      "offered_pps",
      "line_rate_pct",
      "duration_s",
      "elapsed_s",
      "tx_packets",
      "rx_packets",
      "loss_ratio",
      ...thresholds.map((t) => `verdict_${t.name}`),
      "invalid_reason",
    ],
  ]);
}

/**
 * One line of trials.csv. A verdict is `pass` or `fail` per threshold; an invalid trial (TX
 * underrun, stray packets) says `invalid` in every verdict column and why in the last one.
 */
export function trialsCsvRow(
  frameSize: number,
  trial: TrialRecord,
  startedAt: Date,
  lineRatePps: number,
  thresholdCount: number,
): string {
  const verdicts: string[] = [];
  for (let i = 0; i < thresholdCount; i++) {
    verdicts.push(!trial.valid ? "invalid" : trial.passed[i] ? "pass" : "fail");
  }
  return toCsv([
    [
      String(frameSize),
      String(trial.index),
      startedAt.toISOString(),
      pythonFloat(trial.ratePps),
      pythonFloat(trial.offeredPps),
      pythonFloat((trial.ratePps / lineRatePps) * 100),
      pythonFloat(trial.durationS),
      pythonFloat(trial.elapsedS),
      String(trial.txPackets),
      String(trial.rxPackets),
      pythonFloat(trial.lossRatio),
      ...verdicts,
      // One record per line, so that line-oriented tools can count trials.
      trial.valid ? "" : (trial.invalidReason ?? "invalid").replace(/\s*[\r\n]+\s*/g, " "),
    ],
  ]);
}
