/**
 * What a trial says about the load a DUT can carry, read from its forwarding rate.
 *
 * A trial that lost more than a goal allows forwarded rx / d packets per second; had it been
 * offered rx / (d · (1 − λ)), the loss would just have met the goal's ratio λ. A trial that
 * stayed within the goal shows only that the goal holds at its own load. Either way one trial
 * gives one sample of the goal's load, so every trial counts at every load, not only at the
 * load it ran at — which is what a DUT whose capacity varies from trial to trial needs: one
 * pass or fail at one load is a coin toss there, the spread of forwarding rates is not.
 */
import type { TrialRecord } from "./types.ts";

export interface GoalLoadSample {
  /** The load at which this trial would just have met the goal, pps (a lower limit if `exact` is false). */
  loadPps: number;
  /** False for a trial that met the goal: the true value is at least `loadPps`. */
  exact: boolean;
  durationS: number;
  /** The load the trial was offered, pps. */
  offeredPps: number;
  /** The trial's index in the search's log. */
  index: number;
}

/** A valid trial as a sample of the load at which loss ratio `lossRatio` is just met. */
export function goalLoadSample(
  trial: TrialRecord,
  lossRatio: number,
  passed: boolean,
): GoalLoadSample {
  const base = { durationS: trial.durationS, offeredPps: trial.ratePps, index: trial.index };
  if (passed) return { ...base, loadPps: trial.ratePps, exact: false };
  const forwardedPps = trial.rxPackets / trial.durationS;
  return { ...base, loadPps: Math.min(trial.ratePps, forwardedPps / (1 - lossRatio)), exact: true };
}

/**
 * The highest load at which the share of samples falling short stays within `exceedRatio`:
 * a Kaplan-Meier quantile, so a trial that passed counts as "at least its load" rather than
 * as a value. With no censoring and ratio 0.5 it is the median (the upper one for an even
 * count). When too few samples fall short to exceed the ratio anywhere, the data cannot place
 * the load higher than the largest sample, which is returned.
 */
export function conditionalLoadPps(
  samples: readonly GoalLoadSample[],
  exceedRatio: number,
): number | undefined {
  if (samples.length === 0) return undefined;
  const exactLoads = [...new Set(samples.filter((s) => s.exact).map((s) => s.loadPps))].sort(
    (a, b) => a - b,
  );
  let survival = 1;
  for (const load of exactLoads) {
    const atRisk = samples.filter((s) => s.loadPps >= load).length;
    const short = samples.filter((s) => s.exact && s.loadPps === load).length;
    survival *= 1 - short / atRisk;
    if (1 - survival > exceedRatio + 1e-12) return load;
  }
  return Math.max(...samples.map((s) => s.loadPps));
}

/**
 * Relative spread of forwarding rates between trials of equal duration that lost beyond the
 * goal: the pooled standard deviation of ln(rx / d). Grouping by duration keeps the buffer's
 * share (buffer / d, larger in short trials) out of it; `sameLoad` also groups by offered
 * load, which keeps out a DUT whose forwarding follows the load (for telling noise apart; the
 * looser grouping sizes it once known). `degrees` counts the comparisons behind it (trials
 * less groups); undefined until two trials of a group have lost.
 */
export function forwardingSpread(
  samples: readonly GoalLoadSample[],
  sameLoad = true,
): { spread: number; degrees: number } | undefined {
  const groups = new Map<string, number[]>();
  for (const s of samples) {
    if (!s.exact) continue;
    const key = sameLoad ? `${s.durationS}@${s.offeredPps}` : `${s.durationS}`;
    const list = groups.get(key) ?? [];
    list.push(Math.log(s.loadPps));
    groups.set(key, list);
  }
  let squares = 0;
  let degrees = 0;
  for (const values of groups.values()) {
    if (values.length < 2) continue;
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    squares += values.reduce((a, v) => a + (v - mean) ** 2, 0);
    degrees += values.length - 1;
  }
  return degrees === 0 ? undefined : { spread: Math.sqrt(squares / degrees), degrees };
}

/**
 * True when two trials of equal duration that lost beyond the goal at different loads agree
 * neither on the rate they forwarded (a steady DUT forwards all it can, whatever it is
 * offered) nor on the share they forwarded (a DUT whose loss follows the load): only a DUT
 * whose capacity changes between trials does that.
 */
export function unsteady(samples: readonly GoalLoadSample[], tolerance: number): boolean {
  const failing = samples.filter((s) => s.exact);
  for (let i = 0; i < failing.length; i++) {
    for (let j = i + 1; j < failing.length; j++) {
      const a = failing[i];
      const b = failing[j];
      if (a.durationS !== b.durationS || a.offeredPps === b.offeredPps) continue;
      const rateApart = Math.abs(Math.log(a.loadPps / b.loadPps));
      const shareApart = Math.abs(Math.log(a.loadPps / a.offeredPps / (b.loadPps / b.offeredPps)));
      if (Math.min(rateApart, shareApart) > tolerance) return true;
    }
  }
  return false;
}

/**
 * The centre of exact samples' loads, Hodges-Lehmann: the median of the pairwise means of
 * ln(load). For noise symmetric in ln(load) it is the median the exceed ratio 0.5 asks for,
 * with 95 % of the mean's efficiency at normal noise where the sample median has 64 %: the
 * same precision from two thirds of the samples. Undefined with no samples or when one of them
 * passed (a lower limit, not a value: that needs the Kaplan-Meier quantile).
 */
export function centreLoadPps(samples: readonly GoalLoadSample[]): number | undefined {
  if (samples.length === 0 || samples.some((s) => !s.exact)) return undefined;
  const logs = samples.map((s) => Math.log(s.loadPps));
  const means: number[] = [];
  for (let i = 0; i < logs.length; i++) {
    for (let j = i; j < logs.length; j++) means.push((logs[i] + logs[j]) / 2);
  }
  means.sort((a, b) => a - b);
  const mid = means.length >> 1;
  const median = means.length % 2 === 1 ? means[mid] : (means[mid - 1] + means[mid]) / 2;
  return Math.exp(median);
}
