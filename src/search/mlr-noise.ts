/**
 * mlr's watch for a noisy DUT (capacity that varies from trial to trial), kept up to date
 * trial by trial. Every valid trial of the sample duration or longer is a sample of each goal's
 * load (see forwarding-estimate.ts). The DUT counts as noisy, for good, once the strictest
 * goal's trials show one of three signs: equal trials (same load, same duration) that
 * forwarded at rates further apart than the threshold; a trial that met the goal at or above a
 * load where one no longer than it did not; overloaded trials at different loads that agree
 * neither on the rate nor on the share they forwarded.
 */
import { forwardingSpread, goalLoadSample, unsteady } from "./forwarding-estimate.ts";
import type { GoalLoadSample } from "./forwarding-estimate.ts";
import { lastsAtLeast } from "./mlr-load-stats.ts";
import type { TrialRecord } from "./types.ts";

export class NoiseWatch {
  /** samples[g]: the samples of goal g, in trial order. */
  readonly samples: GoalLoadSample[][];
  private noisyFlag = false;
  /** Relative spread of the forwarding rates once noisy (at least the threshold). */
  spread = 0;
  /** Trials that met the strictest goal, and those that did not. */
  private readonly passes: Array<{ durationS: number; ratePps: number }> = [];
  private readonly fails: Array<{ durationS: number; ratePps: number }> = [];

  constructor(
    private readonly lossRatios: readonly number[],
    /** The goal with the lowest loss ratio: its failing trials forward all the DUT can. */
    readonly strictestGoal: number,
    readonly sampleDurationS: number,
    private readonly threshold: number,
  ) {
    this.samples = lossRatios.map(() => []);
  }

  get noisy(): boolean {
    return this.noisyFlag;
  }

  /** Takes a valid trial in; only those of the sample duration or longer are samples. */
  add(r: TrialRecord): void {
    if (!r.valid) return;
    const g = this.strictestGoal;
    const inverted = this.inverted(r, r.passed[g]);
    if (!lastsAtLeast(r, this.sampleDurationS)) {
      this.noisyFlag ||= inverted;
      return;
    }
    this.lossRatios.forEach((ratio, i) =>
      this.samples[i].push(goalLoadSample(r, ratio, r.passed[i])),
    );
    const own = this.samples[g];
    const latest = own[own.length - 1];
    if (!this.noisyFlag) {
      const spread = forwardingSpread(own)?.spread;
      this.noisyFlag =
        (spread !== undefined && spread > this.threshold) ||
        inverted ||
        (latest.exact && own.some((s) => s !== latest && unsteady([s, latest], this.threshold)));
    }
    if (this.noisyFlag) {
      const spread = forwardingSpread(own)?.spread ?? 0;
      const across = forwardingSpread(own, false)?.spread ?? 0;
      this.spread = Math.max(spread, across, this.threshold);
    }
  }

  /**
   * Records the trial and tells whether a pass now sits at or above a failure no longer than
   * it: a steady DUT loses more as the load grows and as the trial lasts longer, never less.
   */
  private inverted(r: TrialRecord, passed: boolean): boolean {
    const mine = { durationS: r.durationS, ratePps: r.ratePps };
    if (passed) {
      this.passes.push(mine);
      return this.fails.some((f) => f.durationS <= mine.durationS && f.ratePps <= mine.ratePps);
    }
    this.fails.push(mine);
    return this.passes.some((p) => p.durationS >= mine.durationS && p.ratePps >= mine.ratePps);
  }
}
