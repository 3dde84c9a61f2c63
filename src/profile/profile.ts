/**
 * Traffic profiles: what a user writes (`export default defineProfile({...})`) and how it
 * turns into concrete streams for one frame size: padded packet bytes, compiled field engine,
 * mode and rate share.
 */
import { relative } from "node:path";
import { FrameTooSmallError, type Packet } from "../packet/index.ts";
import { compileVm, type CompiledVm } from "../vm/compile.ts";
import type { VmProgram } from "../vm/program.ts";
import { MAX_FRAME_SIZE, MIN_FRAME_SIZE } from "../rate/line-rate.ts";

/** What `streams()` is called with. */
export interface ProfileContext {
  /** Ethernet frame size in bytes, FCS included (64..9216). */
  readonly frameSize: number;
  /** Bytes the DUT path adds (tunnels, tags) that must be left out of the generated frame. */
  readonly encapOverhead: number;
  /** TRex port that transmits these streams. */
  readonly portId: number;
  /** "forward": port 0 → port 1 (the usual); "reverse": the other way of a port pair. */
  readonly direction: "forward" | "reverse";
}

/** How a stream sends: TRex's own three modes (one definition, in src/trex/protocol.ts). */
export type { StreamMode } from "../trex/protocol.ts";
import type { StreamMode } from "../trex/protocol.ts";

export interface FlowStats {
  /** TRex packet-group id. */
  pgId: number;
  /** true: a latency stream (TRex rule_type "latency"); false: counters only ("stats"). */
  latency: boolean;
}

/** One stream as a profile describes it. */
export interface StreamSpec {
  /** Shown by simulate and in reports; default "stream<N>". */
  name?: string;
  /** The headers; filled with payload up to the frame size (frameSize - 4 - encapOverhead bytes). */
  packet: Packet;
  fieldEngine?: VmProgram;
  /** TRex random_seed: makes random field-engine variables reproducible. */
  randomSeed?: number;
  /** Default continuous. */
  mode?: StreamMode;
  /** Relative share of the profile's packet rate (default 1). */
  rateShare?: number;
  /** Inter-stream gap: delay before the stream's first packet, µs (default 0). */
  isgUs?: number;
  /** This stream's own frame size, whatever the run's frame size (mixes such as imix). */
  frameSize?: number;
  flowStats?: FlowStats;
  /** Payload filler, repeated (default "x", as the original tool's payload_size * 'x'). */
  fill?: string;
}

export interface ProfileDefinition {
  /** One line: what the profile sends. */
  description: string;
  /** Frame sizes this profile is meant to be run at, instead of the runner's default sweep. */
  frameSizes?: readonly number[];
  /**
   * A mix (such as imix): every stream fixes its own frameSize, the run has a single point
   * and the frame size passed to `streams()` is ignored. Rate arithmetic then uses the
   * rate-weighted mean frame size (meanFrameSize in src/rate/line-rate.ts, with
   * each stream's ratePps in proportion to its rateShare).
   */
  mix?: boolean;
  streams(ctx: ProfileContext): readonly StreamSpec[];
}

const PROFILE = Symbol.for("autotrex.profile");

export interface Profile extends ProfileDefinition {
  readonly [PROFILE]: true;
}

/** A stream ready for TRex or the local field engine. */
export interface ResolvedStream {
  name: string;
  /** The stream's frame size, FCS included (its own for mixes). */
  frameSize: number;
  /** Padded packet without FCS: frameSize - 4 - encapOverhead bytes. */
  packet: Buffer;
  vm?: CompiledVm;
  randomSeed?: number;
  mode: StreamMode;
  rateShare: number;
  isgUs: number;
  flowStats?: FlowStats;
}

/** Thrown for a frame size whose headers do not fit: callers report N/A for that size. */
export class StreamFrameTooSmallError extends FrameTooSmallError {
  readonly frameSize: number;
  readonly encapOverhead: number;
  readonly stream: string;

  constructor(frameSize: number, encapOverhead: number, stream: string, cause: FrameTooSmallError) {
    super(cause.headerBytes, cause.availableBytes);
    this.name = "FrameTooSmallError";
    this.frameSize = frameSize;
    this.encapOverhead = encapOverhead;
    this.stream = stream;
    const encap = encapOverhead ? ` and ${encapOverhead} B of encapsulation` : "";
    this.message =
      `frame size ${frameSize} B is too small for stream "${stream}": its headers need ` +
      `${cause.headerBytes} B but only ${cause.availableBytes} B are left after the 4-byte FCS${encap}`;
  }
}

/** A profile is invalid (bad definition, bad stream, exception in streams()). */
export class ProfileError extends Error {
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;

  constructor(message: string, where: { file?: string; line?: number; column?: number } = {}) {
    const at =
      where.file === undefined
        ? ""
        : `${where.file}${where.line === undefined ? "" : `:${where.line}${where.column === undefined ? "" : `:${where.column}`}`}: `;
    super(`${at}${message}`);
    this.name = "ProfileError";
    this.file = where.file;
    this.line = where.line;
    this.column = where.column;
  }
}

