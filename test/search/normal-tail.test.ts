import { describe, expect, it } from "vitest";
import { erfc, meanAbove, squareAbove } from "../../src/search/normal-tail.ts";

describe("normal tail", () => {
  it("erfc matches known values to 1e-7 relative, both signs, far into the tail", () => {
    expect(erfc(0)).toBeCloseTo(1, 7);
    expect(erfc(1)).toBeCloseTo(0.157299207050285, 7);
    expect(erfc(-1)).toBeCloseTo(1.842700792949715, 7);
    expect(erfc(5) / 1.5374597944280349e-12 - 1).toBeLessThan(1.2e-7);
  });

  it("meanAbove is the mean of a standard normal above a limit", () => {
    // Above 0: the half-normal mean sqrt(2 / pi); far below: the plain mean 0; far above: z + 1/z.
    expect(meanAbove(0)).toBeCloseTo(Math.sqrt(2 / Math.PI), 7);
    expect(meanAbove(-8)).toBeCloseTo(0, 7);
    expect(meanAbove(20)).toBeCloseTo(20 + 1 / 20, 3);
    expect(meanAbove(40)).toBeCloseTo(40 + 1 / 40, 6);
    for (const z of [-2, 0, 2, 5]) expect(meanAbove(z)).toBeGreaterThan(z);
  });

  it("squareAbove is the second moment above a limit", () => {
    expect(squareAbove(0)).toBeCloseTo(1, 9);
    expect(squareAbove(-8)).toBeCloseTo(1, 6);
    // Var = E[X²] - E[X]² stays positive and below 1 (a tail is narrower than the whole).
    const variance = squareAbove(1) - meanAbove(1) ** 2;
    expect(variance).toBeGreaterThan(0);
    expect(variance).toBeLessThan(1);
  });
});
