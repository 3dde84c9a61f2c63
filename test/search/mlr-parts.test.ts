/**
 * The parts of mlr on their own: the grid, the per-load classification, the relevant bounds,
 * each candidate strategy and the noise watch (the search as a whole is in mlr.test.ts).
 */
import { describe, expect, it } from "vitest";
import { boundsReached, relevantBounds } from "../../src/search/mlr-bounds.ts";
import type { Bounds } from "../../src/search/mlr-bounds.ts";
import { LoadGrid, STEPS_PER_WIDTH } from "../../src/search/mlr-grid.ts";
import { LoadStats, classify } from "../../src/search/mlr-load-stats.ts";
import type { Classification, Target } from "../../src/search/mlr-load-stats.ts";
import { NoiseWatch } from "../../src/search/mlr-noise.ts";
import {
  STRATEGIES,
  bisect,
  bisectCoarser,
  extendDown,
  extendUp,
  inside,
  propose,
  refinePending,
  remeasureLower,
  remeasureUpper,
  startAtTop,
  topAtThisDuration,
} from "../../src/search/mlr-strategies.ts";
import type { GoalView } from "../../src/search/mlr-strategies.ts";
import type { TrialRecord } from "../../src/search/types.ts";

function trial(ratePps: number, durationS: number, passed: boolean[], rxShare = 1): TrialRecord {
  const tx = Math.round(ratePps * durationS);
  const rx = Math.round(tx * rxShare);
  return {
    index: 0,
    ratePps,
    durationS,
    txPackets: tx,
    rxPackets: rx,
    elapsedS: durationS,
    offeredPps: ratePps,
    lossRatio: 1 - rx / tx,
    valid: true,
    passed,
  };
}

describe("LoadGrid", () => {
  const grid = new LoadGrid(1e6, 0.001, 0.005);
  it("grows the index with the load: 0 is the minimum load, top the maximum", () => {
    expect(grid.loadOf(grid.top)).toBeCloseTo(1e6, 6);
    expect(grid.loadOf(0)).toBeGreaterThanOrEqual(1e3 * 0.999);
    expect(grid.loadOf(0)).toBeLessThan(1e3 * 1.001);
    expect(grid.loadOf(10)).toBeGreaterThan(grid.loadOf(9));
  });
  it("makes a goal width a whole number of steps", () => {
    const k = grid.top - 20;
    expect(grid.loadOf(k + STEPS_PER_WIDTH) / grid.loadOf(k)).toBeCloseTo(1.005, 12);
  });
  it("rounds rates onto the grid in the direction asked", () => {
    const k = grid.top - 100;
    const between = Math.sqrt(grid.loadOf(k) * grid.loadOf(k + 1));
    expect(grid.atOrBelow(between)).toBe(k);
    expect(grid.atOrAbove(between)).toBe(k + 1);
    expect(grid.nearest(grid.loadOf(k) * (1 + 1e-12))).toBe(k);
    expect(grid.atOrBelow(grid.loadOf(k))).toBe(k);
    expect(grid.atOrAbove(2e6)).toBe(grid.top);
  });
});

describe("classify (MLRsearch's load classification)", () => {
  it("is a lower bound once a full trial passed (the missing half may be bad)", () => {
    expect(classify(30, 0, 60, 0.5)).toBe("lower");
  });
  it("is undecided after one bad full trial, an upper bound after two", () => {
    expect(classify(0, 30, 60, 0.5)).toBe("undecided");
    expect(classify(0, 60, 60, 0.5)).toBe("upper");
  });
  it("takes sums beyond the duration sum into account", () => {
    expect(classify(30, 60, 60, 0.5)).toBe("upper");
    expect(classify(60, 60, 60, 0.5)).toBe("lower");
  });
  it("is none without trials, and follows a zero exceed ratio strictly", () => {
    expect(classify(0, 0, 60, 0.5)).toBe("none");
    expect(classify(30, 0, 30, 0)).toBe("lower");
    expect(classify(29, 1, 30, 0)).toBe("upper");
  });
});

describe("LoadStats", () => {
  const targets: Target[] = [
    { durationS: 1, durationSumS: 1, widthSteps: 32 },
    { durationS: 30, durationSumS: 60, widthSteps: 8 },
  ];
  it("counts a short loss as a bad trial of the target's full duration", () => {
    const s = new LoadStats(targets, 2);
    s.add(trial(1e6, 1, [false, true]));
    expect([s.bad(0, 0), s.bad(1, 0)]).toEqual([1, 30]);
    expect(s.classify(1, 0, 0.5)).toBe("undecided");
    s.add(trial(1e6, 1, [false, true]));
    expect(s.classify(1, 0, 0.5)).toBe("upper");
  });
  it("does not count a short pass at a longer target, and keeps goals apart", () => {
    const s = new LoadStats(targets, 2);
    s.add(trial(1e6, 1, [false, true]));
    expect(s.classify(0, 1, 0.5)).toBe("lower");
    expect(s.classify(1, 1, 0.5)).toBe("none");
    s.add(trial(1e6, 30, [false, true]));
    expect(s.classify(1, 1, 0.5)).toBe("lower");
    expect(s.good(1, 1)).toBe(30);
    expect(s.classify(1, 0, 0.5)).toBe("upper");
    expect(s.trials).toHaveLength(2);
  });
});

