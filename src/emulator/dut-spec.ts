/**
 * DUT specs: a preset name or a YAML/JSON file of DutParams keys (docs/dut-model.md), checked
 * against one table of ranges. Every refusal is a DutSpecError of one line naming the file,
 * line, column and field, which the CLI reports with exit status 2.
 */
import { DUT_PRESETS, isDutPresetName, type DutParams, type GeneratorParams } from "./dut-model.ts";
import { MAX_PKT_SIZE } from "./streams.ts";
import { parseYamlText, readTextFile, type YamlFile } from "./yaml-file.ts";

/** A DUT spec that names no preset or file, or a file that is not a valid spec. */
export class DutSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DutSpecError";
  }
}

interface Range {
  min: number;
  max: number;
  integer?: true;
}

type ScalarKey = Exclude<keyof DutParams, "generator">;

/**
 * What each field may hold. The lower bounds keep a trial meaningful: a 10 Mb/s port still
 * sends 135 pps of 9216 B frames, a DUT of 1 ms per packet still forwards 1 000 pps.
 */
export const DUT_FIELD_RANGES: Readonly<Record<ScalarKey, Range>> = {
  speedGbps: { min: 0.01, max: 1000 },
  perPacketNs: { min: 0, max: 1e6 },
  perByteNs: { min: 0, max: 1000 },
  bufferPackets: { min: 0, max: 1e9, integer: true },
  jitter: { min: 0, max: 1 },
  lossFloor: { min: 0, max: 1 },
  baseLatencyUs: { min: 0, max: 1e6 },
};

const STEPS_KEY = "maxPpsFromFrameSize";
type GeneratorScalarKey = Exclude<keyof GeneratorParams, typeof STEPS_KEY>;

export const GENERATOR_FIELD_RANGES: Readonly<Record<GeneratorScalarKey, Range>> = {
  maxPps: { min: 1000, max: 1e10 },
  maxL1Bps: { min: 1e7, max: 1e13 },
  jitter: { min: 0, max: 0.5 },
  rxMaxPps: { min: 1000, max: 1e10 },
};

/**
 * generator.maxPpsFromFrameSize: frame sizes a stream can have (64 B to the largest packet plus
 * FCS) and their ceilings, which go lower than maxPps's: af_packet was seen sending 9216 B
 * frames at ~900 pps.
 */
export const FRAME_SIZE_STEP_RANGES = {
  frameSize: { min: 64, max: MAX_PKT_SIZE + 4, integer: true },
  maxPps: { min: 100, max: 1e10 },
} as const satisfies Record<string, Range>;

const DUT_KEYS = [...Object.keys(DUT_FIELD_RANGES), "generator"];
const GENERATOR_KEYS = [...Object.keys(GENERATOR_FIELD_RANGES), STEPS_KEY];
/** What makes a generator section: a limit, sending or receiving (jitter only moves one). */
const CEILING_KEYS = ["maxPps", "maxL1Bps", STEPS_KEY, "rxMaxPps"] as const;
const CEILINGS_TEXT = `${CEILING_KEYS.slice(0, -1).join(", ")} and/or ${CEILING_KEYS.at(-1)}`;

export const DUT_PRESET_NAMES = Object.keys(DUT_PRESETS);

/** A DUT preset name, or a YAML/JSON file of DutParams keys. */
export function loadDutSpec(nameOrFile: string): DutParams {
  if (isDutPresetName(nameOrFile)) return structuredClone(DUT_PRESETS[nameOrFile]) as DutParams;
  const fail = (message: string): DutSpecError => new DutSpecError(message);
  const text = readTextFile(nameOrFile, (message) =>
    message.endsWith("(ENOENT)")
      ? fail(`--dut ${nameOrFile}: neither a preset (${DUT_PRESET_NAMES.join(", ")}) nor a file`)
      : fail(message),
  );
  return checkDutSpec(parseYamlText(text, nameOrFile, fail));
}

/**
 * Validates DUT parameters read from a YAML/JSON value. Keys left out take the `default`
 * preset's value; `source` names the file in error messages.
 */
export function parseDutParams(value: unknown, source: string): DutParams {
  return checkDutSpec({ value, where: () => source });
}

