/**
 * `autotrex run <profile>`: the main job.
 */
import { status as grpcStatus } from "@grpc/grpc-js";
import { Option, type Command } from "commander";
import { existsSync, readFileSync, rmdirSync, rmSync } from "node:fs";
import { basename, dirname, extname, join, resolve } from "node:path";
import { AgentError, runViaAgent } from "../agent/client.ts";
import type { RunRequest } from "../agent/protocol.ts";
import { readTokenFile } from "../agent/security.ts";
import { DUT_PRESET_NAMES } from "../emulator/index.ts";
import { DEFAULT_PROFILE_TIMEOUT_S } from "../profile/index.ts";
import { DEFAULT_FRAME_SIZES } from "../rate/line-rate.ts";
import type { RunParameters, RunResult } from "../report/result.ts";
import { OutputWriteError, RunDirectory, TRIALS_FILE } from "../report/run-directory.ts";
import { prepareRun, runBenchmark } from "../runner/runner.ts";
import { exitStatusOf } from "../runner/exit-status.ts";
import {
  conflictsWith,
  settingsOver,
  EMULATE_DEFAULTS,
  normalizeRun,
  RUN_DEFAULTS,
  type RunRequestFields,
} from "../runner/spec.ts";
import type { RunContext, RunOptions, RunOutcome } from "../runner/types.ts";
import {
  DEFAULT_SERVER,
  DEFAULT_TREX_CFG,
  withSession,
  type ServerTarget,
} from "../session/index.ts";
import {
  parseLossThresholds,
  searchAlgorithms,
  ThresholdError,
  type Threshold,
} from "../search/index.ts";
import { parseTolerance, runCompare } from "./compare.ts";
import { CliError, ExitCode } from "./exit-codes.ts";
import { emulateFromFlags, numberFlag, orUsageError, parseNumber } from "./flags.ts";
import { createProgress } from "./progress.ts";
import { profileArgument } from "./profiles.ts";

interface RunFlags {
  server?: string;
  emulate?: boolean;
  dut?: string;
  timeScale?: string;
  seed?: string;
  sizes?: string;
  duration?: string;
  sizeTimeLimit?: string;
  lossThreshold?: string;
  encapOverhead?: string;
  txPort?: string;
  rxPort?: string;
  bidirectional?: boolean;
  latency?: string | boolean;
  search?: string;
  out?: string;
  force?: boolean;
  resume?: string;
  resumeAnyway?: boolean;
  quiet?: boolean;
  json?: boolean;
  trexDir?: string;
  cfg?: string;
  allowSpeedMismatch?: boolean;
  agent?: string;
  tokenFile?: string;
  tlsCa?: string;
  baseline?: string;
  tolerance?: string;
  junit?: string;
  markdown?: string;
  profileTimeout: string;
}

/**
 * `--baseline`: compare the finished run with a baseline in the same command. A regression
 * turns a clean run's exit status into 1; an interrupted run is not compared.
 */
async function compareWithBaseline(
  result: RunResult,
  runExitCode: number,
  flags: RunFlags,
): Promise<number> {
  if (!flags.baseline || runExitCode === ExitCode.interrupted) return runExitCode;
  const compareExit = await runCompare({
    current: result,
    baseline: flags.baseline,
    tolerancePct: flags.tolerance === undefined ? undefined : parseTolerance(flags.tolerance),
    junitFile: flags.junit,
    markdownFile: flags.markdown,
    write: flags.quiet || flags.json ? () => undefined : (text) => void process.stdout.write(text),
  });
  return Math.max(runExitCode, compareExit);
}

/** `--sizes 64,128`: numbers here; whether each is a frame size is the run spec's rule. */
export function parseSizes(list: string): number[] {
  return list
    .split(",")
    .map((part) =>
      parseNumber(
        "--sizes",
        part.trim(),
        () => true,
        "a comma-separated list of frame sizes in bytes",
      ),
    );
}

