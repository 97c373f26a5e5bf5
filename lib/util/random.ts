/**
 * Seeded pseudo-random numbers. Every random choice in ttt-speech (corpus voices, noise,
 * masks, splits) draws from one of these, so a seed reproduces a run exactly.
 */

/** A function returning uniform numbers in [0, 1). */
export type Rng = () => number;

/**
 * mulberry32: a 32-bit-state generator, fast and good enough for simulation; chosen over
 * `Math.random` because it can be seeded.
 */
export function createRng(seed: number): Rng {
  if (!Number.isFinite(seed)) throw new Error(`seed must be a finite number, got ${seed}`);
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Derives an independent seed from a base seed and a label, so sub-streams do not overlap. */
export function deriveSeed(seed: number, label: string | number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  const text = String(label);
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  return h >>> 0;
}

/** A normal draw N(mean, sd²) by the Box–Muller transform. */
export function gaussian(rng: Rng, mean = 0, sd = 1): number {
  const u = 1 - rng(); // in (0, 1]: keeps log finite
  const v = rng();
  return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Fisher–Yates shuffle of a copy of `items`. */
export function shuffled<T>(rng: Rng, items: readonly T[]): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
