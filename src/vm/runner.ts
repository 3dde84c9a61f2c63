/**
 * A local interpreter of compiled field-engine programs: steps them packet by packet with
 * the semantics of TRex's data path (src/stx/stl/trex_stl_stream_vm.{h,cpp}) on a single
 * core: inc/dec start at init_value and wrap between min and max (ranges padded to a whole
 * number of steps, as the server does), random draws use TRex's own generator and seeding,
 * a tuple walks IPs then ports, next_var chains advance on wrap-around.
 */
import type { CompiledVm, FlowVarJson, VmInstructionJson } from "./compile.ts";
import { VmError } from "./program.ts";
import { threadSeed, TrexRandom } from "./rng.ts";

export interface VmRunnerOptions {
  /**
   * The stream's random_seed. 0 or absent: taken from the clock, as TRex does, so random
   * variables then differ from run to run.
   */
  seed?: number;
  /** The data-plane thread whose seed derivation to reproduce (default 0, the first core). */
  threadId?: number;
}

type Op = () => void;

const UINT32 = 0x100000000;

/** inc_mod of TRex: c + step, or wrap to a + leftover (restart consumes 1). */
function incMod(a: number, b: number, c: number, step: number): number {
  const left = b - c;
  return step <= left ? c + step : a + (step - left - 1);
}

function decMod(a: number, b: number, c: number, step: number): number {
  const left = c - a;
  return step <= left ? c - step : b - (step - left - 1);
}

/** Truncation of a value to a variable of `size` bytes, as the C++ assignment does. */
function truncate(value: number, size: number): number {
  switch (size) {
    case 1:
      return value & 0xff;
    case 2:
      return value & 0xffff;
    case 4:
      return value >>> 0 === value ? value : ((value % UINT32) + UINT32) % UINT32;
    default:
      return value;
  }
}

/**
 * Applies a compiled field-engine program to a template packet, one packet per `next()`.
 * `nextView()` returns the runner's own buffer (valid until the next call) for speed.
 */
export class VmRunner {
  readonly #template: Buffer;
  readonly #buf: Buffer;
  /** Bytes the program may change: re-copied from the template before each packet. */
  readonly #dirtyEnd: number;
  readonly #ops: Op[];
  readonly #random: TrexRandom;
  #length: number;
  #count = 0;

  constructor(vm: CompiledVm, packet: Uint8Array, opts: VmRunnerOptions = {}) {
    this.#template = Buffer.from(packet);
    this.#buf = Buffer.from(packet);
    this.#length = packet.length;
    const seed = opts.seed ? opts.seed >>> 0 : clockSeed();
    this.#random = new TrexRandom(threadSeed(seed, opts.threadId ?? 0));
    const built = buildProgram(vm.instructions, this);
    this.#ops = built.ops;
    this.#dirtyEnd = Math.min(built.dirtyEnd, packet.length);
  }

  /** Packets generated so far. */
  get count(): number {
    return this.#count;
  }

  /** @internal used by the instruction closures */
  get buf(): Buffer {
    return this.#buf;
  }

  /** @internal */
  get random(): TrexRandom {
    return this.#random;
  }

  /** @internal trim_pkt_size */
  setLength(length: number): void {
    this.#length = Math.max(0, Math.min(length, this.#template.length));
  }

