import { describe, expect, it } from "vitest";
import { DUT_PRESETS, capacityPps } from "../../src/emulator/dut-model.ts";
import type { DutParams } from "../../src/emulator/dut-model.ts";
import { DEFAULT_FRAME_SIZES, lineRatePps } from "../../src/rate/line-rate.ts";
import { getSearchAlgorithm, searchAlgorithms } from "../../src/search/index.ts";
import { createMlrSearch, mlrSearch, targetDurations } from "../../src/search/mlr.ts";
import { groundTruthPps } from "../../bench/support/model-check.ts";
import type { SearchResult, TrialFn } from "../../src/search/types.ts";
import { NDR_PCT, PDR_PCT, searchModel } from "./helpers.ts";

/**
 * Reported results must rest on a trial of the final duration that met the threshold at that
 * very rate or above (on a noisy DUT the deciding pass may come from a higher load).
 */
function expectEstablished(r: SearchResult): void {
  for (const [g, res] of r.results.entries()) {
    if (res.ratePps === null) continue;
    const deciding = res.trialIndices
      .map((i) => r.trials[i])
      .filter((t) => t.ratePps >= res.ratePps! && t.passed[g] && t.durationS === 30);
    expect(deciding.length).toBeGreaterThan(0);
  }
}

describe("mlr search on the default DUT model", () => {
  it.each(DEFAULT_FRAME_SIZES)(
    "finds NDR within 0.5 %% of C(S) and PDR within 0.5 %% at %i B",
    async (size) => {
      const params = DUT_PRESETS.default;
      const r = await searchModel(mlrSearch, "default", size);
      const [ndr, pdr] = r.results;
      expect(Math.abs(ndr.ratePps! / capacityPps(params, size) - 1)).toBeLessThanOrEqual(0.005);
      expect(
        Math.abs(pdr.ratePps! / groundTruthPps(params, size, PDR_PCT) - 1),
      ).toBeLessThanOrEqual(0.005);
      expect(pdr.ratePps!).toBeGreaterThanOrEqual(ndr.ratePps!);
      expectEstablished(r);
      expect(r.stopReason).toBeUndefined();
    },
  );

  it("starts at line rate with a short trial and uses the final duration only later", async () => {
    const r = await searchModel(mlrSearch, "default", 64);
    expect(r.trials[0].ratePps).toBeCloseTo(14_880_952.38, 1);
    expect(r.trials[0].durationS).toBe(1);
    // Short trials first: the first full-duration trial comes after the coarse ones.
    const firstFull = r.trials.findIndex((t) => t.durationS === 30);
    expect(firstFull).toBeGreaterThan(2);
    // Cheaper than the original's 8 x 30 s per size, while giving both thresholds.
    expect(r.trialSeconds).toBeLessThan(240);
  });

  it("marks line-limited sizes as line-rate limited after one full trial at line rate", async () => {
    const r = await searchModel(mlrSearch, "default", 1518);
    for (const res of r.results) {
      expect(res.lineRateLimited).toBe(true);
      expect(res.ratePps).toBeCloseTo(capacityPps(DUT_PRESETS.default, 1518), 3);
    }
    expect(r.trials.filter((t) => t.durationS === 30)).toHaveLength(1);
  });
});

describe("mlr search spends no trial that cannot change a result on a steady DUT", () => {
  it.each(DEFAULT_FRAME_SIZES)(
    "runs at most one full-length trial per load, two in all, at %i B",
    async (size) => {
      const r = await searchModel(mlrSearch, "default", size);
      const full = r.trials.filter((t) => t.durationS === 30);
      // One full-length pass per goal's lower bound (NDR and PDR); the upper bounds come from
      // shorter trials that lost, each counting as a bad trial of full length.
      expect(new Set(full.map((t) => t.ratePps)).size).toBe(full.length);
      expect(full.length).toBeLessThanOrEqual(2);
      expect(r.trialSeconds).toBeLessThan(
        capacityPps(DUT_PRESETS.default, size) < lineRatePps(10e9, size) ? 110 : 32,
      );
    },
  );

  it("settles an upper bound from shorter losses: 1 s first, then the next longer duration", async () => {
    const r = await searchModel(mlrSearch, "default", 64);
    const [, pdr] = r.results;
    const upper = pdr.trialIndices.map((i) => r.trials[i]).filter((t) => !t.passed[1]);
    expect(upper.length).toBeGreaterThanOrEqual(2);
    for (const t of upper) expect(t.durationS).toBeLessThan(30);
  });
});

