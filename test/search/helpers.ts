import { DUT_PRESETS, DutModel } from "../../src/emulator/dut-model.ts";
import type { DutParams, DutPresetName } from "../../src/emulator/dut-model.ts";
import { lineRatePps } from "../../src/rate/line-rate.ts";
import { modelTrialFn } from "../../bench/support/model-check.ts";
import type { SearchAlgorithm, SearchResult, SearchSpec, TrialFn } from "../../src/search/types.ts";

export const NDR_PCT = 0.01;
export const PDR_PCT = 0.5;

export function specFor(params: DutParams, frameSize: number, thresholds: number[]): SearchSpec {
  return {
    lineRatePps: lineRatePps(params.speedGbps * 1e9, frameSize),
    lossThresholdsPct: thresholds,
    finalDurationS: 30,
  };
}

/** One search against a fresh model of `preset` (or custom params) at one frame size. */
export function searchModel(
  algorithm: SearchAlgorithm,
  preset: DutPresetName | DutParams,
  frameSize: number,
  thresholds: number[] = [NDR_PCT, PDR_PCT],
  seed = 1,
  wrap: (fn: TrialFn) => TrialFn = (fn) => fn,
  extra: Partial<SearchSpec> = {},
): Promise<SearchResult> {
  const params = typeof preset === "string" ? DUT_PRESETS[preset] : preset;
  const model = new DutModel(params, seed);
  return algorithm.search(
    { ...specFor(params, frameSize, thresholds), ...extra },
    wrap(modelTrialFn(model, frameSize)),
  );
}
