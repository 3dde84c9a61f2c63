import { describe, expect, it } from "vitest";
import {
  GENERATOR_SHORTFALL_TOLERANCE,
  isGeneratorLimited,
  searchWithinGenerator,
} from "../../src/search/generator-limit.ts";
import { getSearchAlgorithm } from "../../src/search/index.ts";
import type { SearchResult, TrialFn, TrialRecord } from "../../src/search/types.ts";

const LINE_RATE_PPS = 14_880_952.38;

/**
 * A software generator in front of a DUT, as a real TRex behaves: rate x duration packets, sent
 * at most at `generatorPps`, so the port transmits longer; the DUT forwards at most
 * `capacityPps` over that time.
 */
function testbed(generatorPps: number, capacityPps: number): TrialFn {
  return async (ratePps, durationS) => {
    const txPackets = Math.round(ratePps * durationS);
    const elapsedS = Math.max(durationS, txPackets / generatorPps);
    const rxPackets = Math.min(txPackets, Math.floor(capacityPps * elapsedS));
    return { txPackets, rxPackets, valid: true, elapsedS, offeredPps: txPackets / elapsedS };
  };
}

async function search(
  name: string,
  generatorPps: number,
  capacityPps: number,
): Promise<{ result: SearchResult; seen: TrialRecord[] }> {
  const seen: TrialRecord[] = [];
  const result = await searchWithinGenerator(
    getSearchAlgorithm(name),
    { lineRatePps: LINE_RATE_PPS, lossThresholdsPct: [0.01, 0.5], finalDurationS: 30 },
    testbed(generatorPps, capacityPps),
    (t) => seen.push(t),
  );
  return { result, seen };
}

describe("searchWithinGenerator", () => {
  it("caps the search at what a slow generator achieved and says so", async () => {
    const { result } = await search("mlr", 600_000, 4_000_000);
    const first = result.trials[0];
    expect(first.ratePps).toBe(LINE_RATE_PPS);
    expect(first.valid).toBe(false);
    expect(first.invalidReason).toMatch(/^generator-limited: offered 600000 of 14880952 pps/);
    expect(first.passed).toEqual([false, false]);
    for (const r of result.results) {
      expect(r.generatorLimited).toBe(true);
      expect(r.lineRateLimited).toBe(false);
      expect(r.ratePps!).toBeLessThanOrEqual(600_000);
      expect(r.ratePps!).toBeGreaterThan(600_000 * 0.97);
      expect(r.ratePps!).toBeLessThanOrEqual(r.offeredPps!);
    }
    expect(result.stopReason).toBeUndefined();
  });

  it("finds a DUT slower than the generator as if the generator were not there", async () => {
    const { result } = await search("mlr", 600_000, 400_000);
    for (const r of result.results) {
      expect(r.generatorLimited).toBe(false);
      expect(r.lineRateLimited).toBe(false);
      expect(Math.abs(r.ratePps! / 400_000 - 1)).toBeLessThanOrEqual(0.006);
    }
  });

  it("changes nothing when the generator keeps up with the line", async () => {
    const { result } = await search("mlr", 20_000_000, 20_000_000);
    expect(result.trials.every((t) => t.valid)).toBe(true);
    for (const r of result.results) {
      expect(r.lineRateLimited).toBe(true);
      expect(r.generatorLimited).toBe(false);
      // Whole packets: 446 428 571 in 30 s is a hair under the line rate, and that is the claim.
      expect(r.ratePps).toBe(Math.round(LINE_RATE_PPS * 30) / 30);
    }
  });

  it("numbers trials once across restarts and counts every trial-second", async () => {
    const { result, seen } = await search("bisection", 600_000, 4_000_000);
    expect(seen).toEqual(result.trials);
    expect(result.trials.map((t) => t.index)).toEqual(result.trials.map((_, i) => i));
    const sum = result.trials.reduce((s, t) => s + t.durationS, 0);
    expect(result.trialSeconds).toBeCloseTo(sum, 6);
    const ndr = result.results[0];
    expect(ndr.generatorLimited).toBe(true);
    expect(ndr.ratePps!).toBeLessThanOrEqual(600_000);
    for (const i of ndr.trialIndices) expect(result.trials[i]).toBeDefined();
  });

  it("judges a shortfall by the documented tolerance", () => {
    const at = (offeredPps: number) => isGeneratorLimited({ ratePps: 1_000_000, offeredPps });
    expect(at(1_000_000 * (1 - GENERATOR_SHORTFALL_TOLERANCE) + 1)).toBe(false);
    expect(at(1_000_000 * (1 - GENERATOR_SHORTFALL_TOLERANCE) - 1)).toBe(true);
  });
});

describe("searchWithinGenerator on a generator whose ceiling moves", () => {
  it("follows a generator that keeps slowing, 5 % a trial, until it steadies", async () => {
    // A machine getting busier: each trial the generator manages 5 % less, down to 70 %.
    let n = 0;
    const trial: TrialFn = async (ratePps, durationS) => {
      const ceiling = 600_000 * Math.max(0.7, 0.95 ** n++);
      return testbed(ceiling, 4_000_000)(ratePps, durationS);
    };
    const result = await searchWithinGenerator(
      getSearchAlgorithm("mlr"),
      { lineRatePps: LINE_RATE_PPS, lossThresholdsPct: [0.01, 0.5], finalDurationS: 30 },
      trial,
    );
    expect(result.stopReason).toBeUndefined();
    for (const r of result.results) {
      expect(r.generatorLimited).toBe(true);
      expect(r.ratePps!).toBeLessThanOrEqual(r.offeredPps!);
      expect(r.ratePps!).toBeGreaterThan(600_000 * 0.7 * 0.9);
    }
  });
});
