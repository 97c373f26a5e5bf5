/**
 * What adaptation over a stream needs in a report: accuracy along the stream position (does an
 * online method improve as it sees more clips, or decay?), the share of predictions on the
 * most predicted class along the stream (collapse: a model that answers one class for every
 * clip), and the cost of each method (milliseconds per clip over all its steps, bytes of state
 * beyond the model). Rows are in stream order in `results.csv` (each method writes its clips
 * as it adapts to them); every figure reads the method's last step, what it outputs after
 * adapting.
 */
import { lineFigure, tableHtml, type Figure, type ReportSection } from '../plot/index.js';
import { topClassShare } from '../stats/index.js';
import type { TttRow } from '../ttt/index.js';

/** One method's clips under one condition at its last step, in stream order. */
export interface StreamTrace {
  condition: string;
  method: string;
  /** The method's last step (what it outputs after adapting). */
  step: number;
  correct: boolean[];
  predicted: number[];
  /** Milliseconds per clip, summed over all its steps. */
  msPerClip: number[];
}

/** Per condition and method, its clips at the last step in the order they were stored. */
export function streamTraces(rows: readonly TttRow[]): StreamTrace[] {
  const lastStep = new Map<string, number>();
  const key = (row: TttRow) => `${row.condition}\u0000${row.method}`;
  for (const row of rows) lastStep.set(key(row), Math.max(lastStep.get(key(row)) ?? 0, row.step));
  const msByClip = new Map<string, number>();
  for (const row of rows) msByClip.set(`${key(row)}\u0000${row.clip}`, (msByClip.get(`${key(row)}\u0000${row.clip}`) ?? 0) + row.ms);
  const traces = new Map<string, StreamTrace>();
  for (const row of rows) {
    if (row.step !== lastStep.get(key(row))) continue;
    let trace = traces.get(key(row));
    if (!trace) traces.set(key(row), (trace = { condition: row.condition, method: row.method, step: row.step, correct: [], predicted: [], msPerClip: [] }));
    trace.correct.push(row.correct);
    trace.predicted.push(row.predicted);
    trace.msPerClip.push(msByClip.get(`${key(row)}\u0000${row.clip}`) as number);
  }
  return [...traces.values()];
}

/** Mean of the last `window` values at each position (fewer at the start). */
export function rollingMean(values: readonly number[], window: number): number[] {
  let sum = 0;
  return values.map((value, i) => {
    sum += value;
    if (i >= window) sum -= values[i - window];
    return sum / Math.min(i + 1, window);
  });
}

/** Share of the most frequent class among the last `window` predictions at each position (fewer at the start). */
export function rollingTopShare(predicted: readonly number[], window: number): number[] {
  return predicted.map((_, i) => topClassShare(predicted.slice(Math.max(0, i - window + 1), i + 1)));
}

/** Accuracy and top-class share along the stream, one figure each per condition, over windows of `window` clips. */
export function streamFigures(traces: readonly StreamTrace[], window = 8): Figure[] {
  const conditions = [...new Set(traces.map((t) => t.condition))];
  return conditions.flatMap((condition) => {
    const of = traces.filter((t) => t.condition === condition);
    const x = (t: StreamTrace) => t.correct.map((_, i) => i + 1);
    return [
      lineFigure(of.map((t) => ({ name: t.method, x: x(t), y: rollingMean(t.correct.map(Number), window) })), {
        title: `${condition}: accuracy along the stream (last ${window} clips)`,
        xTitle: 'clips seen',
        yTitle: 'accuracy',
      }),
      lineFigure(of.map((t) => ({ name: t.method, x: x(t), y: rollingTopShare(t.predicted, window) })), {
        title: `${condition}: share of the most predicted class (last ${window} clips)`,
        xTitle: 'clips seen',
        yTitle: 'top-class share',
      }),
    ];
  });
}

/** One line of the adaptation table. */
export interface AdaptationRow {
  condition: string;
  method: string;
  clips: number;
  /** Accuracy at the method's last step. */
  accuracy: number;
  /** Share of the last step's predictions on the most predicted class. */
  topClassShare: number;
  /** Mean milliseconds per clip over all steps. */
  msPerClip: number;
  /** Bytes of state beyond the model, where `config.json` records it. */
  memoryBytes?: number;
}

/** Accuracy after adaptation, top-class share, ms per clip and memory for every condition and method. */
export function adaptationTable(rows: readonly TttRow[], memoryBytes: Record<string, Record<string, number>> = {}): AdaptationRow[] {
  return streamTraces(rows).map((t) => ({
    condition: t.condition,
    method: t.method,
    clips: t.correct.length,
    accuracy: t.correct.filter(Boolean).length / t.correct.length,
    topClassShare: topClassShare(t.predicted),
    msPerClip: t.msPerClip.reduce((a, b) => a + b, 0) / t.msPerClip.length,
    memoryBytes: memoryBytes[t.condition]?.[t.method],
  }));
}

function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined) return '';
  if (bytes === 0) return '0';
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} kB`;
  return `${(bytes / 1024 / 1024).toFixed(2)} MB`;
}

/** The adaptation table as text for the terminal. */
export function formatAdaptationTable(table: readonly AdaptationRow[]): string {
  const header = ['condition', 'method', 'clips', 'accuracy', 'top share', 'ms/clip', 'memory'];
  const lines = table.map((r) => [r.condition, r.method, String(r.clips), r.accuracy.toFixed(3), r.topClassShare.toFixed(3), r.msPerClip.toFixed(0), formatBytes(r.memoryBytes)]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((line) => line[i].length)));
  const format = (cells: string[]) => cells.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  return [format(header), ...lines.map(format)].join('\n');
}

/** The report section: figures along the stream and the table of accuracy, collapse and cost. */
export function streamSection(rows: readonly TttRow[], memoryBytes: Record<string, Record<string, number>> = {}, window = 8): ReportSection {
  const table = adaptationTable(rows, memoryBytes);
  return {
    heading: 'Along the stream: accuracy, collapse and cost',
    text:
      `Each method's output after adapting (its last step), in the order the clips came, averaged over the last ${window} clips. ` +
      'Online methods carry their weights from clip to clip: a falling accuracy with a top-class share rising towards 1 is a collapse onto one class. ' +
      'ms/clip sums every step of a clip; memory is the state a method holds beyond the model (copies, optimizer state, teacher, Fisher estimate).',
    figures: streamFigures(streamTraces(rows), window),
    tablesHtml: [
      tableHtml(
        table.map((r) => ({ condition: r.condition, method: r.method, clips: r.clips, accuracy: r.accuracy, 'top-class share': r.topClassShare, 'ms/clip': r.msPerClip, memory: formatBytes(r.memoryBytes) })),
        { caption: 'Accuracy after adaptation, share of predictions on the most predicted class, time per clip (all steps) and memory beyond the model', maxRows: 500, digits: 3 },
      ),
    ],
  };
}