describe("mlr search against DUTs at or beyond line rate", () => {
  const faster: DutParams = { ...DUT_PRESETS.default, perPacketNs: 10, perByteNs: 0.01 };
  it.each([
    ["ideal", DUT_PRESETS.ideal],
    ["faster than the line", faster],
  ] as const)("gives line rate on the %s DUT, marked line-rate limited", async (_name, params) => {
    for (const size of [64, 1518, 9216]) {
      const r = await searchModel(mlrSearch, params, size);
      for (const res of r.results) {
        expect(res.ratePps).toBeCloseTo(capacityPps(params, size), 3);
        expect(res.lineRateLimited).toBe(true);
      }
    }
  });
});

describe("mlr search on the noisy DUT model (jitter 1 %, loss floor 1e-7)", () => {
  it("finds NDR and PDR within 0.5 %, PDR >= NDR, for seeds 1..20 at every size, in under 1 170 trial-s per sweep", async () => {
    // 0.5 % is issue 15's target: the bench's worst over these seeds is 0.46 % (and out of
    // sample, seeds 5001-5200, 8 of 2200 NDR results miss it: see bench/REPORT.md); 1 170 s
    // is 0.85 x CSIT MLRsearch's.
    const params = DUT_PRESETS.noisy;
    let worst = 0;
    let trialSeconds = 0;
    for (let seed = 1; seed <= 20; seed++) {
      for (const size of DEFAULT_FRAME_SIZES) {
        const r = await searchModel(
          mlrSearch,
          "noisy",
          size,
          [NDR_PCT, PDR_PCT],
          (seed * 65537 + size) >>> 0,
        );
        trialSeconds += r.trialSeconds;
        const [ndr, pdr] = r.results;
        for (const [res, pctT] of [
          [ndr, NDR_PCT],
          [pdr, PDR_PCT],
        ] as const) {
          const err = res.ratePps! / groundTruthPps(params, size, pctT) - 1;
          worst = Math.max(worst, Math.abs(err));
        }
        expect(pdr.ratePps!).toBeGreaterThanOrEqual(ndr.ratePps!);
        expectEstablished(r);
        expect(r.stopReason).toBeUndefined();
        // Where the DUT, not the line, limits, every search noticed the noise: its result
        // rests on the forwarding rates of many trials, not on a pass or two.
        if (capacityPps(params, size) < lineRatePps(params.speedGbps * 1e9, size)) {
          expect(ndr.trialIndices.length).toBeGreaterThanOrEqual(20);
        }
      }
    }
    expect(worst).toBeLessThanOrEqual(0.005);
    expect(trialSeconds / 20).toBeLessThan(1170);
  });

  it("settles on the first full-duration pass: a confirmation does not lift its own estimate", async () => {
    // Every 30 s trial loses nothing, so the first confirmation passes both goals (the
    // looser goal's, at the higher load, runs first). Were that pass a sample of the estimate
    // it confirms, the estimate would rise above it and ask for another one.
    for (let seed = 1; seed <= 10; seed++) {
      const r = await searchModel(mlrSearch, "noisy", 64, [NDR_PCT, PDR_PCT], seed, (fn) => {
        return async (rate, d) => {
          const out = await fn(rate, d);
          return d === 30 ? { ...out, rxPackets: out.txPackets } : out;
        };
      });
      expect(r.trials.filter((t) => t.durationS === 30)).toHaveLength(1);
      expectEstablished(r);
    }
  });

  it("is not dragged down by one stray-loss trial", async () => {
    // The first full-duration trial below capacity loses 1 % anyway. That alone cannot make
    // an upper bound (the goal duration sum is two final trials at exceed ratio 0.5); the
    // search sees a load that passed above one that failed, takes the DUT for noisy and
    // settles on the median of many trials' forwarding rates, which one stray trial barely
    // moves.
    const capacity = capacityPps(DUT_PRESETS.default, 64);
    const clean = await searchModel(mlrSearch, "default", 64);
    let strayIndex = -1;
    let call = 0;
    const stray = await searchModel(mlrSearch, "default", 64, [NDR_PCT, PDR_PCT], 1, (fn) => {
      return async (rate, d) => {
        const out = await fn(rate, d);
        const index = call++;
        if (strayIndex < 0 && d === 30 && rate < capacity) {
          strayIndex = index;
          return { ...out, rxPackets: Math.floor(out.txPackets * 0.99) };
        }
        return out;
      };
    });
    expect(stray.trials[strayIndex].passed).toEqual([false, false]);
    for (const g of [0, 1]) {
      expect(stray.results[g].ratePps!).toBeGreaterThanOrEqual(clean.results[g].ratePps!);
      expect(stray.results[g].ratePps! / capacity - 1).toBeLessThanOrEqual(0.005);
    }
    expect(Math.abs(stray.results[0].ratePps! / capacity - 1)).toBeLessThanOrEqual(0.005);
    expectEstablished(stray);
  });
});

