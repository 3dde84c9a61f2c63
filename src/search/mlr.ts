/**
 * Multiple-loss-ratio search, after FD.io CSIT's MLRsearch and draft-ietf-bmwg-mlrsearch:
 * every loss threshold (a "goal") is searched at once over one shared set of trials.
 *
 * - Loads live on a geometric grid below the maximum load (line rate):
 *   load(k) = maxLoad * q^-k with q^8 = 1 + goalWidth, so widths are whole numbers of steps
 *   and goals that want nearly the same load measure exactly the same one.
 * - Each goal climbs a chain of targets: short trials (initialDurationS) at 2^p times the
 *   goal width, then longer ones (geometric durations) at half the width each, and only the
 *   last target uses the final duration. A target's bounds seed the next one, which first
 *   re-measures them at its own duration.
 * - A load is classified per target by trial-seconds (the goal exceed ratio): it is a lower
 *   bound when, even if every missing second of the goal duration sum were bad, the bad share
 *   stays within the exceed ratio; an upper bound when, even if every missing second were
 *   good, it exceeds it; otherwise it is measured again. Only trials of the target's duration
 *   count as good. A trial shorter than that which exceeds the loss ratio counts as a bad
 *   trial of full length: buffers make short trials optimistic, never pessimistic.
 * - Relevant bounds as in MLRsearch: the upper bound is the lowest upper-bound load, the lower
 *   bound the highest lower-bound load beneath it (loss inversion resolves pessimistically).
 * - The first trial is at the maximum load; later probes aim at the load the DUT actually
 *   forwarded (rx / duration of the trial at the upper bound, / (1 - loss ratio) for a goal
 *   that allows loss), falling back to expanding or halving steps when that hint misleads.
 * - Invalid trials are repeated, never counted; a trial-second budget bounds each search.
 *
 * A noisy DUT (capacity that varies from trial to trial) defeats per-load classification: near
 * the capacity one trial is a coin toss, and the lowest load that happened to fail twice caps
 * the result. So the search checks for noise before it decides, from the last coarse duration
 * on (see forwarding-estimate.ts): equal trials (same load, same duration) that forwarded at
 * rates further apart than goal width / 8, a trial that passed at or above a load where an
 * equal-length one failed, or overloaded trials that agree neither on the rate nor on the
 * share they forwarded. A DUT that shows none of it gets the classic MLRsearch result, after
 * at least three equal losing trials agreed. A noisy one gets the forwarding estimate: every
 * trial of the last coarse duration or longer is a sample of the load that would just meet the goal
 * (rx / (d (1 - loss ratio)) when it failed, "at least its load" when it passed); overloaded
 * samples are added until the median's standard error reaches goal width / 2 (at least 12);
 * the result is the goal's exceed-ratio quantile of the samples (Kaplan-Meier), on the grid,
 * as soon as a trial of the final duration met the goal there or above. A failed
 * confirmation is a sample too, and moves the next one at least a step down.
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
import {
  conditionalLoadPps,
  forwardingSpread,
  goalLoadSample,
  unsteady,
} from "./forwarding-estimate.ts";
import type { GoalLoadSample } from "./forwarding-estimate.ts";

export interface MlrOptions {
  /** Relative goal width: a goal is reached when upper / lower - 1 <= this. Default 0.005. */
  goalWidth?: number;
  /** Share of the goal duration sum that may exceed the loss ratio at a lower bound. 0.5. */
  goalExceedRatio?: number;
  /**
   * Goal duration sum, s: the trial-seconds at the final duration that classify a load.
   * Default: 2 x the final duration, so one bad trial alone never makes an upper bound.
   */
  goalDurationSumS?: number;
  /** Duration of the first, shortest trials, s (capped at the final duration). Default 1. */
  initialDurationS?: number;
  /** Coarser targets before the final one (each twice as wide as the next). Default 2. */
  precedingTargets?: number;
  /** Growth factor of the step when searching outside the known bounds. Default 2. */
  expansionCoefficient?: number;
  /** Lowest load the search tries, as a fraction of line rate. Default 0.001. */
  minLoadRatio?: number;
  /** Repeats of an invalid trial before the search stops. Default 3. */
  maxInvalidRetries?: number;
  /** Trial-second budget per search when the spec sets none: this x final duration. 20. */
  defaultMaxTrialSecondsFactor?: number;
  /**
   * Relative spread of forwarding rates between equal trials above which the DUT counts as
   * noisy and the result comes from the forwarding estimate. Default: goal width / 8.
   */
  noiseThreshold?: number;
  /** Relative standard error the forwarding estimate aims for on a noisy DUT. Goal width / 2. */
  noiseStandardError?: number;
  /** Most samples the forwarding estimate takes. Default 40. */
  maxNoiseSamples?: number;
}

