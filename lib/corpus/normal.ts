/**
 * Normal quantiles for stratified draws: with only a handful of speakers per group, independent
 * random draws can land far from the documented group mean; spreading the speakers over the
 * normal quantiles (in a seeded order) makes each group's mean and SD come out as documented.
 */
import { normalQuantile } from '../stats/index.js';
import { shuffled, type Rng } from '../util/index.js';

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
