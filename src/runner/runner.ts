/**
 * The main job: for each frame size, search for the highest rate within each loss threshold
 * and write the results as they are measured. Used by `autotrex run` and the gRPC agent.
 */
import { basename } from "node:path";
import { FrameTooSmallError } from "../packet/index.ts";
import {
  loadProfile,
  resolveStreams,
  runPlan,
  type LoadedProfile,
  type ResolvedStream,
} from "../profile/index.ts";
import {
  DEFAULT_FRAME_SIZES,
  l1Bps,
  l2Bps,
  lineRatePps,
  meanFrameSize,
  MAX_FRAME_SIZE,
  MIN_FRAME_SIZE,
} from "../rate/line-rate.ts";
import { RunDirectory } from "../report/run-directory.ts";
import {
  RESULT_SCHEMA_VERSION,
  type RunParameters,
  type RunResult,
  type SizeResult,
  type ThresholdOutcome,
} from "../report/result.ts";
import { getSearchAlgorithm } from "../search/index.ts";
import { searchWithinGenerator } from "../search/generator-limit.ts";
import type { SearchResult, TrialRecord } from "../search/types.ts";
import type { StreamDefinition, TrexClient } from "../trex/index.ts";
import { LATENCY_SIGNATURE_BYTES } from "../trex/protocol.ts";
import {
  latencyProbeFits,
  runLatencyTrial,
  runTrial,
  TrialAbortedError,
  type MeasuredTrial,
  type TrafficDirection,
  type TrialPlan,
} from "./trial.ts";
import type { RunContext, RunEvent, RunOptions, RunOutcome, RunSession } from "./types.ts";
import { ExitCode, RunSetupError } from "./exit-code.ts";
import { fingerprintChanges, profileFingerprint } from "./fingerprint.ts";
import { checkPortPair } from "./port-pair.ts";

const TOOL_VERSION = "0.1.0";

export { RunSetupError };

function toStreamDefinition(stream: ResolvedStream): StreamDefinition {
  return {
    name: stream.name,
    packet: stream.packet,
    vm: stream.vm,
    randomSeed: stream.randomSeed,
    mode: stream.mode,
    rateShare: stream.rateShare,
    isgUs: stream.isgUs,
    flowStats: stream.flowStats,
  };
}

/** Frame size the line-rate arithmetic uses: a mix counts by its rate-weighted mean. */
function effectiveFrameSize(streams: ResolvedStream[]): number {
  return meanFrameSize(streams.map((s) => ({ frameSize: s.frameSize, ratePps: s.rateShare })));
}

function parametersOf(opts: RunOptions): RunParameters {
  return {
    profilePath: opts.profilePath,
    sizes: opts.sizes,
    durationS: opts.durationS,
    thresholds: opts.thresholds,
    encapOverhead: opts.encapOverhead,
    txPort: opts.txPort,
    rxPort: opts.rxPort,
    bidirectional: opts.bidirectional,
    latencyPps: opts.latencyPps,
    search: opts.search,
    ...(opts.sizeTimeLimitS === undefined ? {} : { sizeTimeLimitS: opts.sizeTimeLimitS }),
    server: opts.server,
    emulate: opts.emulate,
  };
}

/** The search's results (one per threshold, in the spec's order) under the thresholds' names. */
function thresholdOutcomes(
  search: SearchResult,
  frameSize: number,
  thresholds: RunOptions["thresholds"],
): ThresholdOutcome[] {
  const outcomes: ThresholdOutcome[] = [];
  for (const [i, r] of search.results.entries()) {
    if (r.ratePps === null) continue;
    outcomes.push({
      threshold: thresholds[i].name,
      ratePps: r.ratePps,
      l1Bps: l1Bps(r.ratePps, frameSize),
      l2Bps: l2Bps(r.ratePps, frameSize),
      lossRatio: r.lossRatio ?? 0,
      lineRateLimited: r.lineRateLimited,
      generatorLimited: r.generatorLimited,
      ...(r.offeredPps === undefined ? {} : { offeredPps: r.offeredPps }),
      ...(r.elapsedS === undefined ? {} : { elapsedS: r.elapsedS }),
      trials: r.trialIndices,
    });
  }
  return outcomes;
}

