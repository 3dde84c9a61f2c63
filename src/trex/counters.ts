/** Port counters and packet-group statistics as read from TRex, and their baseline arithmetic. */
import { CounterResetError, TrexError } from "./errors.ts";
import { isObject, toBigInt, toNumber, type Json } from "./json.ts";

/**
 * Cumulative counters of one port since the server started (no RPC resets them). Packet and
 * byte counters are exact 64-bit integers; bytes include the 4-byte FCS of each frame. Rates
 * are the server's smoothed figures.
 */
export interface PortCounters {
  portId: number;
  opackets: bigint;
  obytes: bigint;
  ipackets: bigint;
  ibytes: bigint;
  oerrors: bigint;
  ierrors: bigint;
  txPps: number;
  rxPps: number;
  /** L2 bits per second, FCS included. */
  txBps: number;
  rxBps: number;
  /**
   * Packets that reached the port and were dropped inside TRex before being counted (the
   * `rx_missed_errors` xstat: e.g. af_packet's receive ring overflowing); null when the server
   * does not report it.
   */
  rxMissed: bigint | null;
}

/** What happened between two readings of one port. */
export interface CounterDelta {
  opackets: number;
  obytes: number;
  ipackets: number;
  ibytes: number;
  oerrors: number;
  ierrors: number;
  /** 0 when either reading lacks the xstat. */
  rxMissed: number;
}

const DELTA_KEYS = ["opackets", "obytes", "ipackets", "ibytes", "oerrors", "ierrors"] as const;

/**
 * after − before, per counter. A counter going backwards means the server restarted (or the
 * port was reset) in between, which would make any figure meaningless: CounterResetError.
 */
export function counterDelta(before: PortCounters, after: PortCounters): CounterDelta {
  if (before.portId !== after.portId) {
    throw new TrexError(`counterDelta: readings of ports ${before.portId} and ${after.portId}`);
  }
  const delta = {} as CounterDelta;
  for (const key of DELTA_KEYS) {
    const d = after[key] - before[key];
    if (d < 0n) throw new CounterResetError(after.portId, key);
    if (d > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new TrexError(`port ${after.portId}: ${key} grew by ${d}, beyond exact numbers`);
    }
    delta[key] = Number(d);
  }
  const missed =
    before.rxMissed === null || after.rxMissed === null ? 0n : after.rxMissed - before.rxMissed;
  if (missed < 0n) throw new CounterResetError(after.portId, "rx_missed_errors");
  delta.rxMissed = Number(missed);
  return delta;
}

/** The xstat TRex counts receive-path drops in, before ipackets (af_packet, DPDK alike). */
export const RX_MISSED_XSTAT = "rx_missed_errors";

/** rx_missed_errors from get_port_xstats_values, given the port's xstats names; else null. */
export function rxMissedOf(names: readonly string[] | undefined, values: Json): bigint | null {
  const index = names?.indexOf(RX_MISSED_XSTAT) ?? -1;
  if (index < 0 || !isObject(values) || !Array.isArray(values.xstats_values)) return null;
  const value = values.xstats_values[index];
  return value === undefined ? null : toBigInt(value, `xstats ${RX_MISSED_XSTAT}`);
}

export function parsePortStats(
  portId: number,
  r: Json,
  rxMissed: bigint | null = null,
): PortCounters {
  if (!isObject(r)) throw new TypeError(`get_port_stats of port ${portId}: not an object`);
  const where = (key: string): string => `get_port_stats of port ${portId}: ${key}`;
  const big = (key: string): bigint => toBigInt(r[key], where(key));
  const num = (key: string): number => toNumber(r[key], where(key));
  return {
    portId,
    opackets: big("opackets"),
    obytes: big("obytes"),
    ipackets: big("ipackets"),
    ibytes: big("ibytes"),
    oerrors: big("oerrors"),
    ierrors: big("ierrors"),
    txPps: num("m_total_tx_pps"),
    rxPps: num("m_total_rx_pps"),
    txBps: num("m_total_tx_bps"),
    rxBps: num("m_total_rx_bps"),
    rxMissed,
  };
}

