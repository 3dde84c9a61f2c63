/**
 * Field-engine instruction builders, one per TRex instruction (STLVmFlowVar, STLVmWrFlowVar,
 * STLVmFixIpv4, ... in TRex's Python client). Values are checked when built, as the Python
 * client does; packet offsets given by name are resolved later, by compileVm, against the packet.
 */

export type VarSize = 1 | 2 | 4 | 8;
export type FlowVarOp = "inc" | "dec" | "random";
/** A variable value: a number, or dotted IPv4 text ("16.0.0.1") as TRex's client accepts. */
export type VmValue = number | string;
/** A byte offset in the packet, or a name resolved against it: "IPv4.src", "IP:1.dst", "TCP". */
export type PacketOffset = number | string;
export type ByteOrder = "big" | "little";

export interface FlowVar {
  readonly kind: "flowVar";
  readonly name: string;
  readonly size: VarSize;
  readonly op: FlowVarOp;
  /** Absent when valueList is given. */
  readonly init?: number;
  readonly min?: number;
  readonly max?: number;
  readonly valueList?: readonly number[];
  readonly step: number;
  readonly splitToCores: boolean;
  readonly nextVar?: string;
}

export interface RepeatableRandomVar {
  readonly kind: "repeatableRandom";
  readonly name: string;
  readonly size: VarSize;
  readonly limit: number;
  readonly seed: number;
  readonly min: number;
  readonly max: number;
  readonly splitToCores: boolean;
  readonly nextVar?: string;
}

export interface WriteVar {
  readonly kind: "write";
  readonly name: string;
  readonly offset: PacketOffset;
  readonly offsetFixup: number;
  readonly addValue: number;
  readonly byteOrder: ByteOrder;
}

export interface WriteMaskVar {
  readonly kind: "writeMask";
  readonly name: string;
  readonly offset: PacketOffset;
  readonly offsetFixup: number;
  readonly castSize: 1 | 2 | 4;
  readonly mask: number;
  readonly shift: number;
  readonly addValue: number;
  readonly byteOrder: ByteOrder;
}

export interface FixIpv4Checksum {
  readonly kind: "fixIpv4";
  /** The IPv4 header (not its checksum field). */
  readonly offset: PacketOffset;
}

export type L4Type = "udp" | "tcp" | "ip";

export interface FixChecksumHw {
  readonly kind: "fixHw";
  readonly l3Offset: PacketOffset;
  /** Start of the UDP/TCP header; for l4Type "ip" may be 0 (IPv4 header checksum only). */
  readonly l4Offset: PacketOffset;
  readonly l4Type: L4Type;
}

export interface FixIcmpv6Checksum {
  readonly kind: "fixIcmpv6";
  readonly l3Offset: PacketOffset;
  readonly l4Offset: PacketOffset;
}

export interface TupleVar {
  readonly kind: "tuple";
  readonly name: string;
  readonly ipMin: number;
  readonly ipMax: number;
  readonly portMin: number;
  readonly portMax: number;
  readonly limitFlows: number;
  readonly flags: number;
}

export interface TrimPacketSize {
  readonly kind: "trim";
  readonly name: string;
}

export type VmInstruction =
  | FlowVar
  | RepeatableRandomVar
  | WriteVar
  | WriteMaskVar
  | FixIpv4Checksum
  | FixChecksumHw
  | FixIcmpv6Checksum
  | TupleVar
  | TrimPacketSize;

/** A field-engine program before its packet offsets are resolved (TRex's STLScVmRaw). */
export interface VmProgram {
  readonly kind: "vmProgram";
  readonly instructions: readonly VmInstruction[];
  /** TRex's cache_size: > 0 caches that many generated packets on the server. */
  readonly cacheSize?: number;
}

/** A field-engine program is invalid (bad value, unknown variable, offset outside the packet). */
export class VmError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "VmError";
  }
}

const MAX_BY_SIZE: Record<VarSize, number> = {
  1: 0xff,
  2: 0xffff,
  4: 0xffffffff,
  // 2^64-1 is not representable in a JS number; 8-byte variables are limited to safe integers.
  8: Number.MAX_SAFE_INTEGER,
};

export function maxForSize(size: VarSize): number {
  return MAX_BY_SIZE[size];
}

