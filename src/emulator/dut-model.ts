/**
 * The modelled device under test (see docs/dut-model.md): a forwarder with a per-packet and
 * per-byte cost, a buffer, seeded capacity jitter and a random loss floor. All numbers are per
 * direction. Pure apart from its seeded random state, so the search can be checked against it.
 */
import { l1BitsPerFrame } from "../rate/line-rate.ts";
import { SeededRandom } from "./random.ts";

/**
 * The traffic generator in front of the DUT (per port): the most it can send. A software TRex
 * does not refuse a higher rate; it sends the packets asked for over a longer time.
 */
export interface GeneratorParams {
  /** Packets per second, any frame size. */
  maxPps?: number;
  /** Bits per second on the wire (L1: frame + preamble + inter-frame gap). */
  maxL1Bps?: number;
  /**
   * Relative standard deviation of the ceiling, drawn once per trial: a software generator on
   * a busy machine manages a different rate each time (the veth testbed: about 6 %).
   */
  jitter?: number;
  /**
   * A step table, frame size (bytes, FCS included) → the most packets per second from that
   * size up, for a generator that slows down for big frames: at frame size S the entry of the
   * largest size ≤ S holds (none below the smallest), besides maxPps and maxL1Bps.
   */
  maxPpsFromFrameSize?: Readonly<Record<number, number>>;
  /**
   * Packets per second the generator's receiving port takes in. What the DUT forwards beyond
   * it is dropped inside TRex, counted in the port's rx_missed_errors xstat and not in
   * ipackets: af_packet with TRex's default ring (framecnt 256) drops above ~150 kpps.
   */
  rxMaxPps?: number;
}

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
  /** A generator with a ceiling; absent: the generator keeps up with any rate. */
  generator?: GeneratorParams;
}

export type DutPresetName = "ideal" | "default" | "noisy" | "software" | "veth";

const DEFAULT_DUT: Readonly<DutParams> = {
  speedGbps: 10,
  perPacketNs: 200,
  perByteNs: 0.5,
  bufferPackets: 4096,
  jitter: 0,
  lossFloor: 0,
  baseLatencyUs: 5,
};

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
  default: DEFAULT_DUT,
  noisy: {
    speedGbps: 10,
    perPacketNs: 200,
    perByteNs: 0.5,
    bufferPackets: 4096,
    jitter: 0.01,
    lossFloor: 1e-7,
    baseLatencyUs: 5,
  },
  // TRex with af_packet on a small VM (docs/real-trex.md): 600 kpps at 64 B, 4.92 Gb/s L1
  // (400 kpps) at 1518 B, in front of the default DUT.
  software: { ...DEFAULT_DUT, generator: { maxPps: 600_000, maxL1Bps: 4.92e9 } },
  // The repository's own veth testbed as measured (docs/real-trex.md): TRex's af_packet path
  // manages about 140 kpps at every size, a few percent more or less from trial to trial,
  // and the Linux kernel DUT forwards all of it.
  veth: { ...DEFAULT_DUT, generator: { maxPps: 140_000, jitter: 0.06 } },
};

export function isDutPresetName(name: string): name is DutPresetName {
  return Object.hasOwn(DUT_PRESETS, name);
}

/** Line-rate packets per second of the model's port at frame size S. */
export function modelLineRatePps(params: DutParams, frameSize: number): number {
  return (params.speedGbps * 1e9) / l1BitsPerFrame(frameSize);
}

/** The most the generator sends at frame size S, pps (Infinity without a generator limit). */
export function generatorCeilingPps(params: DutParams, frameSize: number): number {
  const g = params.generator;
  const byPps = g?.maxPps ?? Infinity;
  const byBits = g?.maxL1Bps !== undefined ? g.maxL1Bps / l1BitsPerFrame(frameSize) : Infinity;
  return Math.min(byPps, byBits, stepCeilingPps(g?.maxPpsFromFrameSize, frameSize));
}

/** maxPpsFromFrameSize at frame size S: the entry of the largest size ≤ S (Infinity if none). */
function stepCeilingPps(table: GeneratorParams["maxPpsFromFrameSize"], frameSize: number): number {
  let fromSize = -Infinity;
  let pps = Infinity;
  for (const [size, maxPps] of Object.entries(table ?? {})) {
    const from = Number(size);
    if (from <= frameSize && from > fromSize) [fromSize, pps] = [from, maxPps];
  }
  return pps;
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
  /** The generator's own draws: one per trial started, whatever else reads the DUT's. */
  private readonly generatorRandom: SeededRandom;

  constructor(
    readonly params: DutParams,
    seed: number,
  ) {
    this.random = new SeededRandom(seed);
    this.generatorRandom = new SeededRandom((seed ^ 0x9e3779b9) >>> 0);
  }

  /**
   * This trial's share of the generator's ceiling (1 without generator jitter): drawn from
   * the direction's own seeded state, so the model stays deterministic for a seed.
   */
  generatorDraw(): number {
    const jitter = this.params.generator?.jitter ?? 0;
    return jitter > 0 ? Math.max(0.05, 1 + jitter * this.generatorRandom.normal()) : 1;
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
