/**
 * One trial against a TRex server: reset, push the streams, baseline the counters, send at a
 * rate for a duration, wait for the ports to go idle, read the counters again.
 */
import type { PortCounters, StreamDefinition, TrexClient } from "../trex/index.ts";
import { counterDelta } from "../trex/index.ts";
import type { TrialOutcome } from "../search/types.ts";
import { payloadBytes } from "../packet/index.ts";
import { FCS_BYTES, l1BitsPerFrame, MIN_FRAME_SIZE } from "../rate/line-rate.ts";
import { LATENCY_SIGNATURE_BYTES } from "../trex/protocol.ts";

/** Relative TX shortfall beyond which a trial is an underrun (the generator could not keep up). */
export const TX_UNDERRUN_TOLERANCE = 0.001;

/**
 * How long past its duration a trial may still transmit before it is stopped: a generator that
 * cannot keep up sends rate x duration packets over a longer time, and what it offered is
 * measured as well from a part of that time as from all of it.
 */
export function overrunLimitS(durationS: number): number {
  return Math.max(1, 0.25 * durationS);
}

/** One direction of traffic: streams leave `txPort`, enter the DUT, come back on `rxPort`. */
export interface TrafficDirection {
  txPort: number;
  rxPort: number;
  streams: StreamDefinition[];
  /**
   * The stream a latency probe copies: the first stream, or the profile's frame enough bytes
   * longer to carry TRex's latency signature (see latencyProbeFits).
   */
  probe?: StreamDefinition;
}

export interface TrialPlan {
  directions: TrafficDirection[];
  /** Wait after the ports went idle, for packets still inside the DUT. */
  rxDrainMs: number;
  signal?: AbortSignal;
}

export class TrialAbortedError extends Error {
  constructor() {
    super("trial interrupted");
    this.name = "TrialAbortedError";
  }
}

/**
 * Judges counter deltas: loss comes from the traffic under test; a TX underrun or stray
 * packets (rx > tx) make the trial invalid rather than a pass.
 */
export function judgeTrial(
  requestedPackets: number,
  txPackets: number,
  rxPackets: number,
): Pick<TrialOutcome, "valid" | "invalidReason"> {
  if (txPackets < requestedPackets * (1 - TX_UNDERRUN_TOLERANCE)) {
    const shortPct = ((1 - txPackets / requestedPackets) * 100).toFixed(3);
    return {
      valid: false,
      invalidReason: `TX underrun: sent ${txPackets} of ${Math.round(requestedPackets)} packets (${shortPct} % short)`,
    };
  }
  if (rxPackets > txPackets) {
    return {
      valid: false,
      invalidReason: `received ${rxPackets - txPackets} more packets than sent (stray traffic on the receive port)`,
    };
  }
  return { valid: true };
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new TrialAbortedError();
}

function sumDeltas(
  before: Map<number, PortCounters>,
  after: Map<number, PortCounters>,
  plan: TrialPlan,
): { txPackets: number; rxPackets: number; rxMissedPackets: number } {
  let txPackets = 0;
  let rxPackets = 0;
  let rxMissedPackets = 0;
  for (const d of plan.directions) {
    txPackets += counterDelta(before.get(d.txPort)!, after.get(d.txPort)!).opackets;
    const rx = counterDelta(before.get(d.rxPort)!, after.get(d.rxPort)!);
    rxPackets += rx.ipackets;
    rxMissedPackets += rx.rxMissed;
  }
  return { txPackets, rxPackets, rxMissedPackets };
}

/**
 * A trial as measured on the server: the search's outcome, and what the receiving ports
 * dropped inside TRex (rx_missed_errors), which the loss counts against the DUT although the
 * DUT did forward it.
 */
export interface MeasuredTrial extends TrialOutcome {
  rxMissedPackets: number;
}

/**
 * Runs one trial offering `ratePps` per direction for `durationS` seconds. Aborting stops the
 * traffic before the error propagates.
 */
export async function runTrial(
  client: TrexClient,
  plan: TrialPlan,
  ratePps: number,
  durationS: number,
): Promise<MeasuredTrial> {
  throwIfAborted(plan.signal);
  const txPorts = plan.directions.map((d) => d.txPort);
  const allPorts = [...new Set(plan.directions.flatMap((d) => [d.txPort, d.rxPort]))];
  await client.reset(allPorts);
  for (const d of plan.directions) await client.addStreams(d.txPort, d.streams);
  const before = await client.portCounters(allPorts);
  throwIfAborted(plan.signal);
  let elapsedS: number;
  let elapsedMinS: number;
  try {
    const startedAtS = await client.start(txPorts, { totalPps: ratePps, durationS });
    const end = await client.waitOnTraffic(txPorts, {
      signal: plan.signal,
      startedAtS,
      expectedS: durationS,
      stopAfterS: durationS + overrunLimitS(durationS),
    });
    elapsedS = end.endedAtS - startedAtS;
    elapsedMinS = (end.lastBusyAtS ?? end.endedAtS) - startedAtS;
  } catch (err) {
    await client.stop(txPorts).catch(() => undefined);
    throw plan.signal?.aborted ? new TrialAbortedError() : err;
  }
  if (plan.rxDrainMs > 0) await new Promise((r) => setTimeout(r, plan.rxDrainMs));
  const after = await client.portCounters(allPorts);
  const { txPackets, rxPackets, rxMissedPackets } = sumDeltas(before, after, plan);
  const requested = ratePps * durationS * plan.directions.length;
  return {
    txPackets,
    rxPackets,
    elapsedS,
    elapsedMinS,
    offeredPps: offeredRatePps(txPackets / plan.directions.length, durationS, elapsedS),
    rxMissedPackets,
    ...judgeTrial(requested, txPackets, rxPackets),
  };
}

