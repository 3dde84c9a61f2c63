/**
 * Loads a .ts/.js profile from anywhere on disk at run time. The profile's code runs in a
 * worker thread (worker.ts), never on the main thread: a profile stuck at import or in
 * streams() (an endless synchronous loop) cannot stop Ctrl-C from working, and the time limit
 * ends it with a line naming the file. The worker resolves the streams for every frame size
 * and port the caller will ask for (the plan) and posts them back as plain data;
 * resolveStreams() then answers from them, so callers use the loaded profile as before.
 */
import { existsSync, statSync } from "node:fs";
import { basename, extname, resolve } from "node:path";
import { Worker } from "node:worker_threads";
import { FrameTooSmallError } from "../packet/index.ts";
import {
  ProfileError,
  setPreparedStreams,
  setProfileOrigin,
  StreamFrameTooSmallError,
  type ProfileContext,
  type ProfileDefinition,
  type ResolvedStream,
} from "./profile.ts";
import type {
  PreparedEntry,
  ProfilePlan,
  SerializedError,
  WorkerInput,
  WorkerMessage,
} from "./worker.ts";

export type { ProfilePlan };

export interface LoadedProfile {
  /** File name without extension: "tcp_1pkt". */
  name: string;
  description: string;
  /** Absolute path. */
  path: string;
  profile: ProfileDefinition;
}

/** How long a profile may take to import and build its streams for every size (`--profile-timeout`). */
export const DEFAULT_PROFILE_TIMEOUT_S = 20;

export interface LoadProfileOptions extends ProfilePlan {
  /** Default DEFAULT_PROFILE_TIMEOUT_S. */
  timeoutS?: number;
  /** Default PROFILE_HEAP_LIMIT_MB. */
  heapLimitMb?: number;
  /** Aborting ends the profile's worker at once: loadProfile rejects with ProfileInterruptedError. */
  signal?: AbortSignal;
}

/** Loading was interrupted (Ctrl-C / SIGTERM / a cancelled run). */
export class ProfileInterruptedError extends Error {
  constructor(file: string) {
    super(`${file}: loading the profile was interrupted`);
    this.name = "ProfileInterruptedError";
  }
}

const EXTENSIONS = new Set([".ts", ".mts", ".js", ".mjs"]);
/** Heap of the profile's thread: its streams are kilobytes; a runaway profile stops here. */
export const PROFILE_HEAP_LIMIT_MB = 1024;
const WORKER_ENTRY = new URL("./worker-entry.js", import.meta.url);

/** The plan of a run: its sizes, overhead, and the ports that send (both with --bidirectional). */
export function runPlan(opts: {
  sizes: readonly number[];
  encapOverhead: number;
  txPort: number;
  rxPort: number;
  bidirectional: boolean;
}): ProfilePlan {
  return {
    frameSizes: opts.sizes,
    encapOverhead: opts.encapOverhead,
    ports: [
      { portId: opts.txPort, direction: "forward" },
      ...(opts.bidirectional ? [{ portId: opts.rxPort, direction: "reverse" as const }] : []),
    ],
  };
}

/**
 * Loads the profile at `path` and resolves its streams for the plan in `options` (default: the
 * profile's own frame sizes or the default sweep, no overhead, port 0 forward and port 1
 * reverse). resolveStreams() on the result throws a ProfileError for a context outside the plan.
 */
export async function loadProfile(
  path: string,
  options: LoadProfileOptions = {},
): Promise<LoadedProfile> {
  const abs = checkFile(path);
  const {
    timeoutS = DEFAULT_PROFILE_TIMEOUT_S,
    heapLimitMb = PROFILE_HEAP_LIMIT_MB,
    signal,
    ...plan
  } = options;
  const done = await runWorker({ path: abs, plan }, { timeoutS, heapLimitMb }, signal);
  const profile: ProfileDefinition = Object.freeze({
    description: done.description,
    ...(done.frameSizes ? { frameSizes: done.frameSizes } : {}),
    ...(done.mix === undefined ? {} : { mix: done.mix }),
    streams: () => {
      throw new ProfileError("the profile's streams are resolved by the loader", { file: abs });
    },
  });
  setProfileOrigin(profile, abs);
  setPreparedStreams(profile, preparedLookup(done.entries, done.mix === true, abs));
  return {
    name: basename(abs, extname(abs)),
    description: done.description.trim(),
    path: abs,
    profile,
  };
}

