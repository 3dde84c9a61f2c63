/**
 * Comparison of a run with a baseline run, per frame size × loss threshold: the nightly
 * regression verdict. Pure: the CLI reads the files and writes JUnit/Markdown from the result.
 *
 * A regression is a rate below the baseline's by more than the tolerance, or a size that had a
 * result in the baseline and has none now (it became N/A, failed, or was not measured). A drop
 * whose current result is generator-limited is not one: the DUT forwarded all the generator
 * offered, which never reached the baseline's rate, so the DUT was not tried there. Runs of
 * different profiles, loss thresholds or port speeds measure different things and are refused.
 */
import type { RunResult, RunStatus, SizeResult, Threshold, ThresholdOutcome } from "./result.ts";

export const DEFAULT_TOLERANCE_PCT = 2;

/**
 * ok: within the tolerance; improved / regressed: beyond it, up / down; inconclusive: down
 * beyond it, but the current result is the generator's ceiling, not the DUT's; missing: a
 * result in the baseline, none now; new: none in the baseline, one now; n/a: no result in
 * either.
 */
export type Verdict = "ok" | "improved" | "regressed" | "inconclusive" | "missing" | "new" | "n/a";

export const VERDICTS: readonly Verdict[] = [
  "ok",
  "improved",
  "regressed",
  "inconclusive",
  "missing",
  "new",
  "n/a",
];

/** Verdicts that fail a nightly job. */
export function isRegression(verdict: Verdict): boolean {
  return verdict === "regressed" || verdict === "missing";
}

export interface ComparisonRow {
  frameSize: number;
  /** The threshold's name ("NDR", "strict"): rows of the two runs are matched by it. */
  threshold: string;
  lossThresholdPct: number;
  baselineRatePps: number | null;
  currentRatePps: number | null;
  /** (current - baseline) / baseline in percent; null unless both have a rate. */
  changePct: number | null;
  verdict: Verdict;
  /** Why the current run (or, for `new`/`n/a`, the baseline) has no result. */
  reason?: string;
}

export interface RunSummary {
  startedAt: string;
  status: RunStatus;
  server: string;
  toolVersion: string;
}

export interface Comparison {
  profile: string;
  speedBps: number;
  thresholds: Threshold[];
  tolerancePct: number;
  current: RunSummary;
  baseline: RunSummary;
  /** Frame sizes ascending, thresholds in the run's order within a size. */
  rows: ComparisonRow[];
  counts: Record<Verdict, number>;
  /** True when any row regressed or went missing. */
  regressed: boolean;
}

export interface CompareOptions {
  tolerancePct: number;
}

/** One way two runs differ that makes their rates incomparable. */
export interface RunDifference {
  field: "profile" | "thresholds" | "speedBps";
  baseline: string;
  current: string;
}

/** The runs measured different things; `differences` names each of them. */
export class IncompatibleRunsError extends Error {
  constructor(readonly differences: RunDifference[]) {
    super(`runs are not comparable: ${differences.map((d) => describeDifference(d)).join("; ")}`);
    this.name = "IncompatibleRunsError";
  }
}

const FIELD_NAMES: Record<RunDifference["field"], string> = {
  profile: "profile",
  thresholds: "loss thresholds",
  speedBps: "port speed",
};

/** "port speed 25 Gb/s (current) vs 10 Gb/s (baseline)". */
export function describeDifference(
  difference: RunDifference,
  currentName = "current",
  baselineName = "baseline",
): string {
  const { field, current, baseline } = difference;
  return `${FIELD_NAMES[field]} ${current} (${currentName}) vs ${baseline} (${baselineName})`;
}

/** "NDR=0.01%,PDR=0.5%": a run's thresholds as `--loss-threshold` names them. */
export function formatThresholds(thresholds: readonly Threshold[]): string {
  return thresholds.map((t) => `${t.name}=${t.lossPct}%`).join(",");
}

function formatBps(speedBps: number): string {
  if (speedBps >= 1e9) return `${speedBps / 1e9} Gb/s`;
  if (speedBps >= 1e6) return `${speedBps / 1e6} Mb/s`;
  return `${speedBps} b/s`;
}

