/**
 * The bookkeeping every search shares: run a trial, repeat it while it is invalid (a bounded
 * number of times), judge it against each loss threshold, keep the log and the trial-second
 * budget. Side effects stay here; the algorithms only decide where to measure next.
 */
import { lossFigures } from "../rate/line-rate.ts";
import type { SearchSpec, TrialFn, TrialRecord } from "./types.ts";

/** Why a search ended before reaching its goals. */
export class SearchStop extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SearchStop";
  }
}

export interface TrialLogOptions {
  /** Repeats of an invalid trial before the search gives up on this frame size. */
  maxInvalidRetries: number;
  /** Trial-second budget; a trial that would exceed it is not started. */
  maxTrialSeconds: number;
}

export const DEFAULT_MAX_INVALID_RETRIES = 3;

/** Loss thresholds of a spec as ratios (percent / 100), validated. */
export function lossRatiosOf(spec: SearchSpec): number[] {
  if (spec.lossThresholdsPct.length === 0) throw new RangeError("at least one loss threshold");
  for (const pct of spec.lossThresholdsPct) {
    if (!Number.isFinite(pct) || pct < 0 || pct >= 100) {
      throw new RangeError(`loss threshold ${pct} % is outside [0, 100)`);
    }
  }
  if (!(spec.lineRatePps > 0)) throw new RangeError("line rate must be positive");
  if (!(spec.finalDurationS > 0)) throw new RangeError("final trial duration must be positive");
  return spec.lossThresholdsPct.map((pct) => pct / 100);
}

export class TrialLog {
  readonly records: TrialRecord[] = [];
  /** Every trial started counts, invalid ones too: they took that much time. */
  trialSeconds = 0;
  private readonly lossRatios: number[];

  constructor(
    spec: SearchSpec,
    private readonly trial: TrialFn,
    private readonly onTrial: ((record: TrialRecord) => void) | undefined,
    private readonly options: TrialLogOptions,
  ) {
    this.lossRatios = lossRatiosOf(spec);
  }

  canAfford(durationS: number): boolean {
    // A little slack so float sums of durations do not refuse a trial that exactly fits.
    return this.trialSeconds + durationS <= this.options.maxTrialSeconds * (1 + 1e-9);
  }

  /**
   * Runs a trial until it is valid and returns its record. Throws SearchStop when the budget
   * does not allow the trial or when it stays invalid after the allowed repeats.
   */
  async measure(ratePps: number, durationS: number): Promise<TrialRecord> {
    let lastReason = "";
    for (let attempt = 0; attempt <= this.options.maxInvalidRetries; attempt++) {
      if (!this.canAfford(durationS)) {
        throw new SearchStop(
          `time limit: a ${durationS} s trial would exceed ${this.options.maxTrialSeconds} trial-s`,
        );
      }
      const outcome = await this.trial(ratePps, durationS);
      // Rounded to the microsecond: sums of durations such as 5.477 s stay readable.
      this.trialSeconds = Math.round((this.trialSeconds + durationS) * 1e6) / 1e6;
      let valid = outcome.valid;
      let invalidReason = outcome.invalidReason;
      if (valid && outcome.txPackets <= 0) {
        valid = false;
        invalidReason = "nothing was sent";
      } else if (valid && outcome.rxPackets > outcome.txPackets) {
        valid = false;
        invalidReason = `received ${outcome.rxPackets - outcome.txPackets} more packets than sent`;
      }
      const { lossRatio } = lossFigures(outcome.txPackets, outcome.rxPackets);
      const record: TrialRecord = {
        index: this.records.length,
        ratePps,
        durationS,
        txPackets: outcome.txPackets,
        rxPackets: outcome.rxPackets,
        elapsedS: outcome.elapsedS ?? durationS,
        offeredPps: outcome.offeredPps ?? outcome.txPackets / durationS,
        lossRatio,
        valid,
        ...(valid ? {} : { invalidReason: invalidReason ?? "invalid trial" }),
        passed: this.lossRatios.map((ratio) => valid && lossRatio <= ratio),
      };
      this.records.push(record);
      this.onTrial?.(record);
      if (valid) return record;
      lastReason = record.invalidReason ?? "";
    }
    throw new SearchStop(
      `trial at ${ratePps.toFixed(0)} pps stayed invalid after ${this.options.maxInvalidRetries} repeats: ${lastReason}`,
    );
  }
}
