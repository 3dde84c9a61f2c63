import { describe, expect, it } from "vitest";
import {
  conflictsWith,
  normalizeEmulate,
  normalizeRun,
  RUN_DEFAULTS,
  RUN_LIMITS,
} from "../../src/runner/spec.ts";
import { RunSetupError } from "../../src/runner/exit-code.ts";

describe("normalizeRun", () => {
  it("fills every default from one place; sizes stay empty for the profile's own sweep", () => {
    expect(normalizeRun({})).toEqual({
      sizes: [],
      durationS: RUN_DEFAULTS.durationS,
      thresholds: [
        { name: "NDR", lossPct: 0.01 },
        { name: "PDR", lossPct: 0.5 },
      ],
      encapOverhead: 0,
      txPort: 0,
      rxPort: 1,
      bidirectional: false,
      latencyPps: null,
      search: "mlr",
    });
    expect(normalizeRun({ search: "bisection" }).thresholds).toEqual([
      { name: "NDR", lossPct: 0.01 },
    ]);
  });

  it("keeps what was asked for", () => {
    const asked = {
      sizes: [64, 1518],
      durationS: 10,
      sizeTimeLimitS: 120,
      thresholds: [{ name: "strict", lossPct: 0 }],
      encapOverhead: 8,
      txPort: 2,
      rxPort: 3,
      bidirectional: true,
      latencyPps: 500,
      search: "bisection",
    };
    expect(normalizeRun(asked)).toEqual(asked);
  });

  it.each([
    [{ sizes: [64, 64] }, /^--sizes: frame size 64 is listed twice$/],
    [{ sizes: [63] }, /^--sizes: frame size 63 B is outside 64\.\.9216 B$/],
    [{ sizes: Array.from({ length: 65 }, (_, i) => 64 + i) }, /^--sizes: at most 64/],
    [{ durationS: 0 }, /^--duration: 0 is not a number above 0/],
    [{ durationS: RUN_LIMITS.durationS + 1 }, /^--duration: 3601 is not .* at most 3600$/],
    [{ sizeTimeLimitS: -1 }, /^--size-time-limit: -1 is not a number above 0$/],
    [{ txPort: 1.5 }, /^--tx-port: 1\.5 is not a whole number/],
    [{ txPort: 1, rxPort: 1 }, /^--rx-port: is the tx port too \(1\)$/],
    [{ encapOverhead: -4 }, /^--encap-overhead: -4 is not a whole number/],
    [{ latencyPps: 0 }, /^--latency: 0 is not a number above 0$/],
    [{ search: "toString" }, /^--search: unknown search 'toString'/],
    [{ thresholds: [{ name: "NDR", lossPct: 100 }] }, /^--loss-threshold: NDR: loss 100 %/],
  ])("refuses %j naming the flag", (asked, message) => {
    expect(() => normalizeRun(asked)).toThrow(RunSetupError);
    expect(() => normalizeRun(asked)).toThrow(message);
  });
});

describe("normalizeEmulate", () => {
  it("checks the emulator's time scale and seed", () => {
    expect(normalizeEmulate({ dut: "default", timeScale: 0, seed: 7 })).toEqual({
      dut: "default",
      timeScale: 0,
      seed: 7,
    });
    expect(() => normalizeEmulate({ dut: "x", timeScale: Number.NaN, seed: 1 })).toThrow(
      /^--time-scale: NaN is not a factor ≥ 0$/,
    );
    expect(() => normalizeEmulate({ dut: "x", timeScale: 0, seed: 1.5 })).toThrow(
      /^--seed: 1\.5 is not an integer$/,
    );
  });
});

describe("conflictsWith", () => {
  const stored = normalizeRun({ sizes: [64, 128, 256], durationS: 30 });
  it("names each asked-for field that differs from the stored run", () => {
    expect(
      conflictsWith(stored, {
        sizes: [64],
        durationS: 10,
        thresholds: [{ name: "NDR", lossPct: 0.01 }],
        search: "mlr",
      }),
    ).toEqual([
      "--sizes 64 (the run used 64,128,256)",
      "--duration 10 (the run used 30)",
      "--loss-threshold NDR=0.01 (the run used NDR=0.01,PDR=0.5)",
    ]);
  });
  it("has nothing to say about what was not asked for or is the same", () => {
    expect(conflictsWith(stored, {})).toEqual([]);
    expect(conflictsWith(stored, { durationS: 30, sizes: [64, 128, 256] })).toEqual([]);
  });
});
