/**
 * The manifest: one row per clip, the single format every corpus (generated or real) is turned
 * into, so that splits, shifts and experiments never need to know where a clip came from.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { z } from 'zod';
import { writeFileAtomic } from '../util/atomic.js';
import { describeFileError } from '../util/files.js';

/** A speaker's sex as the corpora record it; `''` where unknown (noise, unlabelled speech). */
export type Gender = 'F' | 'M' | '';

/** One clip. */
export interface ManifestRow {
  /** The audio file: absolute, or relative to the manifest's folder (see {@link resolveClipPath}). */
  path: string;
  /** Speaker (or source) id, unique within its corpus; `''` where the corpus has none. */
  speaker: string;
  gender: Gender;
  /** Age in years, or `null` where the corpus does not say. */
  age: number | null;
  /** A named age band such as `young` or `old`; `''` where none applies. */
  age_group: string;
  /** The task label (speaker id, emotion, noise type, …). */
  label: string;
  /** Length in seconds, or `null` where the file's header did not say. */
  duration_s: number | null;
  /** Which corpus the clip belongs to, e.g. `vctk`. */
  corpus: string;
  /** `train`, `test`, … once a split assigns one; `''` before. */
  split: string;
  /** Any further columns, kept as text (e.g. `utt`, `emotion_raw`, `fold`). */
  extra: Record<string, string>;
}

/** The fixed columns, in the order they are written. */
export const MANIFEST_COLUMNS = ['path', 'speaker', 'gender', 'age', 'age_group', 'label', 'duration_s', 'corpus', 'split'] as const;

/** Name of a fixed manifest column. */
export type ManifestColumn = (typeof MANIFEST_COLUMNS)[number];

/** Columns a manifest file must have; the others default to empty when absent. */
export const REQUIRED_COLUMNS: readonly ManifestColumn[] = ['path', 'speaker', 'label'];

/** A manifest that cannot be used, with where the problem is. */
export class ManifestError extends Error {
  /** The manifest file (or a name for in-memory rows). */
  readonly file: string;
  /** 1-based data row (the header is row 0), when the problem is in a row. */
  readonly row: number | undefined;
  /** The column at fault, when one is. */
  readonly column: string | undefined;

  constructor(file: string, problem: string, row?: number, column?: string) {
    const where = [row !== undefined ? `row ${row}` : '', column !== undefined ? `column '${column}'` : ''].filter(Boolean).join(', ');
    super(`${file}${where ? `: ${where}` : ''}: ${problem}`);
    this.name = 'ManifestError';
    this.file = file;
    this.row = row;
    this.column = column;
  }
}

const optionalNumber = (what: string) =>
  z.preprocess(
    (v) => (v === '' || v === null || v === undefined ? null : typeof v === 'string' ? Number(v.trim()) : v),
    z.number({ error: `expected ${what} or an empty cell` }).finite().nonnegative().nullable(),
  );

/** Schema of a row as held in memory (also used on rows coming back from a DataFrame). */
export const manifestRowSchema = z.object({
  path: z.string().min(1, 'the path must not be empty'),
  speaker: z.string(),
  gender: z.enum(['F', 'M', '']),
  age: optionalNumber('an age in years'),
  age_group: z.string(),
  label: z.string().min(1, 'the label must not be empty'),
  duration_s: optionalNumber('a duration in seconds'),
  corpus: z.string(),
  split: z.string(),
  extra: z.record(z.string(), z.string()),
});

/** The value at `path` inside `value`, for quoting the offending cell in an error. */
function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function issueToError(file: string, row: number | undefined, issue: z.core.$ZodIssue, value: unknown): ManifestError {
  const column = issue.path.length > 0 ? issue.path.map(String).join('.') : undefined;
  // Quoting the cell saves a trip to the file; an empty one is already named by the message.
  const received = valueAt(value, issue.path);
  const quoted = received === undefined || received === '' ? '' : `, got ${JSON.stringify(received)}`;
  return new ManifestError(file, `${issue.message}${quoted}`, row, column);
}

/**
 * Checks one in-memory row and returns it typed (numbers given as text are converted).
 * Throws {@link ManifestError} naming `source`, `row` and the first bad column.
 */
export function validateRow(value: unknown, source = 'manifest', row?: number): ManifestRow {
  const result = manifestRowSchema.safeParse(value);
  if (!result.success) throw issueToError(source, row, result.error.issues[0], value);
  const extra = result.data.extra;
  for (const key of Object.keys(extra)) {
    if ((MANIFEST_COLUMNS as readonly string[]).includes(key)) {
      throw new ManifestError(source, `extra column '${key}' clashes with a fixed column`, row, `extra.${key}`);
    }
  }
  return result.data as ManifestRow;
}