/** Declares a profile; the module's default export. */
export function defineProfile(def: ProfileDefinition): Profile {
  const p = checkDefinition(def);
  return Object.freeze({ ...p, [PROFILE]: true as const });
}

export function isProfile(value: unknown): value is Profile {
  return typeof value === "object" && value !== null && PROFILE in value;
}

/** Checks a definition's shape (also for plain objects that skipped defineProfile). */
export function checkDefinition(def: unknown): ProfileDefinition {
  if (typeof def !== "object" || def === null)
    throw new ProfileError("a profile must be an object: defineProfile({ description, streams })");
  const d = def as Partial<ProfileDefinition>;
  if (typeof d.description !== "string" || d.description.trim() === "")
    throw new ProfileError("the profile has no description (a one-line string)");
  if (typeof d.streams !== "function")
    throw new ProfileError("the profile has no streams(ctx) function");
  if (d.frameSizes !== undefined) {
    if (!Array.isArray(d.frameSizes) || d.frameSizes.length === 0)
      throw new ProfileError("frameSizes must be a non-empty list of frame sizes");
    for (const s of d.frameSizes) checkFrameSize(s, "frameSizes");
  }
  if (d.mix !== undefined && typeof d.mix !== "boolean")
    throw new ProfileError("mix must be true or false");
  return d as ProfileDefinition;
}

function checkFrameSize(size: unknown, what: string): number {
  if (
    typeof size !== "number" ||
    !Number.isInteger(size) ||
    size < MIN_FRAME_SIZE ||
    size > MAX_FRAME_SIZE
  )
    throw new ProfileError(
      `${what}: frame size ${String(size)} is not an integer in ${MIN_FRAME_SIZE}..${MAX_FRAME_SIZE}`,
    );
  return size;
}

/** Where each loaded profile came from, so errors raised later can name its file. */
const origins = new WeakMap<object, string>();

export function setProfileOrigin(profile: object, file: string): void {
  origins.set(profile, file);
}

export function profileOrigin(profile: object): string | undefined {
  return origins.get(profile);
}

/** Streams the loader resolved ahead of time in a worker: resolveStreams answers from them. */
const prepared = new WeakMap<object, (ctx: ProfileContext) => ResolvedStream[]>();

export function setPreparedStreams(
  profile: object,
  lookup: (ctx: ProfileContext) => ResolvedStream[],
): void {
  prepared.set(profile, lookup);
}

/**
 * The profile's streams for one frame size, padded and compiled. Throws
 * StreamFrameTooSmallError (a FrameTooSmallError) when the headers do not fit, and
 * ProfileError for anything else wrong with the profile.
 */
export function resolveStreams(profile: ProfileDefinition, ctx: ProfileContext): ResolvedStream[] {
  const ready = prepared.get(profile);
  if (ready) return ready(ctx);
  const file = profileOrigin(profile);
  if (!Number.isInteger(ctx.encapOverhead) || ctx.encapOverhead < 0)
    throw new ProfileError(`encapsulation overhead ${ctx.encapOverhead} is not a byte count`);
  let specs: readonly StreamSpec[];
  try {
    specs = profile.streams(Object.freeze({ ...ctx }));
  } catch (err) {
    if (err instanceof FrameTooSmallError || err instanceof ProfileError) throw err;
    throw fromException(err, file, "streams() failed");
  }
  if (!Array.isArray(specs) || specs.length === 0)
    throw new ProfileError("streams() must return a non-empty list of streams", { file });
  return specs.map((spec, i) => resolveStream(spec, i, profile, ctx, file));
}