interface SizeContext {
  client: TrexClient;
  profile: LoadedProfile;
  opts: RunOptions;
  speedBps: number;
  signal?: AbortSignal;
  rxDrainMs: number;
  emit: (event: RunEvent) => void;
  dir: RunDirectory;
}

function theoretical(speedBps: number, frameSize: number): SizeResult["theoretical"] {
  const ratePps = lineRatePps(speedBps, frameSize);
  return { ratePps, l1Bps: l1Bps(ratePps, frameSize), l2Bps: l2Bps(ratePps, frameSize) };
}

function directionsFor(
  ctx: SizeContext,
  frameSize: number,
): { directions: TrafficDirection[]; meanSize: number } {
  const { opts, profile } = ctx;
  const pairs: Array<[number, number, "forward" | "reverse"]> = [
    [opts.txPort, opts.rxPort, "forward"],
  ];
  if (opts.bidirectional) pairs.push([opts.rxPort, opts.txPort, "reverse"]);
  let meanSize = frameSize;
  const directions = pairs.map(([txPort, rxPort, direction]) => {
    const streams = resolveStreams(profile.profile, {
      frameSize,
      encapOverhead: opts.encapOverhead,
      portId: txPort,
      direction,
    });
    meanSize = effectiveFrameSize(streams);
    const defs = streams.map(toStreamDefinition);
    if (opts.latencyPps === null) return { txPort, rxPort, streams: defs };
    const probe = latencyProbe(ctx, frameSize, txPort, direction, defs);
    return { txPort, rxPort, streams: defs, ...(probe ? { probe } : {}) };
  });
  return { directions, meanSize };
}

/**
 * The stream a latency probe copies: the first of the size's own that has room for TRex's
 * latency signature, else the profile's first stream LATENCY_SIGNATURE_BYTES longer (a 64 B
 * TCP frame has 6 payload bytes; its probe is 80 B). Undefined when neither fits.
 */
function latencyProbe(
  ctx: SizeContext,
  frameSize: number,
  portId: number,
  direction: "forward" | "reverse",
  own: StreamDefinition[],
): StreamDefinition | undefined {
  const fitting = own.find((s) => latencyProbeFits(s.packet));
  if (fitting || ctx.profile.profile.mix) return fitting;
  const longer = frameSize + LATENCY_SIGNATURE_BYTES;
  if (longer > MAX_FRAME_SIZE) return undefined;
  const [first] = resolveStreams(ctx.profile.profile, {
    frameSize: longer,
    encapOverhead: ctx.opts.encapOverhead,
    portId,
    direction,
  });
  return latencyProbeFits(first.packet) ? toStreamDefinition(first) : undefined;
}

/** A size whose frame cannot hold the profile's headers: N/A, no trial. */
function notApplicable(ctx: SizeContext, frameSize: number, reason: string): SizeResult {
  return {
    frameSize,
    status: "n/a",
    reason,
    theoretical: theoretical(ctx.speedBps, frameSize),
    results: [],
    trialCount: 0,
    trialSeconds: 0,
  };
}

