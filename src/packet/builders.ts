/** Layer constructors named after Scapy's classes, for profiles. */
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
  type FieldsOf,
  type LayerDef,
} from "./layers.ts";
import { Layer } from "./packet.ts";

// What each builder takes, derived from its layer's field list (layers.ts): a field added
// there is accepted here. Integer fields with flag or value names also take the names
// (TCP flags "SA", IPv4 flags "DF", ARP op "is-at", IPv4 proto "tcp").
export type EtherFields = FieldsOf<typeof EtherDef>;
export type Dot1QFields = FieldsOf<typeof Dot1QDef>;
export type ARPFields = FieldsOf<typeof ARPDef>;
export type IPv4Fields = FieldsOf<typeof IPv4Def>;
export type IPv6Fields = FieldsOf<typeof IPv6Def>;
export type SRHFields = FieldsOf<typeof SRHDef>;
export type ICMPFields = FieldsOf<typeof ICMPDef>;
export type ICMPv6EchoFields = FieldsOf<typeof ICMPv6EchoRequestDef>;
export type TCPFields = FieldsOf<typeof TCPDef>;
export type UDPFields = FieldsOf<typeof UDPDef>;
export type VXLANFields = FieldsOf<typeof VXLANDef>;
export type GREFields = FieldsOf<typeof GREDef>;
export type MPLSFields = FieldsOf<typeof MPLSDef>;

/** A layer constructor that takes exactly `def`'s fields. */
function builder<D extends LayerDef>(def: D): (fields?: FieldsOf<D>) => Layer {
  return (fields) => new Layer(def, fields ?? {});
}

/** Ethernet II. Unset MACs: src 00:00:00:01:00:00, dst 00:00:00:02:00:00 (TRex sets real ones). */
export const Ether = builder(EtherDef);
/** 802.1Q tag; stack several for QinQ. */
export const Dot1Q = builder(Dot1QDef);
export const ARP = builder(ARPDef);
/** IPv4; `options` are raw option bytes, a multiple of 4 long. */
export const IPv4 = builder(IPv4Def);
export const IPv6 = builder(IPv6Def);
/**
 * IPv6 Segment Routing Header (RFC 8754), Scapy's IPv6ExtHdrSegmentRouting. `addresses` is
 * the segment list, addresses[0] the final segment; `flags` the flags byte (Scapy's
 * unused1/protected/oam/alert/hmac/unused2 bits).
 */
export const SRH = builder(SRHDef);
export const ICMP = builder(ICMPDef);
export const ICMPv6EchoRequest = builder(ICMPv6EchoRequestDef);
export const ICMPv6EchoReply = builder(ICMPv6EchoReplyDef);
/** TCP; `options` are raw option bytes, a multiple of 4 long. */
export const TCP = builder(TCPDef);
export const UDP = builder(UDPDef);
export const VXLAN = builder(VXLANDef);
export const GRE = builder(GREDef);
export const MPLS = builder(MPLSDef);
/** Payload bytes; a string is taken as latin1 (one byte per character). */
export function Raw(load: string | Uint8Array): Layer {
  return new Layer(RawDef, { load });
}

/** Scapy's names, for profiles ported from Python. */
export const IP = IPv4;
export const IPv6ExtHdrSegmentRouting = SRH;