/** Makes a row with every fixed column filled in, from the fields that matter for a clip. */
export function makeRow(fields: Partial<ManifestRow> & Pick<ManifestRow, 'path' | 'label'>): ManifestRow {
  return {
    speaker: '',
    gender: '',
    age: null,
    age_group: '',
    duration_s: null,
    corpus: '',
    split: '',
    ...fields,
    extra: { ...(fields.extra ?? {}) },
  };
}

/** Extra column names across `rows`, in first-seen order. */
export function extraColumns(rows: readonly ManifestRow[]): string[] {
  const seen = new Set<string>();
  for (const row of rows) for (const key of Object.keys(row.extra)) seen.add(key);
  return [...seen];
}

/** Options of {@link parseManifestCsv} and {@link readManifestCsv}. */
export interface ManifestReadOptions {
  /**
   * Columns (fixed or extra) the header must have besides {@link REQUIRED_COLUMNS}: a corpus
   * with its own columns (the offline corpus's `utt`, `role`, …) states them here so that a
   * missing one is named as missing, not reported as a bad value in every row.
   */
  requiredColumns?: readonly string[];
}

/** Parses manifest CSV text; `source` names it in errors. */
export function parseManifestCsv(text: string, source = 'manifest', options: ManifestReadOptions = {}): ManifestRow[] {
  let records: string[][];
  try {
    records = parse(text, { bom: true, skip_empty_lines: true, relax_column_count: false }) as string[][];
  } catch (err) {
    throw new ManifestError(source, `not valid CSV: ${(err as Error).message}`);
  }
  if (records.length === 0) throw new ManifestError(source, 'empty file: expected a header row');
  const header = records[0].map((name) => name.trim());
  const duplicate = header.find((name, i) => header.indexOf(name) !== i);
  if (duplicate !== undefined) throw new ManifestError(source, 'appears twice in the header', 0, duplicate);
  for (const column of [...REQUIRED_COLUMNS, ...(options.requiredColumns ?? [])]) {
    if (!header.includes(column)) throw new ManifestError(source, `missing (the header has: ${header.join(', ')})`, 0, column);
  }
  const fixed = new Set<string>(MANIFEST_COLUMNS);
  return records.slice(1).map((cells, index) => {
    const rowNumber = index + 1;
    const value: Record<string, unknown> = { gender: '', age: '', age_group: '', duration_s: '', corpus: '', split: '', extra: {} };
    const extra: Record<string, string> = {};
    header.forEach((name, i) => {
      if (fixed.has(name)) value[name] = cells[i];
      else extra[name] = cells[i];
    });
    value.extra = extra;
    return validateRow(value, source, rowNumber);
  });
}

/** Reads and validates a manifest CSV file (see {@link parseManifestCsv}). Paths are kept as written. */
export function readManifestCsv(path: string, options: ManifestReadOptions = {}): ManifestRow[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ManifestError(path, `cannot read: ${describeFileError(err)}`);
  }
  return parseManifestCsv(text, path, options);
}

function formatNumber(value: number | null): string {
  return value === null ? '' : String(value);
}

/** Formats rows as manifest CSV: the fixed columns first, then extra columns in first-seen order. */
export function formatManifestCsv(rows: readonly ManifestRow[], source = 'manifest'): string {
  const checked = rows.map((row, i) => validateRow(row, source, i + 1));
  const extras = extraColumns(checked);
  const header = [...MANIFEST_COLUMNS, ...extras];
  const body = checked.map((row) => [
    row.path,
    row.speaker,
    row.gender,
    formatNumber(row.age),
    row.age_group,
    row.label,
    formatNumber(row.duration_s),
    row.corpus,
    row.split,
    ...extras.map((name) => row.extra[name] ?? ''),
  ]);
  return stringify([header, ...body]);
}

/** Validates `rows` and writes them as manifest CSV, atomically. */
export function writeManifestCsv(path: string, rows: readonly ManifestRow[]): void {
  writeFileAtomic(path, formatManifestCsv(rows, path));
}

/** The absolute path of a row's clip, given the folder relative paths start from (normally the manifest's). */
export function resolveClipPath(row: Pick<ManifestRow, 'path'>, root: string): string {
  return isAbsolute(row.path) ? row.path : resolve(root, row.path);
}

/** The folder a manifest's relative paths start from. */
export function manifestRoot(manifestPath: string): string {
  return dirname(resolve(manifestPath));
}

/**
 * Rewrites each row's path so that it is valid from `toRoot`: relative (with `/`, so the
 * manifest reads the same on every platform) when the clip lies under `toRoot`, absolute
 * otherwise.
 */
export function rebasePaths(rows: readonly ManifestRow[], fromRoot: string, toRoot: string): ManifestRow[] {
  const target = resolve(toRoot);
  return rows.map((row) => {
    const absolute = resolveClipPath(row, fromRoot);
    const rel = relative(target, absolute);
    const inside = rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
    return { ...row, path: inside ? rel.split(sep).join('/') : absolute, extra: { ...row.extra } };
  });
}
