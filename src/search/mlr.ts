/**
 * Multiple-loss-ratio search, after FD.io CSIT's MLRsearch and draft-ietf-bmwg-mlrsearch:
 * every loss threshold (a "goal") is searched at once over one shared set of trials. The parts,
 * each in its own module as in MLRsearch:
 *
 * - mlr-grid: loads on a geometric grid from the minimum load up to the maximum (line rate),
 *   q^8 = 1 + goalWidth; the index grows with the load.
 * - mlr-load-stats: per load, per target and per goal, the good and bad trial-seconds, kept
 *   trial by trial, and the classification they give (lower bound, upper bound, undecided).
 * - mlr-bounds: the relevant bounds (lowest upper bound, highest lower bound beneath it).
 * - mlr-strategies: where a goal measures next, a list of small strategies asked in turn.
 * - mlr-noise and forwarding-estimate: the watch for a noisy DUT and its estimate.
 *
 * This file ties them together. Each goal climbs a chain of targets: short trials
 * (initialDurationS) at 2^p times the goal width, then longer ones at half the width each; only
 * the last uses the final duration. A short trial that exceeds the loss ratio counts as a bad
 * trial of full length (buffers make short trials optimistic, never pessimistic), so a load
 * that must become an upper bound gets the shortest duration that has not passed there first.
 * Invalid trials are repeated, never counted; a trial-second budget bounds each search.
 *
 * A noisy DUT (capacity that varies from trial to trial) defeats per-load classification: near
 * the capacity one trial is a coin toss. So from the last coarse target on, the search looks
 * for noise (mlr-noise), and a DUT that shows none gets the classic result only after four
 * equal losing trials agreed. A noisy one gets the forwarding estimate: trials of the sample
 * duration (1.5 s) and longer are samples of the load that would just meet the goal (a
 * failure a value, a pass a lower limit); overload samples are added until the estimate's
 * standard error reaches 0.42 goal widths (at least 20; with no room above the median, as
 * near line rate, all samples count); for exceed ratio 0.5 the estimate is the censored
 * centre (normal maximum likelihood in ln load, values clipped at three spreads) of every
 * sample but the confirmations, otherwise the goal's exceed-ratio quantile (Kaplan-Meier).
 * It is taken, on the grid, once a trial of the final duration met the goal there
 * or above; each failed confirmation moves the next one at least a step down.
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
  censoredCentreLoadPps,
  conditionalLoadPps,
  forwardingSpread,
} from "./forwarding-estimate.ts";
import type { GoalLoadSample } from "./forwarding-estimate.ts";
import { LoadGrid, STEPS_PER_WIDTH } from "./mlr-grid.ts";
import { LoadStats, lastsAtLeast, targetDurations } from "./mlr-load-stats.ts";
import type { Classification, Target } from "./mlr-load-stats.ts";
import { boundsReached, relevantBounds } from "./mlr-bounds.ts";
import type { Bounds } from "./mlr-bounds.ts";
import { NoiseWatch } from "./mlr-noise.ts";
import { propose } from "./mlr-strategies.ts";
import type { GoalView, Move } from "./mlr-strategies.ts";

export { targetDurations } from "./mlr-load-stats.ts";

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
  /** Relative standard error the forwarding estimate aims for on a noisy DUT. 0.42 x goal width. */
  noiseStandardError?: number;
  /** Most samples the forwarding estimate takes. Default 40. */
  maxNoiseSamples?: number;
  /** Fewest samples behind a forwarding estimate (fewer size the spread too roughly). 20. */
  minNoiseSamples?: number;
  /**
   * Duration of the trials that sample a noisy DUT's forwarding rate, s (within the initial and
   * the final duration). Default 1.5: short, so samples are cheap; long enough that the buffer's
   * share of the forwarded packets stays small (0.13 % for `default` at 512 B).
   */
  noiseSampleDurationS?: number;
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
  minNoiseSamples: 20,
  noiseSampleDurationS: 1.5,
} as const;

