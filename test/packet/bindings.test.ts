/**
 * The binding table (src/packet/bindings.ts) is the one source of which layer follows which:
 * building takes the lower layer's values from it, the dissector reads the next layer from
 * it, and the fields that carry protocol numbers name them.
 */
import { describe, expect, expectTypeOf, it } from "vitest";
import { bindingFor, layerBindings, type LayerBinding } from "../../src/packet/bindings.ts";
import { ETHER_TYPE, IP_PROTO } from "../../src/packet/numbers.ts";
import {
  Dot1Q,
  Ether,
  GRE,
  ICMPv6EchoRequest,
  IPv4,
  IPv6,
  Layer,
  MPLS,
  Raw,
  SRH,
  TCP,
  UDP,
  VXLAN,
  dissect,
  formatDissection,
  packet,
  type DissectedLayer,
  type IPv4Fields,
  type LayerDef,
} from "../../src/packet/index.ts";

const names = (layers: readonly DissectedLayer[]) => layers.map((l) => l.name);
const label = (b: LayerBinding) =>
  `${b.lower.name} ${JSON.stringify(b.values)} → ${b.upper.name} (${b.use})`;

/** The decoded value of a numeric field of the first dissected layer. */
function decoded(layers: readonly DissectedLayer[], field: string): unknown {
  return layers[0].fields.find((f) => f.name === field)?.value;
}

describe("building takes the lower layer's values from the table", () => {
  for (const b of layerBindings.filter((x) => x.use !== "dissect")) {
    it(`${label(b)}, and the bytes dissect back to ${b.upper.name}`, () => {
      const bytes = packet(new Layer(b.lower), new Layer(b.upper)).bytes();
      const layers = dissect(bytes, b.lower);
      const effective = bindingFor(b.lower, b.upper) ?? {};
      for (const [field, value] of Object.entries(effective)) {
        // A conditional field the values leave out (VXLAN NextProtocol without the P flag).
        if (decoded(layers, field) !== undefined) expect(decoded(layers, field), field).toBe(value);
      }
      expect(names(layers).slice(0, 2)).toEqual([b.lower.name, b.upper.name]);
    });
  }

  it("a value given by hand wins over the binding", () => {
    const bytes = packet(Ether({ type: 0x88b5 }), IPv4()).bytes();
    expect(bytes.readUInt16BE(12)).toBe(0x88b5);
    expect(packet(Ether(), IPv4()).bytes().readUInt16BE(12)).toBe(ETHER_TYPE.IPv4);
  });

  it("an unbound pair keeps the lower layer's defaults", () => {
    expect(bindingFor(Ether().def, TCP().def)).toBeUndefined();
    expect(packet(Ether(), TCP()).bytes().readUInt16BE(12)).toBe(ETHER_TYPE.Loopback);
    // Scapy binds ICMPv6 to IPv6 only: after IPv4 the protocol stays hopopt (0).
    expect(packet(IPv4(), ICMPv6EchoRequest()).bytes()[9]).toBe(IP_PROTO.hopopt);
  });
});

describe("the dissector reads the next layer from the table", () => {
  for (const b of layerBindings.filter((x) => x.use !== "build")) {
    it(`${label(b)}: the values given by hand dissect to ${b.upper.name}`, () => {
      const bytes = packet(new Layer(b.lower, b.values), new Layer(b.upper)).bytes();
      expect(names(dissect(bytes, b.lower)).slice(0, 2)).toEqual([b.lower.name, b.upper.name]);
    });
  }

  it("no rule is hidden behind an earlier one for the same lower layer", () => {
    const dissecting = layerBindings.filter((b) => b.use !== "build");
    for (const [j, later] of dissecting.entries()) {
      for (const earlier of dissecting.slice(0, j)) {
        if (earlier.lower !== later.lower || earlier.peek) continue;
        const covers = earlier.match.every(
          (f) => later.match.includes(f) && later.values[f] === earlier.values[f],
        );
        expect(covers, `${label(later)} is hidden by ${label(earlier)}`).toBe(false);
      }
    }
  });
});

