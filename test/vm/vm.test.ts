import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  Ether,
  formatIPv4,
  internetChecksum,
  IP,
  IPv6,
  packet,
  TCP,
  UDP,
  type Packet,
} from "../../src/packet/index.ts";
import {
  compileVm,
  fieldEngine,
  fixChecksumHw,
  fixIpv4Checksum,
  flowVar,
  repeatableRandomVar,
  trimPacketSize,
  tupleVar,
  VmError,
  VmRunner,
  writeMaskVar,
  writeVar,
  type VmInstruction,
} from "../../src/vm/index.ts";

const vectors = JSON.parse(
  readFileSync(new URL("../fixtures/trex/vm-vectors.json", import.meta.url), "utf8"),
) as {
  syn_attack: [string, number][];
  udp_1pkt_repeat_random: [string, string][];
  udp_1pkt_tuple_gen: [string, number][];
};

const udp = (): Packet =>
  packet(Ether(), IP({ src: "16.0.0.1", dst: "48.0.0.1" }), UDP({ dport: 12, sport: 1025 })).padTo(
    60,
  );

function run(pkt: Packet, ins: VmInstruction[], n: number, seed?: number): Buffer[] {
  const runner = new VmRunner(compileVm(fieldEngine(ins), pkt), pkt.bytes(), { seed });
  return Array.from({ length: n }, () => runner.next());
}

/** Values of a 1-byte variable written at offset 0 of a raw 60-byte packet. */
function seq(v: VmInstruction, n: number, at = 26, width = 1): number[] {
  return run(udp(), [v, writeVar({ name: "v", offset: at })], n).map((p) =>
    p.readUIntBE(at, width),
  );
}

describe("TRex's own simulator output is reproduced", () => {
  it("random ip_src/src_port with random_seed 0x1234 (syn_attack.pcap, 50 packets)", () => {
    const pkt = packet(Ether(), IP({ dst: "48.0.0.1" }), TCP({ dport: 80, flags: "S" })).padTo(60);
    const out = run(
      pkt,
      [
        flowVar({ name: "ip_src", min: "16.0.0.0", max: "18.0.0.254", size: 4, op: "random" }),
        flowVar({ name: "src_port", min: 1025, max: 65000, size: 2, op: "random" }),
        writeVar({ name: "ip_src", offset: "IP.src" }),
        fixIpv4Checksum(),
        writeVar({ name: "src_port", offset: "TCP.sport" }),
      ],
      vectors.syn_attack.length,
      0x1234,
    );
    expect(out.map((p) => [formatIPv4(p, 26), p.readUInt16BE(34)])).toEqual(vectors.syn_attack);
  });

  it("inc var and repeatable random with limit 16, seed 0x1235 (udp_1pkt_repeat_random.pcap)", () => {
    const out = run(
      udp(),
      [
        flowVar({ name: "ip_src", min: "10.0.0.1", max: "10.0.0.255", size: 4, op: "inc" }),
        repeatableRandomVar({
          name: "ip_dst",
          min: "48.0.0.1",
          max: "48.0.0.255",
          size: 4,
          limit: 16,
          seed: 0x1235,
        }),
        writeVar({ name: "ip_src", offset: "IP.src" }),
        writeVar({ name: "ip_dst", offset: "IP.dst" }),
        fixIpv4Checksum("IP"),
      ],
      vectors.udp_1pkt_repeat_random.length,
    );
    expect(out.map((p) => [formatIPv4(p, 26), formatIPv4(p, 30)])).toEqual(
      vectors.udp_1pkt_repeat_random,
    );
  });

  it("tuple generator 16.0.0.1-16.0.0.2 x 1025-2048 (udp_1pkt_tuple_gen.pcap)", () => {
    const out = run(
      udp(),
      [
        tupleVar({
          name: "tuple",
          ipMin: "16.0.0.1",
          ipMax: "16.0.0.2",
          portMin: 1025,
          portMax: 2048,
          limitFlows: 10000,
        }),
        writeVar({ name: "tuple.ip", offset: "IP.src" }),
        fixIpv4Checksum(),
        writeVar({ name: "tuple.port", offset: "UDP.sport" }),
      ],
      vectors.udp_1pkt_tuple_gen.length,
    );
    expect(out.map((p) => [formatIPv4(p, 26), p.readUInt16BE(34)])).toEqual(
      vectors.udp_1pkt_tuple_gen,
    );
  });
});