/** The search of one size: every trial logged to trials.csv and reported as it ends. */
function searchSize(
  ctx: SizeContext,
  frameSize: number,
  sizeIndex: number,
  trialPlan: TrialPlan,
  lineRate: number,
): Promise<SearchResult> {
  const { opts } = ctx;
  // Trials run one at a time: the start of the latest is the start of the one reported.
  let trialStartedAt = new Date();
  let warnedRxMissed = false;
  const onTrial = (trial: TrialRecord): void => {
    ctx.dir.appendTrial(frameSize, trial, trialStartedAt, lineRate);
    ctx.emit({ type: "trial", frameSize, sizeIndex, trial });
  };
  return searchWithinGenerator(
    getSearchAlgorithm(opts.search),
    {
      lineRatePps: lineRate,
      lossThresholdsPct: opts.thresholds.map((t) => t.lossPct),
      finalDurationS: opts.durationS,
      ...(opts.sizeTimeLimitS === undefined ? {} : { maxTrialSeconds: opts.sizeTimeLimitS }),
    },
    async (ratePps, durationS) => {
      trialStartedAt = new Date();
      const trial = await runTrial(ctx.client, trialPlan, ratePps, durationS);
      if (trial.rxMissedPackets > 0 && !warnedRxMissed) {
        warnedRxMissed = true;
        ctx.emit({ type: "warning", message: rxMissedWarning(frameSize, trial, ratePps) });
      }
      return trial;
    },
    onTrial,
  );
}

/**
 * Loss inside TRex's own receiver is counted against the DUT: said once per size, with the
 * usual cause on a software testbed (docs/real-trex.md, the af_packet ring).
 */
function rxMissedWarning(frameSize: number, trial: MeasuredTrial, ratePps: number): string {
  return (
    `${frameSize} B: TRex's receiving port dropped ${trial.rxMissedPackets} packets itself ` +
    `(rx_missed_errors) in a trial at ${ratePps.toFixed(0)} pps: that loss is counted against ` +
    "the DUT; on af_packet enlarge the receive ring (--vdev=…,framecnt=4096, docs/real-trex.md)"
  );
}

/** Latency at each result's rate, in a trial of its own (see runLatencyTrial). */
async function addLatency(
  ctx: SizeContext,
  frameSize: number,
  trialPlan: TrialPlan,
  results: ThresholdOutcome[],
  latencyPps: number,
): Promise<void> {
  for (const r of results) {
    const { loadPps, ...latencyUs } = await runLatencyTrial(
      ctx.client,
      trialPlan,
      { ratePps: r.ratePps, speedBps: ctx.speedBps },
      ctx.opts.durationS,
      latencyPps,
    );
    r.latencyUs = latencyUs;
    if (loadPps < r.ratePps) {
      ctx.emit({
        type: "warning",
        message: `${frameSize} B: latency measured at ${loadPps.toFixed(0)} pps, not ${r.ratePps.toFixed(0)}: the latency stream needs room on the link`,
      });
    }
  }
}

async function measureSize(
  ctx: SizeContext,
  frameSize: number,
  sizeIndex: number,
): Promise<SizeResult> {
  const { opts } = ctx;
  let plan: { directions: TrafficDirection[]; meanSize: number };
  try {
    plan = directionsFor(ctx, frameSize);
  } catch (err) {
    if (err instanceof FrameTooSmallError) return notApplicable(ctx, frameSize, err.message);
    throw err;
  }
  const rateSize = plan.meanSize;
  const trialPlan = { directions: plan.directions, rxDrainMs: ctx.rxDrainMs, signal: ctx.signal };
  const lineRate = lineRatePps(ctx.speedBps, rateSize);
  const search = await searchSize(ctx, frameSize, sizeIndex, trialPlan, lineRate);
  if (search.stopReason) {
    ctx.emit({
      type: "warning",
      message: `${frameSize} B: search stopped early: ${search.stopReason}`,
    });
  }
  const results = thresholdOutcomes(search, rateSize, opts.thresholds);
  if (opts.latencyPps !== null) {
    await addLatency(ctx, frameSize, trialPlan, results, opts.latencyPps);
  }
  const [first] = opts.thresholds;
  const primary = results.find((r) => r.threshold === first.name);
  return {
    frameSize,
    status: primary ? "ok" : "failed",
    ...(primary
      ? {}
      : {
          reason:
            search.stopReason ?? `no rate kept loss within ${first.lossPct} % (${first.name})`,
        }),
    theoretical: theoretical(ctx.speedBps, rateSize),
    results,
    trialCount: search.trials.length,
    trialSeconds: search.trialSeconds,
  };
}

