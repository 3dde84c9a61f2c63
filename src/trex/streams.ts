/** StreamDefinition and its JSON form in TRex's add_stream (trex_stl_streams.py STLStream.to_json). */

import type { CompiledVm } from "../vm/compile.ts";
import type { StreamMode } from "./protocol.ts";

export type { CompiledVm, StreamMode };

export interface StreamDefinition {
  name?: string;
  /** The frame without FCS; TRex pads frames under 60 bytes. */
  packet: Uint8Array;
  vm?: CompiledVm;
  /** Seed of the VM's random variables; unset = the server seeds from time. */
  randomSeed?: number;
  mode: StreamMode;
  /** This stream's share of the port's rate; start() scales the sum to the requested total. */
  rateShare: number;
  /** Delay before the stream's first packet, µs. */
  isgUs?: number;
  flowStats?: { pgId: number; latency: boolean };
  /**
   * Keep the packet's own source / destination MAC. By default TRex writes the port's MAC as
   * source and the port's configured (or resolved) destination, as for a benchmark of a DUT.
   */
  keepSrcMac?: boolean;
  keepDstMac?: boolean;
}

function positiveInteger(v: number, what: string): number {
  if (!Number.isInteger(v) || v <= 0 || v > 0xffffffff) {
    throw new RangeError(`${what} must be a positive 32-bit integer, got ${v}`);
  }
  return v;
}

function nonNegative(v: number, what: string): number {
  if (!Number.isFinite(v) || v < 0) throw new RangeError(`${what} must be ≥ 0, got ${v}`);
  return v;
}

function modeJson(s: StreamDefinition, where: string): Record<string, unknown> {
  if (!Number.isFinite(s.rateShare) || s.rateShare <= 0) {
    throw new RangeError(`${where}: rateShare must be a positive number, got ${s.rateShare}`);
  }
  const rate = { type: "pps", value: s.rateShare };
  const m = s.mode;
  switch (m.type) {
    case "continuous":
      return { type: "continuous", rate };
    case "single_burst":
      return {
        type: "single_burst",
        total_pkts: positiveInteger(m.packets, `${where}: packets`),
        rate,
      };
    case "multi_burst":
      return {
        type: "multi_burst",
        pkts_per_burst: positiveInteger(m.packetsPerBurst, `${where}: packetsPerBurst`),
        ibg: nonNegative(m.ibgUs, `${where}: ibgUs`),
        count: positiveInteger(m.count, `${where}: count`),
        rate,
      };
    default:
      throw new RangeError(`${where}: unknown mode ${JSON.stringify(m)}`);
  }
}

/** The `stream` object of add_stream. */
export function streamJson(s: StreamDefinition, where = "stream"): Record<string, unknown> {
  if (!(s.packet instanceof Uint8Array) || s.packet.length === 0) {
    throw new TypeError(`${where}: packet must be a non-empty Uint8Array`);
  }
  const flags = (s.keepSrcMac ? 1 : 0) | (s.keepDstMac ? 1 << 1 : 0);
  const json: Record<string, unknown> = {
    enabled: true,
    self_start: true,
    start_paused: false,
    isg: nonNegative(s.isgUs ?? 0, `${where}: isgUs`),
    next_stream_id: -1,
    core_id: -1,
    flags,
    action_count: 0,
    mode: modeJson(s, where),
    packet: { binary: Buffer.from(s.packet).toString("base64"), meta: "" },
    vm: s.vm ?? { instructions: [] },
    flow_stats: s.flowStats
      ? {
          enabled: true,
          stream_id: s.flowStats.pgId,
          rule_type: s.flowStats.latency ? "latency" : "stats",
          vxlan: false,
          ieee_1588: false,
        }
      : { enabled: false },
  };
  // As Python: the key only when a seed was chosen (0 = seeded from time on the server).
  if (s.randomSeed !== undefined && s.randomSeed !== 0) {
    json.random_seed = positiveInteger(s.randomSeed, `${where}: randomSeed`);
  }
  if (s.name !== undefined) json.name = s.name;
  return json;
}
