/**
 * result.json: the stable, documented record of a run (docs/result-schema.md). Everything else
 * in a run directory (CSVs, charts, comparisons) is derived from it.
 */
import type { Threshold } from "../search/thresholds.ts";

export type { Threshold };

/** 2: thresholds by name (`parameters.thresholds`, `results[].threshold`); validate.ts reads 1 too. */
export const RESULT_SCHEMA_VERSION = 2;

export type SizeStatus = "ok" | "n/a" | "failed";
export type RunStatus = "running" | "complete" | "interrupted" | "failed";

export interface Rates {
  ratePps: number;
  l1Bps: number;
  l2Bps: number;
}

export interface LatencyUs {
  min: number;
  avg: number;
  /**
   * Absent when TRex reported none: it counts a maximum only after its first 10 latency
   * packets (or 2 s), to skip start-up spikes (time_histogram.cpp), and says 0 until then.
   */
  max?: number;
}

export interface ThresholdOutcome extends Rates {
  /** Name of the threshold (one of `parameters.thresholds`) this result is for. */
  threshold: string;
  lossRatio: number;
  lineRateLimited: boolean;
  /**
   * The result is the most the traffic generator could send: its trials fell short of the rate
   * asked for, so the DUT may be faster. Absent in files written before it was recorded.
   */
  generatorLimited?: boolean;
  /**
   * Rate the generator really offered in the deciding trial (tx over the time the port
   * transmitted) and that time, s; `ratePps` never exceeds it. Absent in older files.
   */
  offeredPps?: number;
  elapsedS?: number;
  /**
   * The trials that established the result: their `trial` numbers in trials.csv for this
   * frame size. Absent in result files written before it was recorded.
   */
  trials?: number[];
  latencyUs?: LatencyUs;
}

export interface SizeResult {
  frameSize: number;
  status: SizeStatus;
  /** Why a size is n/a or failed. */
  reason?: string;
  theoretical: Rates;
  /** One entry per loss threshold that found a rate, in the run's threshold order. */
  results: ThresholdOutcome[];
  trialCount: number;
  trialSeconds: number;
}

/** Parameters a run was started with: what `--resume` reuses. */
export interface RunParameters {
  profilePath: string;
  sizes: number[];
  durationS: number;
  /** The loss thresholds searched, in order: the first is the primary one. Stored only here. */
  thresholds: Threshold[];
  encapOverhead: number;
  txPort: number;
  rxPort: number;
  bidirectional: boolean;
  latencyPps: number | null;
  search: string;
  /**
   * Most trial-seconds a search may spend on one frame size; absent: the search's default
   * (20 × durationS for mlr, none for bisection).
   */
  sizeTimeLimitS?: number;
  server: string | null;
  emulate: { dut: string; timeScale: number; seed: number } | null;
}

/** A hash of the profile's source and of its streams per frame size (runner/fingerprint.ts). */
export interface ProfileFingerprint {
  sourceSha256: string;
  /** Frame size (as text) → hash of the streams it resolves to. */
  streamsSha256: Record<string, string>;
}

/** A --resume that went on with something other than the stored run had: what differed. */
export interface ResumeNote {
  at: string;
  changes: string[];
}

export interface RunResult {
  schemaVersion: typeof RESULT_SCHEMA_VERSION;
  tool: { name: "autotrex"; version: string };
  /** `fingerprint`: absent in files written before it was recorded. */
  profile: { name: string; description: string; fingerprint?: ProfileFingerprint };
  /** Resumes that went on with a changed server, flags or profile (`--resume-anyway`). */
  resumes?: ResumeNote[];
  /** "tcp://host:port" of the TRex server, and what it is. */
  server: { address: string; kind: "trex" | "emulator"; version: string; dut?: string };
  speedBps: number;
  startedAt: string;
  finishedAt: string | null;
  status: RunStatus;
  parameters: RunParameters;
  sizes: SizeResult[];
}
