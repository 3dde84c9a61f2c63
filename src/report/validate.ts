/**
 * Reading result.json back (for --resume and compare): checks the schema version and the shape
 * field by field, so a damaged or foreign file fails with a message that names the file and
 * the field rather than with a TypeError deep inside the runner.
 */
import {
  RESULT_SCHEMA_VERSION,
  type LatencyUs,
  type ProfileFingerprint,
  type ResumeNote,
  type Rates,
  type RunParameters,
  type RunResult,
  type SizeResult,
  type Threshold,
  type ThresholdOutcome,
} from "./result.ts";
import { checkThresholds, nameByLoss, ThresholdError } from "../search/thresholds.ts";

/** Versions read: 1 (thresholds as bare percentages) is converted to the shape of 2. */
const READABLE_VERSIONS: readonly number[] = [1, RESULT_SCHEMA_VERSION];

/** result.json unreadable or not a run result; `path` names the file. */
export class ResultFileError extends Error {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
    this.name = "ResultFileError";
  }
}

type Json = Record<string, unknown>;

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string")
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === "object") return "an object";
  return `${typeof value} ${String(value)}`;
}

/** Field checks that report `file: path must be …`. */
class Checker {
  constructor(private readonly file: string) {}

  fail(path: string, expected: string, value: unknown): never {
    throw new ResultFileError(
      `${this.file}: ${path} must be ${expected} (found ${describe(value)})`,
      this.file,
    );
  }

  object(value: unknown, path: string): Json {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      this.fail(path, "an object", value);
    }
    return value as Json;
  }

  array(value: unknown, path: string): unknown[] {
    if (!Array.isArray(value)) this.fail(path, "an array", value);
    return value;
  }

  string(value: unknown, path: string): string {
    if (typeof value !== "string") this.fail(path, "a string", value);
    return value;
  }

  number(value: unknown, path: string): number {
    if (typeof value !== "number" || !Number.isFinite(value)) this.fail(path, "a number", value);
    return value;
  }

  nonNegative(value: unknown, path: string): number {
    const n = this.number(value, path);
    if (n < 0) this.fail(path, "a number ≥ 0", value);
    return n;
  }

  integer(value: unknown, path: string): number {
    if (!Number.isInteger(value)) this.fail(path, "a whole number", value);
    return value as number;
  }

  boolean(value: unknown, path: string): boolean {
    if (typeof value !== "boolean") this.fail(path, "true or false", value);
    return value;
  }

  oneOf<T extends string>(value: unknown, path: string, choices: readonly T[]): T {
    if (typeof value !== "string" || !(choices as readonly string[]).includes(value)) {
      this.fail(path, `one of ${choices.map((c) => JSON.stringify(c)).join(", ")}`, value);
    }
    return value as T;
  }

  numbers(value: unknown, path: string): number[] {
    return this.array(value, path).map((v, i) => this.number(v, `${path}[${i}]`));
  }

  integers(value: unknown, path: string): number[] {
    return this.array(value, path).map((v, i) => this.integer(v, `${path}[${i}]`));
  }
}

function rates(c: Checker, value: unknown, path: string): Rates {
  const o = c.object(value, path);
  return {
    ratePps: c.nonNegative(o.ratePps, `${path}.ratePps`),
    l1Bps: c.nonNegative(o.l1Bps, `${path}.l1Bps`),
    l2Bps: c.nonNegative(o.l2Bps, `${path}.l2Bps`),
  };
}

function latency(c: Checker, value: unknown, path: string): LatencyUs {
  const o = c.object(value, path);
  return {
    min: c.number(o.min, `${path}.min`),
    avg: c.number(o.avg, `${path}.avg`),
    ...(o.max === undefined ? {} : { max: c.number(o.max, `${path}.max`) }),
  };
}

/** The run's thresholds, and whether results name them (2) or give their percentage (1). */
interface ThresholdsRead {
  version: number;
  thresholds: Threshold[];
}

/** A result's threshold: its name (version 2), or the name of its percentage (version 1). */
function outcomeThreshold(c: Checker, o: Json, path: string, read: ThresholdsRead): string {
  if (read.version >= 2) {
    return c.oneOf(
      o.threshold,
      `${path}.threshold`,
      read.thresholds.map((t) => t.name),
    );
  }
  const lossPct = c.nonNegative(o.lossThresholdPct, `${path}.lossThresholdPct`);
  const threshold = read.thresholds.find((t) => t.lossPct === lossPct);
  if (!threshold) {
    c.fail(
      `${path}.lossThresholdPct`,
      `one of lossThresholdsPct (${read.thresholds.map((t) => t.lossPct).join(", ")})`,
      o.lossThresholdPct,
    );
  }
  return threshold.name;
}

