/**
 * mlr's watch for a noisy DUT (capacity that varies from trial to trial), kept up to date
 * trial by trial. Every valid trial of the sample duration or longer is a sample of each goal's
 * load (see forwarding-estimate.ts). The DUT counts as noisy, for good, once the strictest
 * goal's samples show one of three signs: equal trials (same load, same duration) that
 * forwarded at rates further apart than the threshold; a trial that met the goal at or above a
 * load where an equal-length one did not; overloaded trials at different loads that agree
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
  /** Per duration: the highest load that met the strictest goal, the lowest that did not. */
  private readonly highestPass = new Map<number, number>();
  private readonly lowestFail = new Map<number, number>();

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

  /** Takes a valid trial in; trials shorter than the sample duration say nothing here. */
  add(r: TrialRecord): void {
    if (!r.valid || !lastsAtLeast(r, this.sampleDurationS)) return;
    this.lossRatios.forEach((ratio, g) =>
      this.samples[g].push(goalLoadSample(r, ratio, r.passed[g])),
    );
    const g = this.strictestGoal;
    const own = this.samples[g];
    const latest = own[own.length - 1];
    if (!this.noisyFlag) {
      const spread = forwardingSpread(own)?.spread;
      this.noisyFlag =
        (spread !== undefined && spread > this.threshold) ||
        this.inverted(r, r.passed[g]) ||
        (latest.exact && own.some((s) => s !== latest && unsteady([s, latest], this.threshold)));
    } else {
      this.inverted(r, r.passed[g]);
    }
    if (this.noisyFlag) {
      const spread = forwardingSpread(own)?.spread ?? 0;
      const across = forwardingSpread(own, false)?.spread ?? 0;
      this.spread = Math.max(spread, across, this.threshold);
    }
  }

  /** Records the trial and tells whether a pass now sits at or above a failure (same duration). */
  private inverted(r: TrialRecord, passed: boolean): boolean {
    const d = r.durationS;
    if (passed) this.highestPass.set(d, Math.max(this.highestPass.get(d) ?? 0, r.ratePps));
    else this.lowestFail.set(d, Math.min(this.lowestFail.get(d) ?? Infinity, r.ratePps));
    return (this.highestPass.get(d) ?? 0) >= (this.lowestFail.get(d) ?? Infinity);
  }
}
