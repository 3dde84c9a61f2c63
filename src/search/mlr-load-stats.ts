/**
 * What mlr knows about each load it measured, kept up to date trial by trial: per target and
 * per goal, the good and bad trial-seconds that classify the load (MLRsearch's load stats).
 *
 * A trial of at least the target's duration counts its own seconds, good or bad. A shorter
 * trial that exceeded the goal's loss ratio counts as a bad trial of the target's full
 * duration: buffers make short trials optimistic, never pessimistic. A shorter trial that met
 * the goal counts for nothing at that target.
 */
import type { TrialRecord } from "./types.ts";

/** One step of a goal's chain: trials of this duration, summed to this many seconds. */
export interface Target {
  durationS: number;
  /** Trial-seconds at this duration that classify a load. */
  durationSumS: number;
  /** Width, in grid steps, at which this target is reached. */
  widthSteps: number;
}

export type Classification = "none" | "lower" | "upper" | "undecided";

/** The durations of a goal's target chain: geometric from the initial to the final one. */
export function targetDurations(
  initialDurationS: number,
  finalDurationS: number,
  precedingTargets: number,
): number[] {
  const first = Math.min(initialDurationS, finalDurationS);
  const count = first < finalDurationS ? Math.max(0, Math.floor(precedingTargets)) : 0;
  const durations: number[] = [];
  for (let j = 0; j < count; j++) {
    const d = first * Math.pow(finalDurationS / first, j / count);
    durations.push(Math.round(d * 1000) / 1000);
  }
  durations.push(finalDurationS);
  return durations;
}

/** A trial at least `durationS` long (durations such as 5.477 s are rounded floats). */
export function lastsAtLeast(r: { durationS: number }, durationS: number): boolean {
  return r.durationS >= durationS * (1 - 1e-9);
}

/**
 * MLRsearch's classification of one load by its good and bad seconds: a lower bound when, even
 * if every missing second of the duration sum were bad, the bad share stays within the exceed
 * ratio; an upper bound when, even if every missing second were good, it exceeds it.
 */
export function classify(
  goodS: number,
  badS: number,
  durationSumS: number,
  exceedRatio: number,
): Classification {
  if (goodS + badS === 0) return "none";
  const sum = Math.max(durationSumS, goodS + badS);
  const limit = exceedRatio * sum + 1e-9 * sum;
  if (badS > limit) return "upper";
  if (sum - goodS <= limit) return "lower";
  return "undecided";
}

/** The trials at one load and their seconds per (target, goal). */
export class LoadStats {
  readonly trials: TrialRecord[] = [];
  /** goodS[j][g], badS[j][g]: seconds for target j, goal g. */
  private readonly goodS: number[][];
  private readonly badS: number[][];

  constructor(
    private readonly targets: readonly Target[],
    goals: number,
  ) {
    this.goodS = targets.map(() => new Array<number>(goals).fill(0));
    this.badS = targets.map(() => new Array<number>(goals).fill(0));
  }

  add(r: TrialRecord): void {
    this.trials.push(r);
    this.targets.forEach((t, j) => {
      const long = lastsAtLeast(r, t.durationS);
      r.passed.forEach((ok, g) => {
        if (long && ok) this.goodS[j][g] += r.durationS;
        else if (long) this.badS[j][g] += r.durationS;
        else if (!ok) this.badS[j][g] += t.durationS;
      });
    });
  }

  classify(j: number, g: number, exceedRatio: number): Classification {
    return classify(this.goodS[j][g], this.badS[j][g], this.targets[j].durationSumS, exceedRatio);
  }

  /** Seconds that still count as good for target j, goal g. */
  good(j: number, g: number): number {
    return this.goodS[j][g];
  }

  bad(j: number, g: number): number {
    return this.badS[j][g];
  }
}