describe("relevantBounds", () => {
  const at = (...cls: Classification[]): Array<{ k: number; cls: Classification }> =>
    cls.map((c, k) => ({ k, cls: c }));
  it("takes the lowest upper bound and the highest lower bound beneath it", () => {
    expect(relevantBounds(at("lower", "lower", "undecided", "upper", "lower", "upper"))).toEqual({
      lo: 1,
      hi: 3,
      pending: [2],
    });
  });
  it("resolves a loss inversion pessimistically: a lower bound above an upper one is ignored", () => {
    expect(relevantBounds(at("upper", "lower")).lo).toBeUndefined();
  });
  it("leaves bounds out that do not exist", () => {
    expect(relevantBounds(at("lower", "none", "undecided"))).toEqual({
      lo: 0,
      hi: undefined,
      pending: [2],
    });
  });
  it("is reached at the width, at the top held, or at the minimum lost", () => {
    expect(boundsReached({ lo: 10, hi: 18, pending: [] }, 8, 100)).toBe(true);
    expect(boundsReached({ lo: 10, hi: 19, pending: [] }, 8, 100)).toBe(false);
    expect(boundsReached({ lo: 100, hi: undefined, pending: [] }, 8, 100)).toBe(true);
    expect(boundsReached({ lo: undefined, hi: 0, pending: [] }, 8, 100)).toBe(true);
    expect(boundsReached({ lo: undefined, hi: 5, pending: [] }, 8, 100)).toBe(false);
  });
});

function view(over: Partial<GoalView> & { bounds: Bounds }): GoalView {
  const classes = new Map<number, Classification>();
  return {
    target: { durationS: 30, durationSumS: 60, widthSteps: 8 },
    previous: undefined,
    topHeld: false,
    top: 1000,
    expansions: 0,
    expansionCoefficient: 2,
    classify: (k) => classes.get(k) ?? "none",
    guidedIndex: () => undefined,
    measuredLoads: () => [],
    ...over,
  };
}
const none: Bounds = { lo: undefined, hi: undefined, pending: [] };