describe("compiled program = the JSON TRex's Python client sends", () => {
  it("keys, order and values of flow_var / write_flow_var / fix_checksum_ipv4", () => {
    const vm = compileVm(
      fieldEngine([
        flowVar({ name: "src", min: "16.0.0.0", max: "18.0.0.254", size: 4, op: "random" }),
        writeVar({ name: "src", offset: "IP.src" }),
        fixIpv4Checksum("IP"),
      ]),
      udp(),
    );
    expect(JSON.stringify(vm)).toBe(
      JSON.stringify({
        instructions: [
          {
            type: "flow_var",
            name: "src",
            size: 4,
            op: "random",
            next_var: null,
            split_to_cores: true,
            init_value: 268435456,
            min_value: 268435456,
            max_value: 301990142,
            step: 1,
          },
          {
            type: "write_flow_var",
            name: "src",
            pkt_offset: 26,
            add_value: 0,
            is_big_endian: true,
          },
          { type: "fix_checksum_ipv4", pkt_offset: 14 },
        ],
      }),
    );
  });

  it("the other instructions, cache, value lists and next_var chains (dependent var ordered after its head, unsplit)", () => {
    const pkt = udp();
    const vm = compileVm(
      fieldEngine(
        [
          flowVar({ name: "b", valueList: ["1.2.3.4", 7], size: 4, op: "dec" }),
          flowVar({ name: "a", min: 0, max: 2, size: 1, nextVar: "b" }),
          tupleVar({ name: "t", ipMin: "16.0.0.1", ipMax: "16.0.0.9", ignorePorts: true }),
          writeMaskVar({
            name: "a",
            offset: "IP.ttl",
            castSize: 2,
            mask: 0xff00,
            shift: 8,
            byteOrder: "little",
          }),
          fixChecksumHw({ l3Offset: "IP", l4Offset: "UDP", l4Type: "udp" }),
          flowVar({ name: "len", min: 60, max: 60, size: 2 }),
          trimPacketSize("len"),
        ],
        { cacheSize: 500 },
      ),
      pkt,
    );
    expect(vm.cache).toBe(500);
    expect(vm.instructions.map((i) => i.type)).toEqual([
      "flow_var",
      "flow_var",
      "flow_var",
      "tuple_flow_var",
      "write_mask_flow_var",
      "fix_checksum_hw",
      "trim_pkt_size",
    ]);
    expect(vm.instructions.slice(0, 2).map((i) => "name" in i && i.name)).toEqual(["a", "b"]);
    expect(vm.instructions[1]).toEqual({
      type: "flow_var",
      name: "b",
      size: 4,
      op: "dec",
      next_var: null,
      split_to_cores: false,
      value_list: [0x01020304, 7],
      step: 1,
    });
    expect(vm.instructions[3]).toEqual({
      type: "tuple_flow_var",
      name: "t",
      ip_min: 0x10000001,
      ip_max: 0x10000009,
      port_min: 1025,
      port_max: 65535,
      limit_flows: 100000,
      flags: 1,
    });
    expect(vm.instructions[4]).toEqual({
      type: "write_mask_flow_var",
      name: "a",
      pkt_offset: 22,
      pkt_cast_size: 2,
      mask: 0xff00,
      shift: 8,
      add_value: 0,
      is_big_endian: false,
    });
    expect(vm.instructions[5]).toEqual({
      type: "fix_checksum_hw",
      l2_len: 14,
      l3_len: 20,
      l4_type: 11,
    });
  });

  it("rejects what TRex's client rejects", () => {
    expect(() => flowVar({ name: "x", min: 5, max: 1 })).toThrow(VmError);
    expect(() => flowVar({ name: "x", min: 0, max: 300, size: 1 })).toThrow(/does not fit/);
    expect(() => flowVar({ name: "x", min: 0, max: 9, init: 10 })).toThrow(/init/);
    expect(() => flowVar({ name: "x", op: "random", nextVar: "y" })).toThrow(/random/);
    expect(() => flowVar({ name: "x", size: 3 })).toThrow(/size/);
    expect(() => flowVar({ name: "x", min: "300.0.0.1" })).toThrow(/IPv4/);
    const pkt = udp();
    expect(() => compileVm(fieldEngine([writeVar({ name: "nope", offset: 0 })]), pkt)).toThrow(
      /does not exist/,
    );
    expect(() =>
      compileVm(fieldEngine([flowVar({ name: "a" }), flowVar({ name: "a" })]), pkt),
    ).toThrow(/twice/);
    expect(() =>
      compileVm(fieldEngine([flowVar({ name: "a" }), writeVar({ name: "a", offset: 58 })]), pkt),
    ).toThrow(/do not fit/);
    expect(() =>
      compileVm(
        fieldEngine([flowVar({ name: "a" }), writeVar({ name: "a", offset: "TCP.sport" })]),
        pkt,
      ),
    ).toThrow(/TCP/);
    expect(() =>
      compileVm(
        fieldEngine([flowVar({ name: "a", nextVar: "b" }), flowVar({ name: "b", nextVar: "a" })]),
        pkt,
      ),
    ).toThrow(/loop/);
  });
});

