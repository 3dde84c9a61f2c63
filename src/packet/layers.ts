/**
 * Layer definitions with Scapy 2.5's field layout, defaults and auto fields: the same
 * arguments build the same bytes as Scapy. A new layer is its definition here (its builder
 * in builders.ts takes its fields from it), its rows in the binding table (bindings.ts, which
 * layer it follows and with what values) and any protocol number in numbers.ts.
 */
import { onesComplementSum } from "./checksum.ts";
import {
  addr,
  uint,
  variable,
  writeBits,
  type BuilderInputOf,
  type FieldDef,
  type FieldGetter,
  type FieldValue,
} from "./fields.ts";
import { ARP_OP, ETHER_TYPE, ICMP_TYPE, IP_PROTO, namesOf } from "./numbers.ts";

/**
 * MACs used when a layer leaves them unset. Scapy would resolve them through its routing
 * table; TRex overwrites MACs from its port configuration anyway, so any fixed value does.
 */
export const DEFAULT_SRC_MAC = "00:00:00:01:00:00";
export const DEFAULT_DST_MAC = "00:00:00:02:00:00";

/** One layer of a packet being built, laid out in the packet buffer. */
export interface BuiltLayer {
  readonly def: LayerDef;
  /** Field values after defaults, bindings and user values; `null` = automatic, not yet filled. */
  readonly values: (FieldValue | null)[];
  /** Field start, in bits from the layer start; -1 when the field is absent (conditional). */
  readonly bitPos: Int32Array;
  /** Field width in bits (variable fields: their byte length * 8). */
  readonly bitLen: Int32Array;
  readonly start: number;
  readonly headerLength: number;
}

export interface PostBuildContext {
  readonly buf: Uint8Array;
  readonly layers: readonly BuiltLayer[];
  readonly index: number;
}

/** Other names a layer's fields answer to: alias → field name. */
type FieldAliases = Readonly<Record<string, string>>;

/**
 * A layer: its fields (Scapy's fields_desc) and what it does with them. `F` and `Al` keep the
 * field names and builder input types for `FieldsOf`; code that handles any layer uses
 * plain `LayerDef`. Which layer follows which is the binding table's (bindings.ts).
 */
export interface LayerDef<F extends FieldDef = FieldDef, Al extends FieldAliases = FieldAliases> {
  /** autotrex name, used in summaries and `offsetOf` ("IPv4"). */
  readonly name: string;
  /** Other names accepted by `offsetOf` (Scapy's: "IP"). */
  readonly aliases: readonly string[];
  readonly fields: readonly F[];
  readonly fieldIndex: ReadonlyMap<string, number>;
  /** Field name aliases (Scapy's "id" for Dot1Q DEI). */
  readonly fieldAliases?: Al;
  /** Fills automatic fields once the payload bytes are final (Scapy's post_build). */
  readonly postBuild?: (ctx: PostBuildContext) => void;
  /** Dissector: false when the payload cannot be a header whatever the bindings say (a fragment). */
  readonly payloadIsLayer?: (get: FieldGetter) => boolean;
  /** Dissector: the payload length this header declares (IPv4 len, IPv6 plen, UDP len). */
  readonly payloadLength?: (get: FieldGetter, headerLength: number) => number | undefined;
  /** The header length must be a multiple of `bytes`; `field` is the one to blame. */
  readonly headerMultipleOf?: { readonly bytes: number; readonly field: string };
  /** One-line text of the layer for summaries. */
  readonly summary: (f: LayerView) => string;
}

/**
 * What a layer's builder takes: each of its fields (and field aliases) by name, all
 * optional, each with the input type its field definition declares.
 */
