/**
 * What a classifier's accuracy should be compared with: chance, and how concentrated its
 * answers are. A rise in accuracy while every clip gets the same answer is a collapse that
 * happens to land on a common class, not a recovery.
 */

/** The two chance levels of a test set. */
export interface ChanceLevels {
  /** 1 / number of classes: a uniform random guess. */
  uniform: number;
  /** The share of the most common true class: always answering that class. */
  majority: number;
  classes: number;
}

function checkClasses(values: readonly number[], what: string): void {
  values.forEach((value, i) => {
    if (!Number.isInteger(value) || value < 0) throw new Error(`${what}[${i}] is ${value}, not a class index`);
  });
}

/** Share of the predictions on the most predicted class (1/classes when spread evenly, 1 when every clip gets one answer). */
export function topClassShare(predicted: readonly number[]): number {
  if (predicted.length === 0) throw new Error('topClassShare: no predictions');
  checkClasses(predicted, 'predicted');
  const counts = new Map<number, number>();
  for (const p of predicted) counts.set(p, (counts.get(p) ?? 0) + 1);
  return Math.max(...counts.values()) / predicted.length;
}

/**
 * Chance levels of a test set with true classes `labels` out of `classes` classes (the head's
 * output size; default the distinct labels seen).
 */
export function chanceLevels(labels: readonly number[], classes?: number): ChanceLevels {
  if (labels.length === 0) throw new Error('chanceLevels: no labels');
  checkClasses(labels, 'labels');
  const k = classes ?? new Set(labels).size;
  if (!(Number.isInteger(k) && k >= 1)) throw new Error(`chanceLevels: classes must be a positive integer, got ${classes}`);
  const counts = new Map<number, number>();
  for (const label of labels) counts.set(label, (counts.get(label) ?? 0) + 1);
  return { uniform: 1 / k, majority: Math.max(...counts.values()) / labels.length, classes: k };
}
