/**
 * Ties a search to the modelled DUT, in process, for the tests and `bench/search.ts`: a trial
 * function over `DutModel` and the ground truth a search is judged against.
 */
import { DutModel, capacityPps, modelLineRatePps } from "../../src/emulator/dut-model.ts";
import type { DutParams } from "../../src/emulator/dut-model.ts";
import type { TrialFn } from "../../src/search/types.ts";

/** Trials against the model at one frame size; a trial is valid unless rx > tx. */
export function modelTrialFn(model: DutModel, frameSize: number): TrialFn {
  return (ratePps, durationS) => {
    const out = model.trial({ ratePps, durationS, frameSize });
    const valid = out.rxPackets <= out.txPackets;
    return Promise.resolve({
      txPackets: out.txPackets,
      rxPackets: out.rxPackets,
      valid,
      ...(valid ? {} : { invalidReason: "rx > tx" }),
      latencyUs: out.latencyUs,
    });
  };
}

/**
 * The rate a search should find for a loss threshold: G_T(S) = min(L(S), C(S) / (1 - T)),
 * the offered rate at which the model's steady-state loss 1 - C / r equals T, never above
 * line rate. For NDR (T = 0.01 %) this is C(S) * 1.0001, i.e. C(S) within 0.01 %; for PDR
 * (T = 0.5 %) C(S) / 0.995. The buffer's transient (bufferPackets / duration, under 0.02 % of
 * C at 30 s) is left out: it vanishes as trials grow longer. With jitter, C(S) is the median
 * capacity of a trial.
 */
export function groundTruthPps(
  params: DutParams,
  frameSize: number,
  lossThresholdPct: number,
): number {
  const line = modelLineRatePps(params, frameSize);
  return Math.min(line, capacityPps(params, frameSize) / (1 - lossThresholdPct / 100));
}

/** Signed relative error of a found rate against the ground truth (null = N/A). */
export function relativeError(foundPps: number | null, truthPps: number): number | null {
  return foundPps === null ? null : foundPps / truthPps - 1;
}