/**
 * The rate the generator really offered: packets over the time the port transmitted, by the
 * server's clock. Never above packets / requested duration: a clock that says the port was
 * done sooner than asked (an emulator at time scale 0 with no model clock) proves no more.
 */
export function offeredRatePps(txPackets: number, durationS: number, elapsedS: number): number {
  return txPackets / Math.max(durationS, Number.isFinite(elapsedS) ? elapsedS : 0);
}

/** Frame size TRex counts for a packet: padded to the minimum frame, FCS included. */
function wireFrameSize(packet: Uint8Array): number {
  return Math.max(packet.length + FCS_BYTES, MIN_FRAME_SIZE);
}

/**
 * Highest rate of the traffic under test that leaves room for a latency probe of the first
 * stream's packet at `latencyPps` within the line rate (TRex refuses more without force).
 * Throws when the probe alone fills the link.
 */
export function roomBesideProbe(
  streams: StreamDefinition[],
  speedBps: number,
  latencyPps: number,
  probe: StreamDefinition = streams[0],
): number {
  const shareSum = streams.reduce((sum, s) => sum + s.rateShare, 0);
  const bitsPerPacket = streams.reduce(
    (sum, s) => sum + (s.rateShare / shareSum) * l1BitsPerFrame(wireFrameSize(s.packet)),
    0,
  );
  const probeBps = latencyPps * l1BitsPerFrame(wireFrameSize(probe.packet));
  // A hair under the line: TRex compares its own float sums against the port speed.
  const roomBps = speedBps * (1 - 1e-6) - probeBps;
  if (roomBps <= 0) {
    throw new Error(
      `a latency stream of ${latencyPps} pps alone fills the ${speedBps / 1e9} Gb/s link; lower --latency-pps`,
    );
  }
  return roomBps / bitsPerPacket;
}

/**
 * Whether a packet can be a latency probe: TRex writes a signature into the payload after the
 * last header and refuses a packet with less room (a 64 B TCP/IPv4 frame has 6 bytes).
 */
export function latencyProbeFits(packet: Uint8Array): boolean {
  return payloadBytes(packet) >= LATENCY_SIGNATURE_BYTES;
}

/** Packet-group id of the latency stream of direction i. */
const LATENCY_PG_ID_BASE = 1000;

/**
 * Measures latency at a result's rate: the traffic under test plus one latency stream per
 * direction at `latencyPps`. Run as a separate trial so latency packets never distort the loss
 * figure of the result. At a rate near the line the traffic under test makes room for the probe
 * (`loadPps` says at what rate it ran).
 */
export async function runLatencyTrial(
  client: TrexClient,
  plan: TrialPlan,
  load: { ratePps: number; speedBps: number },
  durationS: number,
  latencyPps: number,
): Promise<{ min: number; avg: number; max?: number; loadPps: number }> {
  const pgIds = plan.directions.map((_, i) => LATENCY_PG_ID_BASE + i);
  const ratePps = Math.min(
    load.ratePps,
    ...plan.directions.map((d) => roomBesideProbe(d.streams, load.speedBps, latencyPps, d.probe)),
  );
  const directions = plan.directions.map((d, i) => {
    const shareSum = d.streams.reduce((sum, s) => sum + s.rateShare, 0);
    const scaled = d.streams.map((s) => ({ ...s, rateShare: (s.rateShare / shareSum) * ratePps }));
    const probe: StreamDefinition = {
      ...(d.probe ?? d.streams[0]),
      name: `latency-${i}`,
      vm: undefined,
      mode: { type: "continuous" },
      rateShare: latencyPps,
      flowStats: { pgId: pgIds[i], latency: true },
    };
    return { ...d, streams: [...scaled, probe] };
  });
  await runTrial(client, { ...plan, directions }, ratePps + latencyPps, durationS);
  const stats = await client.pgidStats(pgIds);
  const lat = pgIds.map((id) => stats.latency.get(id)).filter((l) => l !== undefined);
  if (lat.length === 0)
    throw new Error("the server returned no latency statistics for the latency streams");
  return { ...latencyFigures(lat), loadPps: ratePps };
}

/**
 * Min, mean and max over the latency streams. TRex reports a maximum of 0 until it has counted
 * 10 latency packets (time_histogram.cpp skips start-up spikes): such a stream has no maximum,
 * and the figures have none when no stream has one, rather than a max below the min.
 */
export function latencyFigures(
  lat: ReadonlyArray<{ minUs: number; avgUs: number; maxUs: number }>,
): { min: number; avg: number; max?: number } {
  const maxima = lat.filter((l) => l.maxUs >= l.minUs && l.maxUs > 0).map((l) => l.maxUs);
  return {
    min: Math.min(...lat.map((l) => l.minUs)),
    avg: lat.reduce((sum, l) => sum + l.avgUs, 0) / lat.length,
    ...(maxima.length > 0 ? { max: Math.max(...maxima) } : {}),
  };
}