/** Per packet-group id, per port: cumulative since the group's rule was created (see verId). */
export interface PgidFlowStats {
  txPackets: Map<number, bigint>;
  txBytes: Map<number, bigint>;
  rxPackets: Map<number, bigint>;
  /** Only on NICs with the rx_bytes capability; empty otherwise. */
  rxBytes: Map<number, bigint>;
}

export interface PgidLatency {
  minUs: number;
  avgUs: number;
  maxUs: number;
  /** Maximum over the last sampling window. */
  lastMaxUs: number;
  jitterUs: number;
  /** Bucket lower bound (µs) → packets. */
  histogram: Map<number, number>;
  dropped: number;
  outOfOrder: number;
  duplicates: number;
  seqTooHigh: number;
  seqTooLow: number;
}

export interface PgidStats {
  flowStats: Map<number, PgidFlowStats>;
  latency: Map<number, PgidLatency>;
  /** Changes when the group's counters restart (its streams were removed and added again). */
  verIds: Map<number, number>;
}

function idKeyed(obj: Json | undefined): Array<[number, Json]> {
  if (!isObject(obj)) return [];
  const out: Array<[number, Json]> = [];
  for (const [key, value] of Object.entries(obj)) {
    // Non-numeric keys ("g") carry global error counters.
    if (/^\d+$/.test(key)) out.push([Number(key), value]);
  }
  return out;
}

function portMap(v: Json | undefined, what: string): Map<number, bigint> {
  return new Map(idKeyed(v).map(([port, n]) => [port, toBigInt(n, what)]));
}

export function parsePgidStats(r: Json): PgidStats {
  if (!isObject(r)) throw new TypeError("get_pgid_stats: not an object");
  const flowStats = new Map<number, PgidFlowStats>();
  for (const [id, v] of idKeyed(r.flow_stats)) {
    if (!isObject(v)) continue;
    const w = `get_pgid_stats: pg id ${id}`;
    flowStats.set(id, {
      txPackets: portMap(v.tp, `${w} tp`),
      txBytes: portMap(v.tb, `${w} tb`),
      rxPackets: portMap(v.rp, `${w} rp`),
      rxBytes: portMap(v.rb, `${w} rb`),
    });
  }
  const latency = new Map<number, PgidLatency>();
  for (const [id, v] of idKeyed(r.latency)) {
    if (!isObject(v) || !isObject(v.lat)) continue;
    const w = `get_pgid_stats: latency of pg id ${id}`;
    const lat = v.lat;
    const er = isObject(v.er) ? v.er : {};
    const num = (obj: { [key: string]: Json }, key: string, dflt?: number): number =>
      obj[key] === undefined && dflt !== undefined ? dflt : toNumber(obj[key], `${w}: ${key}`);
    latency.set(id, {
      minUs: num(lat, "total_min"),
      avgUs: num(lat, "average"),
      maxUs: num(lat, "total_max"),
      lastMaxUs: num(lat, "last_max", 0),
      jitterUs: num(lat, "jit", 0),
      histogram: new Map(
        Object.entries(isObject(lat.histogram) ? lat.histogram : {}).map(([k, n]) => [
          Number(k),
          toNumber(n, `${w}: histogram`),
        ]),
      ),
      // Error counters appear only when non-zero.
      dropped: num(er, "drp", 0),
      outOfOrder: num(er, "ooo", 0),
      duplicates: num(er, "dup", 0),
      seqTooHigh: num(er, "sth", 0),
      seqTooLow: num(er, "stl", 0),
    });
  }
  const verIds = new Map(idKeyed(r.ver_id).map(([id, n]) => [id, toNumber(n, "ver_id")]));
  return { flowStats, latency, verIds };
}
