/**
 * The search's view of the world: it asks for trials at a rate and a duration and reads their
 * outcomes. It never sees sockets, so every algorithm can be tested against a modelled DUT.
 */

export interface TrialOutcome {
  /** Packets sent by the traffic under test (counter delta over the trial). */
  txPackets: number;
  /** Packets received back. */
  rxPackets: number;
  /**
   * False when the trial cannot be judged and must be repeated: TX underrun (the generator
   * sent more than 0.1 % less than asked), rx > tx (stray packets), a counter reset.
   */
  valid: boolean;
  invalidReason?: string;
  latencyUs?: { min: number; avg: number; max: number };
  /**
   * Time the port really transmitted, s, by the server's clock (a real TRex that cannot keep
   * up sends rate x duration packets over a longer time). Absent: the requested duration.
   */
  elapsedS?: number;
  /**
   * The least the port can have transmitted, s: the end of traffic is seen by polling, so it
   * lies between this (the last poll that saw the port busy) and elapsedS. Absent: elapsedS.
   */
  elapsedMinS?: number;
  /**
   * Rate the generator really offered per direction: tx / elapsed (a lower bound, since elapsedS
   * is an upper one). Absent: tx / duration.
   */
  offeredPps?: number;
}

/** Runs one trial at `ratePps` (total offered rate of the direction) for `durationS`. */
export type TrialFn = (ratePps: number, durationS: number) => Promise<TrialOutcome>;

export interface TrialRecord {
  index: number;
  ratePps: number;
  durationS: number;
  txPackets: number;
  rxPackets: number;
  /** Time the port really transmitted, s (see TrialOutcome.elapsedS). */
  elapsedS: number;
  /** Rate the generator really offered per direction, pps (see TrialOutcome.offeredPps). */
  offeredPps: number;
  lossRatio: number;
  valid: boolean;
  invalidReason?: string;
  /** Per threshold (same order as the spec's list): did the trial stay within it? */
  passed: boolean[];
}

export interface SearchSpec {
  /** Highest rate the port can offer at this frame size (theoretical line rate), pps. */
  lineRatePps: number;
  /** Loss thresholds in percent, primary first (e.g. [0.01, 0.5]). */
  lossThresholdsPct: number[];
  /** Duration of the trials that decide a result, s. */
  finalDurationS: number;
  /** Optional wall-clock budget in trial-seconds for this frame size. */
  maxTrialSeconds?: number;
}

export interface ThresholdResult {
  lossThresholdPct: number;
  /** Highest rate found within the threshold, or null when no rate passed (N/A). */
  ratePps: number | null;
  /** Loss ratio measured at that rate (of the deciding trial). */
  lossRatio: number | null;
  /** True when the result is the line rate itself: the DUT may be faster than the link. */
  lineRateLimited: boolean;
  /**
   * True when the result is the most the traffic generator could send (its trials fell short
   * of the requested rate): the DUT may be faster than the generator. The rate is then the
   * rate the generator achieved, never the one asked for.
   */
  generatorLimited: boolean;
  /**
   * What the generator really offered in the deciding trial (the passing one at or above the
   * rate that it offered least) and how long it transmitted; set by searchWithinGenerator.
   */
  offeredPps?: number;
  elapsedS?: number;
  /** Indices into the search's trial list that establish this result. */
  trialIndices: number[];
}

export interface SearchResult {
  results: ThresholdResult[];
  trials: TrialRecord[];
  /** Sum of the durations of all trials, s. */
  trialSeconds: number;
  /**
   * Set when the search ended before reaching its goals (time limit, a trial that stayed
   * invalid): the results are the best established so far, possibly N/A.
   */
  stopReason?: string;
}

export interface SearchAlgorithm {
  readonly name: string;
  search(
    spec: SearchSpec,
    trial: TrialFn,
    onTrial?: (record: TrialRecord) => void,
  ): Promise<SearchResult>;
}
