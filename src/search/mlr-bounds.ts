/**
 * MLRsearch's relevant bounds of one goal at one target, as a small value: the upper bound is
 * the lowest load classified as an upper bound, the lower bound the highest load classified as
 * a lower bound beneath it (a loss inversion resolves pessimistically), and the loads between
 * them that are still undecided.
 */
import type { Classification } from "./mlr-load-stats.ts";

export interface Bounds {
  /** Grid index of the relevant lower bound (index grows with the load). */
  lo: number | undefined;
  hi: number | undefined;
  /** Undecided loads strictly between lo and hi, lowest first. */
  pending: number[];
}

/** The relevant bounds from the classified loads, given lowest load first. */
export function relevantBounds(loads: ReadonlyArray<{ k: number; cls: Classification }>): Bounds {
  let hi: number | undefined;
  for (const { k, cls } of loads) {
    if (cls === "upper") {
      hi = k;
      break;
    }
  }
  let lo: number | undefined;
  for (const { k, cls } of loads) {
    if (hi !== undefined && k >= hi) break;
    if (cls === "lower") lo = k;
  }
  const pending = loads
    .filter(
      ({ k, cls }) =>
        cls === "undecided" && (lo === undefined || k > lo) && (hi === undefined || k < hi),
    )
    .map(({ k }) => k);
  return { lo, hi, pending };
}

/**
 * True when the bounds reach the target: the maximum load is a lower bound, the minimum load
 * an upper bound, or both bounds exist within `widthSteps` of each other.
 */
export function boundsReached(b: Bounds, widthSteps: number, top: number): boolean {
  if (b.lo === top) return true;
  if (b.hi !== undefined && b.hi <= 0) return true;
  return b.lo !== undefined && b.hi !== undefined && b.hi - b.lo <= widthSteps;
}
