/**
 * The `add_stream` stream object, validated in TRex's parse order with TRex's error texts
 * (src/stx/stl/trex_stl_rpc_cmds.cpp), and the rate arithmetic of a profile
 * (src/stx/stl/trex_stl_stream.cpp, trex_stl_port.cpp).
 */
import { payloadBytes } from "../packet/index.ts";
import { LATENCY_SIGNATURE_BYTES } from "../trex/protocol.ts";
import { kindOf, memberMeta, type JsonObject, type JsonValue } from "./json-text.ts";
import {
  executeErr,
  isAbsent,
  jsonErr,
  optBool,
  optNumber,
  parseArray,
  parseBool,
  parseChoice,
  parseErr,
  parseNumber,
  parseObject,
  parseString,
  checkElement,
} from "./params.ts";

export const MIN_PKT_SIZE = 14;
/** 9 KiB of IP + 14 + 4 FCS + spare, as src/common/captureFile.h. */
export const MAX_PKT_SIZE = 9 * 1024 + 22;
export const MAX_STREAMS_PER_PORT = 20000;

export type RateType = "pps" | "bps_L1" | "bps_L2" | "percentage";

export type StreamMode =
  | { type: "continuous" }
  | { type: "single_burst"; totalPkts: number }
  | { type: "multi_burst"; ibgUs: number; count: number; pktsPerBurst: number };

export interface StreamDef {
  id: number;
  /** The stream object exactly as received, for get_all_streams / get_stream. */
  json: JsonObject;
  enabled: boolean;
  selfStart: boolean;
  mode: StreamMode;
  rate: { type: RateType; value: number };
  isgUs: number;
  /** Frame length on the wire with FCS: max(binary, 60) + 4. */
  frameSize: number;
  flowStats: { pgid: number; ruleType: "stats" | "latency" | "tpg" } | null;
  /** The stream's frames carry their own destination MAC (`flags` dst mode 1, "from packet"). */
  explicitDstMac: boolean;
  /** A null stream (`flags` bit 3): TRex leaves it out of the dest-MAC and flow-stats counts. */
  nullStream: boolean;
}

/**
 * The `flags` bits as trex_stl_stream.h reads them from the uint16 they are stored in: bit 0
 * source MAC from the packet, bits 2..1 the destination MAC mode (0 config file, 1 packet,
 * 2 ARP), bit 3 a null stream (TrexRpcCmdAddStream).
 */
function streamFlags(flags: number): Pick<StreamDef, "explicitDstMac" | "nullStream"> {
  const bits = flags & 0xffff;
  return { explicitDstMac: ((bits >> 1) & 0x3) === 1, nullStream: (bits & 0x8) !== 0 };
}

/** Validates and reads one stream object; `dpCoreCount` bounds `core_id`. */
export function parseStream(stream: JsonObject, streamId: number, dpCoreCount: number): StreamDef {
  const modeObj = parseObject(stream, "mode");
  const mode = parseMode(modeObj);
  const rateObj = parseObject(modeObj, "rate");
  const rateValue = parseNumber(rateObj, "value", "unsigned double");
  const rateType = parseChoice(rateObj, "type", ["pps", "bps_L1", "bps_L2", "percentage"] as const);

  const enabled = parseBool(stream, "enabled");
  const selfStart = parseBool(stream, "self_start");
  optBool(stream, "start_paused", false);
  const flags = streamFlags(parseNumber(stream, "flags", "int"));
  parseNumber(stream, "action_count", "uint32");
  optNumber(stream, "random_seed", "uint32", 0);
  const isgUs = parseNumber(stream, "isg", "unsigned double");
  parseNumber(stream, "next_stream_id", "int");
  const coreId = parseCoreId(stream, dpCoreCount);
  const packet = parsePacket(parseObject(stream, "packet"));
  const frameLength = packet.length;
  parseVm(parseObject(stream, "vm"));
  const flowStats = parseFlowStats(parseObject(stream, "flow_stats"), coreId);
  if (flowStats?.ruleType === "latency") checkLatencyPayload(packet);
  return {
    id: streamId,
    json: stream,
    enabled,
    selfStart,
    mode,
    rate: { type: rateType, value: rateValue },
    isgUs,
    frameSize: Math.max(frameLength, 60) + 4,
    flowStats,
    ...flags,
  };
}

/** The mode's type and burst fields (allocate_new_stream re-reads mode and type first). */
function parseMode(modeObj: JsonObject): StreamMode {
  const type = parseString(modeObj, "type");
  if (type === "continuous") return { type };
  if (type === "single_burst") {
    const totalPkts = parseNumber(modeObj, "total_pkts", "uint32");
    if (totalPkts === 0) throw parseErr(`${type}: 'total_pkts' cannot be zero.`);
    return { type, totalPkts };
  }
  if (type === "multi_burst") {
    const ibgUs = parseNumber(modeObj, "ibg", "unsigned double");
    const count = parseNumber(modeObj, "count", "uint32");
    const pktsPerBurst = parseNumber(modeObj, "pkts_per_burst", "uint32");
    if (pktsPerBurst === 0) throw parseErr(`${type}: 'pkts_per_burst' cannot be zero.`);
    return { type, ibgUs, count, pktsPerBurst };
  }
  throw parseErr(`bad stream type provided: '${type}'`);
}