/** `--loss-threshold 0.01,0.5` or `NDR=0.01,PDR=0.5`: the rules are src/search/thresholds.ts's. */
export function parseThresholds(list: string): Threshold[] {
  try {
    return parseLossThresholds(list);
  } catch (err) {
    if (err instanceof ThresholdError) throw new CliError(err.message);
    throw err;
  }
}

function defaultOutDir(profilePath: string, now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  return resolve("results", `${stamp}-${basename(profilePath, extname(profilePath))}`);
}

/** `--profile-timeout`, for a local run and through the agent alike. */
function profileTimeoutS(flags: RunFlags): number {
  return parseNumber(
    "--profile-timeout",
    flags.profileTimeout,
    (n) => n > 0,
    "seconds to load the profile",
  );
}

/** What the flags ask of a run; a flag not given is absent (the spec fills its default). */
function askedFromFlags(flags: RunFlags): RunRequestFields {
  const asked: RunRequestFields = {
    sizes: flags.sizes === undefined ? undefined : parseSizes(flags.sizes),
    durationS: numberFlag("--duration", flags.duration, "a trial duration in seconds"),
    sizeTimeLimitS: numberFlag("--size-time-limit", flags.sizeTimeLimit, "trial-seconds"),
    thresholds:
      flags.lossThreshold === undefined ? undefined : parseThresholds(flags.lossThreshold),
    encapOverhead: numberFlag("--encap-overhead", flags.encapOverhead, "bytes"),
    txPort: numberFlag("--tx-port", flags.txPort, "a port number"),
    rxPort: numberFlag("--rx-port", flags.rxPort, "a port number"),
    bidirectional: flags.bidirectional,
    latencyPps:
      flags.latency === true
        ? RUN_DEFAULTS.latencyPps
        : typeof flags.latency === "string"
          ? numberFlag("--latency", flags.latency, "a latency stream rate in pps")
          : undefined,
    search: flags.search,
  };
  return asked;
}

function parametersFromFlags(profile: string, flags: RunFlags): RunParameters {
  if (flags.emulate && flags.server)
    throw new CliError("--emulate and --server exclude each other");
  if (flags.emulate && flags.trexDir)
    throw new CliError("--emulate and --trex-dir exclude each other");
  return orUsageError(() => ({
    profilePath: resolve(profile),
    ...normalizeRun(askedFromFlags(flags)),
    server: flags.emulate ? null : (flags.server ?? DEFAULT_SERVER),
    emulate: flags.emulate ? emulateFromFlags(flags) : null,
  }));
}

/** One line and the documented status (runner/exit-status.ts); anything else is unexpected. */
function exitCodeForError(err: unknown): never {
  if (err instanceof CliError) throw err;
  const status = exitStatusOf(err);
  if (status === ExitCode.someFailed) throw err;
  throw new CliError((err as Error).message, status);
}

/**
 * After Ctrl-C the run has this long to stop its traffic, release its ports and write what
 * it measured; then the process exits 130 whatever it was waiting for (a server that does
 * not answer, a slow disk).
 */
const INTERRUPT_GRACE_MS = 750;

/** The output directory can take the run's files: checked before any server is opened. */
function checkOutDir(outDir: string): string | undefined {
  try {
    return RunDirectory.checkWritable(outDir).createdDir;
  } catch (err) {
    if (err instanceof OutputWriteError)
      throw new CliError(`--out: ${err.message}`, ExitCode.writeFailed);
    throw err;
  }
}

/**
 * A run that measured nothing (no trial) leaves nothing behind: the directory this run
 * created is removed. A directory that existed before is left as it was found or with a
 * result.json that says the run failed.
 */
function discardIfNothingMeasured(outDir: string, createdDir: string | undefined): boolean {
  if (!createdDir || existsSync(join(outDir, TRIALS_FILE))) return false;
  rmSync(outDir, { recursive: true, force: true });
  // Parents this run created go too, unless another run put something there meanwhile.
  for (let dir = dirname(outDir); dir.startsWith(createdDir); dir = dirname(dir)) {
    try {
      rmdirSync(dir);
    } catch {
      break;
    }
  }
  return true;
}

