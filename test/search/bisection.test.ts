import { describe, expect, it } from "vitest";
import { capacityPps, modelLineRatePps, DUT_PRESETS } from "../../src/emulator/dut-model.ts";
import { bisection, nextBisectionPercent } from "../../src/search/bisection.ts";
import type { SearchSpec, TrialFn } from "../../src/search/types.ts";
import { NDR_PCT, PDR_PCT, searchModel } from "./helpers.ts";

const LINE = 1_000_000;
const spec: SearchSpec = { lineRatePps: LINE, lossThresholdsPct: [NDR_PCT], finalDurationS: 30 };

/** A DUT that loses 1 % above `limitPct` of line rate (or per a custom rule). */
function stepDut(pass: (pct: number, call: number) => boolean): TrialFn {
  let call = 0;
  return (ratePps, durationS) => {
    const pct = Math.round((ratePps / LINE) * 100);
    const tx = Math.round(ratePps * durationS);
    const ok = pass(pct, call++);
    return Promise.resolve({
      txPackets: tx,
      rxPackets: ok ? tx : Math.round(tx * 0.99),
      valid: true,
    });
  };
}

const percents = (trials: { ratePps: number }[], line = LINE): number[] =>
  trials.map((t) => Math.round((t.ratePps / line) * 100));

describe("bisection (the original tool's search)", () => {
  it("steps mid = floor((ok + ng) / 2) from ok = 1, ng = 101", () => {
    expect(nextBisectionPercent(1, 101)).toBe(51);
    expect(nextBisectionPercent(51, 101)).toBe(76);
    expect(nextBisectionPercent(63, 64)).toBeNull();
  });

  it("reproduces the original's path on the default model at 64 B, then confirms at ok", async () => {
    // C(64) is 28.97 % of line rate: 28 % passes at 0.01 %, 29 % does not.
    const r = await searchModel(bisection, "default", 64, [NDR_PCT]);
    expect(percents(r.trials, modelLineRatePps(DUT_PRESETS.default, 64))).toEqual([
      51, 26, 38, 32, 29, 27, 28, 28,
    ]);
    expect(r.trials.every((t) => t.durationS === 30)).toBe(true);
    expect(r.trialSeconds).toBe(240);
    const res = r.results[0];
    expect(res.ratePps).toBeCloseTo(0.28 * modelLineRatePps(DUT_PRESETS.default, 64), 3);
    expect(res.ratePps! / capacityPps(DUT_PRESETS.default, 64)).toBeLessThan(0.97);
    expect(res.lineRateLimited).toBe(false);
    expect(res.trialIndices).toContain(7);
  });

  it("stops early when ok and ng are adjacent, as the original's break does", async () => {
    const r = await bisection.search(
      spec,
      stepDut((pct) => pct <= 63),
    );
    expect(percents(r.trials)).toEqual([51, 76, 63, 69, 66, 64, 63]);
    expect(r.results[0].ratePps).toBeCloseTo(630_000, 6);
  });

  it("reports N/A when the confirming trial fails (the original reported its rate anyway)", async () => {
    // Every bisection step at 40 % or less passes, the 8th trial (the confirmation) fails.
    const r = await bisection.search(
      spec,
      stepDut((pct, call) => pct <= 40 && call < 7),
    );
    expect(r.trials).toHaveLength(8);
    expect(r.trials[7].passed[0]).toBe(false);
    expect(r.results[0].ratePps).toBeNull();
    expect(r.results[0].lossRatio).toBeNull();
  });

  it("reports N/A when nothing passes, testing 1 % only in the confirming trial", async () => {
    const r = await bisection.search(
      spec,
      stepDut(() => false),
    );
    expect(percents(r.trials)).toEqual([51, 26, 13, 7, 4, 2, 1]);
    expect(r.results[0].ratePps).toBeNull();
  });

  it("marks 100 % as line-rate limited on the ideal DUT", async () => {
    const r = await searchModel(bisection, "ideal", 64, [NDR_PCT]);
    expect(percents(r.trials, modelLineRatePps(DUT_PRESETS.ideal, 64))).toEqual([
      51, 76, 88, 94, 97, 99, 100, 100,
    ]);
    expect(r.results[0].lineRateLimited).toBe(true);
  });

  it("searches each threshold on its own", async () => {
    const r = await searchModel(bisection, "default", 64, [NDR_PCT, PDR_PCT]);
    expect(r.results.map((x) => x.lossThresholdPct)).toEqual([NDR_PCT, PDR_PCT]);
    // PDR (29.11 % of line rate at 64 B) ends early: ok = 29, ng = 30 after 6 steps.
    expect(percents(r.trials, modelLineRatePps(DUT_PRESETS.default, 64))).toEqual([
      51, 26, 38, 32, 29, 27, 28, 28, 51, 26, 38, 32, 29, 30, 29,
    ]);
    expect(r.results[1].ratePps!).toBeGreaterThanOrEqual(r.results[0].ratePps!);
  });

  it("repeats an invalid trial without counting it", async () => {
    let calls = 0;
    const flaky: TrialFn = async (rate, d) => {
      const out = await stepDut((pct) => pct <= 63)(rate, d);
      return calls++ === 2 ? { ...out, valid: false, invalidReason: "TX underrun" } : out;
    };
    const r = await bisection.search(spec, flaky);
    expect(r.trials[2].valid).toBe(false);
    expect(r.trials[3].ratePps).toBe(r.trials[2].ratePps);
    expect(percents(r.trials.filter((t) => t.valid))).toEqual([51, 76, 63, 69, 66, 64, 63]);
    expect(r.trialSeconds).toBe(8 * 30);
  });
});
