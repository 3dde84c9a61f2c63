/**
 * One trial against a TRex server: reset, push the streams, baseline the counters, send at a
 * rate for a duration, wait for the ports to go idle, read the counters again.
 */
import type { PortCounters, StreamDefinition, TrexClient } from "../trex/index.ts";
import { counterDelta } from "../trex/index.ts";
import type { TrialOutcome } from "../search/types.ts";

/** Relative TX shortfall beyond which a trial is an underrun (the generator could not keep up). */
export const TX_UNDERRUN_TOLERANCE = 0.001;

/** One direction of traffic: streams leave `txPort`, enter the DUT, come back on `rxPort`. */
export interface TrafficDirection {
  txPort: number;
  rxPort: number;
  streams: StreamDefinition[];
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
): { txPackets: number; rxPackets: number } {
  let txPackets = 0;
  let rxPackets = 0;
  for (const d of plan.directions) {
    txPackets += counterDelta(before.get(d.txPort)!, after.get(d.txPort)!).opackets;
    rxPackets += counterDelta(before.get(d.rxPort)!, after.get(d.rxPort)!).ipackets;
  }
  return { txPackets, rxPackets };
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
): Promise<TrialOutcome> {
  throwIfAborted(plan.signal);
  const txPorts = plan.directions.map((d) => d.txPort);
  const allPorts = [...new Set(plan.directions.flatMap((d) => [d.txPort, d.rxPort]))];
  await client.reset(allPorts);
  for (const d of plan.directions) await client.addStreams(d.txPort, d.streams);
  const before = await client.portCounters(allPorts);
  throwIfAborted(plan.signal);
  try {
    for (const port of txPorts) await client.start(port, { totalPps: ratePps, durationS });
    await client.waitOnTraffic(txPorts, { signal: plan.signal });
  } catch (err) {
    await client.stop(txPorts).catch(() => undefined);
    throw plan.signal?.aborted ? new TrialAbortedError() : err;
  }
  if (plan.rxDrainMs > 0) await new Promise((r) => setTimeout(r, plan.rxDrainMs));
  const after = await client.portCounters(allPorts);
  const { txPackets, rxPackets } = sumDeltas(before, after, plan);
  const requested = ratePps * durationS * plan.directions.length;
  return { txPackets, rxPackets, ...judgeTrial(requested, txPackets, rxPackets) };
}

/** Packet-group id of the latency stream of direction i. */
const LATENCY_PG_ID_BASE = 1000;

/**
 * Measures latency at a result's rate: the traffic under test plus one latency stream per
 * direction at `latencyPps`. Run as a separate trial so latency packets never distort the loss
 * figure of the result.
 */
export async function runLatencyTrial(
  client: TrexClient,
  plan: TrialPlan,
  ratePps: number,
  durationS: number,
  latencyPps: number,
): Promise<{ min: number; avg: number; max: number }> {
  const pgIds = plan.directions.map((_, i) => LATENCY_PG_ID_BASE + i);
  const directions = plan.directions.map((d, i) => {
    const shareSum = d.streams.reduce((sum, s) => sum + s.ratePps, 0);
    const scaled = d.streams.map((s) => ({ ...s, ratePps: (s.ratePps / shareSum) * ratePps }));
    const probe: StreamDefinition = {
      ...d.streams[0],
      name: `latency-${i}`,
      vm: undefined,
      mode: { type: "continuous" },
      ratePps: latencyPps,
      flowStats: { pgId: pgIds[i], latency: true },
    };
    return { ...d, streams: [...scaled, probe] };
  });
  await runTrial(client, { ...plan, directions }, ratePps + latencyPps, durationS);
  const stats = await client.pgidStats(pgIds);
  const lat = pgIds.map((id) => stats.latency.get(id)).filter((l) => l !== undefined);
  if (lat.length === 0)
    throw new Error("the server returned no latency statistics for the latency streams");
  return {
    min: Math.min(...lat.map((l) => l.minUs)),
    avg: lat.reduce((sum, l) => sum + l.avgUs, 0) / lat.length,
    max: Math.max(...lat.map((l) => l.maxUs)),
  };
}