export type FieldsOf<D> =
  D extends LayerDef<infer F, infer Al>
    ? Simplify<
        { [K in F as K["name"]]?: BuilderInputOf<K> } & {
          -readonly [A in keyof Al]?: BuilderInputOf<Extract<F, { name: Al[A] }>>;
        }
      >
    : never;
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** Read access to one laid-out layer, for summaries and checksums. */
export interface LayerView {
  num(name: string): number;
  bytes(name: string): Uint8Array;
  text(name: string): string;
  readonly headerLength: number;
  readonly totalLength: number;
}

function defineLayer<
  F extends FieldDef,
  const Al extends Readonly<Record<string, F["name"]>> = Record<never, never>,
>(def: Omit<LayerDef<F, Al>, "fieldIndex">): LayerDef<F, Al> {
  return { ...def, fieldIndex: new Map(def.fields.map((f, i) => [f.name, i])) };
}

// ---------------------------------------------------------------------------------------
// Helpers for post-build rules.

function fieldIndex(def: LayerDef, name: string): number {
  const i = def.fieldIndex.get(name);
  if (i === undefined) throw new Error(`internal: ${def.name} has no field ${name}`);
  return i;
}

/** The value of a field of a built layer (null when automatic). */
export function valueOf(layer: BuiltLayer, name: string): FieldValue | null {
  return layer.values[fieldIndex(layer.def, name)];
}

/** Writes an automatic field if the user left it unset; returns the value in the packet. */
function fillAuto(ctx: PostBuildContext, name: string, compute: () => number): number {
  const layer = ctx.layers[ctx.index];
  const i = fieldIndex(layer.def, name);
  const v = layer.values[i];
  if (typeof v === "number") return v;
  const n = compute();
  if (layer.bitPos[i] >= 0)
    writeBits(ctx.buf, layer.start * 8 + layer.bitPos[i], layer.def.fields[i].bits, n);
  return n;
}

function isAuto(layer: BuiltLayer, name: string): boolean {
  return layer.values[fieldIndex(layer.def, name)] === null;
}

function num(layer: BuiltLayer, name: string): number {
  const v = valueOf(layer, name);
  return typeof v === "number" ? v : 0;
}

function bytesOf(layer: BuiltLayer, name: string): Uint8Array {
  const v = valueOf(layer, name);
  return v instanceof Uint8Array ? v : new Uint8Array(0);
}

/** Checksum of this layer's bytes and everything after it, written into `field`. */
function checksumFromHere(
  ctx: PostBuildContext,
  field: string,
  pseudoSum: number | null,
  zeroAs?: number,
): void {
  const layer = ctx.layers[ctx.index];
  if (!isAuto(layer, field)) return;
  if (pseudoSum === null) return; // no IP below: Scapy leaves the checksum 0
  let ck = ~onesComplementSum(ctx.buf, pseudoSum, layer.start, ctx.buf.length) & 0xffff;
  if (ck === 0 && zeroAs !== undefined) ck = zeroAs;
  fillAuto(ctx, field, () => ck);
}

function sumBytes(bytes: Uint8Array, initial = 0): number {
  return onesComplementSum(bytes, initial);
}

/**
 * Pseudo-header sum for TCP/UDP/ICMPv6 at ctx.index, as Scapy 2.5 computes it: the IPv4
 * directly below (with its length field if set by hand), or the nearest IPv6 below with the
 * final destination taken from a segment routing header in between whose segleft is not
 * explicitly 0 (addresses[0], RFC 8754's final segment). `null` when there is no IP below.
 */
