/**
 * The agent's gRPC contract (autotrex.proto), loaded at run time with @grpc/proto-loader,
 * and the TypeScript shapes of its messages.
 */
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { fileURLToPath } from "node:url";

export const PROTO_PATH = fileURLToPath(new URL("./autotrex.proto", import.meta.url));

export interface RunRequest {
  profile: string;
  sizes: number[];
  durationS: number;
  lossThresholdsPct: number[];
  /** Names of lossThresholdsPct, same order; empty: named by their loss (search/thresholds.ts). */
  lossThresholdNames?: string[];
  search: string;
  encapOverhead: number;
  txPort: number;
  rxPort: number;
  bidirectional: boolean;
  latencyPps: number;
  force: boolean;
  label: string;
  /** Most trial-seconds per frame size; 0: the search's default. */
  sizeTimeLimitS?: number;
  allowSpeedMismatch?: boolean;
  /** Time limit to load the profile, s; 0: the loader's default. */
  profileTimeoutS?: number;
}

export interface TrialEventMessage {
  frameSize: number;
  index: number;
  ratePps: number;
  durationS: number;
  txPackets: number;
  rxPackets: number;
  elapsedS: number;
  offeredPps: number;
  lossRatio: number;
  valid: boolean;
  invalidReason: string;
  passed: boolean[];
}

export interface RunFinishedMessage {
  status: string;
  exitCode: number;
  resultJson: string;
  error: string;
}

export interface RunEventMessage {
  runId: string;
  queuedPosition?: number;
  startedOutDir?: string;
  trial?: TrialEventMessage;
  size?: { frameSize: number; status: string; sizeJson: string };
  warning?: string;
  finished?: RunFinishedMessage;
  /** Which member of the oneof is set (proto-loader's `oneofs: true`). */
  event?: "queuedPosition" | "startedOutDir" | "trial" | "size" | "warning" | "finished";
}

export type RunState = "queued" | "running" | "complete" | "interrupted" | "failed" | "cancelled";

export interface RunSummaryMessage {
  runId: string;
  profile: string;
  label: string;
  state: RunState;
  submittedAt: string;
  queuePosition: number;
}

export interface GetResponseMessage {
  run: RunSummaryMessage;
  resultJson: string;
  files: Array<{ name: string; content: Buffer }>;
}

const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
};

interface BenchmarkPackage {
  autotrex: { v1: { Benchmark: grpc.ServiceClientConstructor } };
}

export function loadBenchmarkService(): grpc.ServiceClientConstructor {
  const definition = protoLoader.loadSync(PROTO_PATH, LOADER_OPTIONS);
  const pkg = grpc.loadPackageDefinition(definition) as unknown as BenchmarkPackage;
  return pkg.autotrex.v1.Benchmark;
}

/** The largest request the agent accepts; a RunRequest is a few hundred bytes. */
export const MAX_REQUEST_BYTES = 64 * 1024;
/** Results with charts are a few hundred KiB; leave room for big sweeps. */
export const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
