/**
 * The standard normal distribution's inverse CDF, Φ⁻¹, which turns a uniform
 * grid in (0, 1) into a grid of latent codes (Kingma & Welling's manifold).
 */

// Peter J. Acklam's rational approximations: relative error below 1.15e-9 on (0, 1).
const A = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
const B = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
const C = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
const D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];

/** Below this probability (and above 1 − it) the tail formula is used. */
const P_LOW = 0.02425;

/** Horner evaluation of c[0]·xⁿ + … + c[n]. */
function poly(c: readonly number[], x: number): number {
  return c.reduce((acc, coef) => acc * x + coef, 0);
}

/** Φ⁻¹(p) for p < P_LOW, from q = √(−2 ln p). */
function lowerTail(p: number): number {
  const q = Math.sqrt(-2 * Math.log(p));
  return poly(C, q) / (poly(D, q) * q + 1);
}

/**
 * Φ⁻¹(p): the z with P(Z ≤ z) = p for Z ~ N(0, 1), by Acklam's algorithm
 * (relative error below 1.15·10⁻⁹). Gives −∞ at 0 and +∞ at 1; throws a
 * RangeError outside [0, 1].
 */
export function inverseNormalCdf(p: number): number {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`inverseNormalCdf: p must be in [0, 1], got ${p}`);
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  if (p < P_LOW) return lowerTail(p);
  if (p > 1 - P_LOW) return -lowerTail(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (poly(A, r) * q) / (poly(B, r) * r + 1);
}
