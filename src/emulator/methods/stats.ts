/** Counters and statistics: port, global, xstats, pg ids (flow stats and latency), TPG. */
import type { JsonObject, JsonValue } from "../json-text.ts";
import { executeErr, isAbsent, parseArray, parseErr, parseString } from "../params.ts";
import type { BoxState } from "../state.ts";
import { liveCounters } from "../traffic.ts";
import { common, stl, type MethodTable } from "./method.ts";

/**
 * TRex counts a latency maximum only once more than this many latency packets arrived (or its
 * 2 s start-up period passed), to skip start-up spikes, and reports 0 until then
 * (CTimeHistogram's m_hot_max, time_histogram.cpp).
 */
const HOT_MAX_PACKETS = 10;

/** The most pg ids one get_pgid_stats may name. */
const MAX_PGIDS_PER_QUERY = 1152;

/** get_port_xstats_names, in the order of get_port_xstats_values. */
const XSTATS_NAMES = [
  "rx_good_packets",
  "tx_good_packets",
  "rx_good_bytes",
  "tx_good_bytes",
  "rx_missed_errors",
  "rx_errors",
  "tx_errors",
];

export const statsMethods: MethodTable = {
  get_port_xstats_names: common((p, box) => {
    box.parsePort(p);
    return { xstats_names: XSTATS_NAMES };
  }),
  get_port_stats: common((p, box) => {
    const c = liveCounters(box, box.parsePort(p));
    return {
      opackets: c.opackets,
      obytes: c.obytes,
      ipackets: c.ipackets,
      ibytes: c.ibytes,
      oerrors: 0,
      ierrors: 0,
      m_total_tx_bps: c.txBps,
      m_total_tx_pps: c.txPps,
      m_total_rx_bps: c.rxBps,
      m_total_rx_pps: c.rxPps,
      m_cpu_util: c.txPps > 0 ? 10 : 0,
    };
  }),
  get_global_stats: common((_p, box) => {
    const all = box.ports.map((port) => liveCounters(box, port));
    const sum = (f: (c: (typeof all)[number]) => number): number =>
      all.reduce((a, c) => a + f(c), 0);
    const txPps = sum((c) => c.txPps);
    return {
      m_cpu_util: txPps > 0 ? 10 : 0,
      m_cpu_util_raw: txPps > 0 ? 10 : 0,
      m_bw_per_core: 0,
      m_rx_cpu_util: 0,
      m_rx_core_pps: 0,
      m_platform_factor: 1,
      m_tx_bps: sum((c) => c.txBps),
      m_rx_bps: sum((c) => c.rxBps),
      m_tx_pps: txPps,
      m_rx_pps: sum((c) => c.rxPps),
      m_tx_cps: 0,
      m_tx_expected_cps: 0,
      m_tx_expected_pps: txPps,
      m_tx_expected_bps: sum((c) => c.txBps),
      m_total_alloc_error: 0,
      m_total_queue_full: 0,
      m_total_queue_drop: 0,
      m_rx_drop_bps: Math.max(0, sum((c) => c.txBps) - sum((c) => c.rxBps)),
      m_active_flows: 0,
      m_open_flows: 0,
      m_total_tx_pkts: sum((c) => c.opackets),
      m_total_rx_pkts: sum((c) => c.ipackets),
      m_total_tx_bytes: sum((c) => c.obytes),
      m_total_rx_bytes: sum((c) => c.ibytes),
      m_total_clients: 0,
      m_total_servers: 0,
      m_active_sockets: 0,
      m_socket_util: 0,
      m_total_nat_time_out: 0,
      m_total_nat_time_out_wait_ack: 0,
      m_total_nat_no_fid: 0,
      m_total_nat_active: 0,
      m_total_nat_syn_wait: 0,
      m_total_nat_open: 0,
      m_total_nat_learn_error: 0,
    };
  }),
  get_port_xstats_values: common((p, box) => {
    const c = liveCounters(box, box.parsePort(p));
    return {
      xstats_values: [c.ipackets, c.opackets, c.ibytes, c.obytes, c.rxMissed, 0, 0],
    };
  }),
  get_utilization: common(() => ({ cpu: [], mbuf_stats: {} })),
  get_active_pgids: stl((_p, box) => {
    const ids = box.activePgids();
    return { ids: { flow_stats: ids.flowStats, latency: ids.latency } };
  }),
  get_pgid_stats: stl((p, box) => pgidStats(box, p)),
  get_tpg_status: stl((p, box) => {
    const hasUser = !isAbsent(p, "username");
    const hasPort = !isAbsent(p, "port_id");
    if (hasUser === hasPort) {
      throw parseErr("Exactly one of username/port_id must be provided.");
    }
    if (hasUser) parseString(p, "username");
    else box.parsePort(p);
    return {
      enabled: false,
      data: { acquired_ports: [], rx_ports: [], username: "-", num_tpgids: 0, num_tags: 0 },
    };
  }),
  disable_tpg: stl((p) => {
    parseString(p, "username");
    return {};
  }),
};

