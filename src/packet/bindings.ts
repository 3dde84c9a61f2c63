/**
 * The layer binding table, as Scapy's bind_layers: (lower layer, its field values, upper
 * layer). It is the one place that says which layer follows which: building reads it for the
 * lower layer's defaults when an upper layer follows, the dissector for the layer that comes
 * next. The numbers themselves are in numbers.ts.
 */
import { readBits, type FieldGetter } from "./fields.ts";
import {
  ARPDef,
  Dot1QDef,
  EtherDef,
  GREDef,
  ICMPDef,
  ICMPv6EchoReplyDef,
  ICMPv6EchoRequestDef,
  IPv4Def,
  IPv6Def,
  MPLSDef,
  SRHDef,
  TCPDef,
  UDPDef,
  VXLANDef,
  type LayerDef,
} from "./layers.ts";
import { ETHER_TYPE, IP_PROTO, MPLS_LABEL, UDP_PORT, VXLAN_NEXT_PROTOCOL } from "./numbers.ts";

/** Field values of the lower layer, by field name. */
export type BindingValues = Readonly<Record<string, number>>;

export interface LayerBinding {
  readonly lower: LayerDef;
  readonly upper: LayerDef;
  /**
   * Building: what the lower layer's fields default to when `upper` follows it (a value given
   * by hand wins). Dissecting: the values that say `upper` follows.
   */
  readonly values: BindingValues;
  /** "both" is Scapy's bind_layers, "build" its bind_top_down, "dissect" its bind_bottom_up. */
  readonly use: "both" | "build" | "dissect";
  /** Dissecting: the names in `values` compared with the bytes (the others only build). */
  readonly match: readonly string[];
  /**
   * Dissecting: a field of `upper` that must hold its default in the payload bytes, for
   * uppers told apart by their own first bytes (ICMPv6 type, SRH routing type, the IP
   * version after the bottom MPLS label).
   */
  readonly peek?: string;
}

interface RowOptions {
  readonly use?: LayerBinding["use"];
  readonly match?: readonly string[];
  readonly peek?: string;
}

const rows: LayerBinding[] = [];

function bind(
  lowers: readonly LayerDef[],
  upper: LayerDef,
  values: BindingValues,
  opts: RowOptions = {},
): void {
  for (const lower of lowers) {
    const { use = "both", match = Object.keys(values), peek } = opts;
    rows.push({ lower, upper, values, use, match, ...(peek ? { peek } : {}) });
  }
}

// EtherTypes name the next layer in Ether.type and Dot1Q.type (Dot1Q's aliastypes = [Ether]
// in Scapy) and GRE.proto alike.
const etherTypeCarriers = [
  { lowers: [EtherDef, Dot1QDef], field: "type" },
  { lowers: [GREDef], field: "proto" },
] as const;
for (const { lowers, field } of etherTypeCarriers) {
  bind(lowers, Dot1QDef, { [field]: ETHER_TYPE.Dot1Q });
  bind(lowers, ARPDef, { [field]: ETHER_TYPE.ARP });
  bind(lowers, IPv4Def, { [field]: ETHER_TYPE.IPv4 });
  bind(lowers, IPv6Def, { [field]: ETHER_TYPE.IPv6 });
  bind(lowers, MPLSDef, { [field]: ETHER_TYPE.MPLS });
  bind(lowers, Dot1QDef, { [field]: ETHER_TYPE.QinQ }, { use: "dissect" });
}
bind([GREDef], EtherDef, { proto: ETHER_TYPE.Ether });

// IP protocol numbers, in IPv4.proto and in IPv6.nh / SRH.nh (extension headers' aliastypes =
// [IPv6]). Scapy builds ICMP only after IPv4 and ICMPv6 and SRH only after IPv6 (elsewhere
// the number keeps its default); the dissector reads each after any IP header.
const IP4 = [IPv4Def];
const IP6 = [IPv6Def, SRHDef];
const ipUppers: readonly {
  readonly upper: LayerDef;
  readonly proto: number;
  readonly builtAfter?: readonly LayerDef[];
  readonly peek?: string;
}[] = [
  { upper: ICMPDef, proto: IP_PROTO.icmp, builtAfter: IP4 },
  { upper: IPv4Def, proto: IP_PROTO.ipv4 },
  { upper: TCPDef, proto: IP_PROTO.tcp },
  { upper: UDPDef, proto: IP_PROTO.udp },
  { upper: IPv6Def, proto: IP_PROTO.ipv6 },
  { upper: SRHDef, proto: IP_PROTO["ipv6-route"], builtAfter: IP6, peek: "type" },
  { upper: GREDef, proto: IP_PROTO.gre },
  { upper: ICMPv6EchoRequestDef, proto: IP_PROTO["ipv6-icmp"], builtAfter: IP6, peek: "type" },
  { upper: ICMPv6EchoReplyDef, proto: IP_PROTO["ipv6-icmp"], builtAfter: IP6, peek: "type" },
  { upper: MPLSDef, proto: IP_PROTO["mpls-in-ip"] },
];
for (const { upper, proto, builtAfter = [...IP4, ...IP6], peek } of ipUppers) {
  for (const lower of [...IP4, ...IP6]) {
    const use = builtAfter.includes(lower) ? "both" : "dissect";
    bind([lower], upper, lower === IPv4Def ? { proto } : { nh: proto }, { use, peek });
  }
}

