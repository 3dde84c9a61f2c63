/**
 * Reading result.json back (for --resume and compare): checks the schema version and the shape
 * field by field, so a damaged or foreign file fails with a message that names the file and
 * the field rather than with a TypeError deep inside the runner.
 */
import {
  RESULT_SCHEMA_VERSION,
  type LatencyUs,
  type Rates,
  type RunParameters,
  type RunResult,
  type SizeResult,
  type ThresholdOutcome,
} from "./result.ts";

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
    max: c.number(o.max, `${path}.max`),
  };
}

function outcome(c: Checker, value: unknown, path: string): ThresholdOutcome {
  const o = c.object(value, path);
  const parsed: ThresholdOutcome = {
    lossThresholdPct: c.nonNegative(o.lossThresholdPct, `${path}.lossThresholdPct`),
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

function sizeResult(c: Checker, value: unknown, path: string): SizeResult {
  const o = c.object(value, path);
  const parsed: SizeResult = {
    frameSize: c.integer(o.frameSize, `${path}.frameSize`),
    status: c.oneOf(o.status, `${path}.status`, ["ok", "n/a", "failed"] as const),
    theoretical: rates(c, o.theoretical, `${path}.theoretical`),
    results: c
      .array(o.results, `${path}.results`)
      .map((r, i) => outcome(c, r, `${path}.results[${i}]`)),
    trialCount: c.integer(o.trialCount, `${path}.trialCount`),
    trialSeconds: c.nonNegative(o.trialSeconds, `${path}.trialSeconds`),
  };
  if (o.reason !== undefined) parsed.reason = c.string(o.reason, `${path}.reason`);
  return parsed;
}

function parameters(c: Checker, value: unknown, path: string): RunParameters {
  const o = c.object(value, path);
  const nullable = <T>(v: unknown, read: (v: unknown) => T): T | null =>
    v === null ? null : read(v);
  return {
    profilePath: c.string(o.profilePath, `${path}.profilePath`),
    sizes: c.integers(o.sizes, `${path}.sizes`),
    durationS: c.nonNegative(o.durationS, `${path}.durationS`),
    lossThresholdsPct: c.numbers(o.lossThresholdsPct, `${path}.lossThresholdsPct`),
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

/**
 * Parses the text of a result.json; `file` names it in every error. Every field of the schema
 * is checked, and what is returned is the checked copy (built field by field, so the compiler
 * insists on every required field): nothing unchecked reaches a caller.
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
  if (o.schemaVersion === undefined) {
    throw new ResultFileError(`${file}: has no schemaVersion; not an autotrex result.json`, file);
  }
  if (o.schemaVersion !== RESULT_SCHEMA_VERSION) {
    throw new ResultFileError(
      `${file}: schemaVersion ${describe(o.schemaVersion)} is not supported (this autotrex reads version ${RESULT_SCHEMA_VERSION})`,
      file,
    );
  }
  const tool = c.object(o.tool, "tool");
  if (tool.name !== "autotrex") c.fail("tool.name", '"autotrex"', tool.name);
  const profile = c.object(o.profile, "profile");
  const server = c.object(o.server, "server");
  const thresholds = c.numbers(o.lossThresholdsPct, "lossThresholdsPct");
  if (thresholds.length === 0)
    c.fail("lossThresholdsPct", "a non-empty array", o.lossThresholdsPct);
  const speedBps = c.number(o.speedBps, "speedBps");
  if (speedBps <= 0) c.fail("speedBps", "a positive number of bit/s", o.speedBps);
  const parsedServer: RunResult["server"] = {
    address: c.string(server.address, "server.address"),
    kind: c.oneOf(server.kind, "server.kind", ["trex", "emulator"] as const),
    version: c.string(server.version, "server.version"),
  };
  if (server.dut !== undefined) parsedServer.dut = c.string(server.dut, "server.dut");
  const checked: RunResult = {
    schemaVersion: RESULT_SCHEMA_VERSION,
    tool: { name: "autotrex", version: c.string(tool.version, "tool.version") },
    profile: {
      name: c.string(profile.name, "profile.name"),
      description: c.string(profile.description, "profile.description"),
    },
    server: parsedServer,
    speedBps,
    lossThresholdsPct: thresholds,
    startedAt: c.string(o.startedAt, "startedAt"),
    finishedAt: o.finishedAt === null ? null : c.string(o.finishedAt, "finishedAt"),
    status: c.oneOf(o.status, "status", ["running", "complete", "interrupted", "failed"] as const),
    parameters: parameters(c, o.parameters, "parameters"),
    sizes: c.array(o.sizes, "sizes").map((s, i) => sizeResult(c, s, `sizes[${i}]`)),
  };
  return checked;
}
