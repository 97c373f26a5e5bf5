/**
 * Assignment 4: a gender shift built by rule, and the statistics that keep a result honest.
 *
 * Complete every function below where it says YOUR CODE HERE; the notebook a4-shifts.ipynb
 * imports this file. Written answers go in answers.md.
 */

/** One clip of a manifest, reduced to what a gender shift needs. */
export interface ClipRow {
  path: string;
  speaker: string;
  gender: 'F' | 'M';
  label: string;
}

/** The two sides of a shift. */
export interface Split {
  train: ClipRow[];
  test: ClipRow[];
}

/**
 * Q1. A gender shift `from → to`: the training side is every row of a `from` speaker; the test
 * side is a sample of the `to` rows, **stratified by label**: for each label, keep
 * `max(1, round(testFraction · n))` of its `n` rows, chosen by a seeded shuffle (`rng`), so the
 * test side has the label mix of the `to` group. Throw an Error naming the problem when a speaker
 * appears with both genders, or when either side would be empty.
 */
export function genderShift(rows: readonly ClipRow[], from: 'F' | 'M', to: 'F' | 'M', testFraction: number, rng: () => number): Split {
  // BEGIN SOLUTION
  const genders = new Map<string, string>();
  for (const row of rows) {
    const seen = genders.get(row.speaker);
    if (seen !== undefined && seen !== row.gender) throw new Error(`speaker ${row.speaker} appears as both ${seen} and ${row.gender}`);
    genders.set(row.speaker, row.gender);
  }
  const train = rows.filter((row) => row.gender === from);
  const byLabel = new Map<string, ClipRow[]>();
  for (const row of rows) if (row.gender === to) byLabel.set(row.label, [...(byLabel.get(row.label) ?? []), row]);
  const test: ClipRow[] = [];
  for (const label of [...byLabel.keys()].sort()) {
    const group = [...byLabel.get(label)!];
    for (let i = group.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [group[i], group[j]] = [group[j], group[i]];
    }
    test.push(...group.slice(0, Math.max(1, Math.round(testFraction * group.length))));
  }
  if (train.length === 0 || test.length === 0) throw new Error(`gender shift ${from}->${to}: the ${train.length === 0 ? 'training' : 'test'} side is empty`);
  return { train, test };
  // END SOLUTION
}

/**
 * Q2. The Wilson score interval of an accuracy `correct / total` at normal quantile `z`
 * (1.96 for 95 %): centre `(p̂ + z²/2n) / (1 + z²/n)`, half-width
 * `z·sqrt(p̂(1−p̂)/n + z²/4n²) / (1 + z²/n)`. Returns `[low, high]`. Throw an Error when
 * `total` is 0 or `correct` is outside `0 … total`.
 */
export function wilsonInterval(correct: number, total: number, z = 1.96): [number, number] {
  // BEGIN SOLUTION
  if (!(total > 0) || correct < 0 || correct > total) throw new Error(`wilsonInterval: ${correct} correct of ${total} is not an accuracy`);
  const p = correct / total;
  const z2 = z * z;
  const denominator = 1 + z2 / total;
  const centre = (p + z2 / (2 * total)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / total + z2 / (4 * total * total))) / denominator;
  return [centre - half, centre + half];
  // END SOLUTION
}

/**
 * Q3. The collapse check: the share of predictions that fall on the most predicted class. A
 * gain in accuracy with this share near 1 means the model answers one class for everything.
 * Throw an Error for an empty list.
 */
export function topClassShare(predictions: readonly number[]): number {
  // BEGIN SOLUTION
  if (predictions.length === 0) throw new Error('topClassShare: no predictions');
  const counts = new Map<number, number>();
  for (const p of predictions) counts.set(p, (counts.get(p) ?? 0) + 1);
  return Math.max(...counts.values()) / predictions.length;
  // END SOLUTION
}
