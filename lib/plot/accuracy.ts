/**
 * The figures a TTT experiment is judged by: accuracy after each adaptation step, and accuracy
 * across noise levels. Both read rows shaped like `summary.csv`.
 */
import type { Figure } from './types.js';
import { facetedLineFigure } from './facets.js';
import type { SeriesPoint } from './facets.js';

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
 * shows TTT helping.
 */
export function accuracyVsStepsFigure(rows: readonly AccuracyStepRow[], options: AccuracyFigureOptions = {}): Figure {
  const title = options.title ?? 'Accuracy vs TTT steps';
  checkAccuracy(rows, title);
  const points: SeriesPoint[] = rows.map((row) => ({
    facet: row.condition ?? '',
    series: row.method,
    x: row.step,
    y: row.accuracy,
    n: row.n,
  }));
  return facetedLineFigure(points, {
    title,
    xTitle: 'TTT steps',
    yTitle: 'accuracy',
    proportion: true,
    seriesLabel: 'method',
    facetLabel: 'condition',
    columns: options.columns,
    integerTicksUpTo: 20,
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
