import { describe, expect, it } from "vitest";
import {
  DUT_PRESETS,
  DutModel,
  capacityPps,
  modelLineRatePps,
} from "../../src/emulator/dut-model.ts";
import { parseDutParams } from "../../src/emulator/dut-spec.ts";
import { SeededRandom } from "../../src/emulator/random.ts";

describe("DUT model capacity", () => {
  it("is DUT-limited at 64 B and line-limited at 1518 B on the default preset", () => {
    // 1e9 / (200 + 0.5 * 64) = 4 310 344.8 pps (dut-model.md)
    expect(capacityPps(DUT_PRESETS.default, 64)).toBeCloseTo(4_310_344.83, 2);
    expect(capacityPps(DUT_PRESETS.default, 1518)).toBeCloseTo(812_743.82, 2);
    expect(capacityPps(DUT_PRESETS.ideal, 64)).toBeCloseTo(14_880_952.38, 2);
  });
});

describe("DUT model trials", () => {
  it("sends round(min(r, L) * d) and forwards everything below capacity", () => {
    const model = new DutModel(DUT_PRESETS.default, 1);
    const out = model.trial({ ratePps: 1_000_000.4, durationS: 30, frameSize: 64 });
    expect(out.txPackets).toBe(30_000_012);
    expect(out.rxPackets).toBe(out.txPackets);
  });

  it("clamps the offered rate to line rate", () => {
    const model = new DutModel(DUT_PRESETS.ideal, 1);
    const out = model.trial({ ratePps: 20e6, durationS: 1, frameSize: 64 });
    expect(out.effectiveRatePps).toBeCloseTo(modelLineRatePps(DUT_PRESETS.ideal, 64), 6);
    expect(out.txPackets).toBe(14_880_952);
    expect(out.rxPackets).toBe(14_880_952);
  });

  it("keeps up with the link when its capacity is the line rate", () => {
    // L(1518) * 30 = 24 382 314.69: the port sends the rounded count, the DUT forwards it all
    const model = new DutModel(DUT_PRESETS.ideal, 1);
    const out = model.trial({ ratePps: 1e9, durationS: 30, frameSize: 1518 });
    expect(out.txPackets).toBe(24_382_315);
    expect(out.rxPackets).toBe(24_382_315);
  });

  it("forwards floor(C * d) + buffer above capacity", () => {
    const model = new DutModel(DUT_PRESETS.default, 1);
    const out = model.trial({ ratePps: 5e6, durationS: 10, frameSize: 64 });
    expect(out.txPackets).toBe(50_000_000);
    expect(out.rxPackets).toBe(Math.floor((1e9 / 232) * 10) + 4096);
  });

  it("is deterministic for a seed and differs between seeds with jitter", () => {
    const run = (seed: number) =>
      Array.from({ length: 5 }, () => 0).map(
        (_, i, __, m = new DutModel(DUT_PRESETS.noisy, seed)) =>
          m.trial({ ratePps: 4.3e6 + i, durationS: 30, frameSize: 64 }).rxPackets,
      );
    expect(run(7)).toEqual(run(7));
    expect(run(7)).not.toEqual(run(8));
  });

  it("applies the loss floor around its mean", () => {
    const params = { ...DUT_PRESETS.ideal, lossFloor: 1e-6 };
    const model = new DutModel(params, 3);
    let lost = 0;
    const trials = 200;
    for (let i = 0; i < trials; i++) {
      const out = model.trial({ ratePps: 1e6, durationS: 10, frameSize: 64 });
      lost += out.txPackets - out.rxPackets;
    }
    // mean 10 per trial; 2000 expected, sd ~45
    expect(lost / trials).toBeGreaterThan(9);
    expect(lost / trials).toBeLessThan(11);
  });

  it("models latency growing with load and saturating at the buffer", () => {
    const model = new DutModel(DUT_PRESETS.default, 1);
    const light = model.trial({ ratePps: 1e6, durationS: 1, frameSize: 64 }).latencyUs;
    const heavy = model.trial({ ratePps: 4.2e6, durationS: 1, frameSize: 64 }).latencyUs;
    const over = model.trial({ ratePps: 6e6, durationS: 1, frameSize: 64 }).latencyUs;
    expect(light.min).toBeCloseTo(5 + 0.232, 9);
    expect(light.avg).toBeGreaterThan(light.min);
    expect(heavy.avg).toBeGreaterThan(light.avg);
    expect(over.avg).toBeCloseTo(light.min + 4096 * 0.232, 6);
    expect(over.max).toBeCloseTo(light.min + 2 * 4096 * 0.232, 6);
  });
});

describe("DUT parameter files", () => {
  it("fills missing keys from the default preset", () => {
    expect(parseDutParams({ perPacketNs: 400 }, "slow.yaml")).toEqual({
      ...DUT_PRESETS.default,
      perPacketNs: 400,
    });
  });

  it("names the file and key on bad input", () => {
    expect(() => parseDutParams({ perPacketNS: 1 }, "dut.yaml")).toThrow(
      /dut\.yaml: unknown DUT parameter 'perPacketNS'/,
    );
    expect(() => parseDutParams({ jitter: "high" }, "dut.yaml")).toThrow(
      /dut\.yaml: jitter must be a number from 0 to 1, got "high"/,
    );
    expect(() => parseDutParams([1], "dut.yaml")).toThrow(/must be a mapping/);
  });
});

describe("seeded random", () => {
  it("gives uniform values in [0, 1) and normal deviates with mean ~0, sd ~1", () => {
    const r = new SeededRandom(42);
    let sum = 0;
    let sumSq = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const u = r.uniform();
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(1);
      const z = r.normal();
      sum += z;
      sumSq += z * z;
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.05);
    expect(Math.sqrt(sumSq / n)).toBeGreaterThan(0.95);
    expect(Math.sqrt(sumSq / n)).toBeLessThan(1.05);
  });

  it("samples large binomials around n * p", () => {
    const r = new SeededRandom(5);
    const draws = Array.from({ length: 500 }, () => r.binomial(1_000_000, 0.01));
    const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
    expect(mean).toBeGreaterThan(9_950);
    expect(mean).toBeLessThan(10_050);
    expect(r.binomial(0, 0.5)).toBe(0);
    expect(r.binomial(10, 1)).toBe(10);
  });
});
