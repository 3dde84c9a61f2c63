/**
 * `autotrex serve`: the gRPC agent. It owns one TRex server (or the emulator) and runs the
 * benchmarks that CI runners submit, one at a time, in submission order.
 */
import * as grpc from "@grpc/grpc-js";
import { HealthImplementation } from "grpc-health-check";
import { randomUUID } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { RunResult } from "../report/result.ts";
import { ExitCode, RunSetupError } from "../runner/exit-code.ts";
import { exitStatusOf } from "../runner/exit-status.ts";
import { prepareRun, runBenchmark } from "../runner/runner.ts";
import { normalizeRun, type RunRequestFields, type RunSettings } from "../runner/spec.ts";
import type { RunContext, RunEvent, RunOptions, RunOutcome } from "../runner/types.ts";
import { withSession } from "../session/index.ts";
import { thresholdsFrom, ThresholdError } from "../search/index.ts";
import {
  loadBenchmarkService,
  MAX_REQUEST_BYTES,
  MAX_RESPONSE_BYTES,
  type GetResponseMessage,
  type RunEventMessage,
  type RunRequest,
  type RunState,
  type RunSummaryMessage,
} from "./protocol.ts";
import {
  bearerTokenMatches,
  isLoopbackHost,
  ProfileAccessError,
  resolveProfileName,
  splitHostPort,
} from "./security.ts";

export interface AgentOptions {
  /** "host:port"; port 0 picks a free one. */
  listen: string;
  token: string;
  profilesDir: string;
  resultsDir: string;
  /** Where runs send traffic: a TRex server, or the emulator. */
  target: { server: string } | { emulate: { dut: string; timeScale: number; seed: number } };
  tls?: { certPem: Buffer; keyPem: Buffer };
  /** Allow a non-loopback address without TLS. */
  insecure?: boolean;
  defaultDurationS?: number;
}

interface AgentRun {
  id: string;
  request: RunRequest;
  profilePath: string;
  state: RunState;
  submittedAt: string;
  outDir: string;
  controller: AbortController;
  listeners: Set<(event: RunEventMessage) => void>;
  result?: RunResult;
}

/** Agent-side request limits: what a sane benchmark asks for. */
class InvalidRequest extends Error {}

/**
 * A request as the run spec's fields. proto3 scalars cannot be absent, so 0 and empty mean
 * "not given" (the spec's default, or the agent's --duration), as documented in the .proto;
 * the limits and every other rule are the run spec's, the same as for a local run.
 */
function askedOf(request: RunRequest, defaultDurationS: number | undefined): RunRequestFields {
  const given = <T>(value: T, absent: boolean): T | undefined => (absent ? undefined : value);
  const asked: RunRequestFields = {
    sizes: given(request.sizes, request.sizes.length === 0),
    durationS: request.durationS !== 0 ? request.durationS : defaultDurationS,
    sizeTimeLimitS: given(request.sizeTimeLimitS ?? 0, !request.sizeTimeLimitS),
    thresholds: given(
      request.lossThresholdsPct.length === 0
        ? []
        : thresholdsFrom(
            request.lossThresholdsPct,
            request.lossThresholdNames ?? [],
            "--loss-threshold",
          ),
      request.lossThresholdsPct.length === 0,
    ),
    encapOverhead: request.encapOverhead,
    txPort: request.txPort,
    rxPort: given(request.rxPort, request.rxPort === 0 && request.txPort === 0),
    bidirectional: request.bidirectional,
    latencyPps: given(request.latencyPps, request.latencyPps === 0),
    search: given(request.search, request.search === ""),
  };
  return asked;
}

function validate(request: RunRequest, defaultDurationS: number | undefined): RunSettings {
  // 0 is the proto's "not set" (the agent's default limit); less is refused as locally.
  const timeoutS = request.profileTimeoutS ?? 0;
  if (!(timeoutS >= 0)) {
    throw new InvalidRequest(`--profile-timeout ${timeoutS}: expected seconds to load the profile`);
  }
  try {
    return normalizeRun(askedOf(request, defaultDurationS));
  } catch (err) {
    if (err instanceof RunSetupError || err instanceof ThresholdError)
      throw new InvalidRequest(err.message);
    throw err;
  }
}

function toEventMessage(runId: string, event: RunEvent): RunEventMessage | undefined {
  switch (event.type) {
    case "started":
      return { runId, startedOutDir: event.outDir };
    case "trial": {
      const t = event.trial;
      return {
        runId,
        trial: {
          frameSize: event.frameSize,
          index: t.index,
          ratePps: t.ratePps,
          durationS: t.durationS,
          txPackets: t.txPackets,
          rxPackets: t.rxPackets,
          elapsedS: t.elapsedS,
          offeredPps: t.offeredPps,
          lossRatio: t.lossRatio,
          valid: t.valid,
          invalidReason: t.invalidReason ?? "",
          passed: t.passed,
        },
      };
    }
    case "size":
      return {
        runId,
        size: {
          frameSize: event.size.frameSize,
          status: event.size.status,
          sizeJson: JSON.stringify(event.size),
        },
      };
    case "warning":
      return { runId, warning: event.message };
    case "finished":
      return undefined; // sent by the queue once the run is settled
  }
}