/**
 * Standard error of the forwarding estimate, in goal widths: 0.42 keeps the worst of 80 noisy
 * searches (bench/search.ts) within the goal width at 1 % jitter.
 */
const NOISE_STANDARD_ERROR_WIDTHS = 0.42;
/** Standard error of a sample median over that of the mean, for normal noise: sqrt(pi / 2). */
const MEDIAN_EFFICIENCY = Math.sqrt(Math.PI / 2);
/** The same for the censored centre, the normal maximum-likelihood one: the mean's, 1. */
const CENSORED_CENTRE_EFFICIENCY = 1;
/** Overload samples count for the centre estimate from this many spreads above the median. */
const OVERLOAD_SPREADS = 2;
/**
 * Comparisons of equal losing trials that must agree before a DUT counts as steady: four equal
 * trials (or pairs that add up). Three agree by chance about once in a few thousand searches
 * at 1 % jitter; samples are short enough that the fourth costs little.
 */
const STEADY_DEGREES = 3;
/** A safety net far above any sane search: stops a search that loops on absurd outcomes. */
const MAX_TRIALS = 400;

interface Resolved {
  goalWidth: number;
  exceedRatio: number;
  expansionCoefficient: number;
  minLoadRatio: number;
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
  targetIndex: number;
  /** Consecutive outward steps that did not find the missing bound. */
  expansions: number;
  /** Trials of the final duration that met this goal, in trial order. */
  longPasses: TrialRecord[];
}

interface Candidate {
  k: number;
  durationS: number;
  goal: number;
  move: Move;
  /** A noisy goal's full-duration trial at its estimate. */
  confirms?: boolean;
  /** A noisy goal's sample above every estimate. */
  overload?: boolean;
}

export function createMlrSearch(options: MlrOptions = {}): SearchAlgorithm {
  const resolved: Resolved = {
    goalWidth: options.goalWidth ?? MLR_DEFAULTS.goalWidth,
    exceedRatio: options.goalExceedRatio ?? MLR_DEFAULTS.goalExceedRatio,
    expansionCoefficient: options.expansionCoefficient ?? MLR_DEFAULTS.expansionCoefficient,
    minLoadRatio: options.minLoadRatio ?? MLR_DEFAULTS.minLoadRatio,
  };
  const { goalWidth, exceedRatio, expansionCoefficient, minLoadRatio } = resolved;
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
    search: (spec, trial, onTrial) => new MlrRun(spec, trial, onTrial, options, resolved).run(),
  };
}

/** The targets every goal climbs: coarser ones decide on one trial, the final one sums several. */
function buildTargets(spec: SearchSpec, options: MlrOptions): Target[] {
  const finalS = spec.finalDurationS;
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
  return durations.map((durationS, j) => ({
    durationS,
    durationSumS: j === last ? durationSumS : durationS,
    widthSteps: STEPS_PER_WIDTH * 2 ** (last - j),
  }));
}

/** All loads measured so far and their stats, with each goal's bounds per target. */
class LoadDatabase {
  /** In the order first measured (strategies prefer loads measured already, nearest first). */
  readonly stats = new Map<number, LoadStats>();
  /** Measured loads, lowest first. */
  private sorted: number[] = [];

  constructor(
    private readonly targets: readonly Target[],
    private readonly goals: number,
    private readonly exceedRatio: number,
  ) {}

  add(k: number, r: TrialRecord): void {
    let s = this.stats.get(k);
    if (!s) {
      s = new LoadStats(this.targets, this.goals);
      this.stats.set(k, s);
      this.sorted = [...this.sorted, k].sort((a, b) => a - b);
    }
    s.add(r);
  }

  classify(k: number, j: number, g: number): Classification {
    return this.stats.get(k)?.classify(j, g, this.exceedRatio) ?? "none";
  }

  bounds(j: number, g: number): Bounds {
    return relevantBounds(this.sorted.map((k) => ({ k, cls: this.classify(k, j, g) })));
  }