/**
 * The sweep: the sizes asked for, else the profile's own list, else the default sweep. A mix
 * (IMIX) is one point, labelled by its rate-weighted mean frame size.
 */
function frameSizesFor(profile: LoadedProfile, opts: RunOptions): number[] {
  if (profile.profile.mix) {
    const streams = resolveStreams(profile.profile, {
      frameSize: MIN_FRAME_SIZE,
      encapOverhead: opts.encapOverhead,
      portId: opts.txPort,
      direction: "forward",
    });
    return [Math.round(effectiveFrameSize(streams))];
  }
  if (opts.sizes.length > 0) return opts.sizes;
  return [...(profile.profile.frameSizes ?? DEFAULT_FRAME_SIZES)];
}

/** Sizes a resumed run still has to measure: everything not finished as ok or n/a. */
function sizesToMeasure(result: RunResult): number[] {
  const done = new Set(
    result.sizes.filter((s) => s.status === "ok" || s.status === "n/a").map((s) => s.frameSize),
  );
  return result.parameters.sizes.filter((s) => !done.has(s));
}

function upsertSize(result: RunResult, size: SizeResult): void {
  const rest = result.sizes.filter((s) => s.frameSize !== size.frameSize);
  result.sizes = [...rest, size].sort(
    (a, b) =>
      result.parameters.sizes.indexOf(a.frameSize) - result.parameters.sizes.indexOf(b.frameSize),
  );
}

function exitCodeOf(result: RunResult): number {
  if (result.status === "interrupted") return ExitCode.interrupted;
  return result.sizes.some((s) => s.status === "failed") ? ExitCode.someFailed : ExitCode.ok;
}

/**
 * A resume must not mix two profiles in one result: the profile's name and fingerprint must be
 * those of the stored run, unless `resumeAnyway`; what went on differently is noted.
 */
function resumeChecks(resume: RunResult, profile: LoadedProfile, opts: RunOptions): void {
  const now = profileFingerprint(profile, opts);
  const changes = resume.profile.fingerprint
    ? fingerprintChanges(resume.profile.fingerprint, now)
    : [];
  const name = profile.name || basename(opts.profilePath);
  if (name !== resume.profile.name)
    changes.push(`it is now named ${name}, not ${resume.profile.name}`);
  if (changes.length > 0 && !opts.resumeAnyway) {
    throw new RunSetupError(
      `cannot resume: the profile ${opts.profilePath} changed since the run (${changes.join("; ")}); --resume-anyway goes on with it`,
    );
  }
  const notes = [...(opts.resumeNotes ?? []), ...changes.map((c) => `profile: ${c}`)];
  if (notes.length > 0) {
    resume.resumes = [...(resume.resumes ?? []), { at: new Date().toISOString(), changes: notes }];
    // What the run goes on with; the notes keep what it had.
    resume.parameters = parametersOf(opts);
  }
  resume.profile.fingerprint ??= now;
}

function newResult(
  opts: RunOptions,
  profile: LoadedProfile,
  server: RunResult["server"],
  speedBps: number,
): RunResult {
  return {
    schemaVersion: RESULT_SCHEMA_VERSION,
    tool: { name: "autotrex", version: TOOL_VERSION },
    profile: {
      name: profile.name || basename(opts.profilePath),
      description: profile.description,
      fingerprint: profileFingerprint(profile, opts),
    },
    server,
    speedBps,
    startedAt: new Date().toISOString(),
    finishedAt: null,
    status: "running",
    parameters: parametersOf(opts),
    sizes: [],
  };
}

