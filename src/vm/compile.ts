/**
 * Compiles a field-engine program against its packet into the `vm` object TRex's Python
 * client sends in add_stream: `{"instructions": [...], "cache"?: n}`, keys in the client's order.
 */
import {
  VmError,
  type FlowVar,
  type PacketOffset,
  type RepeatableRandomVar,
  type VarSize,
  type VmInstruction,
  type VmProgram,
} from "./program.ts";

export interface FlowVarJson {
  type: "flow_var";
  name: string;
  size: VarSize;
  op: "inc" | "dec" | "random";
  next_var: string | null;
  split_to_cores: boolean;
  init_value?: number;
  min_value?: number;
  max_value?: number;
  value_list?: number[];
  step: number;
}

export interface FlowVarRandLimitJson {
  type: "flow_var_rand_limit";
  name: string;
  size: VarSize;
  limit: number;
  seed: number;
  min_value: number;
  max_value: number;
  split_to_cores: boolean;
  next_var: string | null;
}

export interface WriteFlowVarJson {
  type: "write_flow_var";
  name: string;
  pkt_offset: number;
  add_value: number;
  is_big_endian: boolean;
}

export interface WriteMaskFlowVarJson {
  type: "write_mask_flow_var";
  name: string;
  pkt_offset: number;
  pkt_cast_size: 1 | 2 | 4;
  mask: number;
  shift: number;
  add_value: number;
  is_big_endian: boolean;
}

export interface FixChecksumIpv4Json {
  type: "fix_checksum_ipv4";
  pkt_offset: number;
}

/** l4_type: 11 UDP, 13 TCP, 17 IPv4 header only (TRex's CTRexVmInsFixHwCs). */
export interface FixChecksumHwJson {
  type: "fix_checksum_hw";
  l2_len: number;
  l3_len: number;
  l4_type: 11 | 13 | 17;
}

export interface FixChecksumIcmpv6Json {
  type: "fix_checksum_icmpv6";
  l2_len: number;
  l3_len: number;
}

export interface TupleFlowVarJson {
  type: "tuple_flow_var";
  name: string;
  ip_min: number;
  ip_max: number;
  port_min: number;
  port_max: number;
  limit_flows: number;
  flags: number;
}

export interface TrimPktSizeJson {
  type: "trim_pkt_size";
  name: string;
}

export type VmInstructionJson =
  | FlowVarJson
  | FlowVarRandLimitJson
  | WriteFlowVarJson
  | WriteMaskFlowVarJson
  | FixChecksumIpv4Json
  | FixChecksumHwJson
  | FixChecksumIcmpv6Json
  | TupleFlowVarJson
  | TrimPktSizeJson;

/** The stream's `vm` field, exactly as TRex's Python client sends it. */
export interface CompiledVm {
  instructions: VmInstructionJson[];
  cache?: number;
}

/** What compileVm needs from a packet: its length and offsets by name (src/packet's Packet). */
export interface OffsetResolver {
  readonly length: number;
  offsetOf(ref: string): { offset: number; size: number };
}

export const L4_TYPE_CODES = { udp: 11, tcp: 13, ip: 17 } as const;

type VarDecl = FlowVar | RepeatableRandomVar;

/** Resolves names to offsets, checks variables and bounds, and orders next_var chains as TRex's client does. */
export function compileVm(program: VmProgram, packet: OffsetResolver): CompiledVm {
  const sizes = new Map<string, VarSize>();
  const declare = (name: string, size: VarSize): void => {
    if (sizes.has(name)) throw new VmError(`variable "${name}" is defined twice`);
    sizes.set(name, size);
  };
  const flowVars = new Map<string, VarDecl>();
  for (const ins of program.instructions) {
    if (ins.kind === "flowVar" || ins.kind === "repeatableRandom") {
      declare(ins.name, ins.size);
      flowVars.set(ins.name, ins);
    } else if (ins.kind === "tuple") {
      declare(`${ins.name}.ip`, 4);
      declare(`${ins.name}.port`, 2);
    }
  }
  const sizeOf = (name: string, what: string): VarSize => {
    const s = sizes.get(name);
    if (s === undefined) throw new VmError(`${what}: variable "${name}" does not exist`);
    return s;
  };

  // next_var chains: a variable pointed to is driven by its predecessor and never split.
  const previous = new Map<string, string>();
  for (const v of flowVars.values()) {
    if (v.nextVar === undefined) continue;
    if (!flowVars.has(v.nextVar))
      throw new VmError(`flow var "${v.name}": next_var "${v.nextVar}" does not exist`);
    const prev = previous.get(v.nextVar);
    if (prev !== undefined && prev !== v.name)
      throw new VmError(`variable "${v.nextVar}" is the next_var of two variables`);
    previous.set(v.nextVar, v.name);
  }
  const ordered: VarDecl[] = [];
  for (const v of flowVars.values()) {
    if (previous.has(v.name)) continue;
    let head: VarDecl | undefined = v;
    while (head) {
      ordered.push(head);
      head = head.nextVar !== undefined ? flowVars.get(head.nextVar) : undefined;
      if (ordered.length > flowVars.size) break;
    }
  }
  if (ordered.length !== flowVars.size) throw new VmError("next_var chains must not form a loop");

  const len = packet.length;
  const resolve = (offset: PacketOffset, what: string): number => {
    if (typeof offset === "number") return offset;
    try {
      return packet.offsetOf(offset).offset;
    } catch (err) {
      throw new VmError(`${what}: ${(err as Error).message}`);
    }
  };
  const inPacket = (offset: number, bytes: number, what: string): number => {
    if (offset < 0 || offset + bytes > len)
      throw new VmError(
        `${what}: ${bytes} byte(s) at offset ${offset} do not fit in the ${len}-byte packet`,
      );
    return offset;
  };

  const out: VmInstructionJson[] = [];
  for (const v of ordered) out.push(varJson(v, previous.has(v.name)));
  for (const ins of program.instructions) {
    const json = instructionJson(ins, { sizeOf, resolve, inPacket, flowVars, len });
    if (json) out.push(json);
  }
  return program.cacheSize
    ? { instructions: out, cache: program.cacheSize }
    : { instructions: out };
}

