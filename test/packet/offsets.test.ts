import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  Ether,
  GRE,
  IPv4,
  IPv6,
  Raw,
  SRH,
  TCP,
  UDP,
  formatIPv6,
  packet,
} from "../../src/packet/index.ts";
import { goldenCases } from "./golden-cases.ts";

const cases = (
  JSON.parse(readFileSync(new URL("../fixtures/scapy/packets.json", import.meta.url), "utf8")) as {
    cases: Record<string, string>;
  }
).cases;

/** The Scapy-built bytes of a case and our packet for it. */
function golden(name: string) {
  return { bytes: Buffer.from(cases[name], "hex"), p: goldenCases[name]() };
}

describe("offsetOf on Scapy-built bytes", () => {
  it("IPv4 and TCP fields of tcp_1pkt", () => {
    const { bytes, p } = golden("tcp_1pkt_64");
    const at = (ref: string) => {
      const { offset, size } = p.offsetOf(ref);
      return bytes.subarray(offset, offset + size);
    };
    expect([...at("IP.src")]).toEqual([16, 0, 0, 1]);
    expect([...at("IPv4.dst")]).toEqual([48, 0, 0, 1]);
    expect(at("IPv4.len").readUInt16BE()).toBe(bytes.length - 14);
    expect(at("IPv4.id").readUInt16BE()).toBe(1);
    expect(at("IPv4.ttl")[0]).toBe(64);
    expect(p.offsetOf("IPv4.chksum")).toEqual({ offset: 24, size: 2 });
    expect(at("TCP.sport").readUInt16BE()).toBe(1025);
    expect(at("TCP.dport").readUInt16BE()).toBe(12);
    expect(p.offsetOf("TCP.chksum")).toEqual({ offset: 50, size: 2 });
    expect(p.offsetOf("IPv4")).toEqual({ offset: 14, size: 20 });
    expect(p.offsetOf("TCP")).toEqual({ offset: 34, size: 20 });
    expect(p.offsetOf("Raw.load")).toEqual({ offset: 54, size: 6 });
  });

  it("a checksum recomputed over the bytes at offsetOf matches Scapy's", () => {
    const { bytes, p } = golden("udp_odd_payload");
    const { offset } = p.offsetOf("UDP.chksum");
    expect(bytes.readUInt16BE(offset)).toBe(p.bytes().readUInt16BE(offset));
    expect(bytes.readUInt16BE(p.offsetOf("UDP.sport").offset)).toBe(1025);
    expect(bytes.readUInt16BE(p.offsetOf("UDP.dport").offset)).toBe(12);
  });

  it("IPv6 src/dst/plen and the flow label bit field", () => {
    const { bytes, p } = golden("ipv6_fl_tc_hlim");
    const src = p.offsetOf("IPv6.src");
    expect(src).toEqual({ offset: 22, size: 16 });
    expect(formatIPv6(bytes, src.offset)).toBe("aa::1");
    expect(formatIPv6(bytes, p.offsetOf("IPv6.dst").offset)).toBe("bb::1");
    expect(bytes.readUInt16BE(p.offsetOf("IPv6.plen").offset)).toBe(bytes.length - 54);
    const fl = p.offsetOf("IPv6.fl");
    expect(fl).toEqual({ offset: 15, size: 3, bitOffset: 4, bitSize: 20 });
    // the low 20 bits of the 3 bytes are the flow label (253)
    expect(bytes.readUIntBE(fl.offset, fl.size) & 0xfffff).toBe(253);
  });

  it("inner layers by index: IPv4:1 in IP-in-IP and the inner IPv4 of SRv6", () => {
    const ipip = golden("ipip");
    expect([...ipip.bytes.subarray(ipip.p.offsetOf("IP:0.src").offset).subarray(0, 4)]).toEqual([
      1, 1, 1, 1,
    ]);
    const inner = ipip.p.offsetOf("IPv4:1.src");
    expect(inner).toEqual({ offset: 14 + 20 + 12, size: 4 });
    expect([...ipip.bytes.subarray(inner.offset, inner.offset + 4)]).toEqual([16, 0, 0, 1]);
    expect([...ipip.bytes.subarray(ipip.p.offsetOf("IP:1.dst").offset).subarray(0, 4)]).toEqual([
      48, 0, 0, 1,
    ]);

    const srv6 = golden("srv6_1seg_ipv4_tcp");
    const s = srv6.p.offsetOf("IPv4.src");
    expect(s.offset).toBe(14 + 40 + 24 + 12);
    expect([...srv6.bytes.subarray(s.offset, s.offset + 4)]).toEqual([16, 0, 0, 1]);
    expect(srv6.p.offsetOf("IPv6ExtHdrSegmentRouting.addresses")).toEqual({
      offset: 14 + 40 + 8,
      size: 16,
    });
    expect(srv6.p.offsetOf("SRH")).toEqual({ offset: 54, size: 24 });

    const in6 = golden("srv6_1seg_ipv6_tcp");
    const inner6 = in6.p.offsetOf("IPv6:1.src");
    expect(formatIPv6(in6.bytes, inner6.offset)).toBe("aa::2");
  });

  it("sub-byte fields report their bit position", () => {
    const p = packet(Ether(), IPv4(), TCP());
    expect(p.offsetOf("IPv4.version")).toEqual({ offset: 14, size: 1, bitOffset: 0, bitSize: 4 });
    expect(p.offsetOf("IPv4.flags")).toEqual({ offset: 20, size: 1, bitOffset: 0, bitSize: 3 });
    expect(p.offsetOf("IPv4.frag")).toEqual({ offset: 20, size: 2, bitOffset: 3, bitSize: 13 });
    expect(p.offsetOf("TCP.flags")).toEqual({ offset: 46, size: 2, bitOffset: 7, bitSize: 9 });
  });

  it("throws errors that name the reference", () => {
    const p = packet(Ether(), IPv4(), UDP(), Raw("a"));
    expect(() => p.offsetOf("TCP.sport")).toThrow(/TCP\.sport.*0 TCP layer/);
    expect(() => p.offsetOf("IPv4:1.src")).toThrow(/IPv4:1\.src.*1 IPv4 layer/);
    expect(() => p.offsetOf("IPv4.source")).toThrow(/IPv4\.source.*no field "source"/);
    expect(() => p.offsetOf("Foo.bar")).toThrow(/unknown layer "Foo"/);
    expect(() => p.offsetOf("IPv4..src")).toThrow(/IPv4\.\.src/);
    const g = packet(Ether(), IPv4(), GRE(), IPv4());
    expect(() => g.offsetOf("GRE.key")).toThrow(/GRE\.key is not present/);
    expect(packet(Ether(), IPv4(), GRE({ key_present: 1 }), IPv4()).offsetOf("GRE.key")).toEqual({
      offset: 38,
      size: 4,
    });
  });

  it("the field engine's offsets stay put when the payload grows", () => {
    const base = packet(
      Ether(),
      IPv6({ src: "aa::1", dst: "bb::1" }),
      SRH({ addresses: ["bb::1"] }),
      IPv4(),
      TCP(),
    );
    const padded = base.padTo(1514);
    for (const ref of ["IPv6.fl", "IPv4.src", "IPv4.chksum", "TCP.sport", "TCP.chksum"]) {
      expect(padded.offsetOf(ref)).toEqual(base.offsetOf(ref));
    }
  });
});