export const MLR_DEFAULTS = {
  goalWidth: 0.005,
  goalExceedRatio: 0.5,
  goalDurationSumFactor: 2,
  initialDurationS: 1,
  precedingTargets: 2,
  expansionCoefficient: 2,
  minLoadRatio: 0.001,
  maxInvalidRetries: DEFAULT_MAX_INVALID_RETRIES,
  defaultMaxTrialSecondsFactor: 20,
  maxNoiseSamples: 40,
} as const;

/** Fewest samples behind a forwarding estimate: fewer give too rough a spread to size it by. */
const MIN_NOISE_SAMPLES = 12;
/** Standard error of a sample median over that of the mean, for normal noise: sqrt(pi / 2). */
const MEDIAN_EFFICIENCY = Math.sqrt(Math.PI / 2);

/** Grid steps per goal width. */
const STEPS_PER_WIDTH = 8;
/** A safety net far above any sane search: stops a search that loops on absurd outcomes. */
const MAX_TRIALS = 400;

interface Target {
  durationS: number;
  durationSumS: number;
  widthSteps: number;
}

type Classification = "none" | "lower" | "upper" | "undecided";

interface Bounds {
  /** Grid index of the relevant lower bound (higher index = lower load). */
  lo: number | undefined;
  hi: number | undefined;
  pending: number[];
}

/** A result fixed by the forwarding estimate (noisy DUT). */
interface Settled {
  k: number;
  /** The full-duration trial that met the goal at this load or above. */
  deciding: TrialRecord;
  sampleIndices: number[];
}

interface GoalState {
  lossRatio: number;
  settled?: Settled;
  /** Grid index of the lowest load where a noisy goal's confirmation failed. */
  failedConfirmation?: number;
  targets: Target[];
  targetIndex: number;
  /** Consecutive outward steps that did not find the missing bound. */
  expansions: number;
  lastMove: "down" | "up" | "other";
}

interface Candidate {
  k: number;
  durationS: number;
  goal: number;
  move: GoalState["lastMove"];
  /** A noisy goal's full-duration trial at its estimate. */
  confirms?: boolean;
}

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

export function createMlrSearch(options: MlrOptions = {}): SearchAlgorithm {
  const goalWidth = options.goalWidth ?? MLR_DEFAULTS.goalWidth;
  const exceedRatio = options.goalExceedRatio ?? MLR_DEFAULTS.goalExceedRatio;
  const expansionCoefficient = options.expansionCoefficient ?? MLR_DEFAULTS.expansionCoefficient;
  const minLoadRatio = options.minLoadRatio ?? MLR_DEFAULTS.minLoadRatio;
  if (!(goalWidth > 0 && goalWidth < 1)) throw new RangeError("goalWidth must be in (0, 1)");
  if (!(exceedRatio >= 0 && exceedRatio < 1)) {
    throw new RangeError("goalExceedRatio must be in [0, 1)");
  }
  if (!(expansionCoefficient > 1)) throw new RangeError("expansionCoefficient must exceed 1");
  if (!(minLoadRatio > 0 && minLoadRatio < 1)) {
    throw new RangeError("minLoadRatio must be in (0, 1)");
  }
  return {
    name: "mlr",
    search: (spec, trial, onTrial) =>
      new MlrRun(spec, trial, onTrial, options, {
        goalWidth,
        exceedRatio,
        expansionCoefficient,
        minLoadRatio,
      }).run(),
  };
}

class MlrRun {
  private readonly log: TrialLog;
  private readonly goals: GoalState[];
  private readonly lnStep: number;
  private readonly kMax: number;
  /** Valid trials by grid index. */
  private readonly loads = new Map<number, TrialRecord[]>();
  private readonly exceedRatio: number;
  private readonly expansionCoefficient: number;
  /** Trials at least this long are samples of the forwarding estimate. */
  private readonly sampleDurationS: number;
  private readonly noiseThreshold: number;
  private readonly noiseStandardError: number;
  private readonly maxNoiseSamples: number;
  /** The goal with the lowest loss ratio: its failing trials forward all the DUT can. */
  private readonly strictestGoal: number;
  /** Set once equal trials forwarded at rates further apart than the noise threshold. */
  private noisy = false;
  private spread = 0;

