/**
 * Confidence intervals for a proportion (an accuracy). Written here rather than taken from a
 * package: none of the project's dependencies has them, and the formulas are a few lines.
 */

/** A two-sided interval `[low, high]` at `confidence` (e.g. 0.95). */
export interface Interval {
  low: number;
  high: number;
  confidence: number;
}

/** The default confidence of every interval the kit reports. */
export const DEFAULT_CONFIDENCE = 0.95;

function checkConfidence(confidence: number): void {
  if (!(confidence > 0 && confidence < 1)) throw new Error(`confidence must be in (0, 1), got ${confidence}`);
}

/**
 * The standard normal quantile Φ⁻¹(p) (Acklam's rational approximation, relative error
 * below 1.2e-9): the z of a two-sided interval is `normalQuantile(1 − (1 − confidence) / 2)`.
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new Error(`normalQuantile: p must be in (0, 1), got ${p}`);
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const tail = 0.02425;
  if (p < tail || p > 1 - tail) {
    // The tails: a rational function of sqrt(-2 log q), mirrored for the upper tail.
    const q = Math.sqrt(-2 * Math.log(p < tail ? p : 1 - p));
    const x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    return p < tail ? x : -x;
  }
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/**
 * The Wilson score interval of `successes` out of `n`. Chosen over the textbook
 * p ± z·SE because it stays inside [0, 1] and keeps its coverage at the small n and the
 * accuracies near 0 or 1 that a teaching run has (SE is 0 at 0/12, which claims certainty).
 */
export function wilsonInterval(successes: number, n: number, confidence = DEFAULT_CONFIDENCE): Interval {
  checkConfidence(confidence);
  if (!(Number.isInteger(n) && n >= 0)) throw new Error(`wilsonInterval: n must be a count, got ${n}`);
  if (!(Number.isInteger(successes) && successes >= 0 && successes <= n)) throw new Error(`wilsonInterval: successes must be a count in [0, ${n}], got ${successes}`);
  if (n === 0) return { low: 0, high: 1, confidence };
  const z = normalQuantile(1 - (1 - confidence) / 2);
  const p = successes / n;
  const z2n = (z * z) / n;
  const centre = (p + z2n / 2) / (1 + z2n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2n / (4 * n))) / (1 + z2n);
  // The exact ends at 0/n and n/n are 0 and 1; rounding must not move them off.
  return { low: successes === 0 ? 0 : Math.max(0, centre - half), high: successes === n ? 1 : Math.min(1, centre + half), confidence };
}

/**
 * The `q`-quantile of sorted values, interpolating linearly between order statistics (the
 * common "type 7" definition, as numpy's default).
 */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new Error('quantile of no values');
  if (!(q >= 0 && q <= 1)) throw new Error(`quantile: q must be in [0, 1], got ${q}`);
  const position = q * (sorted.length - 1);
  const below = Math.floor(position);
  const above = Math.min(sorted.length - 1, below + 1);
  return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
}