function resolveStream(
  spec: StreamSpec,
  index: number,
  profile: ProfileDefinition,
  ctx: ProfileContext,
  file: string | undefined,
): ResolvedStream {
  const fail = (msg: string): ProfileError =>
    new ProfileError(`stream ${index}${spec?.name ? ` ("${spec.name}")` : ""}: ${msg}`, { file });
  if (typeof spec !== "object" || spec === null) throw fail("not a stream object");
  const pkt = spec.packet as Partial<Packet> | undefined;
  if (!pkt || typeof pkt.padTo !== "function" || typeof pkt.bytes !== "function")
    throw fail("packet must be built with packet(Ether(...), ...)");
  const name = spec.name ?? `stream${index}`;
  if (typeof name !== "string" || name === "") throw fail("name must be a non-empty string");
  if (profile.mix && spec.frameSize === undefined)
    throw fail("a mix profile's streams must each set frameSize");
  const frameSize =
    spec.frameSize === undefined
      ? ctx.frameSize
      : checkOr(fail, () => checkFrameSize(spec.frameSize, "frameSize"));
  const totalBytes = frameSize - 4 - ctx.encapOverhead;
  let padded: Packet;
  try {
    padded = (spec.packet as Packet).padTo(Math.max(totalBytes, 0), spec.fill ?? "x");
  } catch (err) {
    if (err instanceof FrameTooSmallError)
      throw new StreamFrameTooSmallError(frameSize, ctx.encapOverhead, name, err);
    throw fail((err as Error).message);
  }
  const out: ResolvedStream = {
    name,
    frameSize,
    packet: padded.bytes(),
    mode: checkMode(spec.mode ?? { type: "continuous" }, fail),
    rateShare: positive(spec.rateShare ?? 1, "rateShare", fail),
    isgUs: nonNegative(spec.isgUs ?? 0, "isgUs", fail),
  };
  if (spec.fieldEngine !== undefined) {
    if (spec.fieldEngine?.kind !== "vmProgram")
      throw fail("fieldEngine must be built with fieldEngine([...])");
    try {
      out.vm = compileVm(spec.fieldEngine, padded);
    } catch (err) {
      throw fail(`field engine: ${(err as Error).message}`);
    }
  }
  if (spec.randomSeed !== undefined) {
    if (!Number.isInteger(spec.randomSeed) || spec.randomSeed < 0 || spec.randomSeed > 0xffffffff)
      throw fail(`randomSeed ${spec.randomSeed} is not a 32-bit unsigned integer`);
    out.randomSeed = spec.randomSeed;
  }
  if (spec.flowStats !== undefined) {
    const fs = spec.flowStats;
    if (!Number.isInteger(fs?.pgId) || fs.pgId < 0 || fs.pgId > 0xffffffff)
      throw fail("flowStats.pgId must be a 32-bit unsigned integer");
    out.flowStats = { pgId: fs.pgId, latency: Boolean(fs.latency) };
  }
  return out;
}

function checkOr<T>(fail: (m: string) => ProfileError, f: () => T): T {
  try {
    return f();
  } catch (err) {
    throw fail((err as Error).message);
  }
}

function positive(v: number, what: string, fail: (m: string) => ProfileError): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) throw fail(`${what} must be > 0`);
  return v;
}

function nonNegative(v: number, what: string, fail: (m: string) => ProfileError): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) throw fail(`${what} must be ≥ 0`);
  return v;
}

function checkMode(mode: StreamMode, fail: (m: string) => ProfileError): StreamMode {
  const count = (v: unknown, what: string): number => {
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > 0xffffffff)
      throw fail(`mode.${what} must be a positive 32-bit integer`);
    return v;
  };
  switch (mode?.type) {
    case "continuous":
      return { type: "continuous" };
    case "single_burst":
      return { type: "single_burst", packets: count(mode.packets, "packets") };
    case "multi_burst":
      return {
        type: "multi_burst",
        packetsPerBurst: count(mode.packetsPerBurst, "packetsPerBurst"),
        ibgUs: nonNegative(mode.ibgUs, "mode.ibgUs", fail),
        count: count(mode.count, "count"),
      };
    default:
      throw fail(`mode.type must be continuous, single_burst or multi_burst`);
  }
}

/** Turns an exception raised inside a profile into a ProfileError naming the profile's file and line. */
export function fromException(err: unknown, file: string | undefined, what: string): ProfileError {
  const e = err instanceof Error ? err : new Error(String(err));
  const where = file ? locate(e, file) : {};
  return new ProfileError(`${what}: ${e.message}`, { file, ...where });
}

/** The first line:column of `file` in an error's stack, message or bundler location. */
export function locate(err: unknown, file: string): { line?: number; column?: number } {
  const e = err as { stack?: unknown; message?: unknown; loc?: unknown; errors?: unknown };
  const loc = e.loc as { line?: unknown; column?: unknown } | undefined;
  if (loc && typeof loc.line === "number")
    return {
      line: loc.line,
      ...(typeof loc.column === "number" ? { column: loc.column + 1 } : {}),
    };
  if (Array.isArray(e.errors)) {
    for (const x of e.errors as { location?: { line?: unknown; column?: unknown } }[]) {
      if (x?.location && typeof x.location.line === "number")
        return {
          line: x.location.line,
          ...(typeof x.location.column === "number" ? { column: x.location.column + 1 } : {}),
        };
    }
  }
  const text =
    `${typeof e.stack === "string" ? e.stack : ""}\n${typeof e.message === "string" ? e.message : ""}`
      // bundler frames are coloured
      // eslint-disable-next-line no-control-regex
      .replace(/\x1b\[[0-9;]*m/g, "");
  // Absolute path or URL first; bundlers may also print it relative to the working directory.
  const names = [`file://${file}`, file, relative(process.cwd(), file)];
  for (const name of names) {
    const re = new RegExp(`${escapeRegExp(name)}(?:\\?[^:\\s)]*)?:(\\d+)(?::(\\d+))?`);
    const m = re.exec(text);
    if (m) return { line: Number(m[1]), ...(m[2] ? { column: Number(m[2]) } : {}) };
  }
  return {};
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