function varJson(v: VarDecl, hasPrevious: boolean): VmInstructionJson {
  const split = hasPrevious ? false : v.splitToCores;
  if (v.kind === "repeatableRandom") {
    return {
      type: "flow_var_rand_limit",
      name: v.name,
      size: v.size,
      limit: v.limit,
      seed: v.seed,
      min_value: v.min,
      max_value: v.max,
      split_to_cores: split,
      next_var: v.nextVar ?? null,
    };
  }
  const head = {
    type: "flow_var" as const,
    name: v.name,
    size: v.size,
    op: v.op,
    next_var: v.nextVar ?? null,
    split_to_cores: split,
  };
  if (v.valueList) return { ...head, value_list: v.valueList.slice(), step: v.step };
  return {
    ...head,
    init_value: v.init as number,
    min_value: v.min as number,
    max_value: v.max as number,
    step: v.step,
  };
}

interface Ctx {
  sizeOf(name: string, what: string): VarSize;
  resolve(offset: PacketOffset, what: string): number;
  inPacket(offset: number, bytes: number, what: string): number;
  flowVars: Map<string, VarDecl>;
  len: number;
}

function instructionJson(ins: VmInstruction, c: Ctx): VmInstructionJson | undefined {
  switch (ins.kind) {
    case "flowVar":
    case "repeatableRandom":
      return undefined; // emitted first, in chain order
    case "tuple":
      return {
        type: "tuple_flow_var",
        name: ins.name,
        ip_min: ins.ipMin,
        ip_max: ins.ipMax,
        port_min: ins.portMin,
        port_max: ins.portMax,
        limit_flows: ins.limitFlows,
        flags: ins.flags,
      };
    case "write": {
      const what = `write "${ins.name}"`;
      const size = c.sizeOf(ins.name, what);
      const at = c.resolve(ins.offset, what) + ins.offsetFixup;
      return {
        type: "write_flow_var",
        name: ins.name,
        pkt_offset: c.inPacket(at, size, what),
        add_value: ins.addValue,
        is_big_endian: ins.byteOrder === "big",
      };
    }
    case "writeMask": {
      const what = `write mask "${ins.name}"`;
      c.sizeOf(ins.name, what);
      const at = c.resolve(ins.offset, what) + ins.offsetFixup;
      return {
        type: "write_mask_flow_var",
        name: ins.name,
        pkt_offset: c.inPacket(at, ins.castSize, what),
        pkt_cast_size: ins.castSize,
        mask: ins.mask,
        shift: ins.shift,
        add_value: ins.addValue,
        is_big_endian: ins.byteOrder === "big",
      };
    }
    case "fixIpv4":
      return {
        type: "fix_checksum_ipv4",
        pkt_offset: c.inPacket(c.resolve(ins.offset, "fixIpv4Checksum"), 20, "fixIpv4Checksum"),
      };
    case "fixHw": {
      const l2 = c.inPacket(c.resolve(ins.l3Offset, "fixChecksumHw"), 20, "fixChecksumHw");
      const l4 = c.resolve(ins.l4Offset, "fixChecksumHw");
      let l3Len = 0;
      if (ins.l4Type !== "ip" || l4 !== 0) {
        if (l4 < l2 + 8) throw new VmError("fixChecksumHw: l4Offset must be at least l3Offset + 8");
        l3Len = l4 - l2;
      }
      if (ins.l4Type !== "ip") c.inPacket(l4, ins.l4Type === "udp" ? 8 : 20, "fixChecksumHw");
      return {
        type: "fix_checksum_hw",
        l2_len: l2,
        l3_len: l3Len,
        l4_type: L4_TYPE_CODES[ins.l4Type],
      };
    }
    case "fixIcmpv6": {
      const l2 = c.inPacket(c.resolve(ins.l3Offset, "fixIcmpv6Checksum"), 40, "fixIcmpv6Checksum");
      const l4 = c.inPacket(c.resolve(ins.l4Offset, "fixIcmpv6Checksum"), 4, "fixIcmpv6Checksum");
      if (l4 < l2 + 40)
        throw new VmError("fixIcmpv6Checksum: l4Offset must follow the IPv6 header");
      return { type: "fix_checksum_icmpv6", l2_len: l2, l3_len: l4 - l2 };
    }
    case "trim": {
      const what = `trimPacketSize "${ins.name}"`;
      const size = c.sizeOf(ins.name, what);
      const v = c.flowVars.get(ins.name);
      if (!v || v.kind !== "flowVar" || size !== 2)
        throw new VmError(`${what}: the variable must be a 2-byte flow var`);
      const values = v.valueList ?? [v.min as number, v.max as number];
      if (Math.max(...values) > c.len)
        throw new VmError(
          `${what}: values up to ${Math.max(...values)} exceed the ${c.len}-byte packet`,
        );
      return { type: "trim_pkt_size", name: ins.name };
    }
  }
}