/** Measures the sizes in turn, each on disk before the next starts; "interrupted" on abort. */
async function measureSizes(
  ctx: SizeContext,
  sizes: number[],
  result: RunResult,
): Promise<"complete" | "interrupted"> {
  try {
    for (const [i, frameSize] of sizes.entries()) {
      const size = await measureSize(ctx, frameSize, i);
      upsertSize(result, size);
      ctx.dir.writeResult(result);
      ctx.emit({ type: "size", sizeIndex: i, size });
    }
    return "complete";
  } catch (err) {
    if (!(err instanceof TrialAbortedError)) throw err;
    return "interrupted";
  }
}

/** A run whose profile is loaded and whose directory exists, ready for a server session. */
export interface PreparedRun {
  /** The options, with the sweep resolved (the sizes asked, the profile's own, or the default). */
  opts: RunOptions;
  profile: LoadedProfile;
  dir: RunDirectory;
}

/**
 * The part of a run that needs no server: loads the profile (in its worker, within its time
 * limit), resolves the sweep and creates the run directory. Done before a session is opened,
 * so a bad profile never starts a `t-rex-64`, and a started one has its log directory.
 */
export async function prepareRun(opts: RunOptions, ctx: RunContext = {}): Promise<PreparedRun> {
  const profile = await loadProfile(opts.profilePath, {
    ...runPlan(opts),
    ...(opts.latencyPps === null ? {} : { probeGrowthBytes: LATENCY_SIGNATURE_BYTES }),
    signal: ctx.signal,
    timeoutS: opts.profileTimeoutS,
  });
  const sized = { ...opts, sizes: frameSizesFor(profile, opts) };
  return { opts: sized, profile, dir: await RunDirectory.create(opts.outDir) };
}

/** The stored run a resume goes on with, once it is checked against the profile and server. */
function resumedResult(resume: RunResult, run: PreparedRun, speedBps: number): RunResult {
  resumeChecks(resume, run.profile, run.opts);
  if (resume.speedBps !== speedBps) {
    throw new RunSetupError(
      `cannot resume: the run was measured at ${resume.speedBps / 1e9} Gb/s, the server's port ${run.opts.txPort} runs at ${speedBps / 1e9} Gb/s`,
    );
  }
  return resume;
}

/**
 * Runs (or resumes, when `resume` is given) a prepared benchmark on an opened session. Results
 * already measured are on disk before anything later can fail; aborting via the context's
 * signal stops traffic, releases the ports and returns with status "interrupted". The session
 * stays open: the caller closes it.
 */
export async function runBenchmark(
  run: PreparedRun,
  session: RunSession,
  ctx: RunContext = {},
  resume?: RunResult,
): Promise<RunOutcome> {
  const { opts, profile, dir } = run;
  const emit = (event: RunEvent): void => ctx.onEvent?.(event);
  let result: RunResult | undefined;
  try {
    const speedBps = checkPortPair(session.client.ports, opts, session.address);
    const ports = [opts.txPort, opts.rxPort];
    await session.client.acquire(ports, { force: opts.force });
    result = resume
      ? resumedResult(resume, run, speedBps)
      : newResult(opts, profile, session.description, speedBps);
    result.status = "running";
    dir.writeResult(result);
    const sizes = sizesToMeasure(result);
    emit({ type: "started", outDir: opts.outDir, sizes, speedBps });
    const sizeCtx: SizeContext = {
      client: session.client,
      profile,
      opts,
      speedBps,
      signal: ctx.signal,
      rxDrainMs: session.rxDrainMs,
      emit,
      dir,
    };
    result.status = await measureSizes(sizeCtx, sizes, result);
    result.finishedAt = new Date().toISOString();
    dir.writeResult(result);
    await session.client.release(ports).catch(() => undefined);
    const exitCode = exitCodeOf(result);
    emit({ type: "finished", result, exitCode });
    return { result, outDir: opts.outDir, exitCode };
  } catch (err) {
    if (result && result.status === "running") {
      result.status = "failed";
      result.finishedAt = new Date().toISOString();
      dir.writeResult(result);
    }
    throw err;
  }
}