function checkFile(path: string): string {
  const abs = resolve(path);
  if (!existsSync(abs)) throw new ProfileError("no such profile file", { file: abs });
  if (!statSync(abs).isFile()) throw new ProfileError("not a file", { file: abs });
  const ext = extname(abs);
  if (!EXTENSIONS.has(ext))
    throw new ProfileError(
      `not a profile: expected a .ts or .js file, got "${ext || "no extension"}"`,
      { file: abs },
    );
  return abs;
}

function keyOf(ctx: ProfileContext, mix: boolean): string {
  // A mix ignores the frame size it is called with: one entry serves them all.
  return `${mix ? "mix" : ctx.frameSize}/${ctx.encapOverhead}/${ctx.portId}/${ctx.direction}`;
}

function preparedLookup(
  entries: PreparedEntry[],
  mix: boolean,
  file: string,
): (ctx: ProfileContext) => ResolvedStream[] {
  const byKey = new Map(entries.map((e) => [keyOf(e.ctx, mix), e]));
  return (ctx) => {
    const entry = byKey.get(keyOf(ctx, mix));
    if (!entry)
      throw new ProfileError(
        `no streams prepared for frame size ${ctx.frameSize} B, overhead ${ctx.encapOverhead} B, port ${ctx.portId} ${ctx.direction} (not in loadProfile's plan)`,
        { file },
      );
    if (entry.error) throw deserializeError(entry.error);
    // Structured cloning turns Buffers into Uint8Arrays.
    return entry.streams!.map((s) => ({
      ...s,
      packet: Buffer.from(s.packet.buffer, s.packet.byteOffset, s.packet.byteLength),
    }));
  };
}

function deserializeError(e: SerializedError): Error {
  if (e.kind === "too-small") {
    const cause = new FrameTooSmallError(e.headerBytes, e.availableBytes);
    return new StreamFrameTooSmallError(e.frameSize, e.encapOverhead, e.stream, cause);
  }
  const err = new ProfileError("", { file: e.file, line: e.line, column: e.column });
  err.message = e.message; // already carries "file:line:column: "
  return err;
}

type Done = Extract<WorkerMessage, { type: "done" }>;

/** Runs worker.ts on `input`; ends it on time-out or abort, whatever the profile is doing. */
function runWorker(
  input: WorkerInput,
  { timeoutS, heapLimitMb }: { timeoutS: number; heapLimitMb: number },
  signal?: AbortSignal,
): Promise<Done> {
  const file = input.path;
  if (signal?.aborted) return Promise.reject(new ProfileInterruptedError(file));
  return new Promise((resolveDone, reject) => {
    const worker = new Worker(WORKER_ENTRY, {
      workerData: input,
      resourceLimits: { maxOldGenerationSizeMb: heapLimitMb },
    });
    let phase = "before its import began: a slow start";
    let settled = false;
    const finish = (outcome: Done | Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      // Whatever the profile left running (timers, a loop) ends with its thread.
      void worker.terminate();
      if (outcome instanceof Error) reject(outcome);
      else resolveDone(outcome);
    };
    const onAbort = (): void => finish(new ProfileInterruptedError(file));
    const timer = setTimeout(() => {
      finish(
        new ProfileError(
          `the profile did not load within ${timeoutS} s (stuck ${phase}; --profile-timeout S changes the limit)`,
          { file },
        ),
      );
    }, timeoutS * 1000);
    signal?.addEventListener("abort", onAbort, { once: true });
    worker.on("message", (message: WorkerMessage) => {
      if (message.type === "phase") phase = message.phase;
      else if (message.type === "done") finish(message);
      else finish(deserializeError(message.error));
    });
    worker.on("error", (err) => {
      const outOfMemory = (err as NodeJS.ErrnoException).code === "ERR_WORKER_OUT_OF_MEMORY";
      const what = outOfMemory
        ? `the profile used more than ${heapLimitMb} MB of memory (${phase})`
        : `failed to load: ${err.message.split("\n")[0]}`;
      finish(new ProfileError(what, { file }));
    });
    worker.on("exit", (code) =>
      finish(
        new ProfileError(
          `the profile ended its thread (exit status ${code}) ${phase}, before its streams were built`,
          { file },
        ),
      ),
    );
  });
}
