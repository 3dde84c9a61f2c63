import { describe, expect, it } from "vitest";
import { IPv4, UDP, internetChecksum, onesComplementSum, packet } from "../../src/packet/index.ts";

describe("internetChecksum (RFC 1071)", () => {
  it("matches the RFC 1071 section 3 example", () => {
    const bytes = Uint8Array.of(0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7);
    expect(onesComplementSum(bytes)).toBe(0xddf2);
    expect(internetChecksum(bytes)).toBe(0x220d);
  });

  it("gives the known checksum of a real IPv4 header, and 0 over a header that carries it", () => {
    const header = Buffer.from("450000730000400040110000c0a80001c0a800c7", "hex");
    expect(internetChecksum(header)).toBe(0xb861);
    header.writeUInt16BE(0xb861, 10);
    expect(internetChecksum(header)).toBe(0);
  });

  it("pads an odd trailing byte with zero and continues from an initial partial sum", () => {
    expect(internetChecksum(Uint8Array.of(0x12, 0x34, 0x56))).toBe(~(0x1234 + 0x5600) & 0xffff);
    const a = Uint8Array.of(1, 2, 3, 4);
    const b = Uint8Array.of(5, 6, 7, 8);
    expect(internetChecksum(b, onesComplementSum(a))).toBe(
      internetChecksum(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8)),
    );
  });

  it("folds carries on long inputs", () => {
    const ff = new Uint8Array(9000).fill(0xff);
    expect(internetChecksum(ff)).toBe(0);
  });

  it("the built IPv4 and UDP checksums verify to 0", () => {
    const bytes = packet(
      IPv4({ src: "10.1.2.3", dst: "192.168.0.9" }),
      UDP({ sport: 7, dport: 9 }),
    ).bytes();
    expect(internetChecksum(bytes.subarray(0, 20))).toBe(0);
    // UDP over the IPv4 pseudo-header: src, dst, zero, protocol, UDP length
    const pseudo = Buffer.concat([bytes.subarray(12, 20), Buffer.from([0, 17, 0, 8])]);
    expect(internetChecksum(bytes.subarray(20), onesComplementSum(pseudo))).toBe(0);
  });
});
