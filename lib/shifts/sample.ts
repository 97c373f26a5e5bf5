/**
 * The seeded choices behind splits: which speakers are held out, which of a speaker's clips are
 * tested, which clips survive a size cap. Each keeps proportions (by gender, by class) and
 * spreads its picks over speakers, so a small split still looks like the whole.
 */
import type { ManifestRow } from '../data/manifest.js';
import { shuffled, type Rng } from '../util/random.js';

/** Groups items by a key; groups come out in sorted key order, items in their given order. */
export function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [item]);
    else group.push(item);
  }
  return new Map([...groups.entries()].sort(([a], [b]) => compareText(a, b)));
}

/** Plain code-point order: the same on every machine and locale (unlike `localeCompare`). */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Splits `total` among groups in proportion to their sizes (largest remainder, ties to the
 * earlier group), never giving a group more than it has.
 */
export function allocate(sizes: readonly number[], total: number): number[] {
  const sum = sizes.reduce((s, n) => s + n, 0);
  if (sum === 0) return sizes.map(() => 0);
  const target = Math.min(total, sum);
  const exact = sizes.map((n) => (n * target) / sum);
  const counts = exact.map((x) => Math.floor(x));
  let left = target - counts.reduce((s, n) => s + n, 0);
  const order = exact.map((x, i) => ({ i, rest: x - Math.floor(x) })).sort((a, b) => b.rest - a.rest || a.i - b.i);
  for (const { i } of order) {
    if (left === 0) break;
    if (counts[i] < sizes[i]) {
      counts[i]++;
      left--;
    }
  }
  return counts;
}

/**
 * Like {@link allocate}, but when `total` allows it every non-empty group gets at least one:
 * a group that proportion rounds down to nothing takes one from the group furthest above its
 * exact share. A capped test set then still tests every class the head was trained on.
 */
export function allocateCoveringAll(sizes: readonly number[], total: number): number[] {
  const counts = allocate(sizes, total);
  const nonEmpty = sizes.filter((n) => n > 0).length;
  if (Math.min(total, sizes.reduce((s, n) => s + n, 0)) < nonEmpty) return counts;
  const sum = sizes.reduce((s, n) => s + n, 0);
  const exact = sizes.map((n) => (n * Math.min(total, sum)) / sum);
  for (let i = 0; i < sizes.length; i++) {
    if (sizes[i] === 0 || counts[i] > 0) continue;
    let donor = -1;
    for (let j = 0; j < sizes.length; j++) {
      if (counts[j] > 1 && (donor < 0 || counts[j] - exact[j] > counts[donor] - exact[donor])) donor = j;
    }
    // A donor always exists here: the total is at least the number of non-empty groups.
    counts[donor]--;
    counts[i]++;
  }
  return counts;
}

/**
 * The items in an order that alternates between groups: each group shuffled, then one from each
 * group in turn (groups in shuffled order). Taking a prefix of the result spreads the picks
 * evenly over the groups.
 */
export function interleave<T>(items: readonly T[], groupOf: (item: T) => string, rng: Rng): T[] {
  const groups = shuffled(rng, [...groupBy(items, groupOf).values()]).map((group) => shuffled(rng, group));
  const out: T[] = [];
  for (let round = 0; out.length < items.length; round++) {
    for (const group of groups) if (round < group.length) out.push(group[round]);
  }
  return out;
}

/**
 * At most `max` rows, with each class keeping its share (largest remainder), every class
 * keeping at least one row when `max` is at least the number of classes, and each class's
 * rows spread over speakers. The kept rows come back in their given order.
 */
export function capStratified(rows: readonly ManifestRow[], max: number, classOf: (row: ManifestRow) => string, rng: Rng): ManifestRow[] {
  if (rows.length <= max) return rows.slice();
  const classes = [...groupBy(rows, classOf).values()];
  const counts = allocateCoveringAll(
    classes.map((group) => group.length),
    max,
  );
  const kept = new Set<ManifestRow>();
  classes.forEach((group, i) => {
    for (const row of interleave(group, (r) => r.speaker, rng).slice(0, counts[i])) kept.add(row);
  });
  return rows.filter((row) => kept.has(row));
}

/**
 * Chooses `fraction` of the speakers (at least one, never all), stratified by `stratumOf` (e.g.
 * gender): each stratum gives its proportional share, so the held-out speakers keep the
 * gender balance of the whole. Speakers are taken in a seeded order within each stratum.
 */
export function holdOutSpeakers(
  speakers: readonly string[],
  fraction: number,
  stratumOf: (speaker: string) => string,
  rng: Rng,
): Set<string> {
  if (speakers.length < 2) return new Set();
  const total = Math.min(speakers.length - 1, Math.max(1, Math.round(fraction * speakers.length)));
  const strata = [...groupBy([...speakers].sort(compareText), stratumOf).values()];
  const counts = allocate(
    strata.map((group) => group.length),
    total,
  );
  const heldOut = new Set<string>();
  strata.forEach((group, i) => {
    for (const speaker of shuffled(rng, group).slice(0, counts[i])) heldOut.add(speaker);
  });
  return heldOut;
}

/**
 * Splits each speaker's rows into training and test: `testFraction` of them (rounded, at least
 * one and at most all but one when a speaker has two or more) go to test, spread over the
 * row's `label` values (emotion, style) so each speaker is tested on a bit of everything.
 * A speaker with a single row keeps it for training.
 */
export function splitPerSpeaker(rows: readonly ManifestRow[], testFraction: number, rng: Rng): { train: Set<ManifestRow>; test: Set<ManifestRow> } {
  const train = new Set<ManifestRow>();
  const test = new Set<ManifestRow>();
  for (const group of groupBy(rows, (row) => row.speaker).values()) {
    const nTest = group.length < 2 ? 0 : Math.min(group.length - 1, Math.max(1, Math.round(testFraction * group.length)));
    interleave(group, (row) => row.label, rng).forEach((row, i) => (i < nTest ? test : train).add(row));
  }
  return { train, test };
}
