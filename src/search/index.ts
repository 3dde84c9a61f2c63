/** The searches `autotrex run --search <name>` can use; "mlr" unless told otherwise. */
import { bisection } from "./bisection.ts";
import { mlrSearch } from "./mlr.ts";
import { defaultThresholds } from "./thresholds.ts";
import type { SearchAlgorithm } from "./types.ts";

export const DEFAULT_SEARCH = "mlr";

/** The percentages of defaultThresholds (thresholds.ts): NDR alone for bisection, NDR and PDR otherwise. */
export function defaultLossThresholdsPct(search: string): number[] {
  return defaultThresholds(search).map((t) => t.lossPct);
}

export const searchAlgorithms: Readonly<Record<string, SearchAlgorithm>> = {
  mlr: mlrSearch,
  bisection,
};

/** The named search; an unknown name is an error that lists the known ones. */
export function getSearchAlgorithm(name: string = DEFAULT_SEARCH): SearchAlgorithm {
  if (!Object.hasOwn(searchAlgorithms, name)) {
    throw new Error(
      `unknown search '${name}' (known: ${Object.keys(searchAlgorithms).join(", ")})`,
    );
  }
  return searchAlgorithms[name];
}

export { bisection, createBisection, nextBisectionPercent, percentRatePps } from "./bisection.ts";
export type { BisectionOptions } from "./bisection.ts";
export { createMlrSearch, mlrSearch, MLR_DEFAULTS, targetDurations } from "./mlr.ts";
export type { MlrOptions } from "./mlr.ts";
export { SearchStop } from "./trial-log.ts";
export {
  defaultThresholds,
  parseLossThresholds,
  thresholdsFrom,
  ThresholdError,
  type Threshold,
} from "./thresholds.ts";
export type * from "./types.ts";
