/**
 * The runner's contract with its callers (the `run` command and the gRPC agent): run a
 * benchmark with the given parameters on a server session they opened, report progress as
 * events, honour cancellation.
 */
import type { RunParameters, RunResult, SizeResult } from "../report/result.ts";
import type { TrialRecord } from "../search/types.ts";
import type { TrexClient } from "../trex/index.ts";

export interface RunOptions extends RunParameters {
  /** Directory the results are written to (created if missing). */
  outDir: string;
  /** Take ports owned by another user. Never the default. */
  force: boolean;
  /** Accept tx and rx ports of different speeds. */
  allowSpeedMismatch: boolean;
  /** Time limit for loading the profile and building its streams (default in profile/loader.ts). */
  profileTimeoutS?: number;
  /** A resume goes on although the profile changed since the stored run (`--resume-anyway`). */
  resumeAnyway?: boolean;
  /** What a resume goes on with that the stored run did not have: recorded in result.json. */
  resumeNotes?: string[];
}

export type RunEvent =
  | { type: "started"; outDir: string; sizes: number[]; speedBps: number }
  | { type: "trial"; frameSize: number; sizeIndex: number; trial: TrialRecord }
  | { type: "size"; sizeIndex: number; size: SizeResult }
  | { type: "warning"; message: string }
  | { type: "finished"; result: RunResult; exitCode: number };

export interface RunContext {
  /** Aborting stops traffic, releases the ports and keeps what was measured. */
  signal?: AbortSignal;
  onEvent?: (event: RunEvent) => void;
}

export interface RunOutcome {
  result: RunResult;
  outDir: string;
  /** 0 done, 1 some size failed, 130 interrupted (see src/cli/exit-codes.ts). */
  exitCode: number;
}

/**
 * The opened server a run uses (src/session opens one: by address, a local `t-rex-64` or the
 * emulator). The runner acquires and releases ports on it; closing it is the caller's.
 */
export interface RunSession {
  client: TrexClient;
  /** The address errors name. */
  address: string;
  /** What result.json records of the server. */
  description: RunResult["server"];
  /** Wait after the ports went idle before reading counters (packets still in the DUT). */
  rxDrainMs: number;
}
