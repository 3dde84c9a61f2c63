import { describe, expect, it } from "vitest";
import {
  centreLoadPps,
  conditionalLoadPps,
  forwardingSpread,
  goalLoadSample,
  unsteady,
} from "../../src/search/forwarding-estimate.ts";
import type { GoalLoadSample } from "../../src/search/forwarding-estimate.ts";
import type { TrialRecord } from "../../src/search/types.ts";

function trial(ratePps: number, durationS: number, rxPackets: number, index = 0): TrialRecord {
  const txPackets = Math.round(ratePps * durationS);
  const lossRatio = (txPackets - rxPackets) / txPackets;
  return {
    index,
    ratePps,
    durationS,
    txPackets,
    rxPackets,
    elapsedS: durationS,
    offeredPps: txPackets / durationS,
    lossRatio,
    valid: true,
    passed: [lossRatio <= 1e-4],
  };
}

function exact(loadPps: number, offeredPps = 2e6, durationS = 5): GoalLoadSample {
  return { loadPps, exact: true, durationS, offeredPps, index: 0 };
}

function atLeast(loadPps: number, durationS = 5): GoalLoadSample {
  return { loadPps, exact: false, durationS, offeredPps: loadPps, index: 0 };
}

describe("goalLoadSample", () => {
  it("reads the load that would just meet the goal from a failing trial's forwarding rate", () => {
    // Offered 1.2 Mpps for 10 s, forwarded 1 Mpps: at 1 Mpps / (1 - 0.5 %) the loss would
    // have been exactly 0.5 %.
    const s = goalLoadSample(trial(1.2e6, 10, 10_000_000), 0.005, false);
    expect(s.exact).toBe(true);
    expect(s.loadPps).toBeCloseTo(1e6 / 0.995, 6);
    expect(s.offeredPps).toBe(1.2e6);
  });

  it("takes a passing trial as a lower limit at its own load", () => {
    const s = goalLoadSample(trial(9e5, 10, 9_000_000), 1e-4, true);
    expect(s).toMatchObject({ loadPps: 9e5, exact: false });
  });

  it("never places a failing trial's load above the load it failed at", () => {
    // Lost a little more than allowed: rx / (1 - λ) / d would exceed the offered rate by a hair.
    const t = trial(1e6, 10, 9_999_000);
    expect(goalLoadSample(t, 1e-4, false).loadPps).toBeLessThanOrEqual(1e6);
  });
});

describe("conditionalLoadPps", () => {
  it("is the median of exact samples (the upper one for an even count)", () => {
    expect(
      conditionalLoadPps(
        [5, 1, 4, 2, 3].map((v) => exact(v)),
        0.5,
      ),
    ).toBe(3);
    expect(
      conditionalLoadPps(
        [4, 1, 3, 2].map((v) => exact(v)),
        0.5,
      ),
    ).toBe(3);
  });

  it("follows the exceed ratio: 0 takes the lowest sample, 0.75 the upper quartile", () => {
    const samples = [10, 20, 30, 40].map((v) => exact(v));
    expect(conditionalLoadPps(samples, 0)).toBe(10);
    expect(conditionalLoadPps(samples, 0.75)).toBe(40);
    expect(conditionalLoadPps(samples, 0.5)).toBe(30);
  });

  it("counts a pass as 'at least its load' (Kaplan-Meier)", () => {
    // Line-rate limited: half the trials passed at line rate (100), half forwarded less. Share
    // short of 100 is exactly one half, within the exceed ratio: the answer is line rate.
    const half = [...[96, 97, 98].map((v) => exact(v)), ...[100, 100, 100].map((v) => atLeast(v))];
    expect(conditionalLoadPps(half, 0.5)).toBe(100);
    // One more short trial tips it: 4 of 7 fall short of 100, 3 of 7 of 99.
    expect(conditionalLoadPps([...half, exact(99)], 0.5)).toBe(99);
  });

  it("moves a pass's weight to the samples above it rather than counting it as short", () => {
    // A pass at 50 says only "at least 50": of the three above it, the median is 80.
    const samples = [atLeast(50), exact(70), exact(80), exact(90)];
    expect(conditionalLoadPps(samples, 0.5)).toBe(80);
  });

  it("gives nothing without samples", () => {
    expect(conditionalLoadPps([], 0.5)).toBeUndefined();
  });
});