/** TRex's convert_val: an integer, or dotted IPv4 text turned into its 32-bit value. */
export function vmValue(value: VmValue, what: string): number {
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value) || value < 0)
      throw new VmError(`${what}: ${value} is not a non-negative integer`);
    return value;
  }
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(value.trim());
  if (!m || m.slice(1).some((o) => Number(o) > 255))
    throw new VmError(`${what}: "${value}" is neither a number nor an IPv4 address`);
  return ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
}

function checkName(name: unknown, what: string): string {
  if (typeof name !== "string" || name.length === 0)
    throw new VmError(`${what}: name must be a non-empty string`);
  return name;
}

function checkSize(size: number, name: string): VarSize {
  if (size !== 1 && size !== 2 && size !== 4 && size !== 8)
    throw new VmError(`flow var "${name}": size ${size} is not 1, 2, 4 or 8`);
  return size;
}

function checkFits(size: VarSize, name: string, values: readonly number[]): void {
  for (const v of values) {
    if (v > MAX_BY_SIZE[size])
      throw new VmError(
        `flow var "${name}": value ${v} does not fit in ${size} byte(s) (max ${MAX_BY_SIZE[size]})`,
      );
  }
}

function checkInt(value: number, what: string, min = -Infinity, max = Infinity): number {
  if (!Number.isSafeInteger(value) || value < min || value > max)
    throw new VmError(`${what}: ${value} must be an integer in [${min}, ${max}]`);
  return value;
}

export interface FlowVarOptions {
  name: string;
  /** Bytes: 1, 2, 4 or 8 (default 4). */
  size?: number;
  /** Default "inc". */
  op?: FlowVarOp;
  /** Default 0. */
  min?: VmValue;
  /** Default 255. */
  max?: VmValue;
  /** First value; default min (max for "dec"). Ignored by "random". */
  init?: VmValue;
  /** Default 1. */
  step?: number;
  /** Values to walk through (or pick from) instead of min..max. */
  valueList?: readonly VmValue[];
  /** Default true: each TRex core advances by step × cores. */
  splitToCores?: boolean;
  /** Advance `nextVar` only when this variable wraps around (not with "random"). */
  nextVar?: string;
}

/** A flow variable (STLVmFlowVar): inc/dec with step and wrap-around, or uniform random. */
export function flowVar(opts: FlowVarOptions): FlowVar {
  const name = checkName(opts.name, "flow var");
  const size = checkSize(opts.size ?? 4, name);
  const op = opts.op ?? "inc";
  if (op !== "inc" && op !== "dec" && op !== "random")
    throw new VmError(`flow var "${name}": op "${String(op)}" is not inc, dec or random`);
  const step = checkInt(opts.step ?? 1, `flow var "${name}": step`, 1);
  checkFits(size, name, [step]);
  if (opts.nextVar !== undefined) {
    if (op === "random")
      throw new VmError(`flow var "${name}": a random variable cannot have a next_var`);
    if (opts.nextVar === name) throw new VmError(`flow var "${name}": next_var points to itself`);
  }
  const common = {
    kind: "flowVar" as const,
    name,
    size,
    op,
    step,
    splitToCores: opts.splitToCores ?? true,
    ...(opts.nextVar !== undefined ? { nextVar: opts.nextVar } : {}),
  };
  if (opts.valueList !== undefined) {
    const list = opts.valueList.map((v, i) => vmValue(v, `flow var "${name}": value_list[${i}]`));
    if (list.length === 0) throw new VmError(`flow var "${name}": value_list is empty`);
    if (list.length > 0xffff)
      throw new VmError(`flow var "${name}": value_list has more than 65535 values`);
    checkFits(size, name, list);
    return { ...common, valueList: list };
  }
  const min = vmValue(opts.min ?? 0, `flow var "${name}": min`);
  const max = vmValue(opts.max ?? 255, `flow var "${name}": max`);
  const init = vmValue(opts.init ?? (op === "dec" ? max : min), `flow var "${name}": init`);
  checkFits(size, name, [min, max, init]);
  if (min > max) throw new VmError(`flow var "${name}": max ${max} is lower than min ${min}`);
  if (init < min || init > max)
    throw new VmError(`flow var "${name}": init ${init} is not between min ${min} and max ${max}`);
  return { ...common, init, min, max };
}

export interface RepeatableRandomOptions {
  name: string;
  size?: number;
  /** Number of values before the sequence repeats (default 100). */
  limit?: number;
  seed: number;
  min?: VmValue;
  /** Default: the largest value of `size`. */
  max?: VmValue;
  splitToCores?: boolean;
  nextVar?: string;
}

