/**
 * The profile's side of loadProfile (loader.ts), run in a worker thread: imports the profile,
 * checks it, resolves its streams for every context the caller will ask for, and posts them
 * back as plain data. Tells the main thread what it is doing, so that a time-out can say where
 * the profile got stuck.
 */
import { pathToFileURL } from "node:url";
import { parentPort, workerData } from "node:worker_threads";
import { DEFAULT_FRAME_SIZES, MAX_FRAME_SIZE, MIN_FRAME_SIZE } from "../rate/line-rate.ts";
import {
  checkDefinition,
  isProfile,
  locate,
  ProfileError,
  resolveStreams,
  setProfileOrigin,
  StreamFrameTooSmallError,
  type ProfileContext,
  type ProfileDefinition,
  type ResolvedStream,
} from "./profile.ts";

/** Which streams the caller will need: the frame sizes, the overhead and the sending ports. */
export interface ProfilePlan {
  /** Empty or absent: the profile's own frameSizes, else the default sweep. */
  frameSizes?: readonly number[];
  encapOverhead?: number;
  ports?: ReadonlyArray<{ portId: number; direction: ProfileContext["direction"] }>;
  /**
   * Also every size this many bytes longer (up to the largest frame): the frames a latency
   * probe may need when a size's own is too short for TRex's latency signature.
   */
  probeGrowthBytes?: number;
}

export interface WorkerInput {
  path: string;
  plan: ProfilePlan;
}

/** An error as plain data: a ProfileError (with its location) or a frame that is too small. */
export type SerializedError =
  | { kind: "profile"; message: string; file?: string; line?: number; column?: number }
  | {
      kind: "too-small";
      frameSize: number;
      encapOverhead: number;
      stream: string;
      headerBytes: number;
      availableBytes: number;
    };

export interface PreparedEntry {
  ctx: ProfileContext;
  streams?: ResolvedStream[];
  error?: SerializedError;
}

export type WorkerMessage =
  | { type: "phase"; phase: string }
  | {
      type: "done";
      description: string;
      frameSizes?: number[];
      mix?: boolean;
      entries: PreparedEntry[];
    }
  | { type: "failed"; error: SerializedError };

const PROFILE_QUERY = "autotrex-profile";
const DEFAULT_PORTS: NonNullable<ProfilePlan["ports"]> = [
  { portId: 0, direction: "forward" },
  { portId: 1, direction: "reverse" },
];

function post(message: WorkerMessage): void {
  parentPort!.postMessage(message);
}

export function serializeError(err: unknown): SerializedError {
  if (err instanceof StreamFrameTooSmallError) {
    const { frameSize, encapOverhead, stream, headerBytes, availableBytes } = err;
    return { kind: "too-small", frameSize, encapOverhead, stream, headerBytes, availableBytes };
  }
  if (err instanceof ProfileError) {
    return { kind: "profile", message: err.message, ...locationOf(err) };
  }
  return { kind: "profile", message: err instanceof Error ? err.message : String(err) };
}

function locationOf(err: ProfileError): { file?: string; line?: number; column?: number } {
  const where: { file?: string; line?: number; column?: number } = {};
  if (err.file !== undefined) where.file = err.file;
  if (err.line !== undefined) where.line = err.line;
  if (err.column !== undefined) where.column = err.column;
  return where;
}

async function importProfile(abs: string): Promise<ProfileDefinition> {
  post({ type: "phase", phase: "at import" });
  let mod: Record<string, unknown>;
  try {
    // The marker query makes the resolve hook load it as an ES module wherever it lives.
    mod = (await import(`${pathToFileURL(abs).href}?${PROFILE_QUERY}`)) as Record<string, unknown>;
  } catch (err) {
    throw importError(err, abs);
  }
  const exported = mod.default;
  if (exported === undefined)
    throw new ProfileError(
      "not a profile: no default export (write `export default defineProfile({ description, streams })`)",
      { file: abs },
    );
  let profile: ProfileDefinition;
  try {
    profile = isProfile(exported) ? exported : checkDefinition(exported);
  } catch (err) {
    throw new ProfileError(`not a profile: ${(err as Error).message}`, { file: abs });
  }
  setProfileOrigin(profile, abs);
  return profile;
}

/** Every context the plan asks for: one per frame size and sending port (one size for a mix). */
export function contextsOf(profile: ProfileDefinition, plan: ProfilePlan): ProfileContext[] {
  const sizes = profile.mix
    ? [MIN_FRAME_SIZE]
    : plan.frameSizes && plan.frameSizes.length > 0
      ? plan.frameSizes
      : (profile.frameSizes ?? DEFAULT_FRAME_SIZES);
  const grown =
    profile.mix || !plan.probeGrowthBytes ? [] : sizes.map((s) => s + plan.probeGrowthBytes!);
  const all = [...new Set([...sizes, ...grown.filter((s) => s <= MAX_FRAME_SIZE)])];
  const encapOverhead = plan.encapOverhead ?? 0;
  return (plan.ports ?? DEFAULT_PORTS).flatMap(({ portId, direction }) =>
    all.map((frameSize) => ({ frameSize, encapOverhead, portId, direction })),
  );
}

async function prepare(input: WorkerInput): Promise<void> {
  const profile = await importProfile(input.path);
  const entries: PreparedEntry[] = [];
  for (const ctx of contextsOf(profile, input.plan)) {
    post({
      type: "phase",
      phase: `in streams() for frame size ${ctx.frameSize} B, port ${ctx.portId}`,
    });
    try {
      entries.push({ ctx, streams: resolveStreams(profile, ctx) });
    } catch (err) {
      entries.push({ ctx, error: serializeError(err) });
    }
  }
  post({
    type: "done",
    description: profile.description,
    ...(profile.frameSizes ? { frameSizes: [...profile.frameSizes] } : {}),
    ...(profile.mix === undefined ? {} : { mix: profile.mix }),
    entries,
  });
}

/** A profile that does not compile or throws at import: name the file and, if known, the line. */
function importError(err: unknown, abs: string): ProfileError {
  const e = err instanceof Error ? err : new Error(String(err));
  const where = locate(e, abs);
  const syntax =
    e.name === "SyntaxError" ||
    /Transform failed|Expected|Unexpected|ERROR:/.test(e.message) ||
    (e as { plugin?: unknown }).plugin !== undefined;
  // Bundler messages repeat the path and location; keep the first meaningful line.
  const first = firstMeaningfulLine(e.message, abs);
  return new ProfileError(`${syntax ? "syntax error" : "failed to load"}: ${first}`, {
    file: abs,
    ...where,
  });
}

function firstMeaningfulLine(message: string, abs: string): string {
  const lines = message
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !/^Transform failed with \d+ error/.test(l));
  const line = lines[0] ?? "unknown error";
  // "/abs/file.ts:3:7: ERROR: Expected ..." → "Expected ..."
  return line
    .replace(
      new RegExp(`^(file://)?${abs.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(:\\d+)*:?\\s*`),
      "",
    )
    .replace(/^ERROR:\s*/, "");
}

if (parentPort) {
  prepare(workerData as WorkerInput).catch((err: unknown) => {
    post({ type: "failed", error: serializeError(err) });
  });
}