function pseudoHeaderSum(ctx: PostBuildContext, proto: number): number | null {
  const layers = ctx.layers;
  const here = layers[ctx.index];
  const upperLength = ctx.buf.length - here.start;
  const below = layers[ctx.index - 1];
  if (!below) return null;
  if (below.def === IPv4Def) {
    let length = upperLength;
    const lenValue = valueOf(below, "len");
    if (typeof lenValue === "number") {
      const ihlValue = valueOf(below, "ihl");
      const ihl = typeof ihlValue === "number" ? ihlValue : below.headerLength / 4;
      length = Math.max(lenValue - 4 * ihl, 0);
    }
    let s = sumBytes(bytesOf(below, "src"));
    s = sumBytes(bytesOf(below, "dst"), s);
    return s + proto + length;
  }
  if (below.def !== IPv6Def && below.def !== SRHDef) return null;
  let finalDst: Uint8Array | undefined;
  let i = ctx.index - 1;
  for (; i >= 0 && layers[i].def !== IPv6Def; i--) {
    const l = layers[i];
    if (l.def === SRHDef && finalDst === undefined) {
      const addresses = bytesOf(l, "addresses");
      if (valueOf(l, "segleft") !== 0 && addresses.length >= 16)
        finalDst = addresses.subarray(0, 16);
    }
  }
  if (i < 0) return null;
  const ip6 = layers[i];
  let s = sumBytes(bytesOf(ip6, "src"));
  s = sumBytes(finalDst ?? bytesOf(ip6, "dst"), s);
  return s + Math.floor(upperLength / 0x10000) + (upperLength & 0xffff) + proto;
}

const etherTypeNames = namesOf(ETHER_TYPE);
const ipProtoNames = namesOf(IP_PROTO);

// ---------------------------------------------------------------------------------------
// The layers.

export const EtherDef = defineLayer({
  name: "Ether",
  aliases: ["Ethernet"],
  fields: [
    addr("dst", "mac", DEFAULT_DST_MAC),
    addr("src", "mac", DEFAULT_SRC_MAC),
    uint("type", 16, ETHER_TYPE.Loopback, { hex: true, names: etherTypeNames }),
  ],
  summary: () => "Ether",
});

export const Dot1QDef = defineLayer({
  name: "Dot1Q",
  aliases: ["802.1Q"],
  fields: [
    uint("prio", 3, 0),
    uint("dei", 1, 0),
    uint("vlan", 12, 1),
    uint("type", 16, 0x0000, { hex: true, names: etherTypeNames }),
  ],
  fieldAliases: { id: "dei" },
  summary: (f) => `Dot1Q vlan ${f.num("vlan")}`,
});

export const ARPDef = defineLayer({
  name: "ARP",
  aliases: [],
  fields: [
    uint("hwtype", 16, 1, { hex: true }),
    uint("ptype", 16, 0x0800, { hex: true }),
    uint("hwlen", 8, 6),
    uint("plen", 8, 4),
    uint("op", 16, ARP_OP["who-has"], { names: namesOf(ARP_OP) }),
    addr("hwsrc", "mac", DEFAULT_SRC_MAC),
    // Scapy picks psrc from its routing table; a fixed 0.0.0.0 keeps builds reproducible.
    addr("psrc", "ipv4", "0.0.0.0"),
    addr("hwdst", "mac", "00:00:00:00:00:00"),
    addr("pdst", "ipv4", "0.0.0.0"),
  ],
  summary: (f) => {
    const op = f.num("op");
    if (op === ARP_OP["who-has"]) return `ARP who-has ${f.text("pdst")} says ${f.text("psrc")}`;
    if (op === ARP_OP["is-at"]) return `ARP ${f.text("psrc")} is-at ${f.text("hwsrc")}`;
    return `ARP op ${op} ${f.text("psrc")} > ${f.text("pdst")}`;
  },
});

