/**
 * The modelled device under test (see docs/dut-model.md): a forwarder with a per-packet and
 * per-byte cost, a buffer, seeded capacity jitter and a random loss floor. All numbers are per
 * direction. Pure apart from its seeded random state, so the search can be checked against it.
 */
import { l1BitsPerFrame } from "../rate/line-rate.ts";
import { SeededRandom } from "./random.ts";

export interface DutParams {
  speedGbps: number;
  perPacketNs: number;
  perByteNs: number;
  bufferPackets: number;
  /** Relative standard deviation of the capacity, drawn once per trial. */
  jitter: number;
  /** Probability that a forwarded packet is lost anyway. */
  lossFloor: number;
  /** Fixed latency through the DUT, µs. */
  baseLatencyUs: number;
}

export type DutPresetName = "ideal" | "default" | "noisy";

export const DUT_PRESETS: Readonly<Record<DutPresetName, Readonly<DutParams>>> = {
  ideal: {
    speedGbps: 10,
    perPacketNs: 0,
    perByteNs: 0,
    bufferPackets: 0,
    jitter: 0,
    lossFloor: 0,
    baseLatencyUs: 0,
  },
  default: {
    speedGbps: 10,
    perPacketNs: 200,
    perByteNs: 0.5,
    bufferPackets: 4096,
    jitter: 0,
    lossFloor: 0,
    baseLatencyUs: 5,
  },
  noisy: {
    speedGbps: 10,
    perPacketNs: 200,
    perByteNs: 0.5,
    bufferPackets: 4096,
    jitter: 0.01,
    lossFloor: 1e-7,
    baseLatencyUs: 5,
  },
};

export function isDutPresetName(name: string): name is DutPresetName {
  return Object.hasOwn(DUT_PRESETS, name);
}

const PARAM_KEYS = Object.keys(DUT_PRESETS.default) as Array<keyof DutParams>;

/**
 * Validates DUT parameters read from a YAML/JSON file. Keys left out take the `default`
 * preset's value; `source` names the file in error messages.
 */
export function parseDutParams(value: unknown, source: string): DutParams {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error(`${source}: DUT parameters must be a mapping of ${PARAM_KEYS.join(", ")}`);
  }
  const params: DutParams = { ...DUT_PRESETS.default };
  for (const [key, raw] of Object.entries(value)) {
    if (!(PARAM_KEYS as string[]).includes(key)) {
      throw new Error(
        `${source}: unknown DUT parameter '${key}' (known: ${PARAM_KEYS.join(", ")})`,
      );
    }
    if (typeof raw !== "number" || !Number.isFinite(raw) || raw < 0) {
      throw new Error(
        `${source}: DUT parameter '${key}' must be a non-negative number, got ${JSON.stringify(raw)}`,
      );
    }
    params[key as keyof DutParams] = raw;
  }
  if (params.speedGbps <= 0) throw new Error(`${source}: speedGbps must be positive`);
  if (params.lossFloor > 1) throw new Error(`${source}: lossFloor must be at most 1`);
  return params;
}

/** Line-rate packets per second of the model's port at frame size S. */
export function modelLineRatePps(params: DutParams, frameSize: number): number {
  return (params.speedGbps * 1e9) / l1BitsPerFrame(frameSize);
}

/** Per-packet service time of the DUT, ns. */
export function serviceTimeNs(params: DutParams, frameSize: number): number {
  return params.perPacketNs + params.perByteNs * frameSize;
}

/** True forwarding capacity C(S) = min(L(S), 1e9 / t(S)): the no-drop rate a search should find. */
export function capacityPps(params: DutParams, frameSize: number): number {
  const line = modelLineRatePps(params, frameSize);
  const t = serviceTimeNs(params, frameSize);
  return t > 0 ? Math.min(line, 1e9 / t) : line;
}

export interface DutTrialInput {
  /** Offered rate, pps (all streams of the direction). */
  ratePps: number;
  durationS: number;
  /** Frame size, or the rate-weighted mean frame size of several streams. */
  frameSize: number;
}

export interface DutTrialOutcome {
  txPackets: number;
  rxPackets: number;
  /** The rate the port actually sent at: min(r, L). */
  effectiveRatePps: number;
  /** This trial's capacity after jitter. */
  capacityPps: number;
  latencyUs: { min: number; avg: number; max: number };
}

/** One direction of the DUT with its own seeded random state. */
export class DutModel {
  private readonly random: SeededRandom;

  constructor(
    readonly params: DutParams,
    seed: number,
  ) {
    this.random = new SeededRandom(seed);
  }

  trial(input: DutTrialInput): DutTrialOutcome {
    const { params } = this;
    const line = modelLineRatePps(params, input.frameSize);
    const effectiveRatePps = Math.min(input.ratePps, line);
    const txPackets = Math.round(effectiveRatePps * input.durationS);
    const jitterFactor = params.jitter > 0 ? 1 + params.jitter * this.random.normal() : 1;
    const c = Math.max(0, capacityPps(params, input.frameSize) * jitterFactor);
    // A DUT at least as fast as the link keeps up with whatever the port sends (floor(c·d)
    // alone would drop the one packet that round(L·d) can add at line rate).
    const dutLimitedPackets =
      c >= line ? Infinity : Math.floor(c * input.durationS) + params.bufferPackets;
    const forwarded = Math.min(txPackets, dutLimitedPackets);
    const rxPackets = forwarded - this.random.binomial(forwarded, params.lossFloor);
    return {
      txPackets,
      rxPackets,
      effectiveRatePps,
      capacityPps: c,
      latencyUs: this.latency(effectiveRatePps, c, input.frameSize),
    };
  }

  private latency(
    effectiveRatePps: number,
    c: number,
    frameSize: number,
  ): DutTrialOutcome["latencyUs"] {
    const { params } = this;
    const tUs = serviceTimeNs(params, frameSize) / 1000;
    const rho = c > 0 ? effectiveRatePps / c : Infinity;
    const queue = rho >= 1 ? params.bufferPackets : Math.min(params.bufferPackets, rho / (1 - rho));
    const min = params.baseLatencyUs + tUs;
    const avg = min + queue * tUs;
    const jitterUs = params.jitter > 0 ? Math.abs(this.random.normal()) * params.jitter * min : 0;
    return { min, avg, max: min + 2 * queue * tUs + jitterUs };
  }
}
