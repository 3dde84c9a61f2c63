/**
 * A trial: one profile's streams started at a multiplier for a duration, as TRex plans it
 * (src/stx/stl/trex_stl_port.cpp: factor, line-rate check and clamp) plus the generator model
 * (docs/dut-model.md), and where it stands at a model time. Pure: no state, no clock of its own.
 */
import { generatorCeilingPps, modelLineRatePps, type DutParams } from "./dut-model.ts";
import { executeErr, formatG } from "./params.ts";
import { baseRates, type StreamDef } from "./streams.ts";

/** Rate multiplier kinds of start_traffic and update_traffic, as the real server takes them. */
export const MULTIPLIER_TYPES = ["raw", "bps", "bpsl1", "pps", "percentage"] as const;
export type MultiplierType = (typeof MULTIPLIER_TYPES)[number];

/** TRex refuses an expected L1 rate above port speed × this without `force`. */
const LINE_RATE_TOLERANCE = 1.0001;

export interface TrialStream {
  def: StreamDef;
  ratePps: number;
  /** Model seconds into the trial at which the stream has sent all it will (bursts). */
  endS: number;
}

/** A running (or paused) trial of one profile. */
export interface Trial {
  streams: TrialStream[];
  factor: number;
  /** The rate the port really sends at, all streams: min(offered, line, generator). */
  sendPps: number;
  /** Model seconds per requested second: > 1 when the generator cannot keep up. */
  stretch: number;
  frameSize: number;
  allContinuous: boolean;
  /** Modelled length, Infinity when it runs until stopped. */
  durationS: number;
  /** Model seconds (clock.ts) at the start, spent paused, and of the pause under way. */
  startS: number;
  pausedS: number;
  pausedAtS: number | null;
}

export interface TrialRequest {
  /** The profile's streams (all of them; disabled and not self-starting ones stay idle). */
  streams: StreamDef[];
  speedGbps: number;
  dut: DutParams;
  mulType: MultiplierType;
  mulValue: number;
  /** Requested seconds; ≤ 0 runs until stopped. */
  durationS: number;
  force: boolean;
  startS: number;
  /** This trial's share of the generator's ceiling (DutModel.generatorDraw); default 1. */
  generatorFactor?: number;
}

interface BaseRate {
  pps: number;
  bpsL1: number;
  bpsL2: number;
}

/** Plans a trial, or throws TRex's refusal (line rate, zero bandwidth, bad factor). */
export function planTrial(req: TrialRequest): Trial {
  const speedBps = req.speedGbps * 1e9;
  const streams = req.streams.filter((s) => s.enabled && s.selfStart);
  const bases = streams.map((s) => baseRates(s, speedBps));
  const base = bases.reduce(
    (a, b) => ({ pps: a.pps + b.pps, bpsL1: a.bpsL1 + b.bpsL1, bpsL2: a.bpsL2 + b.bpsL2 }),
    { pps: 0, bpsL1: 0, bpsL2: 0 },
  );
  const factor = checkedFactor(req, base, speedBps);
  const offeredPps = factor * base.pps;
  const frameSize =
    streams.reduce((a, s, i) => a + bases[i].pps * s.frameSize, 0) / (base.pps || 1);
  const line = modelLineRatePps(req.dut, frameSize);
  // With force above the line the port sends at line rate: every stream slows alike.
  const k = offeredPps > line ? line / offeredPps : 1;
  // A generator that cannot keep up sends the same packets over a longer time (as a software
  // TRex does): every stream slows alike and the duration stretches by the same factor.
  const linePps = offeredPps * k;
  const ceilingPps = generatorCeilingPps(req.dut, frameSize) * (req.generatorFactor ?? 1);
  const stretch = Math.max(1, linePps / ceilingPps);
  const trialStreams = streams.map((def, i) =>
    trialStream(def, (factor * bases[i].pps * k) / stretch),
  );
  const lastEnd = Math.max(0, ...trialStreams.map((s) => s.endS));
  const limit = req.durationS > 0 ? req.durationS : Infinity;
  return {
    streams: trialStreams,
    factor,
    sendPps: linePps / stretch,
    stretch,
    frameSize,
    allContinuous: trialStreams.every((s) => s.def.mode.type === "continuous"),
    durationS: Math.min(limit * stretch, lastEnd),
    startS: req.startS,
    pausedS: 0,
    pausedAtS: null,
  };
}