/**
 * Ctrl-C / SIGTERM: the first aborts (traffic stopped, ports released, results kept), a second
 * quits at once with status 130.
 */
function watchInterrupts(
  what: string,
  grace?: { ms: number; beforeExit: () => void },
): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  let count = 0;
  let timer: NodeJS.Timeout | undefined;
  const quit = (): never => {
    grace?.beforeExit();
    process.exit(ExitCode.interrupted);
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    count++;
    if (count > 1) quit();
    process.stderr.write(`\n${signal}: ${what} (again to quit at once)\n`);
    controller.abort();
    if (grace) {
      timer = setTimeout(() => {
        process.stderr.write(`autotrex: ${signal}: not stopped within ${grace.ms} ms, quitting\n`);
        quit();
      }, grace.ms);
    }
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      clearTimeout(timer);
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
  };
}

/** Progress goes to stderr when stdout carries --json. */
function progressFor(
  flags: RunFlags,
  durationS: number,
  thresholds: readonly Threshold[],
): ReturnType<typeof createProgress> {
  return createProgress({
    stream: flags.json ? process.stderr : process.stdout,
    quiet: flags.quiet === true,
    // bisection's 8 full trials: a fair first guess before any size has finished
    expectedTrialSecondsPerSize: durationS * 8,
    thresholds,
  });
}

/** What the agent refused as the run itself (bad request, profile) is usage, as locally. */
const USAGE_GRPC_CODES: ReadonlySet<number> = new Set([
  grpcStatus.INVALID_ARGUMENT,
  grpcStatus.NOT_FOUND,
  grpcStatus.PERMISSION_DENIED,
  grpcStatus.RESOURCE_EXHAUSTED,
]);

function agentExitCode(err: AgentError): number {
  return USAGE_GRPC_CODES.has(err.grpcCode) ? ExitCode.usage : ExitCode.server;
}

/** What `run --agent` asks of the agent: the local run spec's parameters, as the proto has them. */
function agentRequest(
  profile: string,
  flags: RunFlags,
): { request: RunRequest; parameters: RunParameters } {
  const p = parametersFromFlags(profile, { ...flags, server: undefined });
  const request: RunRequest = {
    profile: basename(profile),
    sizes: p.sizes,
    durationS: p.durationS,
    lossThresholdsPct: p.thresholds.map((t) => t.lossPct),
    lossThresholdNames: p.thresholds.map((t) => t.name),
    search: p.search,
    encapOverhead: p.encapOverhead,
    txPort: p.txPort,
    rxPort: p.rxPort,
    bidirectional: p.bidirectional,
    latencyPps: p.latencyPps ?? 0,
    force: flags.force === true,
    label: process.env.GITHUB_JOB ?? process.env.JOB_NAME ?? "",
    sizeTimeLimitS: p.sizeTimeLimitS ?? 0,
    allowSpeedMismatch: flags.allowSpeedMismatch === true,
    profileTimeoutS: profileTimeoutS(flags),
  };
  return { request, parameters: p };
}