describe("flow variables step like TRex's data path", () => {
  it("inc from min, wrapping to min after max", () => {
    expect(seq(flowVar({ name: "v", min: 0, max: 3, size: 1 }), 9)).toEqual([
      0, 1, 2, 3, 0, 1, 2, 3, 0,
    ]);
  });
  it("inc from init, and dec from max by default", () => {
    expect(seq(flowVar({ name: "v", min: 0, max: 3, init: 2, size: 1 }), 5)).toEqual([
      2, 3, 0, 1, 2,
    ]);
    expect(seq(flowVar({ name: "v", min: 0, max: 3, size: 1, op: "dec" }), 6)).toEqual([
      3, 2, 1, 0, 3, 2,
    ]);
  });
  it("steps, padding a range that is not a whole number of steps (as the server does)", () => {
    expect(seq(flowVar({ name: "v", min: 0, max: 10, size: 1, step: 3 }), 6)).toEqual([
      0, 3, 6, 9, 0, 3,
    ]);
    expect(seq(flowVar({ name: "v", min: 1, max: 9, size: 1, step: 2 }), 6)).toEqual([
      1, 3, 5, 7, 9, 1,
    ]);
    expect(seq(flowVar({ name: "v", min: 0, max: 10, size: 1, step: 3, op: "dec" }), 5)).toEqual([
      10, 7, 4, 1, 10,
    ]);
  });
  it("wrap-around at the top of each variable size", () => {
    expect(seq(flowVar({ name: "v", min: 254, max: 255, size: 1 }), 4)).toEqual([
      254, 255, 254, 255,
    ]);
    expect(seq(flowVar({ name: "v", min: 0xfffe, max: 0xffff, size: 2 }), 3, 26, 2)).toEqual([
      0xfffe, 0xffff, 0xfffe,
    ]);
    expect(
      seq(flowVar({ name: "v", min: 0xfffffffe, max: 0xffffffff, size: 4 }), 3, 26, 4),
    ).toEqual([0xfffffffe, 0xffffffff, 0xfffffffe]);
    expect(
      seq(
        flowVar({ name: "v", min: 0, max: 0xffffffff, init: 0xffffffff, size: 4, op: "inc" }),
        2,
        26,
        4,
      ),
    ).toEqual([0xffffffff, 0]);
  });
  it("8-byte variables", () => {
    const out = run(
      udp(),
      [
        flowVar({ name: "v", min: 2 ** 40, max: 2 ** 40 + 1, size: 8, op: "dec" }),
        writeVar({ name: "v", offset: 26 }),
      ],
      3,
    );
    expect(out.map((p) => p.readBigUInt64BE(26))).toEqual([
      2n ** 40n + 1n,
      2n ** 40n,
      2n ** 40n + 1n,
    ]);
  });
  it("value lists, inc and dec", () => {
    expect(seq(flowVar({ name: "v", valueList: [9, 0, 4], size: 1 }), 5)).toEqual([9, 0, 4, 9, 0]);
    expect(seq(flowVar({ name: "v", valueList: [9, 0, 4], size: 1, op: "dec" }), 4)).toEqual([
      4, 0, 9, 4,
    ]);
  });
  it("next_var: the dependent variable advances when its head wraps", () => {
    const out = run(
      udp(),
      [
        flowVar({ name: "a", min: 0, max: 2, size: 1, nextVar: "b" }),
        flowVar({ name: "b", min: 0, max: 1, size: 1 }),
        writeVar({ name: "a", offset: 26 }),
        writeVar({ name: "b", offset: 27 }),
      ],
      7,
    );
    expect(out.map((p) => [p[26], p[27]])).toEqual([
      [0, 0],
      [1, 0],
      [2, 0],
      [0, 1],
      [1, 1],
      [2, 1],
      [0, 0],
    ]);
  });
  it("random stays in range for every size and is reproducible for a seed", () => {
    for (const [size, min, max] of [
      [1, 3, 17],
      [2, 1000, 1003],
      [4, 0x10000000, 0x120000fe],
      [8, 5, 2 ** 50],
    ] as const) {
      const prog = [
        flowVar({ name: "v", min, max, size, op: "random" }),
        writeVar({ name: "v", offset: 14 }),
      ];
      const a = run(udp(), prog, 2000, 42).map((p) =>
        Number(
          p.readUIntBE(14, Math.min(size, 6)) * (size === 8 ? 2 ** 16 : 1) +
            (size === 8 ? p.readUInt16BE(20) : 0),
        ),
      );
      const b = run(udp(), prog, 2000, 42).map((p) => p.subarray(14, 14 + size).toString("hex"));
      const c = run(udp(), prog, 2000, 43).map((p) => p.subarray(14, 14 + size).toString("hex"));
      for (const v of a) {
        expect(v).toBeGreaterThanOrEqual(min);
        expect(v).toBeLessThanOrEqual(max);
      }
      expect(new Set(a).size).toBeGreaterThan(1);
      expect(
        run(udp(), prog, 2000, 42).map((p) => p.subarray(14, 14 + size).toString("hex")),
      ).toEqual(b);
      expect(c).not.toEqual(b);
    }
    // A small range is covered uniformly enough that every value shows up.
    expect(
      new Set(seq(flowVar({ name: "v", min: 3, max: 17, size: 1, op: "random" }), 2000)),
    ).toEqual(new Set(Array.from({ length: 15 }, (_, i) => 3 + i)));
  });
  it("repeatable random repeats every `limit` values", () => {
    const s = seq(
      repeatableRandomVar({ name: "v", min: 0, max: 255, size: 1, limit: 5, seed: 7 }),
      15,
    );
    expect(s.slice(5, 10)).toEqual(s.slice(0, 5));
    expect(s.slice(10, 15)).toEqual(s.slice(0, 5));
  });
});