  trialsAt(k: number | undefined): readonly TrialRecord[] {
    return k === undefined ? [] : (this.stats.get(k)?.trials ?? []);
  }
}

class MlrRun {
  private readonly log: TrialLog;
  private readonly goals: GoalState[];
  private readonly targets: Target[];
  private readonly grid: LoadGrid;
  private readonly db: LoadDatabase;
  private readonly noise: NoiseWatch;
  private readonly exceedRatio: number;
  private readonly expansionCoefficient: number;
  private readonly noiseStandardError: number;
  private readonly maxNoiseSamples: number;
  private readonly minNoiseSamples: number;
  /** Indices of the trials run as overload samples of the forwarding estimate. */
  private readonly overloadTrials = new Set<number>();
  /** Indices of the full-duration trials run to confirm a noisy goal's estimate. */
  private readonly confirmTrials = new Set<number>();

  constructor(
    private readonly spec: SearchSpec,
    trial: TrialFn,
    onTrial: ((record: TrialRecord) => void) | undefined,
    options: MlrOptions,
    resolved: Resolved,
  ) {
    const lossRatios = lossRatiosOf(spec);
    const budget =
      spec.maxTrialSeconds ??
      spec.finalDurationS *
        (options.defaultMaxTrialSecondsFactor ?? MLR_DEFAULTS.defaultMaxTrialSecondsFactor);
    this.log = new TrialLog(spec, trial, onTrial, {
      maxInvalidRetries: options.maxInvalidRetries ?? MLR_DEFAULTS.maxInvalidRetries,
      maxTrialSeconds: budget,
    });
    this.exceedRatio = resolved.exceedRatio;
    this.expansionCoefficient = resolved.expansionCoefficient;
    this.grid = new LoadGrid(spec.lineRatePps, resolved.minLoadRatio, resolved.goalWidth);
    this.targets = buildTargets(spec, options);
    this.db = new LoadDatabase(this.targets, lossRatios.length, this.exceedRatio);
    const sampleDurationS = Math.min(
      spec.finalDurationS,
      Math.max(
        this.targets[0].durationS,
        options.noiseSampleDurationS ?? MLR_DEFAULTS.noiseSampleDurationS,
      ),
    );
    this.noise = new NoiseWatch(
      lossRatios,
      lossRatios.indexOf(Math.min(...lossRatios)),
      sampleDurationS,
      options.noiseThreshold ?? resolved.goalWidth / 8,
    );
    this.noiseStandardError =
      options.noiseStandardError ?? resolved.goalWidth * NOISE_STANDARD_ERROR_WIDTHS;
    this.maxNoiseSamples = Math.max(1, options.maxNoiseSamples ?? MLR_DEFAULTS.maxNoiseSamples);
    this.minNoiseSamples = Math.min(
      this.maxNoiseSamples,
      options.minNoiseSamples ?? MLR_DEFAULTS.minNoiseSamples,
    );
    this.goals = lossRatios.map((lossRatio) => ({
      lossRatio,
      targetIndex: 0,
      expansions: 0,
      longPasses: [],
    }));
  }