export const IPv4Def = defineLayer({
  name: "IPv4",
  aliases: ["IP"],
  fields: [
    uint("version", 4, 4),
    uint("ihl", 4, null),
    uint("tos", 8, 0, { hex: true }),
    uint("len", 16, null),
    uint("id", 16, 1),
    uint("flags", 3, 0, { flags: ["MF", "DF", "evil"] }),
    uint("frag", 13, 0),
    uint("ttl", 8, 64),
    uint("proto", 8, IP_PROTO.hopopt, { names: ipProtoNames }),
    uint("chksum", 16, null, { hex: true }),
    // Scapy picks src from its routing table; for its default dst that is 127.0.0.1.
    addr("src", "ipv4", "127.0.0.1"),
    addr("dst", "ipv4", "127.0.0.1"),
    variable("options", "bytes", new Uint8Array(0), (get) => Math.max(get("ihl") * 4 - 20, 0)),
  ],
  postBuild(ctx) {
    const l = ctx.layers[ctx.index];
    fillAuto(ctx, "ihl", () => l.headerLength / 4);
    fillAuto(ctx, "len", () => ctx.buf.length - l.start);
    if (isAuto(l, "chksum")) {
      const ck = ~onesComplementSum(ctx.buf, 0, l.start, l.start + l.headerLength) & 0xffff;
      fillAuto(ctx, "chksum", () => ck);
    }
  },
  // A fragment's payload (MF set, or an offset) is not read as a header: it holds part of one.
  payloadIsLayer: (get) => get("frag") === 0 && (get("flags") & 1) === 0,
  payloadLength: (get, headerLength) => get("len") - headerLength,
  headerMultipleOf: { bytes: 4, field: "options" },
  summary: (f) => `IPv4 ${f.text("src")} > ${f.text("dst")}`,
});

export const IPv6Def = defineLayer({
  name: "IPv6",
  aliases: [],
  fields: [
    uint("version", 4, 6),
    uint("tc", 8, 0),
    uint("fl", 20, 0),
    uint("plen", 16, null),
    uint("nh", 8, IP_PROTO["no-next-header"], { names: ipProtoNames }),
    uint("hlim", 8, 64),
    // Scapy picks src from its routing table; for its default dst that is ::1.
    addr("src", "ipv6", "::1"),
    addr("dst", "ipv6", "::1"),
  ],
  postBuild(ctx) {
    const l = ctx.layers[ctx.index];
    fillAuto(ctx, "plen", () => ctx.buf.length - l.start - l.headerLength);
  },
  payloadLength: (get) => get("plen"),
  summary: (f) =>
    `IPv6 ${f.text("src")} > ${f.text("dst")}${f.num("fl") ? ` fl ${f.num("fl")}` : ""}`,
});

/** IPv6 Segment Routing Header (RFC 8754), Scapy's IPv6ExtHdrSegmentRouting. */
export const SRHDef = defineLayer({
  name: "SRH",
  aliases: ["IPv6ExtHdrSegmentRouting"],
  fields: [
    uint("nh", 8, IP_PROTO["no-next-header"], { names: ipProtoNames }),
    uint("len", 8, null),
    uint("type", 8, 4),
    uint("segleft", 8, null),
    uint("lastentry", 8, null),
    // Scapy splits this byte into unused1/protected/oam/alert/hmac/unused2 bits.
    uint("flags", 8, 0, { hex: true }),
    uint("tag", 16, 0),
    variable("addresses", "ipv6list", ["::1"], (get) => 16 * (get("lastentry") + 1)),
    // TLVs are not modelled; the dissector keeps them as raw bytes.
    variable("tlvs", "bytes", new Uint8Array(0), (get) =>
      Math.max(8 * get("len") - 16 * (get("lastentry") + 1), 0),
    ),
  ],
  postBuild(ctx) {
    const l = ctx.layers[ctx.index];
    const count = bytesOf(l, "addresses").length / 16;
    // Scapy: len from the (8-byte aligned) header length, segleft = lastentry = n - 1.
    fillAuto(ctx, "len", () => (l.headerLength - 8) / 8);
    fillAuto(ctx, "segleft", () => Math.max(count - 1, 0));
    fillAuto(ctx, "lastentry", () => Math.max(count - 1, 0));
  },
  headerMultipleOf: { bytes: 8, field: "tlvs" },
  summary: (f) => `SRH segleft ${f.num("segleft")} [${f.text("addresses").slice(1, -1)}]`,
});

const tcpFlags = ["F", "S", "R", "P", "A", "U", "E", "C", "N"];

