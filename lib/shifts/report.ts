/**
 * What a split holds, in numbers and words: sizes, speakers, class and gender balance on each
 * side, the rules that made it and what to be careful about. Kept as plain data so that a run's
 * `config.json` can store it and a report can print it later.
 */
import type { DataFrame } from 'danfojs-node';
import type { ManifestRow } from '../data/manifest.js';
import { loadDanfo } from '../data/frame.js';
import { compareText, groupBy } from './sample.js';

/** The task a split serves: speaker identification, or the manifest's `label` column. */
export type TaskName = 'speaker' | 'label';

/** One side (training or test) of a split, counted. */
export interface ShiftSideReport {
  clips: number;
  speakers: number;
  /** Clips per class (the task's class names), in sorted class order. */
  classes: Record<string, number>;
  /** Clips per gender (`F`, `M`, `?` for unknown). */
  genders: Record<string, number>;
  /** Clips per age group as the split saw it (`?` where a row has none). */
  ageGroups: Record<string, number>;
  /** Total audio in seconds, where the manifest gives durations (`null` if none does). */
  seconds: number | null;
}

/** Everything a reader needs to trust (or distrust) a split. */
export interface ShiftReport {
  /** The shift's canonical name. */
  name: string;
  task: TaskName;
  seed: number;
  /** Rows that took part (after the filter), before the split. */
  rows: number;
  train: ShiftSideReport;
  test: ShiftSideReport;
  /** Speakers with clips on both sides: all test speakers for speaker ID, none otherwise. */
  sharedSpeakers: number;
  /** How the split was made, one rule per line. */
  rules: string[];
  /** What was dropped or looks thin; empty when nothing. */
  warnings: string[];
  /** For a noise-corpus shift: where its noise came from and which files the test clips drew. */
  noise?: ShiftNoiseReport;
}

/** The noise files behind a noise-corpus shift (see lib/shifts `openNoiseCorpus`). */
export interface ShiftNoiseReport {
  /** The noise corpus, e.g. `musan`. */
  corpus: string;
  /** The prepared manifest the files were listed from. */
  manifest: string;
  /** The label the shift selects (MUSAN category, DEMAND environment, …), or `null` for every file. */
  label: string | null;
  /** Files (or parts of files) of the selection that test noise may come from. */
  testFiles: number;
  /** Files (or parts of files) of the selection kept for the training side, disjoint from the test ones. */
  trainFiles: number;
  /** The files the test clips drew, as the manifest names them, sorted. */
  drawn: string[];
}

function countBy(rows: readonly ManifestRow[], keyOf: (row: ManifestRow) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, group] of groupBy(rows, keyOf)) out[key] = group.length;
  return out;
}

/** Counts one side of a split. */
export function sideReport(rows: readonly ManifestRow[], labelOf: (row: ManifestRow) => string, ageGroupOf: (row: ManifestRow) => string): ShiftSideReport {
  const durations = rows.map((row) => row.duration_s).filter((d): d is number => d !== null);
  return {
    clips: rows.length,
    speakers: new Set(rows.map((row) => row.speaker)).size,
    classes: countBy(rows, labelOf),
    genders: countBy(rows, (row) => (row.gender === '' ? '?' : row.gender)),
    ageGroups: countBy(rows, (row) => ageGroupOf(row) || '?'),
    seconds: durations.length === 0 ? null : Number(durations.reduce((s, d) => s + d, 0).toFixed(2)),
  };
}

// Beyond this many classes (speaker ID on a big corpus) one line per class would bury the rest.
const MAX_CLASS_LINES = 12;

function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  return rows.map((row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ').trimEnd());
}

function keysOf(a: Record<string, number>, b: Record<string, number>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].sort(compareText);
}

/**
 * A small text table of a report: sizes, speakers, gender and age balance and clips per class
 * on each side, then the rules and warnings.
 */
