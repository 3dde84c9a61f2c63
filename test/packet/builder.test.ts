import { describe, expect, it } from "vitest";
import {
  DEFAULT_DST_MAC,
  DEFAULT_SRC_MAC,
  Ether,
  FrameTooSmallError,
  IP,
  IPv4,
  IPv6,
  IPv6ExtHdrSegmentRouting,
  Raw,
  SRH,
  TCP,
  UDP,
  formatIPv6,
  formatMac,
  packet,
  parseIPv6,
} from "../../src/packet/index.ts";

describe("padTo", () => {
  const tcp1pkt = () =>
    packet(Ether(), IPv4({ src: "16.0.0.1", dst: "48.0.0.1" }), TCP({ dport: 12, sport: 1025 }));

  it("pads with 'x' to exact lengths for every standard frame size (minus FCS)", () => {
    for (const frameSize of [64, 128, 256, 512, 1024, 1280, 1518, 2048, 4096, 8192, 9216]) {
      const p = tcp1pkt().padTo(frameSize - 4);
      const bytes = p.bytes();
      expect(bytes.length).toBe(frameSize - 4);
      expect(p.length).toBe(frameSize - 4);
      expect(bytes.subarray(54).every((b) => b === 0x78)).toBe(true);
      expect(bytes.readUInt16BE(16)).toBe(frameSize - 4 - 14); // IPv4 total length follows
    }
  });

  it("matches Scapy's payload_size*'x' for the same size", () => {
    const byHand = packet(
      Ether(),
      IPv4({ src: "16.0.0.1", dst: "48.0.0.1" }),
      TCP({ dport: 12, sport: 1025 }),
      Raw("x".repeat(6)),
    );
    expect(tcp1pkt().padTo(60).bytes()).toEqual(byHand.bytes());
  });

  it("returns the same packet when already exact, and repeats a custom fill", () => {
    const p = tcp1pkt();
    expect(p.padTo(54)).toBe(p);
    expect(p.padTo(59, "ab").bytes().subarray(54).toString("latin1")).toBe("ababa");
  });

  it("throws FrameTooSmallError with both sizes when the headers do not fit", () => {
    const srv6 = packet(Ether(), IPv6(), SRH({ addresses: ["bb::1"] }), IPv4(), TCP());
    let err: unknown;
    try {
      srv6.padTo(64 - 4);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FrameTooSmallError);
    expect(err).toMatchObject({ headerBytes: 14 + 40 + 24 + 20 + 20, availableBytes: 60 });
    expect(String((err as Error).message)).toMatch(/118 bytes.*60 bytes/);
    expect(() => srv6.padTo(117)).toThrow(FrameTooSmallError);
    expect(srv6.padTo(118).length).toBe(118);
    expect(() => srv6.padTo(-1)).toThrow(RangeError);
  });
});

describe("layers", () => {
  it("documents the default MACs", () => {
    const bytes = packet(Ether(), Raw("a")).bytes();
    expect(formatMac(bytes, 0)).toBe(DEFAULT_DST_MAC);
    expect(formatMac(bytes, 6)).toBe(DEFAULT_SRC_MAC);
    expect([DEFAULT_SRC_MAC, DEFAULT_DST_MAC]).toEqual(["00:00:00:01:00:00", "00:00:00:02:00:00"]);
  });

  it("has the Scapy aliases", () => {
    expect(IP).toBe(IPv4);
    expect(IPv6ExtHdrSegmentRouting).toBe(SRH);
    expect(packet(Ether(), IP()).layers[1].name).toBe("IPv4");
  });

  it("bytes() is a fresh copy: mutating it does not change the packet", () => {
    const p = packet(Ether(), IPv4(), UDP());
    const a = p.bytes();
    a.fill(0);
    expect(p.bytes().readUInt16BE(12)).toBe(0x0800);
  });

  it("rejects unknown fields, bad addresses and values that do not fit", () => {
    expect(() => IPv4({ source: "1.2.3.4" } as never)).toThrow(/IPv4 has no field "source"/);
    expect(() => IPv4({ src: "1.2.3" })).toThrow(/IPv4\.src.*invalid IPv4/);
    expect(() => IPv4({ ttl: 256 })).toThrow(/IPv4\.ttl: 256 does not fit in 8 bits/);
    expect(() => IPv6({ fl: 0x100000 })).toThrow(/IPv6\.fl/);
    expect(() => IPv6({ dst: "1::2::3" })).toThrow(/invalid IPv6/);
    expect(() => Ether({ src: "00:11:22:33:44" })).toThrow(/invalid MAC/);
    expect(() => TCP({ flags: "SX" })).toThrow(/unknown flag "X"/);
    expect(() => packet(IPv4({ options: Uint8Array.of(1, 1) }))).not.toThrow();
    expect(() => packet(IPv4({ options: Uint8Array.of(1, 1) })).bytes()).toThrow(/multiple of 4/);
  });

  it("takes TCP/IPv4 flag names and numbers alike", () => {
    const byName = packet(IPv4(), TCP({ flags: "SA" })).bytes();
    const byNumber = packet(IPv4(), TCP({ flags: 0x12 })).bytes();
    expect(byName).toEqual(byNumber);
    expect(packet(IPv4({ flags: "DF" })).bytes()[6]).toBe(0x40);
    expect(packet(IPv4({ flags: "MF+DF" })).bytes()[6]).toBe(0x60);
  });
});

describe("IPv6 addresses in every RFC 4291 text form", () => {
  const cases: [string, string][] = [
    ["::", "::"],
    ["::1", "::1"],
    ["aa::1", "aa::1"],
    ["2001:0DB8:0000:0000:0008:0800:200C:417A", "2001:db8::8:800:200c:417a"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["fe80::", "fe80::"],
    ["1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"],
    ["1:0:3:4:5:6:7:8", "1:0:3:4:5:6:7:8"],
    ["::ffff:16.0.0.1", "::ffff:1000:1"],
    ["64:ff9b::30.0.0.1", "64:ff9b::1e00:1"],
  ];
  for (const [text, canonical] of cases) {
    it(`${text}`, () => expect(formatIPv6(parseIPv6(text))).toBe(canonical));
  }
  it("rejects malformed text", () => {
    for (const bad of [
      "1:2:3:4:5:6:7",
      "1:2:3:4:5:6:7:8:9",
      "::1::",
      "12345::",
      "g::1",
      "1:2:3:4:5:6:7::8:9",
    ]) {
      expect(() => parseIPv6(bad), bad).toThrow(/invalid IPv6/);
    }
  });
});
