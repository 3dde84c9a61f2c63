/**
 * The protocol numbers the layers know, each written once under the name the dissector shows
 * for it. The binding table (bindings.ts) and the layers' defaults read them from here; the
 * name maps of the fields that carry them are these tables inverted.
 */

/** EtherTypes (Ether.type, Dot1Q.type, GRE.proto), by the layer that follows. */
export const ETHER_TYPE = {
  IPv4: 0x0800,
  ARP: 0x0806,
  Dot1Q: 0x8100,
  /** 802.1ad's outer tag: read as Dot1Q; a Dot1Q built after Ether gets 0x8100, as in Scapy. */
  QinQ: 0x88a8,
  IPv6: 0x86dd,
  MPLS: 0x8847,
  /** Transparent Ethernet bridging: an Ethernet frame inside GRE. */
  Ether: 0x6558,
  /** Ether's default type, as Scapy's. */
  Loopback: 0x9000,
} as const;

/** IP protocol numbers (IPv4.proto, IPv6.nh, SRH.nh) by IANA's keywords. */
export const IP_PROTO = {
  hopopt: 0,
  icmp: 1,
  ipv4: 4,
  tcp: 6,
  udp: 17,
  ipv6: 41,
  "ipv6-route": 43,
  gre: 47,
  "ipv6-icmp": 58,
  "no-next-header": 59,
  "mpls-in-ip": 137,
} as const;

/** UDP ports that name the layer inside UDP. */
export const UDP_PORT = {
  /** RFC 7348. */
  vxlan: 4789,
  /** RFC 7510, MPLS in UDP. */
  mplsInUdp: 6635,
} as const;

/** VXLAN-GPE Next Protocol values (draft-ietf-nvo3-vxlan-gpe). */
export const VXLAN_NEXT_PROTOCOL = { IPv4: 1, IPv6: 2, Ether: 3 } as const;

/** MPLS reserved labels (RFC 3032) that say which IP follows. */
export const MPLS_LABEL = { ipv4ExplicitNull: 0, ipv6ExplicitNull: 2 } as const;

/** ICMP message types (the ones named in listings). */
export const ICMP_TYPE = {
  "echo-reply": 0,
  "dest-unreach": 3,
  redirect: 5,
  "echo-request": 8,
  "time-exceeded": 11,
} as const;

/** ARP operations. */
export const ARP_OP = { "who-has": 1, "is-at": 2 } as const;

/** A number → name map of one of these tables, for a field's `names`. */
export function namesOf(table: Readonly<Record<string, number>>): Readonly<Record<number, string>> {
  const names: Record<number, string> = {};
  for (const [name, value] of Object.entries(table)) names[value] = name;
  return names;
}
