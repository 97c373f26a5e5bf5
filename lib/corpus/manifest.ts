/**
 * The corpus manifest: one CSV row per clip. The column list below is the single definition of
 * the format; writing and reading both go through it, so a column cannot be written one way and
 * read another.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { SPEAKING_STYLE_NAMES, type AgeGroup, type Gender, type SpeakerRole, type SpeakingStyleName } from './voices.js';

/** One clip of the corpus, as one manifest row. */
export interface ManifestRow {
  /** The WAV file, relative to the corpus folder (forward slashes). */
  path: string;
  speaker: string;
  gender: Gender;
  ageGroup: AgeGroup;
  /** Age in years. */
  age: number;
  /** The speaking style (emotion-like); babble clips are all `neutral`. */
  label: SpeakingStyleName;
  /** Index of the utterance within the speaker's clips. */
  utt: number;
  /** Sentence id: index into the task sentences, or after them for babble sentences. */
  sentence: number;
  /** What is said. */
  text: string;
  role: SpeakerRole;
  /** Length of the clip in seconds. */
  durationS: number;
  /** Target speaking F0 (Hz) after style and per-clip variation. */
  f0TargetHz: number;
  /** The speaker's vocal-tract length (cm). */
  vtlCm: number;
  /** The speaking rate eSpeak was given (words per minute). */
  rateWpm: number;
  /** Gain applied to eSpeak's output (dB). */
  gainDb: number;
  /** Noise floor in dB below the speech level. */
  floorDb: number;
}

/** A manifest that cannot be used: names the file and, where it applies, the row and column. */
export class ManifestError extends Error {
  /** The manifest file. */
  readonly file: string;
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'ManifestError';
    this.file = file;
  }
}

type Parser<T> = (raw: string) => T | undefined;

interface Column<K extends keyof ManifestRow> {
  name: string;
  key: K;
  /** What a valid value looks like, for error messages. */
  expected: string;
  parse: Parser<ManifestRow[K]>;
  format: (value: ManifestRow[K]) => string;
}

function oneOf<T extends string>(values: readonly T[]): Parser<T> {
  return (raw) => (values.includes(raw as T) ? (raw as T) : undefined);
}
const nonEmpty: Parser<string> = (raw) => (raw.length > 0 ? raw : undefined);
const integer: Parser<number> = (raw) => (/^-?\d+$/.test(raw) ? Number(raw) : undefined);
const finite: Parser<number> = (raw) => (raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : undefined);
const positive: Parser<number> = (raw) => {
  const value = finite(raw);
  return value !== undefined && value > 0 ? value : undefined;
};
const fixed = (digits: number) => (value: number) => value.toFixed(digits);

function column<K extends keyof ManifestRow>(
  name: string,
  key: K,
  expected: string,
  parser: Parser<ManifestRow[K]>,
  format: (value: ManifestRow[K]) => string = String,
): Column<K> {
  return { name, key, expected, parse: parser, format };
}

/** The manifest's columns, in file order. */
const COLUMNS = [
  column('path', 'path', 'a relative file path', nonEmpty),
  column('speaker', 'speaker', 'a speaker id', nonEmpty),
  column('gender', 'gender', 'F or M', oneOf<Gender>(['F', 'M'])),
  column('age_group', 'ageGroup', 'young or old', oneOf<AgeGroup>(['young', 'old'])),
  column('age', 'age', 'an integer age in years', integer),
  column('label', 'label', SPEAKING_STYLE_NAMES.join(', '), oneOf(SPEAKING_STYLE_NAMES)),
  column('utt', 'utt', 'a non-negative integer', (raw) => (integer(raw) ?? -1) >= 0 ? Number(raw) : undefined),
  column('sentence', 'sentence', 'a non-negative integer', (raw) => (integer(raw) ?? -1) >= 0 ? Number(raw) : undefined),
  column('text', 'text', 'the spoken text', nonEmpty),
  column('role', 'role', 'task or babble', oneOf<SpeakerRole>(['task', 'babble'])),
  column('duration_s', 'durationS', 'a positive number of seconds', positive, fixed(4)),
  column('f0_target_hz', 'f0TargetHz', 'a positive number', positive, fixed(1)),
  column('vtl_cm', 'vtlCm', 'a positive number', positive, fixed(2)),
  column('rate_wpm', 'rateWpm', 'a positive number', positive, fixed(0)),
  column('gain_db', 'gainDb', 'a number', finite, fixed(2)),
  column('floor_db', 'floorDb', 'a number', finite, fixed(1)),
] as const;

/** The manifest's column names, in file order. */
export const MANIFEST_COLUMNS: readonly string[] = COLUMNS.map((c) => c.name);

/** Renders rows as manifest CSV (header first, `\n` line ends, fixed decimals for stable bytes). */
export function formatManifest(rows: readonly ManifestRow[]): string {
  const records = rows.map((row) => COLUMNS.map((c) => (c.format as (v: unknown) => string)(row[c.key])));
  return stringify([MANIFEST_COLUMNS as string[], ...records], { record_delimiter: '\n' });
}

/**
 * Parses manifest CSV. Extra columns are ignored; a missing column, a malformed value, an empty
 * manifest or a repeated path throws a {@link ManifestError} naming `file`, and for a value the
 * row (1-based, header excluded), the line and the column.
 */
export function parseManifest(text: string, file: string): ManifestRow[] {
  let records: string[][];
  try {
    records = parse(text, { skip_empty_lines: true, relax_column_count: false }) as string[][];
  } catch (err) {
    throw new ManifestError(file, `not valid CSV: ${(err as Error).message}`);
  }
  if (records.length === 0) throw new ManifestError(file, 'is empty (no header)');
  const header = records[0].map((name) => name.trim());
  const missing = MANIFEST_COLUMNS.filter((name) => !header.includes(name));
  if (missing.length > 0) throw new ManifestError(file, `missing column(s) ${missing.map((m) => `'${m}'`).join(', ')} in the header`);
  if (records.length === 1) throw new ManifestError(file, 'has a header but no rows');
  const indexOf = new Map(header.map((name, i) => [name, i]));
  const seen = new Set<string>();
  return records.slice(1).map((record, r) => {
    const where = `row ${r + 1} (line ${r + 2})`;
    const row = {} as Record<keyof ManifestRow, unknown>;
    for (const c of COLUMNS) {
      const raw = record[indexOf.get(c.name)!] ?? '';
      const value = c.parse(raw);
      if (value === undefined) throw new ManifestError(file, `${where}, column '${c.name}': expected ${c.expected}, got ${JSON.stringify(raw)}`);
      row[c.key] = value;
    }
    const parsed = row as ManifestRow;
    if (seen.has(parsed.path)) throw new ManifestError(file, `${where}, column 'path': ${parsed.path} is listed twice`);
    seen.add(parsed.path);
    return parsed;
  });
}

/** Reads and validates a manifest file (see {@link parseManifest}). */
export function readManifest(path: string): ManifestRow[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ManifestError(path, `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseManifest(text, path);
}
