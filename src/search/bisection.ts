/**
 * The original tool's search (autotrex/benchmark.py), kept for comparison and for users who
 * want the old numbers: integer percent of line rate, ok = 1 and ng = 101, at most 7 steps of
 * mid = floor((ok + ng) / 2), then one confirming trial at ok; every trial at the final
 * duration; a trial passes when its loss is within the threshold.
 *
 * The search path is the original's, the report is honest where the original was not:
 * - the original returned the confirming trial's rate whatever its loss; here a failing
 *   confirming trial makes the result N/A (ratePps null);
 * - the original assumed 1 % passes without testing it; when no step passed, the confirming
 *   trial at 1 % is the first test of that rate and decides alone (N/A when it fails).
 * Several thresholds are searched one after the other, each with its own 8 trials.
 */
import type {
  SearchAlgorithm,
  SearchResult,
  SearchSpec,
  ThresholdResult,
  TrialFn,
  TrialRecord,
} from "./types.ts";
import { DEFAULT_MAX_INVALID_RETRIES, SearchStop, TrialLog, lossRatiosOf } from "./trial-log.ts";

export const BISECTION_STEPS = 7;
const OK_START_PCT = 1;
const NG_START_PCT = 101;

export interface BisectionOptions {
  /** Repeats of an invalid trial before giving up (the original had none). Default 3. */
  maxInvalidRetries?: number;
}

/** Rate for an integer percent of line rate, as TRex's "<n>%" multiplier means it. */
export function percentRatePps(lineRatePps: number, percent: number): number {
  return (lineRatePps * percent) / 100;
}

/** One step of the original's bisection: the next percent to try, or null when it stops. */
export function nextBisectionPercent(okPct: number, ngPct: number): number | null {
  if (okPct === ngPct - 1) return null;
  return Math.floor((okPct + ngPct) / 2);
}

export function createBisection(options: BisectionOptions = {}): SearchAlgorithm {
  const maxInvalidRetries = options.maxInvalidRetries ?? DEFAULT_MAX_INVALID_RETRIES;
  return {
    name: "bisection",
    async search(
      spec: SearchSpec,
      trial: TrialFn,
      onTrial?: (record: TrialRecord) => void,
    ): Promise<SearchResult> {
      const lossRatios = lossRatiosOf(spec);
      const log = new TrialLog(spec, trial, onTrial, {
        maxInvalidRetries,
        maxTrialSeconds: spec.maxTrialSeconds ?? Infinity,
      });
      const results: ThresholdResult[] = [];
      let stopReason: string | undefined;
      for (let i = 0; i < lossRatios.length; i++) {
        const empty: ThresholdResult = {
          lossThresholdPct: spec.lossThresholdsPct[i],
          ratePps: null,
          lossRatio: null,
          lineRateLimited: false,
          generatorLimited: false,
          trialIndices: [],
        };
        if (stopReason !== undefined) {
          results.push(empty);
          continue;
        }
        try {
          results.push(await searchOneThreshold(spec, log, i));
        } catch (err) {
          if (!(err instanceof SearchStop)) throw err;
          stopReason = err.message;
          results.push(empty);
        }
      }
      return {
        results,
        trials: log.records,
        trialSeconds: log.trialSeconds,
        ...(stopReason === undefined ? {} : { stopReason }),
      };
    },
  };
}

async function searchOneThreshold(
  spec: SearchSpec,
  log: TrialLog,
  thresholdIndex: number,
): Promise<ThresholdResult> {
  const rateOf = (pct: number): number => percentRatePps(spec.lineRatePps, pct);
  let okPct = OK_START_PCT;
  let ngPct = NG_START_PCT;
  let okTrial: TrialRecord | undefined;
  let ngTrial: TrialRecord | undefined;
  for (let step = 0; step < BISECTION_STEPS; step++) {
    const mid = nextBisectionPercent(okPct, ngPct);
    if (mid === null) break;
    const record = await log.measure(rateOf(mid), spec.finalDurationS);
    if (record.passed[thresholdIndex]) {
      okPct = mid;
      okTrial = record;
    } else {
      ngPct = mid;
      ngTrial = record;
    }
  }
  const confirm = await log.measure(rateOf(okPct), spec.finalDurationS);
  const passed = confirm.passed[thresholdIndex];
  const trialIndices = [okTrial?.index, ngTrial?.index, confirm.index]
    .filter((i): i is number => i !== undefined)
    .sort((a, b) => a - b);
  return {
    lossThresholdPct: spec.lossThresholdsPct[thresholdIndex],
    ratePps: passed ? confirm.ratePps : null,
    lossRatio: passed ? confirm.lossRatio : null,
    lineRateLimited: passed && okPct === 100,
    generatorLimited: false,
    trialIndices,
  };
}

export const bisection: SearchAlgorithm = createBisection();