export const TCPDef = defineLayer({
  name: "TCP",
  aliases: [],
  fields: [
    uint("sport", 16, 20),
    uint("dport", 16, 80),
    uint("seq", 32, 0),
    uint("ack", 32, 0),
    uint("dataofs", 4, null),
    uint("reserved", 3, 0),
    uint("flags", 9, 0x02, { flags: tcpFlags }),
    uint("window", 16, 8192),
    uint("chksum", 16, null, { hex: true }),
    uint("urgptr", 16, 0),
    variable("options", "bytes", new Uint8Array(0), (get) => Math.max(get("dataofs") * 4 - 20, 0)),
  ],
  postBuild(ctx) {
    const l = ctx.layers[ctx.index];
    fillAuto(ctx, "dataofs", () => l.headerLength / 4);
    checksumFromHere(ctx, "chksum", pseudoHeaderSum(ctx, IP_PROTO.tcp));
  },
  headerMultipleOf: { bytes: 4, field: "options" },
  summary: (f) => `TCP ${f.num("sport")} > ${f.num("dport")} ${f.text("flags")}`,
});

export const UDPDef = defineLayer({
  name: "UDP",
  aliases: [],
  fields: [
    uint("sport", 16, 53),
    uint("dport", 16, 53),
    uint("len", 16, null),
    uint("chksum", 16, null, { hex: true }),
  ],
  postBuild(ctx) {
    const l = ctx.layers[ctx.index];
    fillAuto(ctx, "len", () => ctx.buf.length - l.start);
    // RFC 768 / RFC 2460: a computed 0 is sent as 0xffff.
    checksumFromHere(ctx, "chksum", pseudoHeaderSum(ctx, IP_PROTO.udp), 0xffff);
  },
  payloadLength: (get, headerLength) => get("len") - headerLength,
  summary: (f) => `UDP ${f.num("sport")} > ${f.num("dport")}`,
});

/** ICMP with the 4 bytes after the checksum as id/seq (all of them for echo, zero by default otherwise). */
export const ICMPDef = defineLayer({
  name: "ICMP",
  aliases: [],
  fields: [
    uint("type", 8, ICMP_TYPE["echo-request"], { names: namesOf(ICMP_TYPE) }),
    uint("code", 8, 0),
    uint("chksum", 16, null, { hex: true }),
    uint("id", 16, 0, { hex: true }),
    uint("seq", 16, 0, { hex: true }),
  ],
  postBuild(ctx) {
    checksumFromHere(ctx, "chksum", 0);
  },
  summary: (f) => `ICMP ${f.text("type")} id ${f.num("id")} seq ${f.num("seq")}`,
});

function icmpv6Echo(name: string, type: number) {
  return defineLayer({
    name,
    aliases: [],
    fields: [
      uint("type", 8, type),
      uint("code", 8, 0),
      uint("cksum", 16, null, { hex: true }),
      uint("id", 16, 0, { hex: true }),
      uint("seq", 16, 0, { hex: true }),
    ],
    fieldAliases: { chksum: "cksum" },
    postBuild(ctx) {
      checksumFromHere(ctx, "cksum", pseudoHeaderSum(ctx, IP_PROTO["ipv6-icmp"]));
    },
    summary: (f) => `${name} id ${f.num("id")} seq ${f.num("seq")}`,
  });
}

export const ICMPv6EchoRequestDef = icmpv6Echo("ICMPv6EchoRequest", 128);
export const ICMPv6EchoReplyDef = icmpv6Echo("ICMPv6EchoReply", 129);

const vxlanFlags = ["OAM", "R", "NextProtocol", "Instance", "V1", "V2", "R", "G"];