export function formatShiftReport(report: ShiftReport): string {
  const { train, test } = report;
  const line = (name: string, a: number | string, b: number | string): string[] => [name, String(a), String(b)];
  const rows: string[][] = [
    ['', 'train', 'test'],
    line('clips', train.clips, test.clips),
    line('speakers', train.speakers, test.speakers),
  ];
  if (train.seconds !== null || test.seconds !== null) {
    rows.push(line('minutes', ((train.seconds ?? 0) / 60).toFixed(1), ((test.seconds ?? 0) / 60).toFixed(1)));
  }
  for (const gender of keysOf(train.genders, test.genders)) rows.push(line(`gender ${gender}`, train.genders[gender] ?? 0, test.genders[gender] ?? 0));
  for (const group of keysOf(train.ageGroups, test.ageGroups)) rows.push(line(`age ${group}`, train.ageGroups[group] ?? 0, test.ageGroups[group] ?? 0));
  const classes = keysOf(train.classes, test.classes);
  if (classes.length <= MAX_CLASS_LINES) {
    for (const name of classes) rows.push(line(`class ${name}`, train.classes[name] ?? 0, test.classes[name] ?? 0));
  } else {
    const range = (counts: Record<string, number>): string => {
      const values = Object.values(counts);
      return values.length === 0 ? '-' : `${Math.min(...values)}–${Math.max(...values)}`;
    };
    rows.push(line(`${classes.length} classes`, Object.keys(train.classes).length, Object.keys(test.classes).length));
    rows.push(line('clips per class', range(train.classes), range(test.classes)));
  }
  const lines = [`${report.task}/${report.name} (seed ${report.seed}; ${report.rows} rows took part, ${report.sharedSpeakers} speakers on both sides)`, ...table(rows)];
  const noise = report.noise;
  if (noise) {
    lines.push(
      `noise files: ${noise.corpus}${noise.label === null ? '' : ` ${noise.label}`} from ${noise.manifest}: ${noise.testFiles} on the test side, ` +
        `${noise.trainFiles} kept for the training side; the test clips drew ${noise.drawn.length}`,
    );
  }
  lines.push('rules:', ...report.rules.map((rule) => `  - ${rule}`));
  if (report.warnings.length > 0) lines.push('warnings:', ...report.warnings.map((warning) => `  ! ${warning}`));
  return lines.join('\n');
}

/** What {@link shiftTables} reads from a split. */
export interface ShiftTableSource {
  train: readonly ManifestRow[];
  test: readonly ManifestRow[];
  labels: readonly string[];
  labelOf: (row: ManifestRow) => string;
}

async function countsFrame(rows: readonly ManifestRow[], classes: readonly string[], labelOf: (row: ManifestRow) => string): Promise<DataFrame> {
  const { DataFrame: Frame } = await loadDanfo();
  const genders = ['F', 'M', ...(rows.some((row) => row.gender === '') ? ['?'] : [])];
  const columns = ['class', ...genders, 'total'];
  const names = [...new Set([...classes, ...rows.map(labelOf)])];
  // danfo cannot build a frame from empty column arrays, but it can from an empty row list.
  if (names.length === 0) return new Frame([], { columns });
  const data: Record<string, (string | number)[]> = { class: names };
  for (const gender of genders) data[gender] = names.map((name) => rows.filter((row) => labelOf(row) === name && (row.gender === '' ? '?' : row.gender) === gender).length);
  data.total = names.map((name) => rows.filter((row) => labelOf(row) === name).length);
  return new Frame(data, { columns, dtypes: columns.map((column) => (column === 'class' ? 'string' : 'int32')) });
}

/**
 * Clips per class × gender on each side of a split, as danfo.js DataFrames (for notebooks):
 * columns `class`, `F`, `M` (and `?` when some rows have no gender), `total`; one row per
 * training class, then any class seen only on that side.
 */
export async function shiftTables(split: ShiftTableSource): Promise<{ train: DataFrame; test: DataFrame }> {
  return {
    train: await countsFrame(split.train, split.labels, split.labelOf),
    test: await countsFrame(split.test, split.labels, split.labelOf),
  };
}
