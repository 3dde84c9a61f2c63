/**
 * The TypeScript side of test/fixtures/scapy/gen_packets.py: the same cases, built with the
 * autotrex API. Names must match the Python file one for one.
 */
import {
  ARP,
  Dot1Q,
  Ether,
  GRE,
  ICMP,
  ICMPv6EchoReply,
  ICMPv6EchoRequest,
  IP,
  IPv4,
  IPv6,
  IPv6ExtHdrSegmentRouting,
  MPLS,
  Raw,
  SRH,
  TCP,
  UDP,
  VXLAN,
  packet,
  type Packet,
} from "../../src/packet/index.ts";

const x = (n: number) => Raw("x".repeat(n));
const ip4 = () => IPv4({ src: "16.0.0.1", dst: "48.0.0.1" });
const ip6 = () => IPv6({ src: "aa::1", dst: "bb::1" });
// Ether() with no MACs takes autotrex's defaults, which the Python side passes explicitly.
const E = Ether;

/** Two payload bytes that make the UDP checksum 0 (derived the same way as the generator). */
function udpPayloadForZeroChecksum(): Raw {
  const probe = packet(E(), ip4(), UDP({ sport: 1025, dport: 12 }), Raw(new Uint8Array(2)));
  const c = probe.bytes().readUInt16BE(probe.offsetOf("UDP.chksum").offset);
  return Raw(Uint8Array.of(c >> 8, c & 0xff));
}
type Raw = ReturnType<typeof Raw>;