// VXLAN: both ports are set when building; either one says VXLAN when dissecting.
bind([UDPDef], VXLANDef, { sport: UDP_PORT.vxlan, dport: UDP_PORT.vxlan }, { match: ["dport"] });
bind([UDPDef], VXLANDef, { sport: UDP_PORT.vxlan }, { use: "dissect" });
bind([UDPDef], MPLSDef, { dport: UDP_PORT.mplsInUdp });

// VXLAN-GPE: flags I (0x08) and P (0x04, a Next Protocol field follows). Without P the
// Next Protocol field is absent, reads 0, and an Ethernet frame follows (RFC 7348).
const GPE_FLAGS = 0x0c;
const gpeNext = [
  [EtherDef, VXLAN_NEXT_PROTOCOL.Ether],
  [IPv4Def, VXLAN_NEXT_PROTOCOL.IPv4],
  [IPv6Def, VXLAN_NEXT_PROTOCOL.IPv6],
] as const;
for (const [upper, next] of gpeNext)
  bind([VXLANDef], upper, { flags: GPE_FLAGS, NextProtocol: next }, { match: ["NextProtocol"] });
bind([VXLANDef], EtherDef, { NextProtocol: 0 }, { use: "dissect" });

// MPLS: another label until the bottom of stack (s = 1); after it, the IP version nibble
// tells IPv4 from IPv6 (Scapy's MPLS.guess_payload_class), whatever the label.
bind([MPLSDef], MPLSDef, { s: 0 });
const afterBottom = { match: ["s"], peek: "version" };
bind([MPLSDef], IPv4Def, { label: MPLS_LABEL.ipv4ExplicitNull, s: 1 }, afterBottom);
bind([MPLSDef], IPv6Def, { label: MPLS_LABEL.ipv6ExplicitNull, s: 1 }, afterBottom);

/** Every binding, in the order the dissector tries them (the first that matches wins). */
export const layerBindings: readonly LayerBinding[] = rows;

// ---------------------------------------------------------------------------------------
// What building and dissecting read, derived from the table once.

/** Building: (lower, upper) → values; a later row wins, as a later bind_layers in Scapy. */
const buildValues = new Map<LayerDef, Map<LayerDef, BindingValues>>();

interface DissectRule {
  readonly binding: LayerBinding;
  /** The peeked field: bit position in the payload, width, the value it must hold. */
  readonly peek?: { readonly bit: number; readonly bits: number; readonly value: number };
}
const dissectRules = new Map<LayerDef, DissectRule[]>();

function fieldOf(def: LayerDef, name: string) {
  const i = def.fieldIndex.get(name);
  if (i === undefined)
    throw new Error(`internal: binding names ${def.name}.${name}, no such field`);
  return { i, field: def.fields[i] };
}

/** Where `name` sits in every `def` header: only fixed fields with a fixed value before it. */
function peekRule(def: LayerDef, name: string): DissectRule["peek"] {
  const { i, field } = fieldOf(def, name);
  const before = def.fields.slice(0, i);
  if (typeof field.default !== "number" || [field, ...before].some((f) => !f.bits || f.present))
    throw new Error(`internal: ${def.name}.${name} cannot be peeked at`);
  const bit = before.reduce((sum, f) => sum + f.bits, 0);
  return { bit, bits: field.bits, value: field.default };
}

for (const b of layerBindings) {
  for (const name of Object.keys(b.values)) fieldOf(b.lower, name);
  if (b.use !== "dissect") {
    let m = buildValues.get(b.lower);
    if (!m) buildValues.set(b.lower, (m = new Map()));
    m.set(b.upper, b.values);
  }
  if (b.use !== "build") {
    const rules = dissectRules.get(b.lower) ?? [];
    rules.push({ binding: b, ...(b.peek ? { peek: peekRule(b.upper, b.peek) } : {}) });
    dissectRules.set(b.lower, rules);
  }
}

/** The field values `upper` gives `lower` when stacked on it (undefined: none). */
export function bindingFor(lower: LayerDef, upper: LayerDef): BindingValues | undefined {
  return buildValues.get(lower)?.get(upper);
}

/**
 * The layer that follows `lower` in the bytes, from its decoded fields and the bytes after
 * it; undefined when no binding matches (the dissector then reads Raw).
 */
export function nextLayer(
  lower: LayerDef,
  get: FieldGetter,
  payload: Uint8Array,
): LayerDef | undefined {
  if (lower.payloadIsLayer && !lower.payloadIsLayer(get)) return undefined;
  for (const { binding, peek } of dissectRules.get(lower) ?? []) {
    if (!binding.match.every((name) => get(name) === binding.values[name])) continue;
    if (peek && !(payload.length * 8 >= peek.bit + peek.bits)) continue;
    if (peek && readBits(payload, peek.bit, peek.bits) !== peek.value) continue;
    return binding.upper;
  }
  return undefined;
}