function parseCoreId(stream: JsonObject, dpCoreCount: number): number {
  const coreId = optNumber(stream, "core_id", "int", -1);
  if (coreId >= 0 && coreId >= dpCoreCount) {
    throw executeErr(
      dpCoreCount === 1
        ? "There is only one core, hence core ID must be 0."
        : `Core ID is: ${coreId}. It must be an integer between 0 and ${dpCoreCount - 1} (inclusive).`,
    );
  }
  return coreId;
}

/** A latency stream's packet needs room for TRex's signature after its last header. */
function checkLatencyPayload(packet: Uint8Array): void {
  const payload = payloadBytes(packet);
  if (payload < LATENCY_SIGNATURE_BYTES) {
    throw executeErr(
      `Need at least ${LATENCY_SIGNATURE_BYTES} payload bytes for payload rules. Packet only has ${payload} bytes`,
    );
  }
}

/** The packet section; returns the packet without FCS. */
function parsePacket(pkt: JsonObject): Uint8Array {
  const binary = decodeBase64LikeTrex(parseString(pkt, "binary"));
  if (binary.length < MIN_PKT_SIZE || binary.length > MAX_PKT_SIZE) {
    throw executeErr(
      `Bad packet size provided: ${binary.length}. Should be between ${MIN_PKT_SIZE} and ${MAX_PKT_SIZE}`,
    );
  }
  parseString(pkt, "meta");
  return binary;
}

function parseFlowStats(rx: JsonObject, coreId: number): StreamDef["flowStats"] {
  if (!parseBool(rx, "enabled")) return null;
  const pgid = parseNumber(rx, "stream_id", "uint32");
  optBool(rx, "vxlan", false);
  if (optBool(rx, "ieee_1588", false)) throw executeErr("Driver doesn't support IEEE-1588.");
  const ruleType = parseString(rx, "rule_type");
  if (ruleType !== "stats" && coreId >= 0) {
    throw executeErr("Core ID pinning is not supported for sequenced streams.");
  }
  return {
    pgid,
    ruleType: ruleType === "stats" ? "stats" : ruleType === "latency" ? "latency" : "tpg",
  };
}

/**
 * TRex's base64_decode stops at the first character outside the alphabet (or '='). The
 * emulator is stricter on purpose: anything but padding after that point is refused, so a
 * client bug shows up here rather than as a silently truncated packet.
 */
export function decodeBase64LikeTrex(text: string): Buffer {
  const prefix = /^[A-Za-z0-9+/]*/.exec(text)![0];
  const rest = text.slice(prefix.length);
  if (!/^={0,2}$/.test(rest) || (rest !== "" && (prefix.length + rest.length) % 4 !== 0)) {
    throw executeErr(
      `Bad packet binary: invalid base64 at character ${prefix.length + 1} of ${text.length}`,
    );
  }
  return Buffer.from(prefix, "base64");
}

const VM_TYPES = [
  "fix_checksum_hw",
  "fix_checksum_ipv4",
  "fix_checksum_icmpv6",
  "flow_var",
  "write_flow_var",
  "tuple_flow_var",
  "trim_pkt_size",
  "write_mask_flow_var",
  "flow_var_rand_limit",
] as const;

function parseSize(inst: JsonObject): number {
  const field = inst.size;
  const meta = memberMeta(inst, "size");
  if (field === null || field === undefined) throw parseErr("field 'size' is missing");
  const kind = meta?.kind ?? kindOf(field);
  if (kind === "int" && (field === 1 || field === 2 || field === 4 || field === 8)) return field;
  throw parseErr("field 'size' can only be one of ['1' ,'2' ,'4' ,'8']");
}

function checkMinMax(size: number, init: number, step: number, min: number, max: number): void {
  if (step === 0) throw parseErr("VM: step cannot be 0");
  if (max < min) {
    throw parseErr(`VM: requested flow var max value: '${max}' is smaller than min value: ${min}`);
  }
  if (init < min || init > max) {
    throw parseErr(
      `VM: requested flow var init value: '${init}' should be in range from min value '${min}' to max value '${max}'`,
    );
  }
  const limit = size === 1 ? 255 : size === 2 ? 65535 : size === 4 ? 4294967295 : Infinity;
  if (init > limit || min > limit || max > limit || step > limit) {
    throw parseErr(`VM: requested value is bigger than ${limit}`);
  }
}

/** parse_vm: every instruction's fields, in TRex's order. */
function parseVm(vm: JsonObject): void {
  const instructions = parseArray(vm, "instructions");
  for (let i = 0; i < instructions.length; i++) {
    checkElement(instructions, i, "object");
    const inst = instructions[i] as JsonObject;
    VM_INSTRUCTIONS[parseChoice(inst, "type", VM_TYPES)](inst);
  }
  optNumber(vm, "cache", "uint16", 0);
}