  constructor(
    private readonly spec: SearchSpec,
    trial: TrialFn,
    onTrial: ((record: TrialRecord) => void) | undefined,
    options: MlrOptions,
    resolved: {
      goalWidth: number;
      exceedRatio: number;
      expansionCoefficient: number;
      minLoadRatio: number;
    },
  ) {
    const lossRatios = lossRatiosOf(spec);
    const finalS = spec.finalDurationS;
    const budget =
      spec.maxTrialSeconds ??
      finalS * (options.defaultMaxTrialSecondsFactor ?? MLR_DEFAULTS.defaultMaxTrialSecondsFactor);
    this.log = new TrialLog(spec, trial, onTrial, {
      maxInvalidRetries: options.maxInvalidRetries ?? MLR_DEFAULTS.maxInvalidRetries,
      maxTrialSeconds: budget,
    });
    this.exceedRatio = resolved.exceedRatio;
    this.expansionCoefficient = resolved.expansionCoefficient;
    this.lnStep = Math.log1p(resolved.goalWidth) / STEPS_PER_WIDTH;
    this.kMax = Math.floor(Math.log(1 / resolved.minLoadRatio) / this.lnStep);
    const durationSumS = Math.max(
      finalS,
      options.goalDurationSumS ?? finalS * MLR_DEFAULTS.goalDurationSumFactor,
    );
    const durations = targetDurations(
      options.initialDurationS ?? MLR_DEFAULTS.initialDurationS,
      finalS,
      options.precedingTargets ?? MLR_DEFAULTS.precedingTargets,
    );
    const last = durations.length - 1;
    // The last coarse duration is long enough for the buffer's share to be small; shorter
    // trials would make the DUT look faster than it is.
    this.sampleDurationS = durations[Math.max(0, last - 1)];
    this.noiseThreshold = options.noiseThreshold ?? resolved.goalWidth / 8;
    this.noiseStandardError = options.noiseStandardError ?? resolved.goalWidth / 2;
    this.maxNoiseSamples = Math.max(1, options.maxNoiseSamples ?? MLR_DEFAULTS.maxNoiseSamples);
    const targets = durations.map((durationS, j) => ({
      durationS,
      // Coarser targets decide on one trial; only the final one sums several.
      durationSumS: j === last ? durationSumS : durationS,
      widthSteps: STEPS_PER_WIDTH * 2 ** (last - j),
    }));
    this.goals = lossRatios.map((lossRatio) => ({
      lossRatio,
      targets,
      targetIndex: 0,
      expansions: 0,
      lastMove: "other",
    }));
    this.strictestGoal = lossRatios.indexOf(Math.min(...lossRatios));
  }

  async run(): Promise<SearchResult> {
    let stopReason: string | undefined;
    try {
      await this.measure({
        k: 0,
        durationS: this.goals[0].targets[0].durationS,
        goal: 0,
        move: "other",
      });
      for (;;) {
        const next = this.nextCandidate();
        if (!next) break;
        if (this.log.records.length >= MAX_TRIALS) {
          throw new SearchStop(`no result after ${MAX_TRIALS} trials`);
        }
        await this.measure(next);
      }
    } catch (err) {
      if (!(err instanceof SearchStop)) throw err;
      stopReason = err.message;
    }
    return {
      results: consistentResults(this.goals.map((_, g) => this.result(g))),
      trials: this.log.records,
      trialSeconds: this.log.trialSeconds,
      ...(stopReason === undefined ? {} : { stopReason }),
    };
  }

  private loadOf(k: number): number {
    return this.spec.lineRatePps * Math.exp(-k * this.lnStep);
  }

  /** Fractional grid index of a rate (larger index = lower rate). */
  private indexOf(ratePps: number): number {
    return Math.log(this.spec.lineRatePps / ratePps) / this.lnStep;
  }