function outcome(c: Checker, value: unknown, path: string, read: ThresholdsRead): ThresholdOutcome {
  const o = c.object(value, path);
  const parsed: ThresholdOutcome = {
    threshold: outcomeThreshold(c, o, path, read),
    ...rates(c, o, path),
    lossRatio: c.nonNegative(o.lossRatio, `${path}.lossRatio`),
    lineRateLimited: c.boolean(o.lineRateLimited, `${path}.lineRateLimited`),
  };
  if (o.generatorLimited !== undefined) {
    parsed.generatorLimited = c.boolean(o.generatorLimited, `${path}.generatorLimited`);
  }
  if (o.offeredPps !== undefined) {
    parsed.offeredPps = c.nonNegative(o.offeredPps, `${path}.offeredPps`);
  }
  if (o.elapsedS !== undefined) parsed.elapsedS = c.nonNegative(o.elapsedS, `${path}.elapsedS`);
  if (o.trials !== undefined) parsed.trials = c.integers(o.trials, `${path}.trials`);
  if (o.latencyUs !== undefined) parsed.latencyUs = latency(c, o.latencyUs, `${path}.latencyUs`);
  return parsed;
}

function sizeResult(c: Checker, value: unknown, path: string, read: ThresholdsRead): SizeResult {
  const o = c.object(value, path);
  const parsed: SizeResult = {
    frameSize: c.integer(o.frameSize, `${path}.frameSize`),
    status: c.oneOf(o.status, `${path}.status`, ["ok", "n/a", "failed"] as const),
    theoretical: rates(c, o.theoretical, `${path}.theoretical`),
    results: c
      .array(o.results, `${path}.results`)
      .map((r, i) => outcome(c, r, `${path}.results[${i}]`, read)),
    trialCount: c.integer(o.trialCount, `${path}.trialCount`),
    trialSeconds: c.nonNegative(o.trialSeconds, `${path}.trialSeconds`),
  };
  if (o.reason !== undefined) parsed.reason = c.string(o.reason, `${path}.reason`);
  return parsed;
}

function parameters(
  c: Checker,
  value: unknown,
  path: string,
  thresholds: Threshold[],
): RunParameters {
  const o = c.object(value, path);
  const nullable = <T>(v: unknown, read: (v: unknown) => T): T | null =>
    v === null ? null : read(v);
  return {
    profilePath: c.string(o.profilePath, `${path}.profilePath`),
    sizes: c.integers(o.sizes, `${path}.sizes`),
    durationS: c.nonNegative(o.durationS, `${path}.durationS`),
    thresholds,
    encapOverhead: c.integer(o.encapOverhead, `${path}.encapOverhead`),
    txPort: c.integer(o.txPort, `${path}.txPort`),
    rxPort: c.integer(o.rxPort, `${path}.rxPort`),
    bidirectional: c.boolean(o.bidirectional, `${path}.bidirectional`),
    latencyPps: nullable(o.latencyPps, (v) => c.nonNegative(v, `${path}.latencyPps`)),
    search: c.string(o.search, `${path}.search`),
    ...(o.sizeTimeLimitS === undefined
      ? {}
      : { sizeTimeLimitS: c.nonNegative(o.sizeTimeLimitS, `${path}.sizeTimeLimitS`) }),
    server: nullable(o.server, (v) => c.string(v, `${path}.server`)),
    emulate: nullable(o.emulate, (v) => {
      const e = c.object(v, `${path}.emulate`);
      return {
        dut: c.string(e.dut, `${path}.emulate.dut`),
        timeScale: c.nonNegative(e.timeScale, `${path}.emulate.timeScale`),
        seed: c.number(e.seed, `${path}.emulate.seed`),
      };
    }),
  };
}

/** A threshold rule broken (names, range, duplicates): the file and the field, in one line. */
function checked(file: string, thresholds: Threshold[], where: string): Threshold[] {
  try {
    return checkThresholds(thresholds, where);
  } catch (err) {
    if (err instanceof ThresholdError) throw new ResultFileError(`${file}: ${err.message}`, file);
    throw err;
  }
}

/**
 * The run's thresholds. Version 2 stores them once, in `parameters.thresholds`; version 1 had
 * bare percentages (`lossThresholdsPct`), named here by the rule plain `--loss-threshold`
 * values get (nameByLoss: 0.01 and 0.5 are NDR and PDR), so a v1 baseline compares with a v2
 * run of the same flags.
 */