/** A random variable whose sequence repeats every `limit` values (STLVmFlowVarRepeatableRandom). */
export function repeatableRandomVar(opts: RepeatableRandomOptions): RepeatableRandomVar {
  const name = checkName(opts.name, "repeatable random var");
  const size = checkSize(opts.size ?? 4, name);
  const limit = checkInt(opts.limit ?? 100, `repeatable random var "${name}": limit`, 1);
  checkFits(size, name, [limit]);
  const seed = checkInt(opts.seed, `repeatable random var "${name}": seed`, 0, 0xffffffff);
  const min = vmValue(opts.min ?? 0, `repeatable random var "${name}": min`);
  const max = vmValue(opts.max ?? MAX_BY_SIZE[size], `repeatable random var "${name}": max`);
  checkFits(size, name, [min, max]);
  if (min > max) throw new VmError(`repeatable random var "${name}": max is lower than min`);
  return {
    kind: "repeatableRandom",
    name,
    size,
    limit,
    seed,
    min,
    max,
    splitToCores: opts.splitToCores ?? true,
    ...(opts.nextVar !== undefined ? { nextVar: opts.nextVar } : {}),
  };
}

export interface WriteVarOptions {
  /** The variable to write ("tuple.ip" / "tuple.port" for a tuple variable). */
  name: string;
  offset: PacketOffset;
  /** Bytes added to the resolved offset (may be negative). */
  offsetFixup?: number;
  /** Added to the variable before writing (wraps at the variable's size). */
  addValue?: number;
  /** Default "big" (network order). */
  byteOrder?: ByteOrder;
}

/** Writes a variable into the packet (STLVmWrFlowVar); the write is as wide as the variable. */
export function writeVar(opts: WriteVarOptions): WriteVar {
  const name = checkName(opts.name, "write");
  return {
    kind: "write",
    name,
    offset: checkOffset(opts.offset, `write "${name}"`),
    offsetFixup: checkInt(opts.offsetFixup ?? 0, `write "${name}": offsetFixup`),
    addValue: checkInt(opts.addValue ?? 0, `write "${name}": addValue`),
    byteOrder: checkOrder(opts.byteOrder ?? "big", `write "${name}"`),
  };
}

export interface WriteMaskVarOptions extends WriteVarOptions {
  /** Width of the packet field written: 1, 2 or 4 bytes (default 1). */
  castSize?: 1 | 2 | 4;
  /** Bits of the packet field to replace (default 0xff). */
  mask?: number;
  /** Shift of the variable before masking: > 0 left, < 0 right. */
  shift?: number;
}

/**
 * Read-modify-write of part of a packet field (STLVmWrMaskFlowVar):
 * field = (field & ~mask) | (((var + addValue) shifted) & mask).
 */
export function writeMaskVar(opts: WriteMaskVarOptions): WriteMaskVar {
  const name = checkName(opts.name, "write mask");
  const castSize = opts.castSize ?? 1;
  if (castSize !== 1 && castSize !== 2 && castSize !== 4)
    throw new VmError(`write mask "${name}": castSize ${String(castSize)} is not 1, 2 or 4`);
  return {
    kind: "writeMask",
    name,
    offset: checkOffset(opts.offset, `write mask "${name}"`),
    offsetFixup: checkInt(opts.offsetFixup ?? 0, `write mask "${name}": offsetFixup`),
    castSize,
    mask: checkInt(opts.mask ?? 0xff, `write mask "${name}": mask`, 0, 0xffffffff),
    shift: checkInt(opts.shift ?? 0, `write mask "${name}": shift`, -31, 31),
    addValue: checkInt(opts.addValue ?? 0, `write mask "${name}": addValue`),
    byteOrder: checkOrder(opts.byteOrder ?? "big", `write mask "${name}"`),
  };
}

/** Recomputes an IPv4 header checksum (STLVmFixIpv4); default the first IPv4 header. */
export function fixIpv4Checksum(offset: PacketOffset = "IPv4"): FixIpv4Checksum {
  return { kind: "fixIpv4", offset: checkOffset(offset, "fixIpv4Checksum") };
}

/**
 * Has the NIC fill in the IPv4 header checksum and the TCP/UDP checksum (STLVmFixChecksumHw).
 * The local interpreter computes them in software, as they leave the wire.
 */