  private async measure(c: Candidate): Promise<void> {
    const goal = this.goals[c.goal];
    const target = goal.targets[goal.targetIndex];
    const record = await this.log.measure(this.loadOf(c.k), c.durationS);
    const list = this.loads.get(c.k) ?? [];
    list.push(record);
    this.loads.set(c.k, list);
    if (c.confirms && !record.passed[c.goal]) {
      goal.failedConfirmation = Math.max(goal.failedConfirmation ?? -1, c.k);
    }
    // The expander: keep doubling the outward step while it fails to find the missing bound.
    const cls = this.classify(c.k, target, c.goal);
    const continued =
      (c.move === "down" && cls === "upper") || (c.move === "up" && cls === "lower");
    goal.expansions = continued ? goal.expansions + 1 : 0;
    goal.lastMove = c.move;
  }

  private classify(k: number, t: Target, goal: number): Classification {
    let good = 0;
    let bad = 0;
    for (const r of this.loads.get(k) ?? []) {
      const ok = r.passed[goal];
      if (lastsAtLeast(r, t.durationS)) {
        if (ok) good += r.durationS;
        else bad += r.durationS;
      } else if (!ok) {
        bad += t.durationS;
      }
    }
    if (good + bad === 0) return "none";
    const sum = Math.max(t.durationSumS, good + bad);
    const limit = this.exceedRatio * sum + 1e-9 * sum;
    if (bad > limit) return "upper";
    if (sum - good <= limit) return "lower";
    return "undecided";
  }

  private bounds(t: Target, goal: number): Bounds {
    const ks = [...this.loads.keys()].sort((a, b) => a - b);
    const cls = new Map(ks.map((k) => [k, this.classify(k, t, goal)]));
    let hi: number | undefined;
    for (const k of ks) if (cls.get(k) === "upper") hi = k;
    let lo: number | undefined;
    for (const k of ks) {
      if (cls.get(k) === "lower" && (hi === undefined || k > hi)) {
        lo = k;
        break;
      }
    }
    const pending = ks.filter(
      (k) =>
        cls.get(k) === "undecided" && (hi === undefined || k > hi) && (lo === undefined || k < lo),
    );
    return { lo, hi, pending };
  }

  private achieved(b: Bounds, t: Target): boolean {
    if (b.lo === 0) return true;
    if (b.hi !== undefined && b.hi >= this.kMax) return true;
    return b.lo !== undefined && b.hi !== undefined && b.lo - b.hi <= t.widthSteps;
  }

  /** Moves each goal to its first unreached target and picks the cheapest, lowest trial. */
  private nextCandidate(): Candidate | undefined {
    let best: Candidate | undefined;
    for (let g = 0; g < this.goals.length; g++) {
      const c = this.goalCandidate(g);
      if (!c) continue;
      // Cheapest first, then the lowest load; but of two confirmations the higher load, whose
      // pass also confirms the lower one.
      const sameDuration = best !== undefined && c.durationS === best.durationS;
      const higherFirst = sameDuration && c.confirms === true && best?.confirms === true;
      if (
        !best ||
        c.durationS < best.durationS ||
        (sameDuration && (higherFirst ? c.k < best.k : c.k > best.k))
      ) {
        best = c;
      }
    }
    return best;
  }