/** Each VM instruction's fields, checked in TRex's order. */
const VM_INSTRUCTIONS: Record<(typeof VM_TYPES)[number], (inst: JsonObject) => void> = {
  fix_checksum_ipv4: (inst) => {
    parseNumber(inst, "pkt_offset", "uint16");
  },
  fix_checksum_hw: (inst) => {
    parseNumber(inst, "l2_len", "uint16");
    parseNumber(inst, "l3_len", "uint16");
    parseNumber(inst, "l4_type", "uint16");
  },
  fix_checksum_icmpv6: (inst) => {
    parseNumber(inst, "l2_len", "uint16");
    parseNumber(inst, "l3_len", "uint16");
  },
  flow_var: parseFlowVar,
  flow_var_rand_limit: (inst) => {
    parseString(inst, "name");
    if (!isAbsent(inst, "next_var")) parseString(inst, "next_var");
    const size = parseSize(inst);
    parseNumber(inst, "seed", "uint64");
    const limit = parseNumber(inst, "limit", "uint64");
    const min = parseNumber(inst, "min_value", "uint64");
    const max = parseNumber(inst, "max_value", "uint64");
    optBool(inst, "split_to_cores", true);
    if (limit < 1) {
      throw parseErr("VM: request random flow var variable with limit of zero '");
    }
    checkMinMax(size, min, 1, min, max);
  },
  write_flow_var: (inst) => {
    parseString(inst, "name");
    parseNumber(inst, "pkt_offset", "uint16");
    parseNumber(inst, "add_value", "int");
    parseBool(inst, "is_big_endian");
  },
  write_mask_flow_var: (inst) => {
    parseString(inst, "name");
    parseNumber(inst, "pkt_offset", "uint16");
    parseNumber(inst, "pkt_cast_size", "uint16");
    parseNumber(inst, "mask", "uint32");
    parseNumber(inst, "shift", "int");
    parseNumber(inst, "add_value", "int");
    parseBool(inst, "is_big_endian");
  },
  tuple_flow_var: (inst) => {
    parseString(inst, "name");
    parseNumber(inst, "ip_min", "uint32");
    parseNumber(inst, "ip_max", "uint32");
    parseNumber(inst, "port_min", "uint16");
    parseNumber(inst, "port_max", "uint16");
    parseNumber(inst, "limit_flows", "uint32");
    parseNumber(inst, "flags", "uint16");
  },
  trim_pkt_size: (inst) => {
    parseString(inst, "name");
  },
};

function parseFlowVar(inst: JsonObject): void {
  parseString(inst, "name");
  if (!isAbsent(inst, "next_var")) parseString(inst, "next_var");
  const size = parseSize(inst);
  parseChoice(inst, "op", ["inc", "dec", "random"] as const);
  const list = isAbsent(inst, "value_list") ? null : parseArray(inst, "value_list");
  const step = parseNumber(inst, "step", "uint64");
  optBool(inst, "split_to_cores", true);
  if (list === null) {
    const init = parseNumber(inst, "init_value", "uint64");
    const min = parseNumber(inst, "min_value", "uint64");
    const max = parseNumber(inst, "max_value", "uint64");
    checkMinMax(size, init, step, min, max);
    return;
  }
  const values = list.map((v) => asUInt64(v));
  if (step === 0) throw parseErr("VM: step cannot be 0");
  if (step > values.length) throw parseErr("VM: step cannot be bigger than list size");
  if (values.length > 65535) throw parseErr("VM: value_list size is bigger than 65535");
  const limit = size === 1 ? 255 : size === 2 ? 65535 : size === 4 ? 4294967295 : Infinity;
  if (values.some((v) => v > limit)) {
    throw parseErr(`VM: requested value is bigger than ${limit}`);
  }
}

/** jsoncpp asUInt64 inside a handler: a conversion failure is a -32700 Json Error. */
function asUInt64(v: JsonValue): number {
  if (typeof v === "number" && v >= 0 && v < 2 ** 64) return Math.trunc(v);
  if (typeof v === "boolean") return v ? 1 : 0;
  if (v === null) return 0;
  throw jsonErr(
    typeof v === "number" ? "double out of UInt64 range" : "Value is not convertible to UInt64.",
  );
}

/** Per-stream base rates at multiplier 1, for a port of `speedBps`. */
export function baseRates(
  s: StreamDef,
  speedBps: number,
): { pps: number; bpsL1: number; bpsL2: number } {
  const l2Bits = s.frameSize * 8;
  const l1Bits = (s.frameSize + 20) * 8;
  let pps: number;
  switch (s.rate.type) {
    case "pps":
      pps = s.rate.value;
      break;
    case "bps_L1":
      pps = s.rate.value / l1Bits;
      break;
    case "bps_L2":
      pps = s.rate.value / l2Bits;
      break;
    case "percentage":
      pps = ((s.rate.value / 100) * speedBps) / l1Bits;
      break;
  }
  return { pps, bpsL1: pps * l1Bits, bpsL2: pps * l2Bits };
}
