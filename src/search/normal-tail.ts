/**
 * The upper tail of the standard normal distribution, for the forwarding estimate's censored
 * samples: a trial that met its goal says only that the value lies above a limit, and these
 * give how far above it lies on average.
 */

/** erfc(x), Numerical Recipes' Chebyshev fit: relative error under 1.2e-7 for every x. */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const c = [
    -1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398,
    1.48851587, -0.82215223, 0.17087277,
  ];
  let poly = 0;
  for (let i = c.length - 1; i >= 0; i--) poly = c[i] + t * poly;
  const r = t * Math.exp(-z * z + poly);
  return x >= 0 ? r : 2 - r;
}

/**
 * E[X | X >= z] for a standard normal X (the inverse Mills ratio): the mean of a value known
 * only to lie at or above z. Beyond z = 30 the tail underflows; there it is z + 1/z, closely.
 */
export function meanAbove(z: number): number {
  if (z > 30) return z + 1 / z;
  const density = Math.exp(-(z * z) / 2) / Math.sqrt(2 * Math.PI);
  return density / (erfc(z / Math.SQRT2) / 2);
}

/** E[X² | X >= z] for a standard normal X: 1 + z · E[X | X >= z]. */
export function squareAbove(z: number): number {
  return 1 + z * meanAbove(z);
}