describe("forwardingSpread", () => {
  it("is the pooled relative standard deviation of equal trials", () => {
    const samples = [exact(99), exact(101), exact(198, 3e6), exact(202, 3e6)];
    const result = forwardingSpread(samples);
    expect(result?.degrees).toBe(2);
    // ln(101/99) / sqrt(2) per pair, the same relative spread in both groups.
    expect(result?.spread).toBeCloseTo(Math.log(101 / 99) / Math.SQRT2, 9);
  });

  it("leaves out the buffer's share: equal loads at different durations are not compared", () => {
    // A steady DUT: 1 Mpps plus 4096 buffered packets over 1 s or over 30 s.
    const samples = [exact(1e6 + 4096, 2e6, 1), exact(1e6 + 4096 / 30, 2e6, 30)];
    expect(forwardingSpread(samples)).toBeUndefined();
  });

  it("leaves out a DUT whose forwarding follows the load (a constant loss)", () => {
    const samples = [exact(0.5e6, 1e6), exact(1e6, 2e6), exact(1.5e6, 3e6)];
    expect(forwardingSpread(samples)).toBeUndefined();
  });

  it("ignores passes, which forwarded everything they were offered", () => {
    expect(forwardingSpread([atLeast(90), atLeast(95), exact(100)])).toBeUndefined();
  });
});

describe("unsteady", () => {
  const tolerance = 0.000625;
  it("accepts a steady DUT: the same forwarding rate at every overload", () => {
    expect(unsteady([exact(1e6, 1.2e6), exact(1e6, 1.5e6), exact(1e6, 3e6)], tolerance)).toBe(
      false,
    );
  });

  it("accepts a DUT whose loss follows the load: the same forwarded share at every load", () => {
    expect(unsteady([exact(0.5e6, 1e6), exact(1e6, 2e6)], tolerance)).toBe(false);
  });

  it("flags trials that agree on neither", () => {
    expect(unsteady([exact(0.99e6, 1.1e6), exact(1.01e6, 1.2e6)], tolerance)).toBe(true);
  });

  it("compares only trials of equal duration (the buffer's share differs between durations)", () => {
    expect(unsteady([exact(0.99e6, 1.1e6, 1), exact(1.01e6, 1.2e6, 30)], tolerance)).toBe(false);
  });
});

describe("centreLoadPps", () => {
  const exact = (loadPps: number, index = 0): GoalLoadSample => ({
    loadPps,
    exact: true,
    durationS: 1.5,
    offeredPps: 2e6,
    index,
  });
  it("is the Hodges-Lehmann centre: the median of pairwise means (in ln load)", () => {
    // Walsh averages of ln 1, ln 2, ln 4: ln 1, ln 2, ln 4, ln √2, ln 2, ln √8 -> median ln 2.
    expect(centreLoadPps([exact(1), exact(2), exact(4)])).toBeCloseTo(2, 12);
    expect(centreLoadPps([exact(100)])).toBeCloseTo(100, 12);
  });
  it("shrugs off one wild sample, unlike the mean", () => {
    const loads = [99, 100, 100, 101, 101, 102, 150];
    const centre = centreLoadPps(loads.map((l) => exact(l)))!;
    expect(centre).toBeGreaterThan(100);
    expect(centre).toBeLessThan(102.5);
  });
  it("refuses censored samples (a pass is a lower limit) and empty input", () => {
    expect(centreLoadPps([exact(1), { ...exact(2), exact: false }])).toBeUndefined();
    expect(centreLoadPps([])).toBeUndefined();
  });
});
