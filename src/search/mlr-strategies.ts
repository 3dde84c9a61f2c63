/**
 * Where a goal measures next while it searches for bounds: a list of small strategies, asked in
 * turn, the first that applies wins (after MLRsearch's strategy/*.py). Each sees the goal's
 * bounds at its current target and at the coarser one, and proposes a grid load and the kind of
 * move (the expander doubles its step while "down" keeps finding upper bounds, "up" lower ones).
 */
import type { Bounds } from "./mlr-bounds.ts";
import type { Classification, Target } from "./mlr-load-stats.ts";

export type Move = "down" | "up" | "other";

export interface Proposal {
  k: number;
  move: Move;
}

/** What a strategy may look at for one goal at its current target. */
export interface GoalView {
  readonly target: Target;
  readonly bounds: Bounds;
  /** The coarser target's bounds (none at the first target). */
  readonly previous: Bounds | undefined;
  /** The maximum load held at a coarser duration. */
  readonly topHeld: boolean;
  /** Index of the maximum load. */
  readonly top: number;
  /** Consecutive outward steps that did not find the missing bound. */
  readonly expansions: number;
  readonly expansionCoefficient: number;
  /** The load's classification at this target. */
  classify(k: number): Classification;
  /**
   * Grid index where the forwarding rate measured at upper bound `hi` says the goal's loss
   * ratio is just met, half a width lower (undefined without a failed trial there).
   */
  guidedIndex(hi: number): number | undefined;
  /** Loads measured so far, in the order first measured. */
  measuredLoads(): Iterable<number>;
}

export interface Strategy {
  readonly name: string;
  propose(v: GoalView): Proposal | undefined;
}

/** The coarser target's bounds stand in for missing ones where they do not contradict. */
export function effectiveBounds(v: GoalView): { lo: number | undefined; hi: number | undefined } {
  const { bounds: b, previous: p } = v;
  const lo =
    b.lo ?? (p?.lo !== undefined && (b.hi === undefined || p.lo < b.hi) ? p.lo : undefined);
  const hi = b.hi ?? (p?.hi !== undefined && (lo === undefined || p.hi > lo) ? p.hi : undefined);
  return { lo, hi };
}

function step(v: GoalView): number {
  return Math.ceil(v.target.widthSteps * v.expansionCoefficient ** v.expansions);
}

/**
 * Where to measure between bounds lo < hi: near the forwarding-rate hint when it lies inside,
 * at the middle otherwise, so that one more trial reaches the width when it can; an already
 * measured load in the same range (shared with another goal) beats a new one.
 */
export function inside(v: GoalView, lo: number, hi: number): number {
  const w = v.target.widthSteps;
  const n = hi - lo;
  // Within 2 widths any load in [hi - w, lo + w] finishes in one trial, whatever it shows.
  const [low, high] = n <= 2 * w ? [hi - w, lo + w] : [lo + w, hi - w];
  const guided = v.guidedIndex(hi);
  const preferred = guided !== undefined && guided > lo && guided < hi ? guided : lo + (n >> 1);
  const k = Math.min(high, Math.max(low, preferred));
  let best = k;
  let bestDistance = Infinity;
  for (const m of v.measuredLoads()) {
    if (m < low || m > high) continue;
    const d = Math.abs(m - k);
    if (d < bestDistance) {
      best = m;
      bestDistance = d;
    }
  }
  return best;
}

/** The maximum load held at a coarser duration and has no verdict at this one: measure it. */
export const topAtThisDuration: Strategy = {
  name: "top at this duration",
  // Other goals' trials at low loads must not make this goal climb up from them.
  propose: (v) =>
    v.topHeld && v.bounds.hi === undefined && v.classify(v.top) === "none"
      ? { k: v.top, move: "up" }
      : undefined,
};

/**
 * An undecided load (one bad trial so far) is worth repeating once it would settle the goal;
 * while the interval below it is wider than the target, it serves as a provisional upper bound.
 */
export const refinePending: Strategy = {
  name: "refine pending",
  propose: (v) => {
    const pendingHi = v.bounds.pending[0];
    if (pendingHi === undefined) return undefined;
    const lo = v.bounds.lo ?? v.previous?.lo;
    if (lo !== undefined && lo < pendingHi && pendingHi - lo > v.target.widthSteps) {
      return { k: inside(v, lo, pendingHi), move: "other" };
    }
    return { k: pendingHi, move: "other" };
  },
};

/** Nothing known at all: the maximum load. */
export const startAtTop: Strategy = {
  name: "start at top",
  propose: (v) => {
    const { lo, hi } = effectiveBounds(v);
    return lo === undefined && hi === undefined ? { k: v.top, move: "other" } : undefined;
  },
};

/** Bounds (a coarser target's standing in) wider than this target: measure between them. */
export const bisectCoarser: Strategy = {
  name: "bisect coarser bounds",
  propose: (v) => {
    const { lo, hi } = effectiveBounds(v);
    return lo !== undefined && hi !== undefined && hi - lo > v.target.widthSteps
      ? { k: inside(v, lo, hi), move: "other" }
      : undefined;
  },
};

/** The coarser target's lower bound, re-measured at this duration. */
export const remeasureLower: Strategy = {
  name: "re-measure coarser lower bound",
  propose: (v) => {
    const { lo } = effectiveBounds(v);
    return v.bounds.lo === undefined && lo !== undefined ? { k: lo, move: "other" } : undefined;
  },
};

/** The coarser target's upper bound, re-measured at this duration if nothing ran there yet. */
export const remeasureUpper: Strategy = {
  name: "re-measure coarser upper bound",
  propose: (v) => {
    const { hi } = effectiveBounds(v);
    return v.bounds.hi === undefined && hi !== undefined && v.classify(hi) === "none"
      ? { k: hi, move: "other" }
      : undefined;
  },
};

/** No lower bound below the upper one: step down (growing steps), or to the forwarding hint. */
export const extendDown: Strategy = {
  name: "extend down",
  propose: (v) => {
    const upper = v.bounds.hi;
    if (v.bounds.lo !== undefined || upper === undefined) return undefined;
    const stepped = upper - step(v);
    return { k: Math.max(0, Math.min(stepped, v.guidedIndex(upper) ?? stepped)), move: "down" };
  },
};

/** No upper bound above the lower one: step up; close to the maximum, the maximum itself. */
export const extendUp: Strategy = {
  name: "extend up",
  propose: (v) => {
    const lower = v.bounds.lo;
    if (v.bounds.hi !== undefined || lower === undefined) return undefined;
    const k = lower + step(v);
    return { k: v.top - k < v.target.widthSteps ? v.top : k, move: "up" };
  },
};

/** Both bounds known and too far apart: between them. */
export const bisect: Strategy = {
  name: "bisect",
  propose: (v) =>
    v.bounds.lo !== undefined && v.bounds.hi !== undefined
      ? { k: inside(v, v.bounds.lo, v.bounds.hi), move: "other" }
      : undefined,
};

/** The order mlr asks them in. */
export const STRATEGIES: readonly Strategy[] = [
  topAtThisDuration,
  refinePending,
  startAtTop,
  bisectCoarser,
  remeasureLower,
  remeasureUpper,
  extendDown,
  extendUp,
  bisect,
];

/** The first strategy's proposal that applies. */
export function propose(
  v: GoalView,
  strategies: readonly Strategy[] = STRATEGIES,
): (Proposal & { strategy: string }) | undefined {
  for (const s of strategies) {
    const p = s.propose(v);
    if (p) return { ...p, strategy: s.name };
  }
  return undefined;
}
