/**
 * `autotrex run --agent HOST:PORT`: the same run, executed by a remote agent; progress is
 * streamed back and the run directory downloaded into --out.
 */
import * as grpc from "@grpc/grpc-js";
import { mkdirSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import type { RunResult, SizeResult } from "../report/result.ts";
import { parseRunResult, ResultFileError } from "../report/validate.ts";
import type { RunEvent } from "../runner/types.ts";
import {
  loadBenchmarkService,
  MAX_RESPONSE_BYTES,
  type GetResponseMessage,
  type RunEventMessage,
  type RunRequest,
} from "./protocol.ts";

export interface AgentClientOptions {
  address: string;
  token: string;
  /** PEM of the CA that signed the agent's certificate; plain text when absent. */
  tlsCaPem?: Buffer;
}

/** An agent that could not be reached or refused the run. */
export class AgentError extends Error {
  constructor(
    message: string,
    readonly grpcCode: number,
  ) {
    super(message);
    this.name = "AgentError";
  }
}

type BenchmarkClient = grpc.Client & {
  Run(req: RunRequest, md: grpc.Metadata): grpc.ClientReadableStream<RunEventMessage>;
  Get(
    req: { runId: string },
    md: grpc.Metadata,
    cb: (err: grpc.ServiceError | null, res: GetResponseMessage) => void,
  ): void;
  Cancel(
    req: { runId: string },
    md: grpc.Metadata,
    cb: (err: grpc.ServiceError | null, res: { state: string }) => void,
  ): void;
  List(
    req: object,
    md: grpc.Metadata,
    cb: (err: grpc.ServiceError | null, res: { runs: unknown[] }) => void,
  ): void;
};

export function connectAgent(opts: AgentClientOptions): {
  client: BenchmarkClient;
  metadata: grpc.Metadata;
} {
  const Service = loadBenchmarkService();
  const credentials = opts.tlsCaPem
    ? grpc.credentials.createSsl(opts.tlsCaPem)
    : grpc.credentials.createInsecure();
  const client = new Service(opts.address, credentials, {
    "grpc.max_receive_message_length": MAX_RESPONSE_BYTES,
  }) as unknown as BenchmarkClient;
  const metadata = new grpc.Metadata();
  metadata.set("authorization", `Bearer ${opts.token}`);
  return { client, metadata };
}

/** Turns the agent's stream back into the runner's events, for the same progress display. */
function toRunEvent(message: RunEventMessage, sizes: number[]): RunEvent | undefined {
  if (message.trial) {
    const t = message.trial;
    return {
      type: "trial",
      frameSize: t.frameSize,
      sizeIndex: Math.max(0, sizes.indexOf(t.frameSize)),
      trial: { ...t, invalidReason: t.invalidReason || undefined },
    };
  }
  if (message.size) {
    const size = JSON.parse(message.size.sizeJson) as SizeResult;
    return { type: "size", sizeIndex: Math.max(0, sizes.indexOf(size.frameSize)), size };
  }
  if (message.warning) return { type: "warning", message: message.warning };
  return undefined;
}

export interface RemoteRunOutcome {
  exitCode: number;
  result: RunResult | undefined;
  outDir: string;
  error: string;
}

/** The agent's result.json, checked (an older agent's version 1 file is converted). */
function agentResult(text: string, address: string): RunResult {
  try {
    return parseRunResult(text, `result.json from agent ${address}`);
  } catch (err) {
    if (err instanceof ResultFileError) throw new AgentError(err.message, grpc.status.DATA_LOSS);
    throw err;
  }
}

/**
 * Submits a run, relays progress to `onEvent`, downloads the run's files into `outDir`.
 * Aborting `signal` cancels the run on the agent (traffic stopped, ports released).
 */
export async function runViaAgent(
  opts: AgentClientOptions,
  request: RunRequest,
  outDir: string,
  ctx: {
    signal?: AbortSignal;
    onEvent?: (e: RunEvent) => void;
    onQueued?: (position: number) => void;
  },
): Promise<RemoteRunOutcome> {
  const { client, metadata } = connectAgent(opts);
  try {
    let runId = "";
    const finished = await new Promise<RunEventMessage["finished"]>((resolve, reject) => {
      const stream = client.Run(request, metadata);
      let done: RunEventMessage["finished"];
      const onAbort = () => {
        if (runId) client.Cancel({ runId }, metadata, () => undefined);
        else stream.cancel();
      };
      ctx.signal?.addEventListener("abort", onAbort, { once: true });
      stream.on("data", (message: RunEventMessage) => {
        runId ||= message.runId;
        if (message.queuedPosition !== undefined && message.event === "queuedPosition")
          ctx.onQueued?.(message.queuedPosition);
        if (message.startedOutDir !== undefined && message.event === "startedOutDir") {
          ctx.onEvent?.({ type: "started", outDir, sizes: request.sizes, speedBps: 0 });
        }
        const event = toRunEvent(message, request.sizes);
        if (event) ctx.onEvent?.(event);
        if (message.finished) done = message.finished;
      });
      stream.on("error", (err: grpc.ServiceError) => {
        ctx.signal?.removeEventListener("abort", onAbort);
        reject(new AgentError(`agent ${opts.address}: ${err.details || err.message}`, err.code));
      });
      stream.on("end", () => {
        ctx.signal?.removeEventListener("abort", onAbort);
        if (done) resolve(done);
        else
          reject(
            new AgentError(
              `agent ${opts.address} closed the stream before the run finished`,
              grpc.status.UNAVAILABLE,
            ),
          );
      });
    });
    const files = await new Promise<GetResponseMessage>((resolve, reject) =>
      client.Get({ runId }, metadata, (err, res) =>
        err ? reject(new AgentError(err.details, err.code)) : resolve(res),
      ),
    );
    mkdirSync(outDir, { recursive: true });
    for (const file of files.files) writeFileSync(join(outDir, basename(file.name)), file.content);
    const result = finished!.resultJson
      ? agentResult(finished!.resultJson, opts.address)
      : undefined;
    return { exitCode: finished!.exitCode, result, outDir, error: finished!.error };
  } finally {
    client.close();
  }
}
