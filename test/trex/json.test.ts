import { describe, expect, it } from "vitest";
import { parseLossless, toBigInt, toNumber } from "../../src/trex/json.ts";
import {
  counterDelta,
  parsePgidStats,
  parsePortStats,
  rxMissedOf,
} from "../../src/trex/counters.ts";
import { CounterResetError } from "../../src/trex/errors.ts";

describe("parseLossless", () => {
  it("keeps 64-bit integers exact and leaves everything else as JSON.parse reads it", () => {
    const text =
      '{"obytes":18446744073709551615,"opackets":9007199254740993,"small":42,' +
      '"rate":1.2345678901234567e+25,"frac":0.12345678901234567890,"exp":1e-12345678901234567,"neg":-12345678901234567890,"s":"12345678901234567890",' +
      '"esc":"a\\"12345678901234567890","big":1e+9999,"list":[9007199254740993, 1.5]}';
    const v = parseLossless(text) as Record<string, never>;
    expect(toBigInt(v.obytes, "obytes")).toBe(2n ** 64n - 1n);
    expect(toBigInt(v.opackets, "opackets")).toBe(9007199254740993n);
    expect(v.small).toBe(42);
    expect(v.rate).toBe(Number("1.2345678901234567e25"));
    expect(v.frac).toBe(0.12345678901234568);
    expect(v.exp).toBe(0);
    expect(toBigInt(v.neg, "neg")).toBe(-12345678901234567890n);
    expect(v.s).toBe("12345678901234567890");
    expect(v.esc).toBe('a"12345678901234567890');
    expect(v.big).toBe(Infinity);
    expect(toBigInt((v.list as never[])[0], "l")).toBe(9007199254740993n);
    expect(toNumber(v.opackets, "opackets")).toBe(9007199254740992);
  });

  it("rejects non-integers where a counter is expected", () => {
    expect(() => toBigInt("x", "opackets")).toThrow(/opackets/);
    expect(() => toBigInt(null, "opackets")).toThrow(/opackets/);
  });
});

const stats = (obytes: string, opackets = "100"): string =>
  `{"opackets":${opackets},"obytes":${obytes},"ipackets":90,"ibytes":5760,"oerrors":0,` +
  `"ierrors":1,"m_total_tx_pps":1000.5,"m_total_tx_bps":512000.0,"m_total_rx_pps":900.0,` +
  `"m_total_rx_bps":460800.0,"m_cpu_util":0.0}`;

describe("port counters", () => {
  it("subtracts a baseline exactly above 2^53", () => {
    const before = parsePortStats(0, parseLossless(stats("9007199254740993")));
    const after = parsePortStats(0, parseLossless(stats("9007199254741057", "101")));
    expect(before.txPps).toBe(1000.5);
    expect(before.rxBps).toBe(460800);
    expect(counterDelta(before, after)).toEqual({
      opackets: 1,
      obytes: 64,
      ipackets: 0,
      ibytes: 0,
      oerrors: 0,
      ierrors: 0,
      rxMissed: 0,
    });
  });

  it("reads rx_missed_errors by its xstats name; 0 missed when a reading lacks it", () => {
    const names = ["rx_good_packets", "tx_good_packets", "rx_missed_errors"];
    const values = (missed: string) => parseLossless(`{"xstats_values":[90,100,${missed}]}`);
    expect(rxMissedOf(names, values("9007199254740993"))).toBe(9007199254740993n);
    expect(rxMissedOf(["rx_good_packets"], values("7"))).toBeNull();
    expect(rxMissedOf(undefined, values("7"))).toBeNull();
    const at = (missed: bigint | null) => parsePortStats(1, parseLossless(stats("6400")), missed);
    expect(counterDelta(at(5n), at(12n)).rxMissed).toBe(7);
    expect(counterDelta(at(null), at(12n)).rxMissed).toBe(0);
    expect(() => counterDelta(at(12n), at(5n))).toThrow(/port 1.*rx_missed_errors/);
  });

  it("detects counters going backwards (server restart)", () => {
    const before = parsePortStats(1, parseLossless(stats("6400")));
    const after = parsePortStats(1, parseLossless(stats("640", "10")));
    expect(() => counterDelta(before, after)).toThrow(CounterResetError);
    expect(() => counterDelta(before, after)).toThrow(/port 1.*opackets/);
  });

  it("refuses to subtract readings of different ports", () => {
    const a = parsePortStats(0, parseLossless(stats("1")));
    const b = parsePortStats(1, parseLossless(stats("1")));
    expect(() => counterDelta(a, b)).toThrow(/ports 0 and 1/);
  });
});

describe("pg id statistics", () => {
  it("reads flow stats per port and latency with its error counters", () => {
    const r = parsePgidStats(
      parseLossless(
        '{"flow_stats":{"7":{"tp":{"0":1000,"1":0},"tb":{"0":64000,"1":0},"rp":{"0":0,"1":998},' +
          '"rb":{"0":0,"1":63872},"tps":{"0":0.0},"tbs":{},"rps":{},"rbs":{}},"g":{"rx_err":{}}},' +
          '"latency":{"9":{"lat":{"average":12.5,"total_max":40,"total_min":8,"last_max":20,' +
          '"jit":1,"histogram":{"10":900,"20":98}},"er":{"drp":2,"ooo":1}},"g":{"old_flow":3}},' +
          '"ver_id":{"7":1,"9":2}}',
      ),
    );
    expect(r.flowStats.get(7)?.txPackets.get(0)).toBe(1000n);
    expect(r.flowStats.get(7)?.rxBytes.get(1)).toBe(63872n);
    expect([...r.flowStats.keys()]).toEqual([7]);
    const lat = r.latency.get(9)!;
    expect(lat).toMatchObject({ minUs: 8, avgUs: 12.5, maxUs: 40, jitterUs: 1, dropped: 2 });
    expect(lat.outOfOrder).toBe(1);
    expect(lat.seqTooLow).toBe(0);
    expect([...lat.histogram]).toEqual([
      [10, 900],
      [20, 98],
    ]);
    expect(r.verIds.get(9)).toBe(2);
  });

  it("accepts the reply for no pg ids", () => {
    const r = parsePgidStats(parseLossless('{"flow_stats":null,"latency":{"g":{}},"ver_id":null}'));
    expect(r.flowStats.size).toBe(0);
    expect(r.latency.size).toBe(0);
  });
});
