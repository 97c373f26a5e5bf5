/**
 * Normal quantiles for stratified draws: with only a handful of speakers per group, independent
 * random draws can land far from the documented group mean; spreading the speakers over the
 * normal quantiles (in a seeded order) makes each group's mean and SD come out as documented.
 */
import { shuffled, type Rng } from '../util/index.js';

const A = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
const B = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
const C = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
const D = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
const P_LOW = 0.02425;

/**
 * The standard normal quantile Φ⁻¹(p) for p in (0, 1), by Acklam's rational approximation
 * (relative error below 1.2e-9, ample for drawing voice parameters).
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new Error(`normalQuantile: p must be in (0, 1), got ${p}`);
  if (p < P_LOW || p > 1 - P_LOW) {
    const q = Math.sqrt(-2 * Math.log(Math.min(p, 1 - p)));
    const tail = (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5]) / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1);
    return p < P_LOW ? tail : -tail;
  }
  const q = p - 0.5;
  const r = q * q;
  return ((((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q) / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1);
}

/**
 * `n` z-scores at the quantiles (i + 0.5) / n, rescaled to mean 0 and SD exactly 1 (for n ≥ 2),
 * in a seeded random order, so that which speaker gets the high value is random but the group's
 * spread is not.
 */
export function stratifiedNormals(n: number, rng: Rng): number[] {
  if (!Number.isInteger(n) || n < 1) throw new Error(`stratifiedNormals: n must be a positive integer, got ${n}`);
  const z = Array.from({ length: n }, (_, i) => normalQuantile((i + 0.5) / n));
  const sd = Math.sqrt(z.reduce((sum, v) => sum + v * v, 0) / n);
  return shuffled(rng, n === 1 ? z : z.map((v) => v / sd));
}
