/**
 * The loads mlr measures: a geometric grid from the minimum load up to the maximum load (line
 * rate), load(k) = maxLoad * q^(k - top) with q^stepsPerWidth = 1 + goalWidth. The index grows
 * with the load: 0 is the minimum load, `top` the maximum. Widths are whole numbers of steps, so
 * goals that want nearly the same load measure exactly the same one.
 */

/** Grid steps per goal width. */
export const STEPS_PER_WIDTH = 8;

export class LoadGrid {
  /** ln q: the relative distance of two neighbouring loads. */
  readonly lnStep: number;
  /** Index of the maximum load; index 0 is the lowest load the search tries. */
  readonly top: number;

  constructor(
    readonly maxLoadPps: number,
    minLoadRatio: number,
    goalWidth: number,
  ) {
    this.lnStep = Math.log1p(goalWidth) / STEPS_PER_WIDTH;
    this.top = Math.floor(Math.log(1 / minLoadRatio) / this.lnStep);
  }

  loadOf(k: number): number {
    return this.maxLoadPps * Math.exp(-(this.top - k) * this.lnStep);
  }

  /** Steps from the maximum load down to a rate (fractional; negative above the maximum). */
  private depth(ratePps: number): number {
    return Math.log(this.maxLoadPps / ratePps) / this.lnStep;
  }

  /** The grid load nearest a rate that was measured at a grid load (undoes float error). */
  nearest(ratePps: number): number {
    return this.top - Math.round(this.depth(ratePps));
  }

  /** The highest grid index whose load is at most `ratePps` (a rate a hair above counts). */
  atOrBelow(ratePps: number): number {
    return this.top - Math.ceil(this.depth(ratePps) - 1e-9);
  }

  /** The highest grid index whose load is at most `ratePps`, without slack for float error. */
  below(ratePps: number): number {
    return this.top - Math.ceil(this.depth(ratePps));
  }

  /** The lowest grid index whose load is at least `ratePps`, never above the maximum. */
  atOrAbove(ratePps: number): number {
    return this.top - Math.max(0, Math.floor(this.depth(ratePps)));
  }
}