/** For each lower layer of the table, bytes whose numbers no binding names. */
const unknownAfter: Record<string, { built: () => Uint8Array; first?: string }[]> = {
  Ether: [{ built: () => packet(Ether({ type: 0x88b5 }), IPv4()).bytes() }],
  Dot1Q: [{ built: () => packet(Dot1Q({ type: 0x88b5 }), IPv4()).bytes(), first: "Dot1Q" }],
  GRE: [
    { built: () => packet(GRE({ proto: 0x88b5 }), IPv4()).bytes(), first: "GRE" },
    // RFC 2637's enhanced GRE (version 1): its payload is not read even with a known proto
    { built: () => packet(GRE({ version: 1 }), IPv4()).bytes(), first: "GRE" },
  ],
  IPv4: [
    { built: () => packet(IPv4({ proto: 99 }), TCP()).bytes(), first: "IPv4" },
    // a first fragment: the TCP header is not read as such
    { built: () => packet(IPv4({ flags: "MF" }), TCP()).bytes(), first: "IPv4" },
    // ICMPv6 that is not an echo (type 1, destination unreachable) is not modelled
    {
      built: () => packet(IPv4({ proto: 58 }), Raw(Uint8Array.of(1, 0, 0, 0))).bytes(),
      first: "IPv4",
    },
  ],
  IPv6: [
    { built: () => packet(IPv6({ nh: 99 }), TCP()).bytes(), first: "IPv6" },
    // routing header type 0 (not SRH's 4)
    { built: () => packet(IPv6({ nh: 43 }), Raw(new Uint8Array(8))).bytes(), first: "IPv6" },
  ],
  SRH: [{ built: () => packet(SRH({ nh: 99 }), TCP()).bytes(), first: "SRH" }],
  UDP: [{ built: () => packet(UDP({ sport: 1, dport: 2 }), MPLS()).bytes(), first: "UDP" }],
  VXLAN: [
    // VXLAN-GPE Next Protocol 4 (NSH) is not modelled
    {
      built: () => packet(VXLAN({ flags: 0x0c, NextProtocol: 4 }), Raw("abcd")).bytes(),
      first: "VXLAN",
    },
  ],
  MPLS: [
    // after the bottom label, neither an IPv4 nor an IPv6 version nibble
    { built: () => packet(MPLS(), Raw(new Uint8Array(20))).bytes(), first: "MPLS" },
  ],
};

describe("a protocol number no binding names falls back to Raw", () => {
  for (const [lower, cases] of Object.entries(unknownAfter)) {
    cases.forEach(({ built, first = "Ether" }, i) => {
      it(`after ${lower} (${i + 1})`, () => {
        const layers = names(dissect(built(), first));
        expect(layers.slice(-2)).toEqual([lower, "Raw"]);
      });
    });
  }

  it("covers every lower layer of the table", () => {
    const lowers = new Set(layerBindings.map((b) => b.lower.name));
    expect([...lowers].sort()).toEqual(Object.keys(unknownAfter).sort());
  });
});

describe("the fields that carry protocol numbers name them", () => {
  for (const b of layerBindings) {
    for (const field of b.match) {
      const def: LayerDef = b.lower;
      const names = def.fields[def.fieldIndex.get(field)!].names;
      if (!names) continue;
      it(`${b.lower.name}.${field} ${b.values[field]} has a name`, () => {
        expect(names[b.values[field]]).toBeDefined();
      });
    }
  }

  it("shows them in listings and takes them when building", () => {
    const bytes = packet(Ether(), IPv4({ proto: "udp" }), UDP()).bytes();
    expect(bytes[14 + 9]).toBe(IP_PROTO.udp);
    const text = formatDissection(bytes);
    expect(text).toMatch(/ {2}type {7}= IPv4\n/);
    expect(text).toMatch(/ {2}proto {6}= udp\n/);
  });
});

describe("builders take exactly the layer's fields", () => {
  it("each builder accepts every field of its layer by name", () => {
    for (const b of [Ether, Dot1Q, IPv4, IPv6, SRH, TCP, UDP, VXLAN, GRE, MPLS]) {
      const def = b().def;
      const all = Object.fromEntries(
        def.fields.flatMap((f) => (f.default === null ? [] : [[f.name, f.default] as const])),
      );
      expect(() => new Layer(def, all), def.name).not.toThrow();
    }
  });

  it("types follow the field definitions", () => {
    expectTypeOf<IPv4Fields["ttl"]>().toEqualTypeOf<number | undefined>();
    // names are taken where the field has flag or value names
    expectTypeOf<IPv4Fields["flags"]>().toEqualTypeOf<number | string | undefined>();
    expectTypeOf<IPv4Fields["src"]>().toEqualTypeOf<string | undefined>();
    expectTypeOf<Parameters<typeof SRH>[0]>().toMatchTypeOf<
      { addresses?: readonly string[] } | undefined
    >();
    // a field alias takes what its field takes (Scapy's "id" for Dot1Q DEI)
    expect(packet(Dot1Q({ id: 1 })).bytes()[0]).toBe(0x10);
    // @ts-expect-error: IPv4 has no field "source"
    expect(() => IPv4({ source: "1.2.3.4" })).toThrow(/IPv4 has no field "source"/);
    // @ts-expect-error: ttl is a number
    expect(() => IPv4({ ttl: "x" })).toThrow(/IPv4\.ttl/);
    // @ts-expect-error: an alias takes its field's type
    expect(() => Dot1Q({ id: "x" })).toThrow(/Dot1Q\.dei/);
  });
});