/** The run executed by a remote agent (`--agent`): the profile is a name in its profiles dir. */
async function runRemote(profile: string | undefined, flags: RunFlags): Promise<number> {
  if (!profile)
    throw new CliError("missing profile name: autotrex run --agent HOST:PORT <profile-name>");
  if (!flags.tokenFile) throw new CliError("--agent needs --token-file");
  if (flags.emulate || flags.trexDir || flags.resume) {
    throw new CliError(
      "--agent runs on the agent's TRex server: --emulate, --trex-dir and --resume do not apply",
    );
  }
  let token: string;
  try {
    token = readTokenFile(flags.tokenFile);
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  const { request, parameters: p } = agentRequest(profile, flags);
  const outDir = resolve(flags.out ?? defaultOutDir(profile));
  checkOutDir(outDir);
  const interrupts = watchInterrupts("cancelling the run on the agent");
  const progress = progressFor(flags, p.durationS, p.thresholds);
  try {
    const outcome = await runViaAgent(
      {
        address: flags.agent!,
        token,
        tlsCaPem: flags.tlsCa ? readFileSync(flags.tlsCa) : undefined,
      },
      request,
      outDir,
      {
        signal: interrupts.signal,
        onEvent: progress.onEvent,
        onQueued: (n) => {
          if (!flags.quiet) process.stderr.write(`queued on ${flags.agent}: ${n} run(s) ahead\n`);
        },
      },
    );
    progress.close();
    if (outcome.error) process.stderr.write(`autotrex: agent: ${outcome.error}\n`);
    if (flags.json && outcome.result)
      process.stdout.write(`${JSON.stringify(outcome.result, null, 2)}\n`);
    else if (!flags.quiet) process.stdout.write(`results: ${outcome.outDir}\n`);
    return outcome.result
      ? compareWithBaseline(outcome.result, outcome.exitCode, flags)
      : outcome.exitCode;
  } catch (err) {
    progress.close();
    if (err instanceof AgentError) throw new CliError(err.message, agentExitCode(err));
    throw err;
  } finally {
    interrupts.dispose();
  }
}

interface LocalRun {
  parameters: RunParameters;
  outDir: string;
  resume?: RunResult;
  /** What a resume goes on with that the stored run did not have (recorded in result.json). */
  resumeNotes?: string[];
}

/** Where a resume would run against what the stored run used: a server may move, a DUT may not. */
function targetChanges(
  stored: RunParameters,
  flags: RunFlags,
  wanted: RunParameters["emulate"],
): { conflicts: string[]; notes: string[] } {
  const conflicts: string[] = [];
  const notes: string[] = [];
  if (flags.emulate && stored.emulate === null)
    conflicts.push("--emulate (the run used a TRex server)");
  if (flags.server !== undefined && stored.emulate !== null)
    conflicts.push(`--server ${flags.server} (the run used the emulator)`);
  if (stored.emulate !== null && wanted !== null) {
    for (const key of ["dut", "timeScale", "seed"] as const) {
      if (wanted[key] !== stored.emulate[key]) {
        const flag = { dut: "--dut", timeScale: "--time-scale", seed: "--seed" }[key];
        conflicts.push(`${flag} ${wanted[key]} (the run used ${stored.emulate[key]})`);
      }
    }
  }
  if (flags.server !== undefined && stored.server !== null && flags.server !== stored.server)
    notes.push(`--server ${flags.server} (the run used ${stored.server})`);
  return { conflicts, notes };
}

/**
 * `--resume DIR`: the stored run's parameters. Flags that would change what is measured are
 * refused, each named, unless `--resume-anyway`; a moved server is allowed and noted.
 */
function resumedRun(profile: string | undefined, flags: RunFlags, dir: string): LocalRun {
  const outDir = resolve(dir);
  let resume: RunResult;
  try {
    resume = RunDirectory.load(outDir);
  } catch (err) {
    throw new CliError(`--resume ${dir}: ${(err as Error).message}`);
  }
  const stored = resume.parameters;
  if (profile && resolve(profile) !== stored.profilePath) {
    throw new CliError(
      `--resume ${dir}: the run used ${stored.profilePath}, not ${resolve(profile)}`,
    );
  }
  const asked = orUsageError(() => askedFromFlags(flags));
  const emulate = stored.emulate && emulateFromFlags(flags, stored.emulate);
  const target = targetChanges(stored, flags, emulate);
  const conflicts = [...orUsageError(() => conflictsWith(stored, asked)), ...target.conflicts];
  if (conflicts.length > 0 && !flags.resumeAnyway) {
    throw new CliError(
      `--resume ${dir}: ${conflicts.join("; ")}: these would mix two runs in one result (--resume-anyway goes on with them)`,
    );
  }
  const parameters: RunParameters = orUsageError(() => ({
    ...stored,
    ...settingsOver(stored, asked),
    server: stored.emulate === null ? (flags.server ?? stored.server) : null,
    emulate,
  }));
  return { parameters, outDir, resume, resumeNotes: [...conflicts, ...target.notes] };
}

/** What a local run is to do: from the flags, or from the run directory it resumes. */
function localRun(profile: string | undefined, flags: RunFlags): LocalRun {
  if (flags.resume) return resumedRun(profile, flags, flags.resume);
  if (!profile) throw new CliError("missing profile: autotrex run <profile.ts> (or --resume DIR)");
  const parameters = parametersFromFlags(profile, flags);
  return { parameters, outDir: resolve(flags.out ?? defaultOutDir(profile)) };
}

/**
 * The run on its server: the profile is loaded before the session opens, so a bad profile
 * never starts a `--trex-dir` server, and a started one logs into the run directory.
 */
async function runLocally(
  opts: RunOptions,
  target: ServerTarget,
  ctx: RunContext,
  resume: RunResult | undefined,
): Promise<RunOutcome> {
  const prepared = await prepareRun(opts, ctx);
  return withSession(target, { outDir: opts.outDir, signal: ctx.signal }, (session) =>
    runBenchmark(prepared, session, ctx, resume),
  );
}

async function runCommand(profile: string | undefined, flags: RunFlags): Promise<number> {
  if (flags.agent) return runRemote(profile, flags);
  if (profile !== undefined) profile = profileArgument(profile); // a path, or a shipped name
  const { parameters, outDir, resume, resumeNotes } = localRun(profile, flags);
  const opts: RunOptions = {
    ...parameters,
    outDir,
    force: flags.force === true,
    allowSpeedMismatch: flags.allowSpeedMismatch === true,
    resumeAnyway: flags.resumeAnyway === true,
    ...(resumeNotes && resumeNotes.length > 0 ? { resumeNotes } : {}),
    profileTimeoutS: profileTimeoutS(flags),
  };
  const createdDir = checkOutDir(outDir);
  const interrupts = watchInterrupts("stopping traffic and releasing the ports", {
    ms: INTERRUPT_GRACE_MS,
    beforeExit: () => discardIfNothingMeasured(outDir, createdDir),
  });
  const progress = progressFor(flags, parameters.durationS, parameters.thresholds);
  try {
    const target = { ...parameters, trexDir: flags.trexDir ?? null, trexCfg: flags.cfg ?? null };
    const outcome = await runLocally(
      opts,
      target,
      { signal: interrupts.signal, onEvent: progress.onEvent },
      resume,
    );
    progress.close();
    if (outcome.exitCode === ExitCode.interrupted && discardIfNothingMeasured(outDir, createdDir)) {
      process.stderr.write(`autotrex: interrupted before any trial; removed ${outDir}\n`);
      return ExitCode.interrupted;
    }
    if (flags.json) process.stdout.write(`${JSON.stringify(outcome.result, null, 2)}\n`);
    else if (!flags.quiet)
      process.stdout.write(
        `results: ${outcome.outDir} (Mpps.png, L1Gbps.png, L2Gbps.png, CSVs, result.json)\n`,
      );
    return await compareWithBaseline(outcome.result, outcome.exitCode, flags);
  } catch (err) {
    progress.close();
    discardIfNothingMeasured(outDir, createdDir);
    // Whatever the interrupted step threw (a connect that never answered, a cancelled load).
    if (interrupts.signal.aborted && !(err instanceof CliError)) {
      process.stderr.write("autotrex: interrupted\n");
      return ExitCode.interrupted;
    }
    return exitCodeForError(err);
  } finally {
    interrupts.dispose();
  }
}

export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command("run")
    .description("search the highest packet rate within the loss threshold(s) for every frame size")
    .argument("[profile]", "profile file (.ts or .js), or a shipped profile's name")
    .option("--server <host[:port]>", `TRex server to use (default ${DEFAULT_SERVER})`)
    .option("--emulate", "run against the built-in emulator (accelerated time)")
    // No commander defaults for what a run asks: the run spec (runner/spec.ts) fills them, so
    // --resume can tell a flag given from one left alone.
    .option(
      "--dut <preset|file>",
      `emulated DUT: ${DUT_PRESET_NAMES.join(", ")} or a YAML/JSON file (default ${EMULATE_DEFAULTS.dut})`,
    )
    .option(
      "--time-scale <factor>",
      `emulator: real seconds per modelled second, 0 = instant (default ${EMULATE_DEFAULTS.timeScale})`,
    )
    .option(
      "--seed <n>",
      `emulator: random seed of the DUT model (default ${EMULATE_DEFAULTS.seed})`,
    )
    .option("--sizes <list>", `frame sizes in bytes (default ${DEFAULT_FRAME_SIZES.join(",")})`)
    .option(
      "--duration <s>",
      `duration of the deciding trials, seconds (default ${RUN_DEFAULTS.durationS})`,
    )
    .option(
      "--size-time-limit <s>",
      "most trial-seconds to spend on one frame size (default: 20 x --duration for mlr)",
    )
    .option(
      "--loss-threshold <[name=]pct,…>",
      "loss thresholds in percent, primary first: 0.01,0.5 (named NDR, PDR by their loss) or NDR=0.01,PDR=0.5 (default NDR=0.01,PDR=0.5; bisection NDR=0.01)",
    )
    .option(
      "--encap-overhead <bytes>",
      `bytes the DUT adds; subtracted from the packets sent (default ${RUN_DEFAULTS.encapOverhead})`,
    )
    .option("--tx-port <n>", `port that transmits into the DUT (default ${RUN_DEFAULTS.txPort})`)
    .option("--rx-port <n>", `port that receives from the DUT (default ${RUN_DEFAULTS.rxPort})`)
    .option("--bidirectional", "send on both ports at once (rates are per direction)")
    .addOption(
      new Option("--latency [pps]", "measure latency at each result's rate with a latency stream"),
    )
    .option(
      "--search <name>",
      `search algorithm: ${Object.keys(searchAlgorithms).join(", ")} (default ${RUN_DEFAULTS.search})`,
    )
    .option("--out <dir>", "run directory (default results/<UTC time>-<profile>)")
    .option("--force", "take ports owned by another user (kills their test)")
    .option("--resume <dir>", "continue an interrupted or failed run")
    .option(
      "--resume-anyway",
      "with --resume: go on although flags or the profile differ from the stored run (noted in result.json)",
    )
    .option(
      "--profile-timeout <s>",
      "most seconds the profile may take to load and build its streams",
      String(DEFAULT_PROFILE_TIMEOUT_S),
    )
    .option("--quiet", "no progress output")
    .option("--json", "print result.json on stdout at the end")
    .option("--trex-dir <dir>", "start t-rex-64 from this TRex directory for the run")
    .option("--cfg <file>", `TRex config for --trex-dir (default ./${DEFAULT_TREX_CFG})`)
    .option("--allow-speed-mismatch", "accept tx and rx ports of different speeds")
    .option(
      "--agent <host:port>",
      "run on a remote autotrex agent (profile is a name in its profiles dir)",
    )
    .option("--token-file <file>", "bearer token for --agent")
    .option("--tls-ca <file>", "CA certificate of the agent (PEM) to talk TLS")
    .option(
      "--baseline <run-dir|result.json>",
      "compare with this run when done (exit 1 on a regression)",
    )
    .option(
      "--tolerance <pct>",
      "with --baseline: allowed drop before it is a regression (default 2)",
    )
    .option("--junit <file>", "with --baseline: write a JUnit XML report")
    .option(
      "--markdown <file>",
      "with --baseline: write a Markdown table (e.g. $GITHUB_STEP_SUMMARY)",
    )
    .action(async (profile: string | undefined, flags: RunFlags) => {
      setExit(await runCommand(profile, flags));
    });
}