/**
 * What makes two runs incomparable: another profile, other loss thresholds (names and
 * percentages, order included: the first is the primary), another port speed. Empty when they
 * can be compared. A version 1 file's thresholds carry the names validate.ts gave them.
 * `thresholds: "primary"` checks only the first threshold (what a trend plots).
 */
export function runDifferences(
  current: RunResult,
  baseline: RunResult,
  thresholds: "all" | "primary" = "all",
): RunDifference[] {
  const differences: RunDifference[] = [];
  if (current.profile.name !== baseline.profile.name) {
    differences.push({
      field: "profile",
      baseline: baseline.profile.name,
      current: current.profile.name,
    });
  }
  const pick = (r: RunResult) =>
    thresholds === "all" ? r.parameters.thresholds : r.parameters.thresholds.slice(0, 1);
  const [a, b] = [pick(current), pick(baseline)];
  if (formatThresholds(a) !== formatThresholds(b)) {
    differences.push({
      field: "thresholds",
      baseline: formatThresholds(b),
      current: formatThresholds(a),
    });
  }
  if (current.speedBps !== baseline.speedBps) {
    differences.push({
      field: "speedBps",
      baseline: formatBps(baseline.speedBps),
      current: formatBps(current.speedBps),
    });
  }
  return differences;
}

/** "NDR(0.01%)", "strict(0%)": a row's threshold in tables, test-case names and messages. */
export function thresholdTag(row: Pick<ComparisonRow, "threshold" | "lossThresholdPct">): string {
  return `${row.threshold}(${row.lossThresholdPct}%)`;
}

/** Relative change in percent; null when the baseline is zero (no relative change exists). */
export function relativeChangePct(baseline: number, current: number): number | null {
  return baseline > 0 ? ((current - baseline) / baseline) * 100 : null;
}

// Rates come out of arithmetic: a change of exactly the tolerance must not flip on rounding.
const EPSILON_PCT = 1e-9;

/**
 * The verdict for one size × threshold. `currentGeneratorLimited`: the current rate is where
 * the generator capped the search, a lower bound on the DUT.
 */
export function verdictFor(
  baselineRatePps: number | null,
  currentRatePps: number | null,
  tolerancePct: number,
  currentGeneratorLimited = false,
): Verdict {
  if (baselineRatePps === null) return currentRatePps === null ? "n/a" : "new";
  if (currentRatePps === null) return "missing";
  const change = relativeChangePct(baselineRatePps, currentRatePps);
  if (change === null) return currentRatePps > 0 ? "improved" : "ok";
  if (change < -tolerancePct - EPSILON_PCT) {
    return currentGeneratorLimited ? "inconclusive" : "regressed";
  }
  if (change > tolerancePct + EPSILON_PCT) return "improved";
  return "ok";
}

function outcomeOf(size: SizeResult | undefined, threshold: string): ThresholdOutcome | null {
  return size?.results.find((r) => r.threshold === threshold) ?? null;
}

function whyNoResult(size: SizeResult | undefined, lossThresholdPct: number): string {
  if (!size) return "size not measured";
  if (size.status !== "ok") return size.reason ? `${size.status}: ${size.reason}` : size.status;
  return `no rate found for loss ≤ ${lossThresholdPct}%`;
}

function summary(result: RunResult): RunSummary {
  const server =
    result.server.kind === "emulator"
      ? `emulator (DUT ${result.server.dut ?? "default"})`
      : `TRex ${result.server.version} at ${result.server.address}`.replace("  ", " ");
  return {
    startedAt: result.startedAt,
    status: result.status,
    server,
    toolVersion: result.tool.version,
  };
}

/**
 * Compares a run with its baseline, per frame size (the union of both runs' sizes) × loss
 * threshold. Throws IncompatibleRunsError when the runs measured different things.
 */
