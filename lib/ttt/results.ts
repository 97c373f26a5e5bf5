/**
 * Results in the long format: one row per (condition, method, clip, step), as CSV text that
 * plots and reports read, and the accuracy summary per (condition, method, step).
 */
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import type { ClipTrace, StepStatus } from './types.js';

/** One clip after one step of one method under one condition. */
export interface TttRow {
  /** The test condition, e.g. `clean` or `noise:white@0dB`. */
  condition: string;
  /** Method name as the caller gave it, e.g. `ttt-bitfit`. */
  method: string;
  /** Parameter group label (`all`, `bias`, …, `none`). */
  group: string;
  /** `sgd`, `adamw`, or `none` for no adaptation. */
  optimizer: string;
  /** Clips adapted together (1 for per-sample and online). */
  batch: number;
  clip: string;
  step: number;
  /** MAE loss (see `StepRecord.loss`). */
  loss: number;
  predicted: number;
  label: number;
  correct: boolean;
  /** Milliseconds of this step per clip. */
  ms: number;
  status: StepStatus;
  /** Seed of the masks. */
  seed: number;
}

/** The CSV columns, in order. */
export const RESULT_COLUMNS = [
  'condition', 'method', 'group', 'optimizer', 'batch', 'clip', 'step', 'loss', 'predicted', 'label', 'correct', 'ms', 'status', 'seed',
] as const satisfies readonly (keyof TttRow)[];

/** What every row of one method's traces shares. */
export type RowContext = Pick<TttRow, 'condition' | 'method' | 'group' | 'optimizer' | 'batch' | 'seed'>;

/** The rows of one clip's trace, steps 0 … K. */
export function rowsFromTrace(trace: ClipTrace, context: RowContext): TttRow[] {
  return trace.steps.map((record) => ({
    ...context,
    clip: trace.clip,
    step: record.step,
    loss: record.loss,
    predicted: record.predicted,
    label: trace.label,
    correct: record.predicted === trace.label,
    ms: record.ms,
    status: record.status,
  }));
}

/** The header line of a results file (with its newline). */
export function resultsHeader(): string {
  return RESULT_COLUMNS.join(',') + '\n';
}

/** Rows as CSV lines (no header), each ending in a newline. */
export function formatRows(rows: readonly TttRow[]): string {
  if (rows.length === 0) return '';
  return stringify(
    rows.map((row) => [
      row.condition, row.method, row.group, row.optimizer, row.batch, row.clip, row.step,
      String(row.loss), row.predicted, row.label, row.correct ? 1 : 0, row.ms.toFixed(3), row.status, row.seed,
    ]),
  );
}

const STATUSES: readonly StepStatus[] = ['ok', 'diverged', 'reset'];

/** Parses the text of a results file (header and rows); throws on a malformed row, naming it. */
export function parseRows(text: string): TttRow[] {
  const records = parse(text, { columns: true, skip_empty_lines: true }) as Record<string, string>[];
  return records.map((record, i) => {
    const number = (key: string) => {
      const value = Number(record[key]);
      if (record[key] === undefined || (Number.isNaN(value) && record[key] !== 'NaN')) throw new Error(`results row ${i + 1}: ${key} '${record[key]}' is not a number`);
      return value;
    };
    const status = record.status as StepStatus;
    if (!STATUSES.includes(status)) throw new Error(`results row ${i + 1}: unknown status '${record.status}'`);
    return {
      condition: record.condition,
      method: record.method,
      group: record.group,
      optimizer: record.optimizer,
      batch: number('batch'),
      clip: record.clip,
      step: number('step'),
      loss: number('loss'),
      predicted: number('predicted'),
      label: number('label'),
      correct: record.correct === '1',
      ms: number('ms'),
      status,
      seed: number('seed'),
    };
  });
}

/** Accuracy of one method at one step under one condition. */
export interface AccuracySummary {
  condition: string;
  method: string;
  step: number;
  /** Correct / n. */
  accuracy: number;
  /** Clips with a row at this step. */
  n: number;
  /** Mean loss over the rows with a finite loss (NaN when none). */
  meanLoss: number;
  /** Rows at this step whose clip had diverged. */
  diverged: number;
  /** Mean milliseconds per clip of this step. */
  meanMs: number;
}

/**
 * Accuracy per (condition, method, step), in the order conditions and methods first appear
 * and by ascending step.
 */
export function summarizeAccuracy(rows: Iterable<TttRow>): AccuracySummary[] {
  interface Tally { condition: string; method: string; step: number; correct: number; n: number; lossSum: number; lossCount: number; diverged: number; msSum: number }
  const tallies = new Map<string, Tally>();
  const order = new Map<string, number>();
  for (const row of rows) {
    const group = `${row.condition}\u0000${row.method}`;
    if (!order.has(group)) order.set(group, order.size);
    const key = `${group}\u0000${row.step}`;
    let tally = tallies.get(key);
    if (!tally) tallies.set(key, (tally = { condition: row.condition, method: row.method, step: row.step, correct: 0, n: 0, lossSum: 0, lossCount: 0, diverged: 0, msSum: 0 }));
    tally.n += 1;
    if (row.correct) tally.correct += 1;
    if (Number.isFinite(row.loss)) {
      tally.lossSum += row.loss;
      tally.lossCount += 1;
    }
    if (row.status === 'diverged') tally.diverged += 1;
    tally.msSum += row.ms;
  }
  const rank = (t: Tally) => order.get(`${t.condition}\u0000${t.method}`) as number;
  return [...tallies.values()]
    .sort((a, b) => rank(a) - rank(b) || a.step - b.step)
    .map((t) => ({
      condition: t.condition,
      method: t.method,
      step: t.step,
      accuracy: t.correct / t.n,
      n: t.n,
      meanLoss: t.lossCount > 0 ? t.lossSum / t.lossCount : NaN,
      diverged: t.diverged,
      meanMs: t.msSum / t.n,
    }));
}

/** A summary as CSV text with a header. */
export function formatSummary(summary: readonly AccuracySummary[]): string {
  return stringify(
    summary.map((s) => [s.condition, s.method, s.step, s.accuracy.toFixed(6), s.n, String(s.meanLoss), s.diverged, s.meanMs.toFixed(3)]),
    { header: true, columns: ['condition', 'method', 'step', 'accuracy', 'n', 'mean_loss', 'diverged', 'mean_ms'] },
  );
}