type Handler<Req, Res> = grpc.handleUnaryCall<Req, Res>;

export class Agent {
  private readonly server = new grpc.Server({
    "grpc.max_receive_message_length": MAX_REQUEST_BYTES,
    "grpc.max_send_message_length": MAX_RESPONSE_BYTES,
  });
  private readonly runs = new Map<string, AgentRun>();
  private readonly queue: AgentRun[] = [];
  private running: AgentRun | undefined;
  private readonly health = new HealthImplementation({
    "": "SERVING",
    "autotrex.v1.Benchmark": "SERVING",
  });
  /** Address actually bound (after port 0 was resolved). */
  address = "";

  constructor(private readonly opts: AgentOptions) {}

  async start(): Promise<string> {
    const { host, port } = splitHostPort(this.opts.listen, 50051);
    if (!this.opts.tls && !isLoopbackHost(host) && !this.opts.insecure) {
      throw new Error(
        `refusing to listen on ${this.opts.listen} without TLS: give --tls-cert/--tls-key, or --insecure on a trusted network`,
      );
    }
    const service = loadBenchmarkService().service;
    this.server.addService(service, {
      Run: this.guardStream((call) => this.handleRun(call)),
      List: this.guard<Record<string, never>, { runs: RunSummaryMessage[] }>((_call, cb) =>
        cb(null, { runs: this.summaries() }),
      ),
      Get: this.guard<{ runId: string }, GetResponseMessage>((call, cb) =>
        this.handleGet(call.request.runId, cb),
      ),
      Cancel: this.guard<{ runId: string }, { state: string }>((call, cb) =>
        this.handleCancel(call.request.runId, cb),
      ),
    });
    this.health.addToServer(this.server);
    const credentials = this.opts.tls
      ? grpc.ServerCredentials.createSsl(
          null,
          [{ cert_chain: this.opts.tls.certPem, private_key: this.opts.tls.keyPem }],
          false,
        )
      : grpc.ServerCredentials.createInsecure();
    const boundPort = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync(`${host}:${port}`, credentials, (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    this.address = `${host}:${boundPort}`;
    return this.address;
  }

  /** Cancels what runs, waits for it to release the ports, then stops serving. */
  async stop(): Promise<void> {
    for (const run of this.queue.splice(0))
      this.settle(run, "cancelled", ExitCode.interrupted, undefined, "agent shutting down");
    if (this.running) {
      const current = this.running;
      current.controller.abort();
      await new Promise<void>((resolve) => {
        const check = () => (this.running === current ? setTimeout(check, 20) : resolve());
        check();
      });
    }
    this.health.setStatus("", "NOT_SERVING");
    await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
  }

  private authorized(metadata: grpc.Metadata): boolean {
    const value = metadata.get("authorization")[0];
    return bearerTokenMatches(typeof value === "string" ? value : undefined, this.opts.token);
  }

  private guard<Req, Res>(handler: Handler<Req, Res>): Handler<Req, Res> {
    return (call, callback) => {
      if (!this.authorized(call.metadata)) {
        callback({ code: grpc.status.UNAUTHENTICATED, details: "missing or wrong bearer token" });
        return;
      }
      handler(call, callback);
    };
  }

  private guardStream(
    handler: (call: grpc.ServerWritableStream<RunRequest, RunEventMessage>) => void,
  ): grpc.handleServerStreamingCall<RunRequest, RunEventMessage> {
    return (call) => {
      if (!this.authorized(call.metadata)) {
        call.emit("error", {
          code: grpc.status.UNAUTHENTICATED,
          details: "missing or wrong bearer token",
        });
        return;
      }
      handler(call);
    };
  }

  private handleRun(call: grpc.ServerWritableStream<RunRequest, RunEventMessage>): void {
    const request = call.request;
    let profilePath: string;
    try {
      profilePath = resolveProfileName(this.opts.profilesDir, request.profile);
      validate(request, this.opts.defaultDurationS);
    } catch (err) {
      const code =
        err instanceof ProfileAccessError
          ? err.escape
            ? grpc.status.PERMISSION_DENIED
            : grpc.status.NOT_FOUND
          : grpc.status.INVALID_ARGUMENT;
      call.emit("error", { code, details: (err as Error).message });
      return;
    }
    const id = randomUUID();
    const run: AgentRun = {
      id,
      request,
      profilePath,
      state: "queued",
      submittedAt: new Date().toISOString(),
      outDir: join(this.opts.resultsDir, id),
      controller: new AbortController(),
      listeners: new Set(),
    };
    const send = (event: RunEventMessage): void => {
      call.write(event);
      if (event.finished) call.end();
    };
    run.listeners.add(send);
    // A CI job that goes away takes its run with it, so the queue never waits on nobody.
    call.on("cancelled", () => {
      run.listeners.delete(send);
      this.cancel(run);
    });
    this.runs.set(id, run);
    this.queue.push(run);
    send({ runId: id, queuedPosition: this.queue.length - 1 + (this.running ? 1 : 0) });
    void this.pump();
  }

  private summaries(): RunSummaryMessage[] {
    return [...this.runs.values()].map((r) => this.summary(r));
  }

  private summary(run: AgentRun): RunSummaryMessage {
    const position = this.queue.indexOf(run);
    return {
      runId: run.id,
      profile: run.request.profile,
      label: run.request.label,
      state: run.state,
      submittedAt: run.submittedAt,
      queuePosition: position < 0 ? 0 : position,
    };
  }

  private handleGet(runId: string, cb: grpc.sendUnaryData<GetResponseMessage>): void {
    const run = this.runs.get(runId);
    if (!run) return cb({ code: grpc.status.NOT_FOUND, details: `no run ${runId}` });
    const files: GetResponseMessage["files"] = [];
    let names: string[] = [];
    try {
      names = readdirSync(run.outDir);
    } catch {
      // not started yet: no files
    }
    for (const name of names.sort()) {
      const path = join(run.outDir, name);
      if (statSync(path).isFile() && !name.startsWith("."))
        files.push({ name, content: readFileSync(path) });
    }
    cb(null, {
      run: this.summary(run),
      resultJson: run.result ? JSON.stringify(run.result) : "",
      files,
    });
  }

  private handleCancel(runId: string, cb: grpc.sendUnaryData<{ state: string }>): void {
    const run = this.runs.get(runId);
    if (!run) return cb({ code: grpc.status.NOT_FOUND, details: `no run ${runId}` });
    this.cancel(run);
    cb(null, { state: run.state });
  }

  private cancel(run: AgentRun): void {
    const position = this.queue.indexOf(run);
    if (position >= 0) {
      this.queue.splice(position, 1);
      this.settle(run, "cancelled", ExitCode.interrupted, undefined, "cancelled before it started");
    } else if (run.state === "running") {
      run.controller.abort();
    }
  }

  private settle(
    run: AgentRun,
    state: RunState,
    exitCode: number,
    result: RunResult | undefined,
    error = "",
  ): void {
    run.state = state;
    run.result = result;
    const event: RunEventMessage = {
      runId: run.id,
      finished: {
        status: state,
        exitCode,
        resultJson: result ? JSON.stringify(result) : "",
        error,
      },
    };
    for (const listener of run.listeners) listener(event);
    run.listeners.clear();
  }

  private runOptions(run: AgentRun): RunOptions {
    const p = validate(run.request, this.opts.defaultDurationS);
    const target = this.opts.target;
    return {
      ...p,
      profilePath: run.profilePath,
      server: "server" in target ? target.server : null,
      emulate: "emulate" in target ? target.emulate : null,
      outDir: run.outDir,
      force: run.request.force,
      allowSpeedMismatch: run.request.allowSpeedMismatch === true,
      ...(run.request.profileTimeoutS ? { profileTimeoutS: run.request.profileTimeoutS } : {}),
    };
  }

  /** One run on the agent's server: its profile loaded first, then a session for it alone. */
  private async execute(run: AgentRun, ctx: RunContext): Promise<RunOutcome> {
    const prepared = await prepareRun(this.runOptions(run), ctx);
    return withSession(prepared.opts, { outDir: prepared.opts.outDir, signal: ctx.signal }, (s) =>
      runBenchmark(prepared, s, ctx),
    );
  }

  /** Runs queued benchmarks one after the other: two runs would fight over the ports. */
  private async pump(): Promise<void> {
    if (this.running) return;
    const run = this.queue.shift();
    if (!run) return;
    this.running = run;
    run.state = "running";
    this.queue.forEach((queued, i) =>
      queued.listeners.forEach((l) => l({ runId: queued.id, queuedPosition: i + 1 })),
    );
    try {
      const outcome = await this.execute(run, {
        signal: run.controller.signal,
        onEvent: (event) => {
          const message = toEventMessage(run.id, event);
          if (message) run.listeners.forEach((l) => l(message));
        },
      });
      this.settle(
        run,
        outcome.result.status === "interrupted" ? "interrupted" : outcome.result.status,
        outcome.exitCode,
        outcome.result,
      );
    } catch (err) {
      // The statuses of a local run, from the one mapping (runner/exit-status.ts).
      const status = exitStatusOf(err);
      const state = status === ExitCode.interrupted ? "interrupted" : "failed";
      this.settle(run, state, status, undefined, (err as Error).message);
    } finally {
      this.running = undefined;
      void this.pump();
    }
  }
}
