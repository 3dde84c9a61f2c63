/**
 * The run specification: one normaliser turns what was asked for — the run command's flags,
 * an agent's RunRequest, or the parameters stored in a result.json — into validated, defaulted
 * run parameters. Defaults are written here once; each rule is its owner's (frame sizes: the
 * rate module, loss thresholds and search names: the search), this module only asks them.
 */
import { frameSizeProblem } from "../rate/line-rate.ts";
import type { RunParameters } from "../report/result.ts";
import { DEFAULT_SEARCH, getSearchAlgorithm } from "../search/index.ts";
import {
  checkThresholds,
  defaultThresholds,
  ThresholdError,
  type Threshold,
} from "../search/thresholds.ts";
import { RunSetupError } from "./exit-code.ts";

/** Run parameters as asked for, before defaults and checks; an absent field takes its default. */
export interface RunRequestFields {
  /** Empty or absent: the profile's own sweep, else the default sweep (the runner decides). */
  sizes?: readonly number[];
  durationS?: number;
  sizeTimeLimitS?: number;
  thresholds?: readonly Threshold[];
  encapOverhead?: number;
  txPort?: number;
  rxPort?: number;
  bidirectional?: boolean;
  latencyPps?: number | null;
  search?: string;
}

export type RunRequestField = keyof RunRequestFields;

/** Parameters of a run but where it runs (profile, server or emulator): what the normaliser settles. */
export type RunSettings = Omit<RunParameters, "profilePath" | "server" | "emulate">;

/** How a person names each field: the run command's flag (also in the agent's errors). */
export const FIELD_FLAGS: Readonly<Record<RunRequestField, string>> = {
  sizes: "--sizes",
  durationS: "--duration",
  sizeTimeLimitS: "--size-time-limit",
  thresholds: "--loss-threshold",
  encapOverhead: "--encap-overhead",
  txPort: "--tx-port",
  rxPort: "--rx-port",
  bidirectional: "--bidirectional",
  latencyPps: "--latency",
  search: "--search",
};

export const RUN_DEFAULTS = {
  durationS: 30,
  encapOverhead: 0,
  txPort: 0,
  rxPort: 1,
  search: DEFAULT_SEARCH,
  /** Latency stream rate when latency is asked for without one. */
  latencyPps: 1000,
} as const;

/** The emulator's target when --emulate (or `serve --emulate`) names nothing else. */
export const EMULATE_DEFAULTS = { dut: "default", timeScale: 0, seed: 1 } as const;

/** What a sane benchmark asks for, for a local run and through the agent alike. */
export const RUN_LIMITS = { sizes: 64, durationS: 3600, thresholds: 8, port: 255 } as const;

/** A run asked for with a value that cannot be: names the flag (exit status 2). */
export class RunSpecError extends RunSetupError {
  constructor(field: RunRequestField | "--time-scale" | "--seed", problem: string) {
    super(`${field.startsWith("--") ? field : FIELD_FLAGS[field as RunRequestField]}: ${problem}`);
    this.name = "RunSpecError";
  }
}

function checkSizes(sizes: readonly number[]): number[] {
  if (sizes.length > RUN_LIMITS.sizes) {
    throw new RunSpecError("sizes", `at most ${RUN_LIMITS.sizes} frame sizes`);
  }
  for (const size of sizes) {
    const problem = frameSizeProblem(size);
    if (problem) throw new RunSpecError("sizes", problem);
  }
  const twice = sizes.find((s, i) => sizes.indexOf(s) !== i);
  if (twice !== undefined) throw new RunSpecError("sizes", `frame size ${twice} is listed twice`);
  return [...sizes];
}

/** The search's own rules (search/thresholds.ts), and how many a run may have. */
function thresholdsFor(thresholds: readonly Threshold[] | undefined, search: string): Threshold[] {
  if (thresholds === undefined || thresholds.length === 0) return defaultThresholds(search);
  if (thresholds.length > RUN_LIMITS.thresholds) {
    throw new RunSpecError("thresholds", `at most ${RUN_LIMITS.thresholds} thresholds`);
  }
  try {
    return checkThresholds(thresholds, FIELD_FLAGS.thresholds);
  } catch (err) {
    if (err instanceof ThresholdError) throw new RunSetupError(err.message);
    throw err;
  }
}