  private goalCandidate(g: number): Candidate | undefined {
    const goal = this.goals[g];
    if (goal.settled) return undefined;
    const last = goal.targets.length - 1;
    for (;;) {
      if (goal.targetIndex >= last - 1 && this.checkNoise()) return this.noisyCandidate(g);
      const t = goal.targets[goal.targetIndex];
      const b = this.bounds(t, g);
      if (!this.achieved(b, t)) break;
      if (goal.targetIndex >= last - 1 && b.lo !== 0) {
        // Before the final duration (and again at the end): is the DUT steady at all?
        const check = this.confirmSteady(g);
        if (check) return check;
      }
      if (goal.targetIndex === last) return undefined;
      // Line rate holds at this duration: the intermediate ones would only repeat it.
      goal.targetIndex = b.lo === 0 ? last : goal.targetIndex + 1;
      goal.expansions = 0;
      goal.lastMove = "other";
    }
    const j = goal.targetIndex;
    const t = goal.targets[j];
    const b = this.bounds(t, g);
    const prev = j > 0 ? this.bounds(goal.targets[j - 1], g) : undefined;
    const w = t.widthSteps;
    // Line rate held at a coarser duration and has no verdict at this one: measure it there
    // first (other goals' trials at low loads must not make this goal climb up from them).
    const lineRateHeld = goal.targets.slice(0, j).some((c) => this.bounds(c, g).lo === 0);
    if (lineRateHeld && b.hi === undefined && this.classify(0, t, g) === "none") {
      return this.probe(t, 0, g, "up");
    }
    if (b.pending.length > 0) {
      // An undecided load (one bad trial so far) is worth repeating once it would settle the
      // goal; while the interval is wider, it serves as a provisional upper bound.
      const pendingHi = b.pending[b.pending.length - 1];
      const lo = b.lo ?? prev?.lo;
      if (lo !== undefined && lo > pendingHi && lo - pendingHi > w) {
        return this.probe(t, this.inside(lo, pendingHi, g, w), g, "other");
      }
      return this.probe(t, pendingHi, g, "other");
    }
    // The coarser target's bounds stand in for missing ones: when they are wider than this
    // target's width, measuring between them beats re-measuring them at this duration.
    const lo =
      b.lo ??
      (prev?.lo !== undefined && (b.hi === undefined || prev.lo > b.hi) ? prev.lo : undefined);
    const hi =
      b.hi ?? (prev?.hi !== undefined && (lo === undefined || prev.hi < lo) ? prev.hi : undefined);
    if (lo === undefined && hi === undefined) return this.probe(t, 0, g, "other");
    if (lo !== undefined && hi !== undefined && lo - hi > w) {
      return this.probe(t, this.inside(lo, hi, g, w), g, "other");
    }
    if (b.lo === undefined && lo !== undefined) return this.probe(t, lo, g, "other");
    if (b.hi === undefined && hi !== undefined && this.classify(hi, t, g) === "none") {
      return this.probe(t, hi, g, "other");
    }
    if (b.lo === undefined) {
      const upper = b.hi as number;
      const step = Math.ceil(w * this.expansionCoefficient ** goal.expansions);
      const guided = this.guidedIndex(upper, g, w);
      const k = Math.max(upper + step, guided ?? upper + step);
      return this.probe(t, Math.min(this.kMax, k), g, "down");
    }
    if (b.hi === undefined) {
      const step = Math.ceil(w * this.expansionCoefficient ** goal.expansions);
      const k = b.lo - step;
      // Close to the maximum load: test the maximum itself (the line-rate check).
      return this.probe(t, k < w ? 0 : k, g, "up");
    }
    return this.probe(t, this.inside(b.lo, b.hi, g, w), g, "other");
  }

  /** Valid trials long enough to be samples of the forwarding estimate. */
  private sampleTrials(): TrialRecord[] {
    return this.log.records.filter((r) => r.valid && lastsAtLeast(r, this.sampleDurationS));
  }

  /** Samples of the forwarding estimate for goal g (from `trials`, else all long enough). */
  private samples(g: number, trials = this.sampleTrials()): GoalLoadSample[] {
    const lossRatio = this.goals[g].lossRatio;
    return trials.map((r) => goalLoadSample(r, lossRatio, r.passed[g]));
  }

  /**
   * Updates the noise verdict from the trials so far; once noisy, the DUT stays noisy. The
   * signs, for the strictest goal: equal trials that forwarded at rates further apart than the
   * threshold; a trial that met the goal at or above a load where an equal-length one did not;
   * overloaded trials at different loads that agree neither on the rate nor on the share they
   * forwarded.
   */
  private checkNoise(): boolean {
    const g = this.strictestGoal;
    const trials = this.sampleTrials();
    const samples = this.samples(g, trials);
    const spread = forwardingSpread(samples)?.spread;
    if (!this.noisy) {
      this.noisy =
        (spread !== undefined && spread > this.noiseThreshold) ||
        inverted(trials, g) ||
        unsteady(samples, this.noiseThreshold);
    }
    if (this.noisy) {
      const across = forwardingSpread(samples, false)?.spread;
      this.spread = Math.max(spread ?? 0, across ?? 0, this.noiseThreshold);
    }
    return this.noisy;
  }

