/**
 * The figures a TTT experiment is judged by: accuracy after each adaptation step, and accuracy
 * across noise levels. Both read rows shaped like `summary.csv`.
 */
import type { Figure } from './types.js';
import { facetedLineFigure } from './facets.js';
import type { ReferenceLine, SeriesPoint } from './facets.js';

/** One point of an accuracy-vs-steps curve (a row of `summary.csv`). */
export interface AccuracyStepRow {
  /** The adaptation method, e.g. `TTT (all)` or `BitFit`; one line each. */
  method: string;
  /** The test condition (a shift such as `noise:babble@0dB`); one panel each. */
  condition?: string;
  /** Adaptation steps taken; 0 is the unadapted model. */
  step: number;
  /** Proportion correct, in [0, 1]. */
  accuracy: number;
  /** Test samples behind `accuracy`; when every row has it, error bars show ±1 standard error. */
  n?: number;
  /** Lower end of a confidence interval of `accuracy`; with `high` on every row of a method, a shaded band replaces the error bars. */
  low?: number;
  /** Upper end of the interval. */
  high?: number;
}

/** One point of an accuracy-vs-SNR curve. */
export interface AccuracySnrRow {
  /** One line each, e.g. `no TTT` and `TTT, 5 steps`. */
  method: string;
  /** Noise type or other grouping; one panel each. */
  condition?: string;
  /** Signal-to-noise ratio in dB. */
  snrDb: number;
  /** Proportion correct, in [0, 1]. */
  accuracy: number;
  /** Test samples behind `accuracy` (adds ±1 standard-error bars). */
  n?: number;
}

/** Options shared by the accuracy figures. */
export interface AccuracyFigureOptions {
  /** Figure title; each builder has a default. */
  title?: string;
  /** Panels per row when rows span several conditions; default 3. */
  columns?: number;
}

/** Options of {@link accuracyVsStepsFigure}. */
export interface AccuracyStepsOptions extends AccuracyFigureOptions {
  /** Chance accuracy per condition (`''` for rows without one): a dashed grey line in its panel. */
  chance?: Readonly<Record<string, number>>;
  /**
   * A method drawn as a flat reference line (with its interval band) at its step-0 accuracy
   * instead of as a curve: the unadapted model, e.g. `no-ttt`, which every TTT curve is read against.
   */
  referenceMethod?: string;
}

function checkAccuracy(rows: readonly { accuracy: number; n?: number }[], figure: string): void {
  rows.forEach((row, i) => {
    if (!(row.accuracy >= 0 && row.accuracy <= 1)) {
      throw new Error(`${figure}: row ${i} has accuracy ${row.accuracy}; accuracy is a proportion in [0, 1]`);
    }
    if (row.n !== undefined && !(Number.isInteger(row.n) && row.n >= 0)) {
      throw new Error(`${figure}: row ${i} has n = ${row.n}; n counts samples`);
    }
  });
}

/**
 * Accuracy against TTT steps: one line per method, one panel per condition (a single panel when
 * no row names a condition). Step 0 is the model before adaptation, so a line rising from it
 * shows TTT helping. With `chance` and `referenceMethod`, each panel also shows the level a
 * guess reaches and the unadapted model's accuracy, and rows with `low`/`high` get bands.
 */
export function accuracyVsStepsFigure(rows: readonly AccuracyStepRow[], options: AccuracyStepsOptions = {}): Figure {
  const title = options.title ?? 'Accuracy vs TTT steps';
  checkAccuracy(rows, title);
  const reference = options.referenceMethod;
  const curves = rows.filter((row) => row.method !== reference);
  const references: ReferenceLine[] = [];
  for (const row of rows) {
    if (row.method !== reference || row.step !== 0) continue;
    references.push({ facet: row.condition ?? '', name: `${row.method} (reference)`, y: row.accuracy, low: row.low, high: row.high, dash: 'dot', color: '#333333' });
  }
  for (const [facet, level] of Object.entries(options.chance ?? {})) {
    if (!(level >= 0 && level <= 1)) throw new Error(`${title}: chance level ${level} for '${facet}' is not a proportion in [0, 1]`);
    if (rows.some((row) => (row.condition ?? '') === facet)) references.push({ facet, name: 'chance', y: level, dash: 'dash', color: '#9a9a9a' });
  }
  const points: SeriesPoint[] = (curves.length > 0 ? curves : rows).map((row) => ({
    facet: row.condition ?? '',
    series: row.method,
    x: row.step,
    y: row.accuracy,
    n: row.n,
    low: row.low,
    high: row.high,
  }));
  return facetedLineFigure(points, {
    title,
    xTitle: 'TTT steps',
    yTitle: 'accuracy',
    proportion: true,
    seriesLabel: 'method',
    facetLabel: 'condition',
    columns: options.columns,
    integerTicksUpTo: 1000,
    references,
  });
}

/**
 * Accuracy against signal-to-noise ratio: one line per method, one panel per condition (e.g.
 * noise type). The gap between lines at low SNR is what adaptation buys under heavy noise.
 */
export function accuracyVsSnrFigure(rows: readonly AccuracySnrRow[], options: AccuracyFigureOptions = {}): Figure {
  const title = options.title ?? 'Accuracy vs SNR';
  checkAccuracy(rows, title);
  const points: SeriesPoint[] = rows.map((row) => ({
    facet: row.condition ?? '',
    series: row.method,
    x: row.snrDb,
    y: row.accuracy,
    n: row.n,
  }));
  return facetedLineFigure(points, {
    title,
    xTitle: 'SNR (dB)',
    yTitle: 'accuracy',
    proportion: true,
    seriesLabel: 'method',
    facetLabel: 'condition',
    columns: options.columns,
  });
}