describe("writes and checksum fixes", () => {
  it("writes land at the named offset, big- or little-endian, with add value and offset fixup", () => {
    const pkt = udp();
    const [p] = run(
      pkt,
      [
        flowVar({ name: "v", min: 0x01020304, max: 0x01020304, size: 4 }),
        writeVar({ name: "v", offset: "IPv4.dst" }),
        writeVar({
          name: "v",
          offset: "UDP.sport",
          offsetFixup: 4,
          addValue: 1,
          byteOrder: "little",
        }),
      ],
      1,
    );
    expect(pkt.offsetOf("IPv4.dst").offset).toBe(30);
    expect(p.subarray(30, 34).toString("hex")).toBe("01020304");
    expect(p.subarray(38, 42).toString("hex")).toBe("05030201");
    // Untouched bytes stay as built.
    expect(p.subarray(0, 30)).toEqual(pkt.bytes().subarray(0, 30));
    expect(p.subarray(42)).toEqual(pkt.bytes().subarray(42));
  });
  it("add value wraps at the variable's size", () => {
    expect(seq(flowVar({ name: "v", min: 250, max: 255, size: 1, init: 255 }), 1, 26)).toEqual([
      255,
    ]);
    const [p] = run(
      udp(),
      [
        flowVar({ name: "v", min: 255, max: 255, size: 1 }),
        writeVar({ name: "v", offset: 26, addValue: 3 }),
      ],
      1,
    );
    expect(p[26]).toBe(2);
  });
  it("masked writes: read-modify-write of the masked bits only (TRex's examples)", () => {
    const base = udp();
    const ttlAt = base.offsetOf("IPv4.ttl").offset;
    const [p] = run(
      base,
      [
        flowVar({ name: "v", min: 0xab, max: 0xab, size: 2 }),
        writeMaskVar({ name: "v", offset: ttlAt, castSize: 2, mask: 0xff00, shift: 8 }),
        writeMaskVar({ name: "v", offset: 11, castSize: 1, mask: 0x0f }),
      ],
      1,
    );
    expect(p[ttlAt]).toBe(0xab); // ttl replaced
    expect(p[ttlAt + 1]).toBe(base.bytes()[ttlAt + 1]); // proto kept
    expect(p[11]).toBe((base.bytes()[11] & 0xf0) | 0x0b);
  });
  it("fixIpv4Checksum leaves a valid header after the source changed", () => {
    const out = run(
      udp(),
      [
        flowVar({ name: "v", min: "10.0.0.1", max: "10.0.0.200", size: 4, op: "random" }),
        writeVar({ name: "v", offset: "IP.src" }),
        fixIpv4Checksum(),
      ],
      50,
      9,
    );
    for (const p of out) expect(internetChecksum(p.subarray(14, 34))).toBe(0);
  });
  it("fixChecksumHw gives the checksums a freshly built packet has (UDP/IPv4, TCP/IPv4, UDP/IPv6)", () => {
    const cases: [Packet, (src: string) => Packet, string, "udp" | "tcp"][] = [
      [
        udp(),
        (s) =>
          packet(Ether(), IP({ src: s, dst: "48.0.0.1" }), UDP({ dport: 12, sport: 1025 })).padTo(
            60,
          ),
        "UDP",
        "udp",
      ],
      [
        packet(Ether(), IP({ src: "1.1.1.1", dst: "2.2.2.2" }), TCP()).padTo(80),
        (s) => packet(Ether(), IP({ src: s, dst: "2.2.2.2" }), TCP()).padTo(80),
        "TCP",
        "tcp",
      ],
    ];
    for (const [base, rebuilt, l4, type] of cases) {
      const out = run(
        base,
        [
          flowVar({ name: "v", min: "10.0.0.1", max: "10.0.0.3", size: 4 }),
          writeVar({ name: "v", offset: "IP.src" }),
          fixChecksumHw({ l3Offset: "IP", l4Offset: l4, l4Type: type }),
        ],
        3,
      );
      out.forEach((p, i) =>
        expect(p.toString("hex")).toBe(
          rebuilt(`10.0.0.${i + 1}`)
            .bytes()
            .toString("hex"),
        ),
      );
    }
    const v6 = (sport: number) =>
      packet(Ether(), IPv6({ src: "aa::1", dst: "bb::1" }), UDP({ sport, dport: 7 })).padTo(90);
    const out = run(
      v6(1),
      [
        flowVar({ name: "p", min: 5000, max: 5001, size: 2 }),
        writeVar({ name: "p", offset: "UDP.sport" }),
        fixChecksumHw({ l3Offset: "IPv6", l4Offset: "UDP", l4Type: "udp" }),
      ],
      2,
    );
    expect(out.map((p) => p.toString("hex"))).toEqual(
      [v6(5000), v6(5001)].map((p) => p.bytes().toString("hex")),
    );
  });
  it("trimPacketSize shortens the packet to the variable's value", () => {
    const out = run(
      udp(),
      [flowVar({ name: "len", min: 58, max: 60, size: 2 }), trimPacketSize("len")],
      4,
    );
    expect(out.map((p) => p.length)).toEqual([58, 59, 60, 58]);
    expect(() =>
      compileVm(
        fieldEngine([flowVar({ name: "len", min: 58, max: 61, size: 2 }), trimPacketSize("len")]),
        udp(),
      ),
    ).toThrow(/exceed/);
  });
  it("a tuple walks the IPs, then the port; limitFlows starts it over", () => {
    const out = run(
      udp(),
      [
        tupleVar({
          name: "t",
          ipMin: "1.0.0.1",
          ipMax: "1.0.0.3",
          portMin: 10,
          portMax: 11,
          limitFlows: 7,
        }),
        writeVar({ name: "t.ip", offset: "IP.src" }),
        writeVar({ name: "t.port", offset: "UDP.sport" }),
      ],
      9,
    );
    expect(out.map((p) => `${formatIPv4(p, 26)}:${p.readUInt16BE(34)}`)).toEqual([
      "1.0.0.1:10",
      "1.0.0.2:10",
      "1.0.0.3:10",
      "1.0.0.1:11",
      "1.0.0.2:11",
      "1.0.0.3:11",
      "1.0.0.1:10",
      "1.0.0.1:10",
      "1.0.0.2:10",
    ]);
  });
});
