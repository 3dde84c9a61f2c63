/** Layer constructors named after Scapy's classes, for profiles. */
import * as L from "./layers.ts";
import type { FieldsOf, LayerDef } from "./layers.ts";
import { Layer } from "./packet.ts";

/**
 * A layer constructor that takes exactly `def`'s fields, typed from its field list
 * (layers.ts): a field added there is accepted here. Integer fields with flag or value names
 * also take the names (TCP flags "SA", IPv4 flags "DF", ARP op "is-at", IPv4 proto "tcp").
 */
function builder<D extends LayerDef>(def: D): (fields?: FieldsOf<D>) => Layer {
  return (fields) => new Layer(def, fields ?? {});
}

/** Ethernet II. Unset MACs: src 00:00:00:01:00:00, dst 00:00:00:02:00:00 (TRex sets real ones). */
export const Ether = builder(L.EtherDef);
export type EtherFields = FieldsOf<typeof L.EtherDef>;
/** 802.1Q tag; stack several for QinQ. */
export const Dot1Q = builder(L.Dot1QDef);
export type Dot1QFields = FieldsOf<typeof L.Dot1QDef>;
export const ARP = builder(L.ARPDef);
export type ARPFields = FieldsOf<typeof L.ARPDef>;
/** IPv4; `options` are raw option bytes, a multiple of 4 long. */
export const IPv4 = builder(L.IPv4Def);
export type IPv4Fields = FieldsOf<typeof L.IPv4Def>;
export const IPv6 = builder(L.IPv6Def);
export type IPv6Fields = FieldsOf<typeof L.IPv6Def>;
/**
 * IPv6 Segment Routing Header (RFC 8754), Scapy's IPv6ExtHdrSegmentRouting. `addresses` is
 * the segment list, addresses[0] the final segment; `flags` the flags byte (Scapy's
 * unused1/protected/oam/alert/hmac/unused2 bits).
 */
export const SRH = builder(L.SRHDef);
export type SRHFields = FieldsOf<typeof L.SRHDef>;
export const ICMP = builder(L.ICMPDef);
export type ICMPFields = FieldsOf<typeof L.ICMPDef>;
export const ICMPv6EchoRequest = builder(L.ICMPv6EchoRequestDef);
export type ICMPv6EchoFields = FieldsOf<typeof L.ICMPv6EchoRequestDef>;
export const ICMPv6EchoReply = builder(L.ICMPv6EchoReplyDef);
/** TCP; `options` are raw option bytes, a multiple of 4 long. */
export const TCP = builder(L.TCPDef);
export type TCPFields = FieldsOf<typeof L.TCPDef>;
export const UDP = builder(L.UDPDef);
export type UDPFields = FieldsOf<typeof L.UDPDef>;
export const VXLAN = builder(L.VXLANDef);
export type VXLANFields = FieldsOf<typeof L.VXLANDef>;
export const GRE = builder(L.GREDef);
export type GREFields = FieldsOf<typeof L.GREDef>;
export const MPLS = builder(L.MPLSDef);
export type MPLSFields = FieldsOf<typeof L.MPLSDef>;
/** Payload bytes; a string is taken as latin1 (one byte per character). */
export function Raw(load: string | Uint8Array): Layer {
  return new Layer(L.RawDef, { load });
}

/** Scapy's names, for profiles ported from Python. */
export const IP = IPv4;
export const IPv6ExtHdrSegmentRouting = SRH;