/** VXLAN (RFC 7348) with Scapy's GPE / group-policy variants of the first word. */
export const VXLANDef = defineLayer({
  name: "VXLAN",
  aliases: [],
  fields: [
    uint("flags", 8, 0x08, { flags: vxlanFlags }),
    uint("reserved0", 16, 0, { present: (get) => (get("flags") & 0x04) !== 0 }),
    uint("NextProtocol", 8, 0, { present: (get) => (get("flags") & 0x04) !== 0 }),
    uint("reserved1", 24, 0, { present: (get) => (get("flags") & 0x84) === 0 }),
    uint("gpflags", 8, 0, { present: (get) => (get("flags") & 0x80) !== 0 }),
    uint("gpid", 16, 0, { present: (get) => (get("flags") & 0x80) !== 0 }),
    uint("vni", 24, 0, { hex: true }),
    uint("reserved2", 8, 0),
  ],
  summary: (f) => `VXLAN vni ${f.num("vni")}`,
});

const greOptional = (get: FieldGetter): boolean =>
  get("chksum_present") === 1 || get("routing_present") === 1;

export const GREDef = defineLayer({
  name: "GRE",
  aliases: [],
  fields: [
    uint("chksum_present", 1, 0),
    uint("routing_present", 1, 0),
    uint("key_present", 1, 0),
    uint("seqnum_present", 1, 0),
    uint("strict_route_source", 1, 0),
    uint("recursion_control", 3, 0),
    uint("flags", 5, 0),
    uint("version", 3, 0),
    uint("proto", 16, 0x0000, { hex: true, names: etherTypeNames }),
    uint("chksum", 16, null, { hex: true, present: greOptional }),
    uint("offset", 16, null, { present: greOptional }),
    uint("key", 32, null, { hex: true, present: (get) => get("key_present") === 1 }),
    uint("sequence_number", 32, null, { present: (get) => get("seqnum_present") === 1 }),
  ],
  postBuild(ctx) {
    const l = ctx.layers[ctx.index];
    if (num(l, "chksum_present") === 1) checksumFromHere(ctx, "chksum", 0);
  },
  // Scapy reads neither a routing header nor a version other than 0 (RFC 2784's).
  payloadIsLayer: (get) => get("routing_present") === 0 && get("version") === 0,
  summary: (f) => `GRE proto 0x${f.num("proto").toString(16).padStart(4, "0")}`,
});

export const MPLSDef = defineLayer({
  name: "MPLS",
  aliases: [],
  fields: [uint("label", 20, 3), uint("cos", 3, 0), uint("s", 1, 1), uint("ttl", 8, 0)],
  summary: (f) => `MPLS label ${f.num("label")} s ${f.num("s")} ttl ${f.num("ttl")}`,
});

export const RawDef = defineLayer({
  name: "Raw",
  aliases: [],
  fields: [variable("load", "bytes", new Uint8Array(0), (_get, remaining) => remaining)],
  summary: (f) => `Raw ${f.headerLength}`,
});

/** Bytes after the end an enclosing header declares (e.g. Ethernet minimum-size padding). */
export const PaddingDef = defineLayer({
  name: "Padding",
  aliases: [],
  fields: [variable("load", "bytes", new Uint8Array(0), (_get, remaining) => remaining)],
  summary: (f) => `Padding ${f.headerLength}`,
});

export const layerDefs: readonly LayerDef[] = [
  EtherDef,
  Dot1QDef,
  ARPDef,
  IPv4Def,
  IPv6Def,
  SRHDef,
  TCPDef,
  UDPDef,
  ICMPDef,
  ICMPv6EchoRequestDef,
  ICMPv6EchoReplyDef,
  VXLANDef,
  GREDef,
  MPLSDef,
  RawDef,
  PaddingDef,
];

const defsByName = new Map<string, LayerDef>();
for (const d of layerDefs)
  for (const n of [d.name, ...d.aliases]) defsByName.set(n.toLowerCase(), d);

/** A layer definition by its autotrex or Scapy name, case-insensitive. */
export function layerDefByName(name: string): LayerDef | undefined {
  return defsByName.get(name.toLowerCase());
}