export const goldenCases: Record<string, () => Packet> = {
  ether_raw: () => packet(E(), Raw("ab")),
  ether_type_override: () => packet(E({ type: 0x88b5 }), ip4()),
  dot1q_defaults: () => packet(E(), Dot1Q(), Raw("abc")),
  dot1q_fields_ipv4_udp: () => packet(E(), Dot1Q({ prio: 5, dei: 1, vlan: 100 }), ip4(), UDP()),
  qinq_ipv4_tcp: () => packet(E(), Dot1Q({ vlan: 10 }), Dot1Q({ vlan: 20 }), ip4(), TCP()),
  dot1q_ipv6_udp: () => packet(E(), Dot1Q({ vlan: 4094 }), ip6(), UDP(), x(9)),
  arp_request: () => packet(E(), ARP()),
  arp_request_fields: () =>
    packet(E({ dst: "ff:ff:ff:ff:ff:ff" }), ARP({ psrc: "10.0.0.1", pdst: "10.0.0.2" })),
  arp_reply: () =>
    packet(
      E(),
      ARP({
        op: "is-at",
        hwsrc: "02:00:00:00:00:01",
        psrc: "10.0.0.2",
        hwdst: "02:00:00:00:00:02",
        pdst: "10.0.0.1",
      }),
    ),
  ipv4_alone_defaults: () => packet(IPv4()),
  ether_ipv4_defaults: () => packet(E(), IP()),
  ipv4_fields: () =>
    packet(
      E(),
      IPv4({ src: "1.2.3.4", dst: "5.6.7.8", tos: 0x10, id: 0x1234, flags: "DF", ttl: 10 }),
      TCP(),
    ),
  ipv4_flags_mf_frag: () =>
    packet(E(), IPv4({ src: "1.2.3.4", dst: "5.6.7.8", flags: "MF", frag: 100 }), Raw("frag")),
  ipv4_chksum_len_override: () =>
    packet(E(), IPv4({ src: "16.0.0.1", dst: "48.0.0.1", chksum: 0x1234, len: 100 }), TCP(), x(6)),
  ipv4_proto_override: () =>
    packet(E(), IPv4({ src: "16.0.0.1", dst: "48.0.0.1", proto: 99 }), TCP()),
  ipv4_ihl_override: () => packet(E(), IPv4({ src: "16.0.0.1", dst: "48.0.0.1", ihl: 5 }), UDP()),
  ipv4_options_router_alert: () =>
    packet(
      E(),
      IPv4({ src: "16.0.0.1", dst: "48.0.0.1", options: Uint8Array.of(0x94, 4, 0, 0) }),
      UDP(),
    ),
  tcp_1pkt_64: () => packet(E(), ip4(), TCP({ dport: 12, sport: 1025 }), x(6)),
  tcp_1pkt_65_odd: () => packet(E(), ip4(), TCP({ dport: 12, sport: 1025 }), x(7)),
  tcp_1pkt_128: () => packet(E(), ip4(), TCP({ dport: 12, sport: 1025 }), x(70)),
  tcp_1pkt_1518: () => packet(E(), ip4(), TCP({ dport: 12, sport: 1025 }), x(1460)),
  tcp_no_payload: () => packet(E(), ip4(), TCP({ dport: 12, sport: 1025 })),
  tcp_fields: () =>
    packet(
      E(),
      ip4(),
      TCP({
        sport: 1,
        dport: 2,
        seq: 0xdeadbeef,
        ack: 0x01020304,
        flags: "PA",
        window: 65535,
        urgptr: 7,
      }),
      x(3),
    ),
  tcp_flags_number: () => packet(E(), ip4(), TCP({ flags: 0x1ff })),
  tcp_chksum_dataofs_override: () =>
    packet(E(), ip4(), TCP({ chksum: 0xabcd, dataofs: 5, reserved: 0 }), x(4)),
  tcp_options_mss: () => packet(E(), ip4(), TCP({ options: Uint8Array.of(2, 4, 0x05, 0xb4) })),
  tcp_alone: () => packet(TCP()),
  udp_defaults: () => packet(E(), ip4(), UDP()),
  udp_odd_payload: () => packet(E(), ip4(), UDP({ sport: 1025, dport: 12 }), x(5)),
  udp_len_override: () => packet(E(), ip4(), UDP({ len: 100 }), Raw("abc")),
  udp_chksum_explicit_zero: () => packet(E(), ip4(), UDP({ chksum: 0 }), x(4)),
  udp_computed_zero_is_ffff: () =>
    packet(E(), ip4(), UDP({ sport: 1025, dport: 12 }), udpPayloadForZeroChecksum()),
  udp_alone: () => packet(UDP()),
  udp_jumbo_9216: () => packet(E(), ip4(), UDP({ sport: 1025, dport: 12 }), x(9212 - 42)),
  ipv6_alone_defaults: () => packet(IPv6()),
  ipv6_tcp_64: () => packet(E(), ip6(), TCP({ dport: 12, sport: 1025 }), x(0)),
  ipv6_tcp_odd: () => packet(E(), ip6(), TCP({ dport: 12, sport: 1025 }), x(13)),
  ipv6_udp_odd: () => packet(E(), ip6(), UDP({ sport: 1025, dport: 12 }), x(7)),
  ipv6_fl_tc_hlim: () =>
    packet(
      E(),
      IPv6({ src: "aa::1", dst: "bb::1", fl: 253, tc: 0x20, hlim: 10 }),
      TCP({ dport: 12, sport: 1025 }),
      x(6),
    ),
  ipv6_fl_max: () => packet(E(), IPv6({ src: "aa::1", dst: "bb::1", fl: 0xfffff }), UDP()),
  ipv6_plen_nh_override: () =>
    packet(E(), IPv6({ src: "aa::1", dst: "bb::1", plen: 8, nh: 17 }), UDP(), x(2)),
  ipv6_long_addresses: () =>
    packet(E(), IPv6({ src: "2001:db8:0:0:1:0:0:1", dst: "fe80::1234:5678:9abc:def0" }), UDP()),
  ipv6_embedded_ipv4: () =>
    packet(E(), IPv6({ src: "::ffff:16.0.0.1", dst: "64:ff9b::30.0.0.1" }), UDP()),
  srh_alone_defaults: () => packet(IPv6ExtHdrSegmentRouting()),
  srv6_1seg_ipv4_tcp: () =>
    packet(E(), ip6(), SRH({ addresses: ["bb::1"] }), ip4(), TCP({ dport: 12, sport: 1025 }), x(6)),
  srv6_3seg_ipv4_tcp: () =>
    packet(
      E(),
      ip6(),
      SRH({ addresses: ["cc::1", "dd::1", "ee::1"] }),
      ip4(),
      TCP({ dport: 12, sport: 1025 }),
      x(9),
    ),
  srv6_1seg_ipv6_tcp: () =>
    packet(
      E(),
      ip6(),
      SRH({ addresses: ["cc::1"] }),
      IPv6({ src: "aa::2", dst: "cc::2" }),
      TCP({ dport: 12, sport: 1025 }),
      x(5),
    ),
  srv6_tcp_direct_final_dst: () => packet(E(), ip6(), SRH({ addresses: ["cc::1"] }), TCP(), x(3)),
  srv6_3seg_udp_final_dst: () =>
    packet(E(), ip6(), SRH({ addresses: ["cc::1", "dd::1", "ee::1"] }), UDP(), x(5)),
  srv6_segleft0_udp_uses_ipv6_dst: () =>
    packet(E(), ip6(), SRH({ addresses: ["cc::1"], segleft: 0 }), UDP(), x(5)),
  srv6_fields_override: () =>
    packet(
      E(),
      IPv6({ src: "aa::1", dst: "bb::1", fl: 7 }),
      SRH({ addresses: ["cc::1", "dd::1"], segleft: 1, lastentry: 1, tag: 0x1234, len: 4 }),
      ip4(),
      UDP(),
    ),
  srv6_icmpv6: () => packet(E(), ip6(), SRH({ addresses: ["cc::1"] }), ICMPv6EchoRequest()),
  srv6_no_payload: () => packet(E(), ip6(), SRH({ addresses: ["cc::1", "dd::1"] })),
  icmp_defaults: () => packet(E(), ip4(), ICMP()),
  icmp_echo_odd: () => packet(E(), ip4(), ICMP({ id: 1, seq: 2 }), Raw("abc")),
  icmp_echo_reply: () =>
    packet(E(), ip4(), ICMP({ type: "echo-reply", id: 0x4242, seq: 0x100 }), x(8)),
  icmp_dest_unreach: () => packet(E(), ip4(), ICMP({ type: 3, code: 1 })),
  icmp_chksum_override: () => packet(E(), ip4(), ICMP({ chksum: 0xbeef })),
  icmpv6_echo_request: () =>
    packet(E(), ip6(), ICMPv6EchoRequest({ id: 0x10, seq: 1 }), Raw("hello")),
  icmpv6_echo_request_defaults: () => packet(E(), ip6(), ICMPv6EchoRequest()),
  icmpv6_echo_reply: () => packet(E(), ip6(), ICMPv6EchoReply({ id: 0x10, seq: 1 }), x(4)),
  icmpv6_cksum_override: () => packet(E(), ip6(), ICMPv6EchoRequest({ cksum: 0x1111 })),
  vxlan_ether_ipv4_tcp: () =>
    packet(
      E(),
      ip4(),
      UDP({ sport: 1234 }),
      VXLAN({ vni: 42 }),
      E(),
      IPv4({ src: "10.0.0.1", dst: "10.0.0.2" }),
      TCP(),
      x(4),
    ),
  vxlan_raw: () => packet(E(), ip4(), UDP(), VXLAN({ vni: 5 }), Raw("abcd")),
  vxlan_ipv4_inner: () =>
    packet(E(), ip4(), UDP(), VXLAN({ vni: 0xabcdef }), IPv4({ src: "10.0.0.1", dst: "10.0.0.2" })),
  vxlan_flags_explicit: () =>
    packet(E(), ip4(), UDP({ dport: 4789 }), VXLAN({ flags: 0x08, vni: 7 }), E()),
  vxlan_over_ipv6: () => packet(E(), ip6(), UDP(), VXLAN({ vni: 1 }), E(), ip6(), UDP()),
  gre_ipv4_udp: () =>
    packet(E(), ip4(), GRE(), IPv4({ src: "10.0.0.1", dst: "10.0.0.2" }), UDP(), x(3)),
  gre_ether: () => packet(E(), ip4(), GRE(), E(), ip4(), TCP()),
  gre_ipv6: () => packet(E(), ip4(), GRE(), ip6(), UDP()),
  gre_optional_fields: () =>
    packet(
      E(),
      ip4(),
      GRE({
        chksum_present: 1,
        key_present: 1,
        key: 0x1234,
        seqnum_present: 1,
        sequence_number: 7,
      }),
      ip4(),
      ICMP(),
      x(5),
    ),
  gre_chksum_explicit: () =>
    packet(E(), ip4(), GRE({ chksum_present: 1, chksum: 0x4321 }), Raw("q")),
  gre_over_ipv6: () => packet(E(), ip6(), GRE(), ip4(), UDP()),
  gre_mpls: () => packet(E(), ip4(), GRE(), MPLS({ label: 16 }), ip4()),
  mpls_stack_ipv4_udp: () =>
    packet(E(), MPLS({ label: 100, ttl: 64 }), MPLS({ label: 200, ttl: 64 }), ip4(), UDP(), x(4)),
  mpls_ipv6: () => packet(E(), MPLS({ ttl: 1 }), ip6(), TCP()),
  mpls_explicit_s_and_label: () =>
    packet(E(), MPLS({ label: 17, s: 1, cos: 5 }), MPLS({ label: 18, s: 0 }), ip4()),
  mpls_raw: () => packet(E(), MPLS(), Raw("a")),
  dot1q_mpls: () => packet(E(), Dot1Q({ vlan: 5 }), MPLS({ label: 1000 }), ip4(), UDP()),
  ipv4_in_ipv6: () => packet(E(), ip6(), ip4(), UDP()),
  ipv6_in_ipv4: () => packet(E(), ip4(), ip6(), TCP()),
  ipip: () => packet(E(), IPv4({ src: "1.1.1.1", dst: "2.2.2.2" }), ip4(), UDP()),
  ipv4_mpls_in_ip: () => packet(E(), ip4(), MPLS(), Raw("z")),
};

/** The first layer of each case, for dissecting cases that do not start with Ethernet. */
export function firstLayerOf(name: string): string {
  return goldenCases[name]().layers[0].name;
}