/** The multiplier as a factor of the streams' base rates, with TRex's checks and clamp. */
function checkedFactor(req: TrialRequest, base: BaseRate, speedBps: number): number {
  const { mulType, mulValue } = req;
  const factors: Record<MultiplierType, () => number> = {
    raw: () => mulValue,
    bps: () => mulValue / base.bpsL2,
    bpsl1: () => mulValue / base.bpsL1,
    pps: () => mulValue / base.pps,
    // A percentage of the line, at L1.
    percentage: () => ((mulValue / 100) * speedBps) / base.bpsL1,
  };
  const factor = factors[mulType]();
  const expectedL1 = factor * base.bpsL1;
  if (!(expectedL1 > 0)) {
    throw executeErr(
      `Effective bandwidth is zero, this means that your dpdk driver does not know the link throughput (virtual), please use absolute bandwidth  ${formatG(expectedL1)}`,
    );
  }
  if (!(factor > 0)) throw executeErr(`Factor must be positive, got: ${formatG(factor)}`);
  if (req.force) return factor;
  if (expectedL1 / speedBps > LINE_RATE_TOLERANCE) {
    throw executeErr(
      `Expected L1 B/W: '${formatG(expectedL1 / 1e9)} Gbps' exceeds port line rate: '${formatG(speedBps / 1e9)} Gbps'`,
    );
  }
  return Math.min(factor, speedBps / base.bpsL1);
}

function trialStream(def: StreamDef, ratePps: number): TrialStream {
  const isgS = def.isgUs / 1e6;
  const m = def.mode;
  const endS =
    m.type === "continuous"
      ? Infinity
      : m.type === "single_burst"
        ? isgS + m.totalPkts / ratePps
        : isgS + (m.count * m.pktsPerBurst) / ratePps + (Math.max(0, m.count - 1) * m.ibgUs) / 1e6;
  return { def, ratePps, endS };
}

/** Model time at which a trial with an end is over. */
export function trialEndS(trial: Trial): number {
  return trial.startS + trial.pausedS + trial.durationS;
}

/** A trial that ends by itself and is not paused. */
export function isEnding(trial: Trial | null): trial is Trial {
  return trial !== null && trial.pausedAtS === null && Number.isFinite(trial.durationS);
}

/** Modelled seconds a trial has transmitted by model time `nowS` (pauses left out). */
export function elapsedS(trial: Trial, nowS: number): number {
  const end = trial.pausedAtS ?? nowS;
  if (Number.isFinite(trial.durationS) && end >= trialEndS(trial)) return trial.durationS;
  return Math.max(0, end - trial.startS - trial.pausedS);
}

/** Packets a stream has sent by modelled time t of its segment. */
export function streamPackets(s: TrialStream, t: number): number {
  // A null stream only takes its time in a chain: TRex's data path never sends it.
  if (s.def.nullStream) return 0;
  const active = Math.max(0, Math.min(t, s.endS) - s.def.isgUs / 1e6);
  const m = s.def.mode;
  if (m.type === "continuous") return s.ratePps * active;
  // A finished burst stream has sent exactly its packets, whatever float rounding says.
  if (t >= s.endS) return m.type === "single_burst" ? m.totalPkts : m.count * m.pktsPerBurst;
  if (m.type === "single_burst") return Math.min(m.totalPkts, Math.floor(s.ratePps * active));
  const burstS = m.pktsPerBurst / s.ratePps;
  const periodS = burstS + m.ibgUs / 1e6;
  const full = Math.min(m.count, Math.floor(active / periodS));
  const partial =
    full < m.count
      ? Math.min(m.pktsPerBurst, Math.floor((active - full * periodS) * s.ratePps))
      : 0;
  return full * m.pktsPerBurst + partial;
}