function thresholdsOf(c: Checker, file: string, o: Json, version: number): ThresholdsRead {
  if (version === 1) {
    const losses = c.numbers(o.lossThresholdsPct, "lossThresholdsPct");
    if (losses.length === 0) c.fail("lossThresholdsPct", "a non-empty array", o.lossThresholdsPct);
    return { version, thresholds: checked(file, nameByLoss(losses), "lossThresholdsPct") };
  }
  const path = "parameters.thresholds";
  const list = c.array(c.object(o.parameters, "parameters").thresholds, path);
  if (list.length === 0) c.fail(path, "a non-empty array", list);
  const thresholds = list.map((value, i) => {
    const t = c.object(value, `${path}[${i}]`);
    return {
      name: c.string(t.name, `${path}[${i}].name`),
      lossPct: c.number(t.lossPct, `${path}[${i}].lossPct`),
    };
  });
  return { version, thresholds: checked(file, thresholds, path) };
}

/** The top level's version: one this autotrex reads, else one line saying which it reads. */
function schemaVersionOf(file: string, o: Json): number {
  if (o.schemaVersion === undefined) {
    throw new ResultFileError(`${file}: has no schemaVersion; not an autotrex result.json`, file);
  }
  if (typeof o.schemaVersion !== "number" || !READABLE_VERSIONS.includes(o.schemaVersion)) {
    throw new ResultFileError(
      `${file}: schemaVersion ${describe(o.schemaVersion)} is not supported (this autotrex reads versions ${READABLE_VERSIONS.join(" and ")})`,
      file,
    );
  }
  return o.schemaVersion;
}

function serverOf(c: Checker, value: unknown): RunResult["server"] {
  const server = c.object(value, "server");
  const parsed: RunResult["server"] = {
    address: c.string(server.address, "server.address"),
    kind: c.oneOf(server.kind, "server.kind", ["trex", "emulator"] as const),
    version: c.string(server.version, "server.version"),
  };
  if (server.dut !== undefined) parsed.dut = c.string(server.dut, "server.dut");
  return parsed;
}

function fingerprintOf(c: Checker, value: unknown, path: string): ProfileFingerprint {
  const o = c.object(value, path);
  const sizes = c.object(o.streamsSha256, `${path}.streamsSha256`);
  return {
    sourceSha256: c.string(o.sourceSha256, `${path}.sourceSha256`),
    streamsSha256: Object.fromEntries(
      Object.entries(sizes).map(([size, hash]) => [
        size,
        c.string(hash, `${path}.streamsSha256.${size}`),
      ]),
    ),
  };
}

function resumesOf(c: Checker, value: unknown, path: string): ResumeNote[] {
  return c.array(value, path).map((v, i) => {
    const o = c.object(v, `${path}[${i}]`);
    return {
      at: c.string(o.at, `${path}[${i}].at`),
      changes: c
        .array(o.changes, `${path}[${i}].changes`)
        .map((x, k) => c.string(x, `${path}[${i}].changes[${k}]`)),
    };
  });
}

/**
 * Parses the text of a result.json; `file` names it in every error. Every field of the schema
 * is checked, and what is returned is the checked copy (built field by field, so the compiler
 * insists on every required field): nothing unchecked reaches a caller. A version 1 file is
 * returned in the shape of version 2 (and is written as version 2 when a run resumes it).
 */
export function parseRunResult(text: string, file = "result.json"): RunResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ResultFileError(`${file}: not valid JSON (${(err as Error).message})`, file);
  }
  const c = new Checker(file);
  const o = c.object(json, "the top level");
  const read = thresholdsOf(c, file, o, schemaVersionOf(file, o));
  const tool = c.object(o.tool, "tool");
  if (tool.name !== "autotrex") c.fail("tool.name", '"autotrex"', tool.name);
  const profile = c.object(o.profile, "profile");
  const speedBps = c.number(o.speedBps, "speedBps");
  if (speedBps <= 0) c.fail("speedBps", "a positive number of bit/s", o.speedBps);
  const checkedResult: RunResult = {
    schemaVersion: RESULT_SCHEMA_VERSION,
    tool: { name: "autotrex", version: c.string(tool.version, "tool.version") },
    profile: {
      name: c.string(profile.name, "profile.name"),
      description: c.string(profile.description, "profile.description"),
      ...(profile.fingerprint === undefined
        ? {}
        : { fingerprint: fingerprintOf(c, profile.fingerprint, "profile.fingerprint") }),
    },
    ...(o.resumes === undefined ? {} : { resumes: resumesOf(c, o.resumes, "resumes") }),
    server: serverOf(c, o.server),
    speedBps,
    startedAt: c.string(o.startedAt, "startedAt"),
    finishedAt: o.finishedAt === null ? null : c.string(o.finishedAt, "finishedAt"),
    status: c.oneOf(o.status, "status", ["running", "complete", "interrupted", "failed"] as const),
    parameters: parameters(c, o.parameters, "parameters", read.thresholds),
    sizes: c.array(o.sizes, "sizes").map((s, i) => sizeResult(c, s, `sizes[${i}]`, read)),
  };
  return checkedResult;
}