  /**
   * The final target is near on a DUT that looked steady. Steady needs evidence: until three
   * equal trials (or two pairs) lost packets, one more runs at the sample duration. Two alone
   * agree by chance too often on a noisy DUT.
   */
  private confirmSteady(g: number): Candidate | undefined {
    const failing = this.samples(this.strictestGoal).filter((s) => s.exact);
    if (failing.length === 0 || (forwardingSpread(failing)?.degrees ?? 0) >= 2) return undefined;
    const atSampleDuration = failing.filter((s) => s.durationS === this.sampleDurationS);
    const highest = (from: GoalLoadSample[]): number =>
      Math.round(this.indexOf(Math.max(...from.map((s) => s.offeredPps))));
    // Repeat the highest load that lost at this duration; with none, start four goal widths
    // above the highest that lost at another, where a steady DUT surely loses too.
    const k =
      atSampleDuration.length > 0
        ? highest(atSampleDuration)
        : Math.max(0, highest(failing) - 4 * STEPS_PER_WIDTH);
    return { k, durationS: this.sampleDurationS, goal: g, move: "other" };
  }

  /**
   * A noisy DUT: a single pass or fail at one load says little, so the result is the load
   * the forwarding estimate gives (the goal's exceed ratio applied to all samples), taken as
   * soon as a trial of the final duration meets the goal at that load or above. Samples come
   * from overloaded trials of the sample duration until the estimate is precise enough.
   */
  private noisyCandidate(g: number): Candidate | undefined {
    const goal = this.goals[g];
    const samples = this.samples(g);
    const wanted = Math.ceil(((MEDIAN_EFFICIENCY * this.spread) / this.noiseStandardError) ** 2);
    const needed = Math.min(this.maxNoiseSamples, Math.max(MIN_NOISE_SAMPLES, wanted));
    if (samples.length < needed) {
      return { k: this.overloadIndex(), durationS: this.sampleDurationS, goal: g, move: "other" };
    }
    const estimate = conditionalLoadPps(samples, this.exceedRatio) as number;
    const final = goal.targets[goal.targets.length - 1];
    // Each failed confirmation also moves the next one at least a step down, so that a DUT
    // whose long trials do worse than its samples suggest still ends.
    const floor = (goal.failedConfirmation ?? -1) + 1;
    const k = Math.max(floor, Math.ceil(this.indexOf(estimate) - 1e-9));
    // Below the lowest load the search tries: the classic bounds answer (N/A).
    if (k > this.kMax) return undefined;
    const deciding = this.log.records.find(
      (r) =>
        r.valid &&
        r.passed[g] &&
        lastsAtLeast(r, final.durationS) &&
        Math.round(this.indexOf(r.ratePps)) <= k,
    );
    if (deciding) {
      goal.settled = { k, deciding, sampleIndices: samples.map((s) => s.index) };
      return undefined;
    }
    return { k, durationS: final.durationS, goal: g, move: "other", confirms: true };
  }

  /** A load above every goal's estimate by three spreads: trials there forward all they can. */
  private overloadIndex(): number {
    let highest = 0;
    for (let g = 0; g < this.goals.length; g++) {
      highest = Math.max(highest, conditionalLoadPps(this.samples(g), this.exceedRatio) ?? 0);
    }
    const load = highest > 0 ? highest * Math.exp(3 * this.spread) : this.spec.lineRatePps;
    return Math.max(0, Math.floor(this.indexOf(Math.min(load, this.spec.lineRatePps))));
  }

  /**
   * A trial at grid index k for target t. Where t needs more than one bad trial for an upper
   * bound, a load nobody measured yet gets a short trial first: if it loses there, that counts
   * as one bad trial at the full duration for one second instead of thirty; if it does not,
   * the full trial follows.
   */
  private probe(t: Target, k: number, g: number, move: Candidate["move"]): Candidate {
    const first = this.goals[g].targets[0].durationS;
    const fresh = !this.loads.has(k);
    const durationS = fresh && t.durationSumS > t.durationS ? first : t.durationS;
    return { k, durationS, goal: g, move };
  }

  /**
   * Where to measure between the bounds: near the forwarding-rate hint when it lies inside,
   * at the middle otherwise, and so that one more trial reaches the width when it can.
   */
  private inside(lo: number, hi: number, g: number, w: number): number {
    const n = lo - hi;
    const guided = this.guidedIndex(hi, g, w);
    let low: number;
    let high: number;
    if (n <= 2 * w) {
      // Any load in [lo - w, hi + w] finishes the goal in one trial, whatever it shows.
      low = lo - w;
      high = hi + w;
    } else {
      low = hi + w;
      high = lo - w;
    }
    const preferred =
      guided !== undefined && guided > hi && guided < lo ? guided : Math.round(hi + n / 2);
    const k = Math.min(high, Math.max(low, preferred));
    return this.shared(k, low, high);
  }