export function fixChecksumHw(opts: {
  l3Offset: PacketOffset;
  l4Offset: PacketOffset;
  l4Type: L4Type;
}): FixChecksumHw {
  if (opts.l4Type !== "udp" && opts.l4Type !== "tcp" && opts.l4Type !== "ip")
    throw new VmError(`fixChecksumHw: l4Type "${String(opts.l4Type)}" is not udp, tcp or ip`);
  return {
    kind: "fixHw",
    l3Offset: checkOffset(opts.l3Offset, "fixChecksumHw l3Offset"),
    l4Offset: checkOffset(opts.l4Offset, "fixChecksumHw l4Offset"),
    l4Type: opts.l4Type,
  };
}

/** Recomputes an ICMPv6 checksum (STLVmFixIcmpv6). */
export function fixIcmpv6Checksum(opts: {
  l3Offset: PacketOffset;
  l4Offset: PacketOffset;
}): FixIcmpv6Checksum {
  return {
    kind: "fixIcmpv6",
    l3Offset: checkOffset(opts.l3Offset, "fixIcmpv6Checksum l3Offset"),
    l4Offset: checkOffset(opts.l4Offset, "fixIcmpv6Checksum l4Offset"),
  };
}

export interface TupleVarOptions {
  /** Creates the variables `<name>.ip` (4 bytes) and `<name>.port` (2 bytes). */
  name: string;
  ipMin?: VmValue;
  ipMax?: VmValue;
  portMin?: number;
  portMax?: number;
  /** Flows before the tuple starts over (0 = no limit; default 100000). */
  limitFlows?: number;
  /** Let the port run over its whole 16-bit range (TRex flag 1). */
  ignorePorts?: boolean;
}

/**
 * A client tuple generator (STLVmTupleGen): the IP walks ipMin..ipMax; each time it wraps,
 * the port advances by one in portMin..portMax.
 */
export function tupleVar(opts: TupleVarOptions): TupleVar {
  const name = checkName(opts.name, "tuple var");
  const ipMin = vmValue(opts.ipMin ?? "0.0.0.1", `tuple var "${name}": ipMin`);
  const ipMax = vmValue(opts.ipMax ?? "0.0.0.10", `tuple var "${name}": ipMax`);
  const portMin = checkInt(opts.portMin ?? 1025, `tuple var "${name}": portMin`, 0, 0xffff);
  const portMax = checkInt(opts.portMax ?? 65535, `tuple var "${name}": portMax`, 0, 0xffff);
  checkFits(4, name, [ipMin, ipMax]);
  if (ipMin > ipMax) throw new VmError(`tuple var "${name}": ipMax is lower than ipMin`);
  if (portMin > portMax) throw new VmError(`tuple var "${name}": portMax is lower than portMin`);
  return {
    kind: "tuple",
    name,
    ipMin,
    ipMax,
    portMin,
    portMax,
    limitFlows: checkInt(
      opts.limitFlows ?? 100000,
      `tuple var "${name}": limitFlows`,
      0,
      0xffffffff,
    ),
    flags: opts.ignorePorts ? 1 : 0,
  };
}

/** Sets the packet length to the value of a variable (STLVmTrimPktSize); fields are not fixed. */
export function trimPacketSize(name: string): TrimPacketSize {
  return { kind: "trim", name: checkName(name, "trimPacketSize") };
}

/** A field-engine program: the instructions in order, and TRex's optional packet cache size. */
export function fieldEngine(
  instructions: readonly VmInstruction[],
  opts: { cacheSize?: number } = {},
): VmProgram {
  if (!Array.isArray(instructions))
    throw new VmError("fieldEngine: expected a list of instructions");
  for (const [i, ins] of instructions.entries()) {
    if (!ins || typeof ins !== "object" || typeof (ins as { kind?: unknown }).kind !== "string")
      throw new VmError(`fieldEngine: instruction ${i} is not a field-engine instruction`);
  }
  const cacheSize =
    opts.cacheSize === undefined ? undefined : checkInt(opts.cacheSize, "cacheSize", 0, 0xffff);
  return {
    kind: "vmProgram",
    instructions: Object.freeze(instructions.slice()),
    ...(cacheSize ? { cacheSize } : {}),
  };
}

function checkOffset(offset: PacketOffset, what: string): PacketOffset {
  if (typeof offset === "string") {
    if (offset.trim() === "") throw new VmError(`${what}: empty offset name`);
    return offset;
  }
  return checkInt(offset, `${what}: offset`, 0, 0xffff);
}

function checkOrder(order: ByteOrder, what: string): ByteOrder {
  if (order !== "big" && order !== "little")
    throw new VmError(`${what}: byteOrder "${String(order)}" is not big or little`);
  return order;
}
