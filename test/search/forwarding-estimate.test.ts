import { describe, expect, it } from "vitest";
import {
  censoredCentreLoadPps,
  conditionalLoadPps,
  forwardingSpread,
  goalLoadSample,
  unsteady,
} from "../../src/search/forwarding-estimate.ts";
import type { GoalLoadSample } from "../../src/search/forwarding-estimate.ts";
import { erfc } from "../../src/search/normal-tail.ts";
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

describe("censoredCentreLoadPps", () => {
  const sample = (loadPps: number, exact = true): GoalLoadSample => ({
    loadPps,
    exact,
    durationS: 1.5,
    offeredPps: 2e6,
    index: 0,
  });
  /** n loads spread normally (by quantile, no randomness) around a centre, in ln load. */
  const normalLoads = (centre: number, spread: number, n: number): number[] =>
    Array.from({ length: n }, (_, i) => centre * Math.exp(spread * normalQuantile((i + 0.5) / n)));

  it("is the geometric mean of exact samples (the maximum-likelihood centre)", () => {
    expect(
      censoredCentreLoadPps(
        [1, 2, 4].map((l) => sample(l)),
        0.5,
      ),
    ).toBeCloseTo(2, 9);
    expect(censoredCentreLoadPps([sample(100)], 0.01)).toBeCloseTo(100, 9);
  });

  it("shrugs off one wild sample, unlike the mean: it counts at most three spreads out", () => {
    const loads = [99, 100, 100, 101, 101, 102, 150];
    const centre = censoredCentreLoadPps(
      loads.map((l) => sample(l)),
      0.01,
    )!;
    expect(centre).toBeGreaterThan(100);
    expect(centre).toBeLessThan(102.5);
  });

  it("counts a pass far above the centre as a little more than its own load", () => {
    const near = normalLoads(100, 0.01, 20).map((l) => sample(l));
    const asExact = censoredCentreLoadPps([...near, sample(102.5)], 0.01)!;
    const asPass = censoredCentreLoadPps([...near, sample(102.5, false)], 0.01)!;
    expect(asPass).toBeGreaterThan(asExact);
    expect(asPass / asExact - 1).toBeLessThan(0.0005);
  });

  it("finds the centre where passes cut the samples off (a line-limited DUT)", () => {
    // 40 draws around 100 with spread 1 %; every one above 100.3 only shows it passed there.
    const limit = 100.3;
    const samples = normalLoads(100, 0.01, 40).map((l) =>
      l < limit ? sample(l) : sample(limit, false),
    );
    expect(censoredCentreLoadPps(samples, 0.01)! / 100 - 1).toBeCloseTo(0, 3);
    // Taking the passes for values instead pulls the centre down.
    const naive = censoredCentreLoadPps(
      samples.map((s) => ({ ...s, exact: true })),
      0.01,
    )!;
    expect(naive).toBeLessThan(99.9);
  });

  it("gives nothing without an exact sample: passes alone place no centre", () => {
    expect(censoredCentreLoadPps([sample(1, false), sample(2, false)], 0.01)).toBeUndefined();
    expect(censoredCentreLoadPps([], 0.01)).toBeUndefined();
  });
});

/** Inverse of the standard normal distribution function, by bisection on erfc. */
function normalQuantile(p: number): number {
  let lo = -10;
  let hi = 10;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (1 - erfc(mid / Math.SQRT2) / 2 < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