describe("candidate strategies", () => {
  it("topAtThisDuration: the maximum load that held at a coarser duration, measured here", () => {
    expect(topAtThisDuration.propose(view({ bounds: none, topHeld: true }))).toEqual({
      k: 1000,
      move: "up",
    });
    expect(topAtThisDuration.propose(view({ bounds: none }))).toBeUndefined();
    const measured = view({ bounds: none, topHeld: true, classify: () => "undecided" });
    expect(topAtThisDuration.propose(measured)).toBeUndefined();
  });
  it("refinePending: repeats an undecided load, or splits a wide interval below it", () => {
    expect(
      refinePending.propose(view({ bounds: { lo: 500, hi: 510, pending: [505, 507] } })),
    ).toEqual({ k: 505, move: "other" });
    const wide = refinePending.propose(view({ bounds: { lo: 400, hi: 600, pending: [505] } }));
    expect(wide?.k).toBeGreaterThan(400);
    expect(wide?.k).toBeLessThan(505);
    expect(refinePending.propose(view({ bounds: none }))).toBeUndefined();
  });
  it("startAtTop: nothing known at all", () => {
    expect(startAtTop.propose(view({ bounds: none }))).toEqual({ k: 1000, move: "other" });
    const seeded = view({ bounds: none, previous: { lo: 900, hi: undefined, pending: [] } });
    expect(startAtTop.propose(seeded)).toBeUndefined();
  });
  it("bisectCoarser: between the coarser target's bounds when they are wider than this one", () => {
    const v = view({ bounds: none, previous: { lo: 900, hi: 932, pending: [] } });
    expect(bisectCoarser.propose(v)).toEqual({ k: 916, move: "other" });
    const narrow = view({ bounds: none, previous: { lo: 900, hi: 908, pending: [] } });
    expect(bisectCoarser.propose(narrow)).toBeUndefined();
  });
  it("remeasureLower / remeasureUpper: the coarser bounds at this duration", () => {
    const previous = { lo: 900, hi: 908, pending: [] };
    expect(remeasureLower.propose(view({ bounds: none, previous }))).toEqual({
      k: 900,
      move: "other",
    });
    const haveLo = view({ bounds: { lo: 900, hi: undefined, pending: [] }, previous });
    expect(remeasureLower.propose(haveLo)).toBeUndefined();
    expect(remeasureUpper.propose(haveLo)).toEqual({ k: 908, move: "other" });
    const measured = view({ bounds: haveLo.bounds, previous, classify: () => "undecided" });
    expect(remeasureUpper.propose(measured)).toBeUndefined();
  });
  it("extendDown: a width below the upper bound, doubling per step that missed, or the hint", () => {
    const hi: Bounds = { lo: undefined, hi: 900, pending: [] };
    expect(extendDown.propose(view({ bounds: hi }))).toEqual({ k: 892, move: "down" });
    expect(extendDown.propose(view({ bounds: hi, expansions: 2 }))?.k).toBe(868);
    expect(extendDown.propose(view({ bounds: hi, guidedIndex: () => 850 }))?.k).toBe(850);
    expect(extendDown.propose(view({ bounds: { lo: undefined, hi: 3, pending: [] } }))?.k).toBe(0);
    expect(extendDown.propose(view({ bounds: { lo: 800, hi: 900, pending: [] } }))).toBeUndefined();
  });
  it("extendUp: a width above the lower bound, the maximum itself when that is close", () => {
    const lo: Bounds = { lo: 900, hi: undefined, pending: [] };
    expect(extendUp.propose(view({ bounds: lo }))).toEqual({ k: 908, move: "up" });
    expect(extendUp.propose(view({ bounds: { lo: 990, hi: undefined, pending: [] } }))?.k).toBe(
      1000,
    );
  });
  it("bisect: inside known bounds, preferring the forwarding hint and loads measured already", () => {
    const b: Bounds = { lo: 900, hi: 964, pending: [] };
    expect(bisect.propose(view({ bounds: b }))).toEqual({ k: 932, move: "other" });
    expect(bisect.propose(view({ bounds: b, guidedIndex: () => 950 }))?.k).toBe(950);
    expect(inside(view({ bounds: b, measuredLoads: () => [930, 10] }), 900, 964)).toBe(930);
    // Within two widths, one trial anywhere in [hi - w, lo + w] finishes the goal.
    expect(inside(view({ bounds: none }), 900, 912)).toBeGreaterThanOrEqual(904);
    expect(inside(view({ bounds: none }), 900, 912)).toBeLessThanOrEqual(908);
  });
  it("are asked in turn, the first that applies wins", () => {
    expect(STRATEGIES[0]).toBe(topAtThisDuration);
    expect(propose(view({ bounds: { lo: 900, hi: undefined, pending: [] } }))).toMatchObject({
      k: 908,
      strategy: "extend up",
    });
    expect(propose(view({ bounds: none }))?.strategy).toBe("start at top");
  });
});

describe("NoiseWatch", () => {
  const watch = (): NoiseWatch => new NoiseWatch([1e-4, 5e-3], 0, 1.5, 0.005 / 8);
  const indexed = (r: TrialRecord, index: number): TrialRecord => ({ ...r, index });
  it("keeps a steady DUT steady: equal losing trials that forwarded the same", () => {
    const w = watch();
    for (let i = 0; i < 4; i++) w.add(indexed(trial(1.01e6, 1.5, [false, false], 0.99), i));
    expect(w.noisy).toBe(false);
    expect(w.samples[0]).toHaveLength(4);
    expect(w.samples[0][0].loadPps).toBeCloseTo((1.01e6 * 0.99) / (1 - 1e-4), -1);
  });
  it("leaves shorter trials out of the samples", () => {
    const w = watch();
    w.add(trial(1e6, 1, [false, false], 0.99));
    expect(w.samples[0]).toHaveLength(0);
  });
  it("flags equal trials that forwarded at different rates", () => {
    const w = watch();
    w.add(indexed(trial(1.05e6, 1.5, [false, false], 0.96), 0));
    w.add(indexed(trial(1.05e6, 1.5, [false, false], 0.94), 1));
    expect(w.noisy).toBe(true);
    expect(w.spread).toBeGreaterThan(0.01);
  });
  it("flags a pass above a failure that lasted no longer, even a short one", () => {
    const w = watch();
    w.add(trial(1.0e6, 1, [false, false], 0.99));
    expect(w.noisy).toBe(false);
    w.add(trial(1.01e6, 30, [true, true]));
    expect(w.noisy).toBe(true);
  });
  it("does not flag a longer trial that lost where a shorter one passed (buffers)", () => {
    const w = watch();
    w.add(trial(1.0e6, 1, [true, true]));
    w.add(trial(1.0e6, 30, [false, true], 0.999));
    expect(w.noisy).toBe(false);
  });
  it("flags overloaded trials that agree neither on the rate nor on the share forwarded", () => {
    const w = watch();
    w.add(indexed(trial(1.1e6, 1.5, [false, false], 1.0 / 1.1), 0));
    expect(w.noisy).toBe(false);
    w.add(indexed(trial(1.2e6, 1.5, [false, false], 1.03 / 1.2), 1));
    expect(w.noisy).toBe(true);
  });
});