  /** An already measured load within [low, high] (shared with another goal) beats a new one. */
  private shared(k: number, low: number, high: number): number {
    let best = k;
    let bestDistance = Infinity;
    for (const m of this.loads.keys()) {
      if (m < low || m > high) continue;
      const d = Math.abs(m - k);
      if (d < bestDistance) {
        best = m;
        bestDistance = d;
      }
    }
    return best;
  }

  /**
   * Grid index half a width below the rate the DUT forwarded at the upper bound, scaled up by
   * the loss the goal allows: the load where the loss ratio should just meet the goal.
   */
  private guidedIndex(hi: number, g: number, w: number): number | undefined {
    const trials = (this.loads.get(hi) ?? []).filter((r) => !r.passed[g]);
    if (trials.length === 0) return undefined;
    const longest = Math.max(...trials.map((r) => r.durationS));
    const used = trials.filter((r) => r.durationS === longest);
    const forwardedPps = used.reduce((s, r) => s + r.rxPackets / r.durationS, 0) / used.length;
    const est = forwardedPps / (1 - this.goals[g].lossRatio);
    if (!(est > 0) || est >= this.loadOf(hi)) return undefined;
    return Math.ceil(this.indexOf(est)) + Math.ceil(w / 2);
  }

  private result(g: number): ThresholdResult {
    const goal = this.goals[g];
    if (goal.settled) {
      const { k, deciding, sampleIndices } = goal.settled;
      return {
        lossThresholdPct: this.spec.lossThresholdsPct[g],
        ratePps: this.loadOf(k),
        lossRatio: deciding.lossRatio,
        lineRateLimited: k === 0,
        generatorLimited: false,
        trialIndices: [...new Set([...sampleIndices, deciding.index])].sort((x, y) => x - y),
      };
    }
    const t = goal.targets[goal.targets.length - 1];
    const b = this.bounds(t, g);
    const counting = (k: number | undefined): TrialRecord[] =>
      k === undefined
        ? []
        : (this.loads.get(k) ?? []).filter((r) => lastsAtLeast(r, t.durationS) || !r.passed[g]);
    const lowerTrials = counting(b.lo);
    const indices = [...lowerTrials, ...counting(b.hi)].map((r) => r.index).sort((x, y) => x - y);
    const goodLong = lowerTrials.filter((r) => r.passed[g] && lastsAtLeast(r, t.durationS));
    return {
      lossThresholdPct: this.spec.lossThresholdsPct[g],
      ratePps: b.lo === undefined ? null : this.loadOf(b.lo),
      lossRatio: goodLong.length === 0 ? null : Math.max(...goodLong.map((r) => r.lossRatio)),
      lineRateLimited: b.lo === 0,
      generatorLimited: false,
      trialIndices: indices,
    };
  }
}

/** A trial at least `durationS` long (durations such as 5.477 s are rounded floats). */
function lastsAtLeast(r: TrialRecord, durationS: number): boolean {
  return r.durationS >= durationS * (1 - 1e-9);
}

/**
 * A rate that meets a stricter loss threshold meets every looser one too: a looser threshold
 * never reports less than a stricter one (on a noisy DUT their estimates may cross).
 */
function consistentResults(results: ThresholdResult[]): ThresholdResult[] {
  return results.map((res) => {
    let best = res;
    for (const other of results) {
      if (other.lossThresholdPct >= res.lossThresholdPct || other.ratePps === null) continue;
      if (best.ratePps === null || other.ratePps > best.ratePps) {
        best = { ...other, lossThresholdPct: res.lossThresholdPct };
      }
    }
    return best;
  });
}

/**
 * True when a trial met the goal at a load at or above that of an equal-length trial that did
 * not: a steady DUT loses more as the load grows, never less.
 */
function inverted(trials: readonly TrialRecord[], g: number): boolean {
  const highestPass = new Map<number, number>();
  for (const r of trials) {
    if (r.passed[g])
      highestPass.set(r.durationS, Math.max(highestPass.get(r.durationS) ?? 0, r.ratePps));
  }
  return trials.some((r) => !r.passed[g] && (highestPass.get(r.durationS) ?? 0) >= r.ratePps);
}

export const mlrSearch: SearchAlgorithm = createMlrSearch();