function pgidStats(box: BoxState, p: JsonObject): JsonValue {
  const list = parseArray(p, "pgids");
  const ids: number[] = [];
  for (const v of list) {
    if (typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 0xffffffff) ids.push(v);
    else if (v === null || typeof v === "boolean") ids.push(v ? 1 : 0);
    else if (typeof v === "number") throw executeErr("double out of UInt range");
    else throw executeErr("Value is not convertible to UInt.");
  }
  const active = box.activePgidSet();
  if (ids.length > MAX_PGIDS_PER_QUERY) {
    throw executeErr(
      `Too many packet group IDs requested. Requested ${ids.length}. Max allowed is ${MAX_PGIDS_PER_QUERY}`,
    );
  }
  const wanted = ids.length > 0 ? ids : [...active];
  const latencyIds = new Set(box.activePgids().latency);
  const flow: JsonObject = {};
  const lat: JsonObject = { g: {} };
  const ver: JsonObject = {};
  for (const id of wanted) {
    if (!active.has(id)) continue;
    const pg = box.pgid(id);
    const key = String(id);
    ver[key] = pg.ver;
    const perPort = (m: Map<number, number>): JsonObject =>
      Object.fromEntries(box.ports.map((port) => [String(port.id), m.get(port.id) ?? 0]));
    const zeros = Object.fromEntries(box.ports.map((port) => [String(port.id), 0]));
    flow[key] = {
      tp: perPort(pg.tp),
      tb: perPort(pg.tb),
      rp: perPort(pg.rp),
      rb: perPort(pg.rb),
      tps: zeros,
      tbs: zeros,
      rps: zeros,
      rbs: zeros,
    };
    if (latencyIds.has(id)) {
      const l = pg.latency;
      const entry: JsonObject = {
        lat: l
          ? {
              average: l.avg,
              total_max: l.packets > HOT_MAX_PACKETS ? Math.ceil(l.max) : 0,
              total_min: Math.floor(l.min),
              last_max: l.packets > HOT_MAX_PACKETS ? Math.ceil(l.max) : 0,
              histogram: { [String(histogramBucket(l.avg))]: l.packets },
              jit: Math.round(l.max - l.avg),
            }
          : { average: 0, total_max: 0, total_min: 0, last_max: 0, histogram: {}, jit: 0 },
      };
      if (l && l.dropped > 0) entry.er = { drp: l.dropped };
      lat[key] = entry;
    }
  }
  const any = Object.keys(ver).length > 0;
  return { flow_stats: any ? flow : null, latency: lat, ver_id: any ? ver : null };
}

/** TRex's latency histogram buckets: 10 µs steps below 100, then decades. */
function histogramBucket(us: number): number {
  if (us < 10) return 0;
  const decade = 10 ** Math.floor(Math.log10(us));
  return Math.floor(us / decade) * decade;
}