  async run(): Promise<SearchResult> {
    let stopReason: string | undefined;
    try {
      const first = { k: this.grid.top, durationS: this.targets[0].durationS };
      await this.measure({ ...first, goal: 0, move: "other" });
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

  private async measure(c: Candidate): Promise<void> {
    const goal = this.goals[c.goal];
    const record = await this.log.measure(this.grid.loadOf(c.k), c.durationS);
    this.db.add(c.k, record);
    this.noise.add(record);
    if (c.overload) this.overloadTrials.add(record.index);
    if (c.confirms) this.confirmTrials.add(record.index);
    this.goals.forEach((other, g) => {
      if (record.passed[g] && lastsAtLeast(record, this.spec.finalDurationS)) {
        other.longPasses.push(record);
      }
    });
    if (c.confirms && !record.passed[c.goal]) {
      goal.failedConfirmation = Math.min(goal.failedConfirmation ?? Infinity, c.k);
    }
    // The expander: keep doubling the outward step while it fails to find the missing bound.
    const cls = this.db.classify(c.k, goal.targetIndex, c.goal);
    const continued =
      (c.move === "down" && cls === "upper") || (c.move === "up" && cls === "lower");
    goal.expansions = continued ? goal.expansions + 1 : 0;
  }

  /** Each goal's next trial; the cheapest wins, then the lowest load. */
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
        (sameDuration && (higherFirst ? c.k > best.k : c.k < best.k))
      ) {
        best = c;
      }
    }
    return best;
  }

  /**
   * Moves goal g to its first unreached target and asks for its next trial there: from the
   * forwarding estimate on a noisy DUT, a steadiness check before the final target, otherwise
   * the first search strategy that applies.
   */
  private goalCandidate(g: number): Candidate | undefined {
    const goal = this.goals[g];
    if (goal.settled) return undefined;
    const last = this.targets.length - 1;
    for (;;) {
      const late = goal.targetIndex >= last - 1;
      if (late && this.noise.noisy) return this.noisyCandidate(g);
      const b = this.db.bounds(goal.targetIndex, g);
      if (!boundsReached(b, this.targets[goal.targetIndex].widthSteps, this.grid.top)) break;
      if (late && b.lo !== this.grid.top) {
        const check = this.confirmSteady(g, b);
        if (check) return check;
      }
      if (goal.targetIndex === last) return undefined;
      // The maximum load holds at this duration: the intermediate ones would only repeat it.
      goal.targetIndex = b.lo === this.grid.top ? last : goal.targetIndex + 1;
      goal.expansions = 0;
    }
    const p = propose(this.view(g));
    if (!p) return undefined;
    return {
      k: p.k,
      durationS: this.probeDuration(p.k, this.targets[goal.targetIndex], g),
      goal: g,
      move: p.move,
    };
  }

  private view(g: number): GoalView {
    const j = this.goals[g].targetIndex;
    const target = this.targets[j];
    return {
      target,
      bounds: this.db.bounds(j, g),
      previous: j > 0 ? this.db.bounds(j - 1, g) : undefined,
      topHeld: this.targets.slice(0, j).some((_, i) => this.db.bounds(i, g).lo === this.grid.top),
      top: this.grid.top,
      expansions: this.goals[g].expansions,
      expansionCoefficient: this.expansionCoefficient,
      classify: (k) => this.db.classify(k, j, g),
      guidedIndex: (hi) => this.guidedIndex(hi, g, target.widthSteps),
      measuredLoads: () => this.db.stats.keys(),
    };
  }

  /**
   * The final target is near on a DUT that looked steady. Steady needs evidence: until four
   * equal trials (or pairs that add up) lost packets, one more runs at the sample duration.
   * Fewer agree by chance too often on a noisy DUT.
   */
  private confirmSteady(g: number, b: Bounds): Candidate | undefined {
    const failing = this.noise.samples[this.noise.strictestGoal].filter((s) => s.exact);
    const durationS = this.noise.sampleDurationS;
    // Only shorter trials lost: the upper bound, at the sample duration, to begin with.
    if (failing.length === 0) {
      return b.hi === undefined ? undefined : { k: b.hi, durationS, goal: g, move: "other" };
    }
    if ((forwardingSpread(failing)?.degrees ?? 0) >= STEADY_DEGREES) return undefined;
    const atSampleDuration = failing.filter((s) => s.durationS === durationS);
    const highest = (from: GoalLoadSample[]): number =>
      this.grid.nearest(Math.max(...from.map((s) => s.offeredPps)));
    // Repeat the highest load that lost at this duration; with none, start four goal widths
    // above the highest that lost at another, where a steady DUT surely loses too.
    const k =
      atSampleDuration.length > 0
        ? highest(atSampleDuration)
        : Math.min(this.grid.top, highest(failing) + 4 * STEPS_PER_WIDTH);
    return { k, durationS, goal: g, move: "other" };
  }

  /**
   * A noisy DUT: a single pass or fail at one load says little, so the result is the load
   * the forwarding estimate gives (the goal's exceed ratio applied to all samples), taken as
   * soon as a trial of the final duration meets the goal at that load or above. Samples come
   * from overloaded trials of the sample duration until the estimate is precise enough.
   */
  private noisyCandidate(g: number): Candidate | undefined {
    const goal = this.goals[g];
    const samples = this.noise.samples[g];
    const estimate = this.noisyEstimate(g);
    if (estimate === undefined) {
      return {
        k: this.overloadIndex(),
        durationS: this.noise.sampleDurationS,
        goal: g,
        move: "other",
        overload: true,
      };
    }
    const finalS = this.spec.finalDurationS;
    // Each failed confirmation also moves the next one at least a step down, so that a DUT
    // whose long trials do worse than its samples suggest still ends.
    const ceiling = (goal.failedConfirmation ?? this.grid.top + 1) - 1;
    const k = Math.min(ceiling, this.grid.atOrBelow(estimate));
    // Below the lowest load the search tries: the classic bounds answer (N/A).
    if (k < 0) return undefined;
    const deciding = goal.longPasses.find((r) => this.grid.nearest(r.ratePps) >= k);
    if (deciding) {
      goal.settled = { k, deciding, sampleIndices: samples.map((s) => s.index) };
      return undefined;
    }
    return { k, durationS: finalS, goal: g, move: "other", confirms: true };
  }

  /**
   * Goal g's forwarding estimate once it has enough samples to reach the standard error: the
   * censored centre of all its samples when the exceed ratio asks for the median, the
   * Kaplan-Meier quantile otherwise. Confirmations stay out: a pass there would lift the very
   * estimate it has to meet, and the search would chase it.
   */
  private noisyEstimate(g: number): number | undefined {
    const samples = this.noise.samples[g];
    const needed = (efficiency: number): number => {
      const wanted = Math.ceil(((efficiency * this.noise.spread) / this.noiseStandardError) ** 2);
      return Math.min(this.maxNoiseSamples, Math.max(this.minNoiseSamples, wanted));
    };
    const estimating = samples.filter((s) => !this.confirmTrials.has(s.index));
    // Another quantile than the median, or far more samples than asked for: Kaplan-Meier's.
    if (this.exceedRatio !== 0.5 || samples.length >= 2 * this.maxNoiseSamples) {
      return samples.length < needed(MEDIAN_EFFICIENCY)
        ? undefined
        : conditionalLoadPps(samples, this.exceedRatio);
    }
    // Overload samples well above the median (the first ones may be close: the spread was not
    // known yet), unless the median is near the maximum load: then every sample counts.
    const median = conditionalLoadPps(samples, this.exceedRatio) ?? 0;
    const room =
      median * Math.exp((OVERLOAD_SPREADS + 1) * this.noise.spread) <= this.grid.maxLoadPps;
    const counted = room
      ? samples.filter(
          (s) =>
            this.overloadTrials.has(s.index) &&
            s.offeredPps >= median * Math.exp(OVERLOAD_SPREADS * this.noise.spread),
        ).length
      : estimating.length;
    if (counted < needed(CENSORED_CENTRE_EFFICIENCY)) return undefined;
    return (
      censoredCentreLoadPps(estimating, this.noise.spread) ??
      conditionalLoadPps(estimating, this.exceedRatio)
    );
  }

  /** A load above every goal's estimate by three spreads: trials there forward all they can. */
  private overloadIndex(): number {
    let highest = 0;
    for (const samples of this.noise.samples) {
      highest = Math.max(highest, conditionalLoadPps(samples, this.exceedRatio) ?? 0);
    }
    const load =
      highest > 0
        ? highest * Math.exp((OVERLOAD_SPREADS + 1) * this.noise.spread)
        : this.spec.lineRatePps;
    return this.grid.atOrAbove(Math.min(load, this.spec.lineRatePps));
  }

  /**
   * The duration of a trial at load k for goal g's target. Where the target needs more than one
   * bad trial for an upper bound, a load nobody measured yet gets a short trial first: if it
   * loses there, that counts as one bad trial at the full duration for one second instead of
   * thirty. A load that did not lose at some duration gets the next longer one, up to the
   * target's: a steady DUT that lost at 30 s mostly loses at 5.5 s too, and one loss there
   * settles an upper bound for 5.5 s instead of 30.
   */
  private probeDuration(k: number, t: Target, g: number): number {
    if (t.durationSumS <= t.durationS) return t.durationS;
    const trials = this.db.trialsAt(k);
    if (trials.length === 0) return this.targets[0].durationS;
    // The maximum load that held so far: nothing above it failed, so it likely holds again.
    if (k === this.grid.top && trials.every((r) => r.passed[g])) return t.durationS;
    // The shortest duration that has not passed here may lose (a bad trial of full length)
    // for a fraction of the time; a pass there only costs that fraction.
    const longestPass = Math.max(0, ...trials.filter((r) => r.passed[g]).map((r) => r.durationS));
    const shorter = this.targets.find((c) => c.durationS > longestPass);
    return Math.min(t.durationS, shorter?.durationS ?? t.durationS);
  }

  /**
   * Grid index half a width below the rate the DUT forwarded at the upper bound, scaled up by
   * the loss the goal allows: the load where the loss ratio should just meet the goal.
   */
  private guidedIndex(hi: number, g: number, w: number): number | undefined {
    const trials = this.db.trialsAt(hi).filter((r) => !r.passed[g]);
    if (trials.length === 0) return undefined;
    const longest = Math.max(...trials.map((r) => r.durationS));
    const used = trials.filter((r) => r.durationS === longest);
    const forwardedPps = used.reduce((s, r) => s + r.rxPackets / r.durationS, 0) / used.length;
    const est = forwardedPps / (1 - this.goals[g].lossRatio);
    if (!(est > 0) || est >= this.grid.loadOf(hi)) return undefined;
    return this.grid.below(est) - Math.ceil(w / 2);
  }

  private result(g: number): ThresholdResult {
    const goal = this.goals[g];
    const lossThresholdPct = this.spec.lossThresholdsPct[g];
    const top = this.grid.top;
    if (goal.settled) {
      const { k, deciding, sampleIndices } = goal.settled;
      return {
        lossThresholdPct,
        ratePps: this.grid.loadOf(k),
        lossRatio: deciding.lossRatio,
        lineRateLimited: k === top,
        generatorLimited: false,
        trialIndices: [...new Set([...sampleIndices, deciding.index])].sort((x, y) => x - y),
      };
    }
    const j = this.targets.length - 1;
    const t = this.targets[j];
    const b = this.db.bounds(j, g);
    const counting = (k: number | undefined): TrialRecord[] =>
      this.db.trialsAt(k).filter((r) => lastsAtLeast(r, t.durationS) || !r.passed[g]);
    const lowerTrials = counting(b.lo);
    const indices = [...lowerTrials, ...counting(b.hi)].map((r) => r.index).sort((x, y) => x - y);
    const goodLong = lowerTrials.filter((r) => r.passed[g] && lastsAtLeast(r, t.durationS));
    return {
      lossThresholdPct,
      ratePps: b.lo === undefined ? null : this.grid.loadOf(b.lo),
      lossRatio: goodLong.length === 0 ? null : Math.max(...goodLong.map((r) => r.lossRatio)),
      lineRateLimited: b.lo === top,
      generatorLimited: false,
      trialIndices: indices,
    };
  }
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

export const mlrSearch: SearchAlgorithm = createMlrSearch();
