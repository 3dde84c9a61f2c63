/** Layer constructors named after Scapy's classes, for profiles. */
import type { FieldInput } from "./fields.ts";
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
  RawDef,
  SRHDef,
  TCPDef,
  UDPDef,
  VXLANDef,
} from "./layers.ts";
import { Layer } from "./packet.ts";

type Num = number;
/** Integer fields also take names: TCP flags "SA", IPv4 flags "DF", ARP op "is-at". */
type NumOrName = number | string;

export interface EtherFields {
  dst?: string;
  src?: string;
  type?: Num;
}
export interface Dot1QFields {
  prio?: Num;
  dei?: Num;
  vlan?: Num;
  type?: Num;
}
export interface ARPFields {
  hwtype?: Num;
  ptype?: Num;
  hwlen?: Num;
  plen?: Num;
  op?: NumOrName;
  hwsrc?: string;
  psrc?: string;
  hwdst?: string;
  pdst?: string;
}
export interface IPv4Fields {
  version?: Num;
  ihl?: Num;
  tos?: Num;
  len?: Num;
  id?: Num;
  flags?: NumOrName;
  frag?: Num;
  ttl?: Num;
  proto?: Num;
  chksum?: Num;
  src?: string;
  dst?: string;
  /** Raw option bytes, a multiple of 4 long. */
  options?: Uint8Array;
}
export interface IPv6Fields {
  version?: Num;
  tc?: Num;
  fl?: Num;
  plen?: Num;
  nh?: Num;
  hlim?: Num;
  src?: string;
  dst?: string;
}
export interface SRHFields {
  nh?: Num;
  len?: Num;
  type?: Num;
  segleft?: Num;
  lastentry?: Num;
  /** The flags byte (Scapy's unused1/protected/oam/alert/hmac/unused2 bits). */
  flags?: Num;
  tag?: Num;
  /** Segment list; addresses[0] is the final segment (RFC 8754). */
  addresses?: readonly string[];
}
export interface ICMPFields {
  type?: NumOrName;
  code?: Num;
  chksum?: Num;
  id?: Num;
  seq?: Num;
}
export interface ICMPv6EchoFields {
  code?: Num;
  cksum?: Num;
  id?: Num;
  seq?: Num;
}
export interface TCPFields {
  sport?: Num;
  dport?: Num;
  seq?: Num;
  ack?: Num;
  dataofs?: Num;
  reserved?: Num;
  flags?: NumOrName;
  window?: Num;
  chksum?: Num;
  urgptr?: Num;
  /** Raw option bytes, a multiple of 4 long. */
  options?: Uint8Array;
}
export interface UDPFields {
  sport?: Num;
  dport?: Num;
  len?: Num;
  chksum?: Num;
}
export interface VXLANFields {
  flags?: Num;
  vni?: Num;
  NextProtocol?: Num;
  reserved0?: Num;
  reserved1?: Num;
  reserved2?: Num;
  gpflags?: Num;
  gpid?: Num;
}
export interface GREFields {
  chksum_present?: Num;
  routing_present?: Num;
  key_present?: Num;
  seqnum_present?: Num;
  strict_route_source?: Num;
  recursion_control?: Num;
  flags?: Num;
  version?: Num;
  proto?: Num;
  chksum?: Num;
  offset?: Num;
  key?: Num;
  sequence_number?: Num;
}
export interface MPLSFields {
  label?: Num;
  cos?: Num;
  s?: Num;
  ttl?: Num;
}

type Fields = Readonly<Record<string, FieldInput | undefined>>;
const asFields = (f: object | undefined): Fields => (f ?? {}) as Fields;

/** Ethernet II. Unset MACs: src 00:00:00:01:00:00, dst 00:00:00:02:00:00 (TRex sets real ones). */
export function Ether(f?: EtherFields): Layer {
  return new Layer(EtherDef, asFields(f));
}
/** 802.1Q tag; stack several for QinQ. */
export function Dot1Q(f?: Dot1QFields): Layer {
  return new Layer(Dot1QDef, asFields(f));
}
export function ARP(f?: ARPFields): Layer {
  return new Layer(ARPDef, asFields(f));
}
export function IPv4(f?: IPv4Fields): Layer {
  return new Layer(IPv4Def, asFields(f));
}
export function IPv6(f?: IPv6Fields): Layer {
  return new Layer(IPv6Def, asFields(f));
}
/** IPv6 Segment Routing Header (RFC 8754), Scapy's IPv6ExtHdrSegmentRouting. */
export function SRH(f?: SRHFields): Layer {
  return new Layer(SRHDef, asFields(f));
}
export function ICMP(f?: ICMPFields): Layer {
  return new Layer(ICMPDef, asFields(f));
}
export function ICMPv6EchoRequest(f?: ICMPv6EchoFields): Layer {
  return new Layer(ICMPv6EchoRequestDef, asFields(f));
}
export function ICMPv6EchoReply(f?: ICMPv6EchoFields): Layer {
  return new Layer(ICMPv6EchoReplyDef, asFields(f));
}
export function TCP(f?: TCPFields): Layer {
  return new Layer(TCPDef, asFields(f));
}
export function UDP(f?: UDPFields): Layer {
  return new Layer(UDPDef, asFields(f));
}
export function VXLAN(f?: VXLANFields): Layer {
  return new Layer(VXLANDef, asFields(f));
}
export function GRE(f?: GREFields): Layer {
  return new Layer(GREDef, asFields(f));
}
export function MPLS(f?: MPLSFields): Layer {
  return new Layer(MPLSDef, asFields(f));
}
/** Payload bytes; a string is taken as latin1 (one byte per character). */
export function Raw(load: string | Uint8Array): Layer {
  return new Layer(RawDef, { load });
}

/** Scapy's names, for profiles ported from Python. */
export const IP = IPv4;
export const IPv6ExtHdrSegmentRouting = SRH;
