/**
 * A traffic generator has a ceiling of its own. A real TRex that cannot keep up does not refuse
 * a rate: it sends rate x duration packets over a longer time, so the counters look right and
 * only the transmit time shows the shortfall. This wrapper keeps any search honest about it:
 *
 * - a trial whose offered rate (tx over the time the port really transmitted) falls short of
 *   the requested rate by more than GENERATOR_SHORTFALL_TOLERANCE is generator-limited: it is
 *   logged as invalid (it never passes at the requested rate), and the search starts again with
 *   its maximum load capped just under what the generator achieved (after MAX_CAPS restarts
 *   such trials are only repeated as invalid ones are, until the search stops);
 * - a result at that cap is reported as generator-limited (not line-rate limited);
 * - no result exceeds the rate the generator really offered in the trials that established it.
 */
import type {
  SearchAlgorithm,
  SearchResult,
  SearchSpec,
  ThresholdResult,
  TrialFn,
  TrialRecord,
} from "./types.ts";

/**
 * Relative shortfall of the offered rate beyond which a trial is generator-limited. It is judged
 * on the most the generator can have offered (tx over the least time the port can have
 * transmitted, see TrialOutcome.elapsedMinS), so the polling that finds the end of traffic never
 * makes a trial look short; a generator that is really short falls short by far more.
 */
export const GENERATOR_SHORTFALL_TOLERANCE = 0.02;
/** How a trial record says the generator fell short. */
const GENERATOR_LIMITED = "generator-limited";
/**
 * The cap sits this much under the achieved rate, so the next trial there is not short again;
 * the margin doubles with each cap (up to MAX_CAP_MARGIN), so a generator whose ceiling moves
 * from trial to trial (a loaded machine) is under it after a few caps, not after many.
 */
const CAP_MARGIN = 0.01;
const MAX_CAP_MARGIN = 0.16;
/** Caps before the search gives up lowering the maximum load (the generator keeps slowing). */
const MAX_CAPS = 12;

/** True when the generator offered less than asked, beyond the tolerance. */
export function isGeneratorLimited(trial: Pick<TrialRecord, "ratePps" | "offeredPps">): boolean {
  return trial.offeredPps < trial.ratePps * (1 - GENERATOR_SHORTFALL_TOLERANCE);
}

/** The trial function, with generator-limited trials made invalid: they never pass. */
function guardedTrial(trial: TrialFn): TrialFn {
  return async (ratePps, durationS) => {
    const outcome = await trial(ratePps, durationS);
    const offeredPps = outcome.offeredPps ?? outcome.txPackets / durationS;
    const elapsedS = outcome.elapsedS ?? durationS;
    const txPerDirection = offeredPps * Math.max(durationS, elapsedS);
    const mostOfferedPps = txPerDirection / (outcome.elapsedMinS ?? elapsedS);
    // Judged whatever else is wrong with the trial: one stopped for overrunning its time is
    // also short of packets, and the shortfall of rate is what says where to search.
    if (!isGeneratorLimited({ ratePps, offeredPps: mostOfferedPps })) return outcome;
    const pct = ((1 - offeredPps / ratePps) * 100).toFixed(1);
    return {
      ...outcome,
      valid: false,
      invalidReason: `${GENERATOR_LIMITED}: offered ${offeredPps.toFixed(0)} of ${ratePps.toFixed(0)} pps (${pct} % short)`,
    };
  };
}

/** Thrown out of a search run when a trial shows the generator's ceiling. */
class GeneratorShortfall extends Error {
  constructor(readonly offeredPps: number) {
    super(`the generator offered only ${offeredPps.toFixed(0)} pps`);
    this.name = "GeneratorShortfall";
  }
}

/**
 * The passing trial at or above a result's rate, among those that established it, that the
 * generator offered least: its account of what was sent bounds what the result may claim.
 */
function decidingTrial(
  result: ThresholdResult,
  goal: number,
  trials: TrialRecord[],
): TrialRecord | undefined {
  const rate = result.ratePps;
  if (rate === null) return undefined;
  return result.trialIndices
    .map((i) => trials[i])
    .filter((t) => t?.passed[goal] && t.ratePps >= rate * (1 - 1e-9))
    .reduce<TrialRecord | undefined>(
      (low, t) => (!low || t.offeredPps < low.offeredPps ? t : low),
      undefined,
    );
}

function honestResults(
  search: SearchResult,
  trials: TrialRecord[],
  offset: number,
  capped: boolean,
): ThresholdResult[] {
  return search.results.map((r, goal) => {
    const trialIndices = r.trialIndices.map((i) => i + offset);
    const shifted = { ...r, trialIndices };
    const deciding = decidingTrial(shifted, goal, trials);
    return {
      ...shifted,
      ratePps:
        deciding && r.ratePps !== null ? Math.min(r.ratePps, deciding.offeredPps) : r.ratePps,
      ...(deciding ? { offeredPps: deciding.offeredPps, elapsedS: deciding.elapsedS } : {}),
      lineRateLimited: r.lineRateLimited && !capped,
      generatorLimited: r.lineRateLimited && capped,
    };
  });
}

/**
 * Runs `algorithm` within what the generator achieves: restarts it with a lower maximum load
 * each time a trial shows the generator fell short. Trial records keep one numbering across the
 * restarts; the trial-second budget is shared.
 */
export async function searchWithinGenerator(
  algorithm: SearchAlgorithm,
  spec: SearchSpec,
  trial: TrialFn,
  onTrial?: (record: TrialRecord) => void,
): Promise<SearchResult> {
  const trials: TrialRecord[] = [];
  const guarded = guardedTrial(trial);
  let maxLoadPps = spec.lineRatePps;
  for (let caps = 0; ; caps++) {
    const offset = trials.length;
    const spent = trials.reduce((sum, t) => sum + t.durationS, 0);
    const budget =
      spec.maxTrialSeconds === undefined ? {} : { maxTrialSeconds: spec.maxTrialSeconds - spent };
    const record = (r: TrialRecord): void => {
      const numbered = { ...r, index: offset + r.index };
      trials.push(numbered);
      onTrial?.(numbered);
      if (numbered.invalidReason?.startsWith(GENERATOR_LIMITED) && caps < MAX_CAPS) {
        throw new GeneratorShortfall(numbered.offeredPps);
      }
    };
    try {
      const search = await algorithm.search(
        { ...spec, ...budget, lineRatePps: maxLoadPps },
        guarded,
        record,
      );
      return {
        ...search,
        results: honestResults(search, trials, offset, caps > 0),
        trials,
        trialSeconds: Math.round((spent + search.trialSeconds) * 1e6) / 1e6,
      };
    } catch (err) {
      if (!(err instanceof GeneratorShortfall)) throw err;
      const margin = Math.min(MAX_CAP_MARGIN, CAP_MARGIN * 2 ** caps);
      maxLoadPps = Math.min(maxLoadPps, err.offeredPps) * (1 - margin);
    }
  }
}