function positive(field: RunRequestField, value: number, most = Infinity): number {
  if (!Number.isFinite(value) || value <= 0 || value > most) {
    const range = most === Infinity ? "a number above 0" : `a number above 0 and at most ${most}`;
    throw new RunSpecError(field, `${value} is not ${range}`);
  }
  return value;
}

function wholeNumber(field: RunRequestField, value: number, most: number): number {
  if (!Number.isInteger(value) || value < 0 || value > most) {
    throw new RunSpecError(field, `${value} is not a whole number from 0 to ${most}`);
  }
  return value;
}

function checkSearch(search: string): string {
  try {
    return getSearchAlgorithm(search).name;
  } catch (err) {
    throw new RunSpecError("search", (err as Error).message);
  }
}

/** Validated, defaulted run settings; the first problem is thrown as RunSpecError. */
export function normalizeRun(asked: RunRequestFields): RunSettings {
  const search = checkSearch(asked.search ?? RUN_DEFAULTS.search);
  const txPort = wholeNumber("txPort", asked.txPort ?? RUN_DEFAULTS.txPort, RUN_LIMITS.port);
  const rxPort = wholeNumber("rxPort", asked.rxPort ?? RUN_DEFAULTS.rxPort, RUN_LIMITS.port);
  if (txPort === rxPort) throw new RunSpecError("rxPort", `is the tx port too (${txPort})`);
  const latency = asked.latencyPps ?? null;
  return {
    sizes: checkSizes(asked.sizes ?? []),
    durationS: positive(
      "durationS",
      asked.durationS ?? RUN_DEFAULTS.durationS,
      RUN_LIMITS.durationS,
    ),
    thresholds: thresholdsFor(asked.thresholds, search),
    encapOverhead: wholeNumber(
      "encapOverhead",
      asked.encapOverhead ?? RUN_DEFAULTS.encapOverhead,
      1024,
    ),
    txPort,
    rxPort,
    bidirectional: asked.bidirectional === true,
    latencyPps: latency === null ? null : positive("latencyPps", latency),
    search,
    ...(asked.sizeTimeLimitS === undefined
      ? {}
      : { sizeTimeLimitS: positive("sizeTimeLimitS", asked.sizeTimeLimitS) }),
  };
}

/** The emulator target's own numbers (the DUT itself is the emulator's to check). */
export function normalizeEmulate(asked: {
  dut: string;
  timeScale: number;
  seed: number;
}): NonNullable<RunParameters["emulate"]> {
  if (!Number.isFinite(asked.timeScale) || asked.timeScale < 0) {
    throw new RunSpecError("--time-scale", `${asked.timeScale} is not a factor ≥ 0`);
  }
  if (!Number.isSafeInteger(asked.seed)) {
    throw new RunSpecError("--seed", `${asked.seed} is not an integer`);
  }
  return { ...asked };
}

/**
 * A stored run's settings with what was asked for on top: a field asked for as undefined (a
 * flag not given, a proto field left at 0) keeps the stored value.
 */
export function settingsOver(stored: RunSettings, asked: RunRequestFields): RunSettings {
  const given = Object.entries(asked).filter(([, value]) => value !== undefined);
  return normalizeRun({ ...stored, ...Object.fromEntries(given) });
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The fields asked for that differ from a stored run's settings, each as "flag value (the run
 * used value)": what --resume must refuse unless told to go on.
 */
export function conflictsWith(stored: RunSettings, asked: RunRequestFields): string[] {
  const wanted = settingsOver(stored, asked);
  const show = (v: unknown): string =>
    Array.isArray(v)
      ? v.map((x) => (typeof x === "object" ? `${x.name}=${x.lossPct}` : String(x))).join(",")
      : String(v);
  return (Object.keys(asked) as RunRequestField[])
    .filter((field) => asked[field] !== undefined && !sameValue(wanted[field], stored[field]))
    .map(
      (field) =>
        `${FIELD_FLAGS[field]} ${show(wanted[field])} (the run used ${show(stored[field] ?? "the default")})`,
    );
}
