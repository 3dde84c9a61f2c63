import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  Ether,
  IPv4,
  IPv6,
  Packet,
  Raw,
  SRH,
  TCP,
  UDP,
  dissect,
  formatDissection,
  packet,
  summarize,
} from "../../src/packet/index.ts";
import { goldenCases } from "./golden-cases.ts";

const fixture = JSON.parse(
  readFileSync(new URL("../fixtures/scapy/packets.json", import.meta.url), "utf8"),
) as {
  cases: Record<string, string>;
};

/** Cases whose bytes legitimately decode to other layers than they were built from. */
const decodesDifferently: Record<string, string[]> = {
  // an unknown EtherType: the IPv4 header is just payload
  ether_type_override: ["Ether", "Raw"],
  // IPv6 plen (8) is shorter than what follows: the rest is padding
  ipv6_plen_nh_override: ["Ether", "IPv6", "UDP", "Padding"],
  // protocol 99 is not a layer autotrex decodes
  ipv4_proto_override: ["Ether", "IPv4", "Raw"],
  // bottom-of-stack set on the outer label: what follows is not an IP header
  mpls_explicit_s_and_label: ["Ether", "MPLS", "Raw"],
};

describe("dissect / summarize over every Scapy fixture", () => {
  for (const [name, hex] of Object.entries(fixture.cases)) {
    it(`${name}: layers, summary and a rebuild from the decoded fields`, () => {
      const bytes = Buffer.from(hex, "hex");
      const built = goldenCases[name]();
      const first = built.layers[0].name;
      const layers = dissect(bytes, first);
      const expected =
        decodesDifferently[name] ??
        built.layers
          .filter((l) => !(l.name === "Raw" && (l.given[0] as Uint8Array).length === 0))
          .map((l) => l.name);
      expect(layers.map((l) => l.name)).toEqual(expected);
      // layers tile the packet exactly
      let pos = 0;
      for (const l of layers) {
        expect(l.offset).toBe(pos);
        pos += l.length;
      }
      expect(pos).toBe(bytes.length);
      // summary from the layers equals summary from the bytes
      expect(built.summary()).toBe(layers.map((l) => l.summary).join(" / "));
      if (first === "Ether") expect(summarize(bytes)).toBe(built.summary());
      // every field decoded is enough to build the very same bytes again
      expect(Packet.fromBytes(bytes, first).bytes().toString("hex")).toBe(hex);
    });
  }
});

describe("summaries and listings", () => {
  it("reads like the original tool's tcp_1pkt", () => {
    const p = packet(
      Ether(),
      IPv4({ src: "16.0.0.1", dst: "48.0.0.1" }),
      TCP({ dport: 12, sport: 1025 }),
      Raw("xxxxxx"),
    );
    expect(p.summary()).toBe("Ether / IPv4 16.0.0.1 > 48.0.0.1 / TCP 1025 > 12 S / Raw 6");
    expect(String(p)).toBe(p.summary());
  });

  it("names SRv6 segments and IPv6 flow labels", () => {
    const p = packet(
      Ether(),
      IPv6({ src: "aa::1", dst: "bb::1", fl: 7 }),
      SRH({ addresses: ["cc::1", "dd::1"] }),
      IPv4({ src: "16.0.0.1", dst: "48.0.0.1" }),
      UDP({ sport: 1, dport: 2 }),
    );
    expect(p.summary()).toBe(
      "Ether / IPv6 aa::1 > bb::1 fl 7 / SRH segleft 1 [cc::1, dd::1] / IPv4 16.0.0.1 > 48.0.0.1 / UDP 1 > 2",
    );
  });

  it("puts bytes past the IPv4 total length in Padding (Ethernet minimum frame)", () => {
    const p = packet(Ether(), IPv4({ src: "1.1.1.1", dst: "2.2.2.2" }), UDP());
    const frame = Buffer.concat([p.bytes(), Buffer.alloc(60 - p.length)]);
    const names = dissect(frame).map((l) => `${l.name}:${l.length}`);
    expect(names).toEqual(["Ether:14", "IPv4:20", "UDP:8", "Padding:18"]);
  });

  it("stops decoding at a truncated header and keeps the rest as Raw", () => {
    const bytes = packet(Ether(), IPv4(), TCP())
      .bytes()
      .subarray(0, 14 + 20 + 10);
    expect(dissect(bytes).map((l) => l.name)).toEqual(["Ether", "IPv4", "Raw"]);
  });

  it("shows fields and positions Scapy show()-like, with an optional hexdump", () => {
    const p = packet(
      Ether(),
      IPv6({ src: "aa::1", dst: "bb::1", fl: 0xabcde }),
      TCP({ flags: "SA" }),
    );
    const text = formatDissection(p.bytes(), { hex: true });
    expect(text).toContain("###[ IPv6 ]###");
    expect(text).toMatch(/ {2}fl {9}= 703710\n/);
    expect(text).toMatch(/ {2}flags {6}= SA\n/);
    expect(text).toContain(
      "0000  00 00 00 02 00 00 00 00 00 01 00 00 86 dd 60 0a  ..............`.",
    );
    const fl = dissect(p.bytes())[1].fields.find((f) => f.name === "fl");
    expect(fl).toMatchObject({ value: 0xabcde, offset: 15, size: 3, bitOffset: 4, bitSize: 20 });
  });
});