export function compareRuns(
  current: RunResult,
  baseline: RunResult,
  options: CompareOptions,
): Comparison {
  const { tolerancePct } = options;
  if (!Number.isFinite(tolerancePct) || tolerancePct < 0) {
    throw new RangeError(`tolerance must be a non-negative percentage, got ${tolerancePct}`);
  }
  const differences = runDifferences(current, baseline);
  if (differences.length > 0) throw new IncompatibleRunsError(differences);

  const currentSizes = new Map(current.sizes.map((s) => [s.frameSize, s]));
  const baselineSizes = new Map(baseline.sizes.map((s) => [s.frameSize, s]));
  const frameSizes = [...new Set([...currentSizes.keys(), ...baselineSizes.keys()])].sort(
    (a, b) => a - b,
  );

  const rows: ComparisonRow[] = [];
  for (const frameSize of frameSizes) {
    const now = currentSizes.get(frameSize);
    const before = baselineSizes.get(frameSize);
    for (const { name, lossPct: lossThresholdPct } of current.parameters.thresholds) {
      const baselineRatePps = outcomeOf(before, name)?.ratePps ?? null;
      const current = outcomeOf(now, name);
      const currentRatePps = current?.ratePps ?? null;
      const verdict = verdictFor(
        baselineRatePps,
        currentRatePps,
        tolerancePct,
        current?.generatorLimited === true,
      );
      const row: ComparisonRow = {
        frameSize,
        threshold: name,
        lossThresholdPct,
        baselineRatePps,
        currentRatePps,
        changePct:
          baselineRatePps !== null && currentRatePps !== null
            ? relativeChangePct(baselineRatePps, currentRatePps)
            : null,
        verdict,
      };
      if (verdict === "inconclusive") {
        row.reason = "generator-limited: the generator never offered the baseline's rate";
      } else if (currentRatePps === null) row.reason = whyNoResult(now, lossThresholdPct);
      else if (baselineRatePps === null)
        row.reason = `baseline: ${whyNoResult(before, lossThresholdPct)}`;
      rows.push(row);
    }
  }

  const counts = Object.fromEntries(VERDICTS.map((v) => [v, 0])) as Record<Verdict, number>;
  for (const row of rows) counts[row.verdict] += 1;

  return {
    profile: current.profile.name,
    speedBps: current.speedBps,
    thresholds: current.parameters.thresholds.map((t) => ({ ...t })),
    tolerancePct,
    current: summary(current),
    baseline: summary(baseline),
    rows,
    counts,
    regressed: rows.some((r) => isRegression(r.verdict)),
  };
}

/** "tcp_1pkt 64B NDR(0.01%)": the name of a row as a test case. */
export function rowName(comparison: Comparison, row: ComparisonRow): string {
  return `${comparison.profile} ${row.frameSize}B ${thresholdTag(row)}`;
}

/** Mpps with five significant digits: 14.881, 0.81274, 148.81. */
export function formatMpps(ratePps: number | null): string {
  if (ratePps === null) return "N/A";
  return Number((ratePps / 1e6).toPrecision(5)).toString();
}

/** "+1.23", "-17.04", "0.00"; "" without a change. */
export function formatChangePct(changePct: number | null): string {
  if (changePct === null) return "";
  const text = changePct.toFixed(2);
  if (text === "-0.00") return "0.00";
  return changePct > 0 && text !== "0.00" ? `+${text}` : text;
}

/** One line on a row that failed: both values and the change, or what went missing. */
export function describeRow(comparison: Comparison, row: ComparisonRow): string {
  const name = `${row.frameSize} B ${thresholdTag(row)}`;
  const tolerance = `tolerance ${comparison.tolerancePct}%`;
  switch (row.verdict) {
    case "missing":
      return `${name}: no result now (${row.reason ?? "none"}), baseline ${formatMpps(row.baselineRatePps)} Mpps`;
    case "new":
      return `${name}: ${formatMpps(row.currentRatePps)} Mpps, no baseline result (${row.reason ?? "none"})`;
    case "n/a":
      return `${name}: no result in either run (${row.reason ?? "none"})`;
    case "inconclusive":
      return (
        `${name}: ${formatMpps(row.currentRatePps)} Mpps vs baseline ${formatMpps(row.baselineRatePps)} Mpps ` +
        `(${formatChangePct(row.changePct)}%), not judged: ${row.reason}`
      );
    default:
      return (
        `${name}: ${formatMpps(row.currentRatePps)} Mpps vs baseline ${formatMpps(row.baselineRatePps)} Mpps ` +
        `(${formatChangePct(row.changePct)}%, ${tolerance})`
      );
  }
}