describe("mlr search bookkeeping", () => {
  it("repeats invalid trials and does not count them", async () => {
    const clean = await searchModel(mlrSearch, "default", 256);
    const flaky = await searchModel(mlrSearch, "default", 256, [NDR_PCT, PDR_PCT], 1, (fn) => {
      let call = 0;
      return async (rate, d) => {
        const out = await fn(rate, d);
        return call++ % 3 === 1
          ? { ...out, rxPackets: out.txPackets + 5, valid: false, invalidReason: "rx > tx" }
          : out;
      };
    });
    const invalid = flaky.trials.filter((t) => !t.valid);
    expect(invalid.length).toBeGreaterThan(0);
    for (const t of invalid) {
      const next = flaky.trials[t.index + 1];
      expect([next.ratePps, next.durationS]).toEqual([t.ratePps, t.durationS]);
      expect(t.passed).toEqual([false, false]);
    }
    // The valid trials and results are those of a run without the invalid ones.
    expect(flaky.trials.filter((t) => t.valid).map((t) => [t.ratePps, t.durationS])).toEqual(
      clean.trials.map((t) => [t.ratePps, t.durationS]),
    );
    expect(flaky.results.map((x) => x.ratePps)).toEqual(clean.results.map((x) => x.ratePps));
    expect(flaky.trialSeconds).toBeGreaterThan(clean.trialSeconds);
  });

  it("gives up after a bounded number of repeats of an invalid trial", async () => {
    const alwaysInvalid: TrialFn = (rate, d) =>
      Promise.resolve({
        txPackets: Math.round(rate * d * 0.5),
        rxPackets: 0,
        valid: false,
        invalidReason: "TX underrun",
      });
    const r = await createMlrSearch({ maxInvalidRetries: 2 }).search(
      { lineRatePps: 1e6, lossThresholdsPct: [NDR_PCT], finalDurationS: 30 },
      alwaysInvalid,
    );
    expect(r.trials).toHaveLength(3);
    expect(r.results[0].ratePps).toBeNull();
    expect(r.stopReason).toMatch(/invalid/);
  });

  it("respects the per-size trial-second limit", async () => {
    const r = await searchModel(mlrSearch, "default", 64, [NDR_PCT, PDR_PCT], 1, (fn) => fn, {
      maxTrialSeconds: 50,
    });
    expect(r.trialSeconds).toBeLessThanOrEqual(50);
    expect(r.stopReason).toMatch(/time limit/);
    const unlimited = await searchModel(mlrSearch, "default", 64);
    expect(unlimited.trialSeconds).toBeGreaterThan(50);
  });

  it("reports N/A when even the minimum load loses", async () => {
    const broken: TrialFn = (rate, d) => {
      const tx = Math.round(rate * d);
      return Promise.resolve({ txPackets: tx, rxPackets: Math.floor(tx / 2), valid: true });
    };
    const r = await mlrSearch.search(
      { lineRatePps: 1e6, lossThresholdsPct: [NDR_PCT, PDR_PCT], finalDurationS: 30 },
      broken,
    );
    expect(r.results.map((x) => x.ratePps)).toEqual([null, null]);
    expect(r.stopReason).toBeUndefined();
  });

  it("gives line rate for PDR and N/A for NDR on a DUT that always loses 0.1 %", async () => {
    // A constant loss (a bad cable, a lossy link): the NDR goal walks down to the minimum
    // load, and its full-length trials there must not make PDR climb up from 0.1 % of line
    // rate; PDR held at line rate in a short trial, so that is measured at full length.
    const lossy: TrialFn = (rate, d) => {
      const tx = Math.round(rate * d);
      return Promise.resolve({ txPackets: tx, rxPackets: Math.floor(tx * 0.999), valid: true });
    };
    const r = await mlrSearch.search(
      { lineRatePps: 1e6, lossThresholdsPct: [NDR_PCT, PDR_PCT], finalDurationS: 30 },
      lossy,
    );
    expect(r.results[0].ratePps).toBeNull();
    expect(r.results[1]).toMatchObject({ ratePps: 1e6, lineRateLimited: true });
    expect(r.stopReason).toBeUndefined();
    expect(r.trialSeconds).toBeLessThan(240);
  });

  it("escalates durations geometrically from the initial to the final one", () => {
    expect(targetDurations(1, 30, 2)).toEqual([1, 5.477, 30]);
    expect(targetDurations(1, 1, 2)).toEqual([1]);
    expect(targetDurations(5, 2, 2)).toEqual([2]);
  });
});

describe("search registry", () => {
  it("defaults to mlr and lists the known searches for an unknown name", () => {
    expect(getSearchAlgorithm().name).toBe("mlr");
    expect(getSearchAlgorithm("bisection").name).toBe("bisection");
    expect(Object.keys(searchAlgorithms)).toEqual(["mlr", "bisection"]);
    expect(() => getSearchAlgorithm("binary")).toThrow(
      /unknown search 'binary' \(known: mlr, bisection\)/,
    );
  });
});