function checkDutSpec(file: YamlFile): DutParams {
  const root = mapping(file, [], `DUT parameters must be a mapping of ${DUT_KEYS.join(", ")}`);
  const params: DutParams = { ...DUT_PRESETS.default };
  for (const [key, raw] of Object.entries(root)) {
    if (raw === undefined) continue; // an object literal's `key: undefined`, not in files
    if (key === "generator") {
      params.generator = checkGenerator(file);
    } else if (Object.hasOwn(DUT_FIELD_RANGES, key)) {
      params[key as ScalarKey] = checkNumber(file, [key], raw, DUT_FIELD_RANGES[key as ScalarKey]);
    } else {
      throw new DutSpecError(
        `${file.where([key], "key")}: unknown DUT parameter '${key}' (known: ${DUT_KEYS.join(", ")})`,
      );
    }
  }
  return params;
}

function checkGenerator(file: YamlFile): GeneratorParams {
  const section = mapping(
    file,
    ["generator"],
    `generator must be a mapping of ${CEILINGS_TEXT} (and jitter)`,
  );
  const generator: GeneratorParams = {};
  for (const [key, raw] of Object.entries(section)) {
    if (key === STEPS_KEY) {
      generator.maxPpsFromFrameSize = checkSteps(file);
      continue;
    }
    if (!Object.hasOwn(GENERATOR_FIELD_RANGES, key)) {
      throw new DutSpecError(
        `${file.where(["generator", key], "key")}: unknown generator parameter '${key}' (known: ${GENERATOR_KEYS.join(", ")})`,
      );
    }
    const range = GENERATOR_FIELD_RANGES[key as GeneratorScalarKey];
    generator[key as GeneratorScalarKey] = checkNumber(file, ["generator", key], raw, range);
  }
  if (!CEILING_KEYS.some((key) => generator[key] !== undefined)) {
    throw new DutSpecError(`${file.where(["generator"])}: generator needs ${CEILINGS_TEXT}`);
  }
  return generator;
}

/** generator.maxPpsFromFrameSize: a non-empty mapping of frame size to pps. */
function checkSteps(file: YamlFile): Record<number, number> {
  const path = ["generator", STEPS_KEY];
  const name = path.join(".");
  const table = mapping(file, path, `${name} must be a mapping of frame size to pps`);
  const { frameSize: sizes, maxPps } = FRAME_SIZE_STEP_RANGES;
  const steps: Record<number, number> = {};
  for (const [key, raw] of Object.entries(table)) {
    const size = Number(key);
    // Digits only, no leading zero: "064" would silently stand for the same size as "64".
    if (!/^[1-9][0-9]*$/.test(key) || size < sizes.min || size > sizes.max) {
      throw new DutSpecError(
        `${file.where([...path, key], "key")}: ${name} keys must be frame sizes, integers from ${sizes.min} to ${sizes.max}, got ${printable(key)}`,
      );
    }
    steps[size] = checkNumber(file, [...path, key], raw, maxPps);
  }
  if (Object.keys(steps).length === 0) {
    throw new DutSpecError(`${file.where(path)}: ${name} needs at least one frame size`);
  }
  return steps;
}

function mapping(file: YamlFile, path: string[], message: string): Record<string, unknown> {
  let value: unknown = file.value;
  for (const key of path) value = (value as Record<string, unknown>)[key];
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new DutSpecError(`${file.where(path)}: ${message}`);
  }
  return value as Record<string, unknown>;
}

function checkNumber(file: YamlFile, path: string[], raw: unknown, range: Range): number {
  const ok =
    typeof raw === "number" &&
    Number.isFinite(raw) &&
    raw >= range.min &&
    raw <= range.max &&
    (!range.integer || Number.isInteger(raw));
  if (ok) return raw;
  const kind = range.integer ? "an integer" : "a number";
  throw new DutSpecError(
    `${file.where(path)}: ${path.join(".")} must be ${kind} from ${range.min} to ${range.max}, got ${printable(raw)}`,
  );
}

/** The offending value as written, escaped so it cannot garble the terminal. */
function printable(raw: unknown): string {
  const text = JSON.stringify(raw) ?? String(raw);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