  /** The next packet, in the runner's own buffer (overwritten by the next call). */
  nextView(): Buffer {
    if (this.#dirtyEnd > 0) this.#template.copy(this.#buf, 0, 0, this.#dirtyEnd);
    this.#length = this.#template.length;
    const ops = this.#ops;
    for (let i = 0; i < ops.length; i++) ops[i]();
    this.#count++;
    return this.#length === this.#buf.length ? this.#buf : this.#buf.subarray(0, this.#length);
  }

  /** The next packet as a fresh Buffer. */
  next(): Buffer {
    return Buffer.from(this.nextView());
  }
}

function clockSeed(): number {
  // TRex: rand_r(time(NULL)); any non-reproducible value serves the same purpose.
  return (Math.floor(Date.now() / 1000) ^ Math.floor(Math.random() * UINT32)) >>> 0 || 1;
}

interface Slot {
  value: number;
  size: number;
}

function buildProgram(
  instructions: readonly VmInstructionJson[],
  r: VmRunner,
): { ops: Op[]; dirtyEnd: number } {
  const slots = new Map<string, Slot>();
  const ops: Op[] = [];
  let dirtyEnd = 0;
  const touch = (end: number): void => {
    dirtyEnd = Math.max(dirtyEnd, end);
  };
  const slot = (name: string): Slot => {
    const s = slots.get(name);
    if (!s) throw new VmError(`field engine: variable "${name}" is not defined before use`);
    return s;
  };

  // A variable with a next_var skips the rest of its chain unless it wrapped this packet.
  const chainRest = new Map<string, number>();
  const byName = new Map<string, VmInstructionJson>();
  for (const ins of instructions)
    if (ins.type === "flow_var" || ins.type === "flow_var_rand_limit") byName.set(ins.name, ins);
  const skip: SkipState = { pending: 0 };

  for (const ins of instructions) {
    switch (ins.type) {
      case "flow_var": {
        const s: Slot = { value: 0, size: ins.size };
        slots.set(ins.name, s);
        const rest = chainLength(ins.name, byName) - 1;
        chainRest.set(ins.name, rest);
        ops.push(flowVarOp(ins, s, r, rest > 0 ? (n) => (skip.pending = n) : undefined, rest));
        break;
      }
      case "flow_var_rand_limit": {
        const s: Slot = { value: 0, size: ins.size };
        slots.set(ins.name, s);
        ops.push(randLimitOp(ins, s, chainLength(ins.name, byName) - 1, skip));
        break;
      }
      case "tuple_flow_var": {
        const ip: Slot = { value: 0, size: 4 };
        const port: Slot = { value: 0, size: 2 };
        slots.set(`${ins.name}.ip`, ip);
        slots.set(`${ins.name}.port`, port);
        ops.push(tupleOp(ins, ip, port));
        break;
      }
      case "write_flow_var": {
        const s = slot(ins.name);
        touch(ins.pkt_offset + s.size);
        ops.push(writeOp(s, ins.pkt_offset, ins.add_value, ins.is_big_endian, r));
        break;
      }
      case "write_mask_flow_var": {
        const s = slot(ins.name);
        if (s.size === 8)
          throw new VmError(`write mask "${ins.name}": 8-byte variables cannot be masked`);
        const width = ins.is_big_endian ? ins.pkt_cast_size : s.size;
        touch(ins.pkt_offset + width);
        ops.push(writeMaskOp(s, ins, width, r));
        break;
      }
      case "fix_checksum_ipv4":
      case "fix_checksum_hw":
      case "fix_checksum_icmpv6":
        ops.push(checksumOp(ins, r, touch));
        break;
      case "trim_pkt_size": {
        const s = slot(ins.name);
        ops.push(() => r.setLength(s.value & 0xffff));
        break;
      }
      default:
        throw new VmError(`field engine: unknown instruction ${JSON.stringify(ins)}`);
    }
  }

  const anyChain = [...chainRest.values()].some((n) => n > 0) || hasRandLimitChain(instructions);
  return { ops: anyChain ? guardChains(ops, skip) : ops, dirtyEnd };
}

/** How many of the next ops a chained variable asks to skip (its chain did not wrap). */
interface SkipState {
  pending: number;
}

/** Wraps each op so that, when a chained variable's predecessor did not wrap, it is skipped. */
function guardChains(ops: Op[], skip: SkipState): Op[] {
  let skipLeft = 0;
  return ops.map((op) => () => {
    if (skipLeft > 0) {
      skipLeft--;
      return;
    }
    skip.pending = 0;
    op();
    skipLeft = skip.pending;
  });
}

/** flow_var_rand_limit: TRex's RNG from its own seed, restarted after `limit` values. */
function randLimitOp(
  ins: Extract<VmInstructionJson, { type: "flow_var_rand_limit" }>,
  s: Slot,
  rest: number,
  skip: SkipState,
): Op {
  const seed = ins.seed >>> 0;
  let cnt = 0;
  const rng = new TrexRandom(seed);
  const range = ins.max_value - ins.min_value + 1;
  return () => {
    if (cnt === ins.limit) {
      rng.state = seed;
      cnt = 0;
    }
    if (rest > 0 && cnt !== 0) skip.pending = rest;
    const raw =
      ins.size <= 2
        ? rng.rand16()
        : ins.size === 4
          ? rng.rand32()
          : Number(rng.rand64() % BigInt(range));
    s.value = truncate(ins.min_value + (raw % range), ins.size);
    cnt++;
  };
}

/** The checksum fixes, each marking the bytes it reads and writes as touched. */
function checksumOp(
  ins: Extract<
    VmInstructionJson,
    { type: "fix_checksum_ipv4" | "fix_checksum_hw" | "fix_checksum_icmpv6" }
  >,
  r: VmRunner,
  touch: (end: number) => void,
): Op {
  switch (ins.type) {
    case "fix_checksum_ipv4": {
      const at = ins.pkt_offset;
      touch(at + 12);
      return () => fixIpv4(r.buf, at);
    }
    case "fix_checksum_hw": {
      touch(ins.l2_len + 12);
      if (ins.l4_type !== 17) touch(ins.l2_len + ins.l3_len + (ins.l4_type === 11 ? 8 : 18));
      const { l2_len: l2, l3_len: l3, l4_type: type } = ins;
      return () => fixHw(r.buf, l2, l3, type);
    }
    case "fix_checksum_icmpv6": {
      const { l2_len: l2, l3_len: l3 } = ins;
      touch(l2 + l3 + 4);
      return () => fixIcmpv6(r.buf, l2, l3);
    }
  }
}

function hasRandLimitChain(instructions: readonly VmInstructionJson[]): boolean {
  return instructions.some((i) => i.type === "flow_var_rand_limit" && i.next_var !== null);
}

/** Number of variables in the chain starting at `name` (1 = no next_var). */
function chainLength(name: string, byName: Map<string, VmInstructionJson>): number {
  let n = 0;
  let cur: VmInstructionJson | undefined = byName.get(name);
  const seen = new Set<string>();
  while (cur && (cur.type === "flow_var" || cur.type === "flow_var_rand_limit")) {
    if (seen.has(cur.name)) break;
    seen.add(cur.name);
    n++;
    cur = cur.next_var ? byName.get(cur.next_var) : undefined;
  }
  return n;
}

function flowVarOp(
  ins: FlowVarJson,
  s: Slot,
  r: VmRunner,
  setSkip: ((n: number) => void) | undefined,
  rest: number,
): Op {
  const size = ins.size;
  if (ins.value_list) {
    const list = ins.value_list;
    const n = list.length;
    const step = ins.step % n;
    if (ins.op === "random") {
      return () => {
        s.value = list[r.random.rand16() % n];
      };
    }
    let index = ins.op === "inc" ? 0 : n - 1;
    if (ins.op === "inc") {
      return () => {
        if (setSkip && index >= step) setSkip(rest);
        s.value = list[index];
        index = index + step >= n ? index + step - n : index + step;
      };
    }
    return () => {
      if (setSkip && index + step < n) setSkip(rest);
      s.value = list[index];
      index = index - step < 0 ? n + index - step : index - step;
    };
  }
  let min = ins.min_value as number;
  let max = ins.max_value as number;
  const init = ins.init_value as number;
  // The server pads a range that is not a whole number of steps (handle_range_padding).
  const pad = (max - min + 1) % ins.step;
  if (pad !== 0 && ins.op === "inc") max += ins.step - pad;
  if (pad !== 0 && ins.op === "dec") min -= ins.step - pad;
  const range = max - min + 1;
  const step = ins.step % range;

  if (ins.op === "random") {
    if (size === 1 || size === 2)
      return () => {
        s.value = truncate(min + (r.random.rand16() % range), size);
      };
    if (size === 4)
      return () => {
        s.value = truncate(min + (r.random.rand32() % range), 4);
      };
    const bigRange = BigInt(range);
    return () => {
      s.value = min + Number(r.random.rand64() % bigRange);
    };
  }
  // The variable starts one step before init, so the first packet carries init.
  s.value = ins.op === "inc" ? decMod(min, max, init, step) : incMod(min, max, init, step);
  if (ins.op === "inc") {
    return () => {
      const cur = s.value;
      if (setSkip && max - cur >= step) setSkip(rest);
      s.value = incMod(min, max, cur, step);
    };
  }
  return () => {
    const cur = s.value;
    if (setSkip && cur - min >= step) setSkip(rest);
    s.value = decMod(min, max, cur, step);
  };
}

function tupleOp(
  ins: Extract<VmInstructionJson, { type: "tuple_flow_var" }>,
  ip: Slot,
  port: Slot,
): Op {
  const { ip_min: ipMin, ip_max: ipMax, port_min: pMin, port_max: pMax } = ins;
  const ipRange = ipMax - ipMin + 1;
  const pRange = pMax - pMin + 1;
  const ipStep = 1 % ipRange;
  const portStep = (ipRange === 1 ? 1 : 0) % pRange;
  // Start one flow before the first, as TRex's bss does (peek_prev with carry into the port).
  const ipWraps = ipStep > 0;
  ip.value = ipWraps ? decMod(ipMin, ipMax, ipMin, ipStep) : ipMin;
  port.value = decMod(pMin, pMax, pMin, (portStep + (ipWraps ? 1 : 0)) % pRange);
  if (ins.flags & 1) {
    return () => {
      ip.value = ip.value + 1 > 0xffffffff ? 0 : ip.value + 1;
      if (ip.value > ipMax) {
        ip.value = ipMin;
        port.value = (port.value + 1) & 0xffff;
        if (port.value === 0) port.value = 1025;
      }
    };
  }
  let flowId = 0;
  const limit = ins.limit_flows;
  return () => {
    const left = ipMax - ip.value;
    const overflow = ipStep > left;
    ip.value = overflow ? ipMin + (ipStep - left - 1) : ip.value + ipStep;
    port.value = incMod(pMin, pMax, port.value, portStep);
    if (overflow) port.value = incMod(pMin, pMax, port.value, 1);
    if (limit) {
      flowId++;
      if (flowId > limit) {
        flowId = 1;
        ip.value = ipMin;
        port.value = pMin;
      }
    }
  };
}

function writeOp(s: Slot, at: number, add: number, big: boolean, r: VmRunner): Op {
  const buf = r.buf;
  switch (s.size) {
    case 1:
      return () => {
        buf[at] = (s.value + add) & 0xff;
      };
    case 2:
      return big
        ? () => {
            const v = (s.value + add) & 0xffff;
            buf[at] = v >>> 8;
            buf[at + 1] = v & 0xff;
          }
        : () => {
            const v = (s.value + add) & 0xffff;
            buf[at] = v & 0xff;
            buf[at + 1] = v >>> 8;
          };
    case 4:
      return big
        ? () => {
            const v = (s.value + add) >>> 0;
            buf[at] = v >>> 24;
            buf[at + 1] = (v >>> 16) & 0xff;
            buf[at + 2] = (v >>> 8) & 0xff;
            buf[at + 3] = v & 0xff;
          }
        : () => {
            const v = (s.value + add) >>> 0;
            buf[at + 3] = v >>> 24;
            buf[at + 2] = (v >>> 16) & 0xff;
            buf[at + 1] = (v >>> 8) & 0xff;
            buf[at] = v & 0xff;
          };
    default:
      return () => {
        const v = BigInt.asUintN(64, BigInt(s.value) + BigInt(add));
        if (big) buf.writeBigUInt64BE(v, at);
        else buf.writeBigUInt64LE(v, at);
      };
  }
}

function writeMaskOp(
  s: Slot,
  ins: Extract<VmInstructionJson, { type: "write_mask_flow_var" }>,
  width: number,
  r: VmRunner,
): Op {
  const buf = r.buf;
  const { pkt_offset: at, mask, shift, add_value: add, is_big_endian: big } = ins;
  return () => {
    let val = (s.value + add) >>> 0;
    if (shift > 0) val = (val << shift) >>> 0;
    else if (shift < 0) val = val >>> -shift;
    // TRex reads and writes big-endian fields with pkt_cast_size, little-endian ones with
    // the variable's own size (trex_stl_stream_vm.cpp, StreamDPOpPktWrMask::wr).
    let pkt = 0;
    if (big) for (let i = 0; i < width; i++) pkt = pkt * 256 + buf[at + i];
    else for (let i = width - 1; i >= 0; i--) pkt = pkt * 256 + buf[at + i];
    const widthMask = width === 4 ? 0xffffffff : (1 << (width * 8)) - 1;
    pkt = (((pkt & ~mask) | (val & mask)) & widthMask) >>> 0;
    if (big)
      for (let i = width - 1; i >= 0; i--) {
        buf[at + i] = pkt & 0xff;
        pkt >>>= 8;
      }
    else
      for (let i = 0; i < width; i++) {
        buf[at + i] = pkt & 0xff;
        pkt >>>= 8;
      }
  };
}

function sum16(buf: Uint8Array, start: number, end: number, initial: number): number {
  let sum = initial;
  let i = start;
  const evenEnd = end - ((end - start) & 1);
  for (; i < evenEnd; i += 2) sum += (buf[i] << 8) | buf[i + 1];
  if (i < end) sum += buf[i] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

function fixIpv4(buf: Buffer, at: number): void {
  buf[at + 10] = 0;
  buf[at + 11] = 0;
  const ihl = buf[at] === 0x45 ? 20 : (buf[at] & 0x0f) * 4;
  const c = ~sum16(buf, at, at + ihl, 0) & 0xffff;
  buf[at + 10] = c >>> 8;
  buf[at + 11] = c & 0xff;
}

/** What the NIC's checksum offload puts on the wire: IPv4 header checksum, then TCP/UDP. */
function fixHw(buf: Buffer, l2: number, l3Len: number, l4Type: number): void {
  const isV4 = buf[l2] >>> 4 === 4;
  if (isV4) fixIpv4(buf, l2);
  if (l4Type === 17) return;
  const l4 = l2 + l3Len;
  const csumAt = l4 + (l4Type === 11 ? 6 : 16);
  let pseudo: number;
  let l4Len: number;
  if (isV4) {
    l4Len = ((buf[l2 + 2] << 8) | buf[l2 + 3]) - l3Len;
    pseudo = sum16(buf, l2 + 12, l2 + 20, l4Type === 11 ? 17 : 6);
  } else {
    l4Len = ((buf[l2 + 4] << 8) | buf[l2 + 5]) + 40 - l3Len;
    pseudo = sum16(buf, l2 + 8, l2 + 40, l4Type === 11 ? 17 : 6);
  }
  pseudo += l4Len;
  l4Len = Math.max(0, Math.min(l4Len, buf.length - l4));
  buf[csumAt] = 0;
  buf[csumAt + 1] = 0;
  let c = ~sum16(buf, l4, l4 + l4Len, pseudo) & 0xffff;
  if (c === 0 && l4Type === 11) c = 0xffff; // UDP sends a computed 0 as all ones
  buf[csumAt] = c >>> 8;
  buf[csumAt + 1] = c & 0xff;
}

function fixIcmpv6(buf: Buffer, l2: number, l3Len: number): void {
  const l4 = l2 + l3Len;
  buf[l4 + 2] = 0;
  buf[l4 + 3] = 0;
  const plen = (buf[l2 + 4] << 8) | buf[l2 + 5];
  // TRex's pseudo-header: addresses, payload length, and the IPv6 header's next header.
  let sum = sum16(buf, l2 + 8, l2 + 40, plen + buf[l2 + 6]);
  sum = sum16(buf, l4, Math.min(l4 + plen, buf.length), sum);
  const c = ~sum & 0xffff;
  buf[l4 + 2] = c >>> 8;
  buf[l4 + 3] = c & 0xff;
}
