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
import { meanAbove, squareAbove } from "./normal-tail.ts";
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

/** Spreads from the centre beyond which a value counts as only that far: one wild trial is bounded. */
const CLIP_SPREADS = 3;
/** EM rounds at most: most fits settle within ten, heavy censoring (near line rate) takes hundreds. */
const MAX_ROUNDS = 1000;

/**
 * The centre of a goal's samples, exact and censored: the maximum-likelihood median for noise
 * normal in ln(load) (a Tobit model), found by expectation-maximisation. A trial that met the
 * goal is only a lower limit: it stands in at the value expected above that limit, given the
 * current centre and spread (itself re-estimated each round). A limit far above the centre
 * counts as about its own load, one at the centre (a line-limited DUT passes there half the
 * time) 0.8 spreads above it: where Kaplan-Meier's median can only land on one sample, this
 * uses every sample's value, at the mean's efficiency where Hodges-Lehmann's centre has 95 %.
 * Values count at most three of the noise watch's spreads (`spread`, relative) from the
 * centre, so one wild trial moves it by at most that over the sample count. Undefined
 * without exact samples: passes alone place no centre.
 */
export function censoredCentreLoadPps(
  samples: readonly GoalLoadSample[],
  spread: number,
): number | undefined {
  const exact = samples.filter((s) => s.exact).map((s) => Math.log(s.loadPps));
  if (exact.length === 0) return undefined;
  const limits = samples.filter((s) => !s.exact).map((s) => Math.log(s.loadPps));
  const sorted = [...exact, ...limits].sort((a, b) => a - b);
  let fit: Fit = { centre: sorted[sorted.length >> 1], sigma: Math.max(spread, 1e-9) };
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const next = emRound(exact, limits, fit, CLIP_SPREADS * spread);
    const settled =
      Math.abs(next.centre - fit.centre) < 1e-8 && Math.abs(next.sigma - fit.sigma) < 1e-8;
    fit = next;
    if (settled) break;
  }
  return Math.exp(fit.centre);
}

interface Fit {
  /** ln(load) of the centre. */
  centre: number;
  /** Standard deviation of ln(load). */
  sigma: number;
}

/**
 * One EM round for values in ln(load), exact ones and lower limits: each limit stands in at
 * its expected value and square, each value within `reach` of the centre.
 */
function emRound(
  exact: readonly number[],
  limits: readonly number[],
  { centre, sigma }: Fit,
  reach: number,
): Fit {
  const clip = (v: number): number => Math.min(centre + reach, Math.max(centre - reach, v));
  let sum = 0;
  let squares = 0;
  for (const v of exact) {
    sum += clip(v);
    squares += (clip(v) - centre) ** 2;
  }
  for (const v of limits) {
    const z = (v - centre) / sigma;
    sum += clip(centre + sigma * meanAbove(z));
    squares += sigma * sigma * squareAbove(z);
  }
  const n = exact.length + limits.length;
  return { centre: sum / n, sigma: Math.max(Math.sqrt(squares / n), 1e-9) };
}
