/**
 * The offline corpus's manifest: a lib/data manifest (the one format every corpus is turned
 * into) whose rows carry the corpus's own facts as extra columns. The CSV is parsed and written
 * by lib/data alone; this file adds a typed view of the rows (`row.sentence`, `row.role`,
 * `row.durationS`, …) checked against what the offline corpus promises, and the converters
 * between that view and lib/data rows.
 *
 * File layout: lib/data's fixed columns (`path, speaker, gender, age, age_group, label,
 * duration_s, corpus, split`), then {@link OFFLINE_EXTRA_COLUMNS}. `corpus` is `offline`;
 * `split` is `train` for task sentences 0–11, `test` for 12–19 (the sentences held out of MAE
 * pre-training, {@link HELD_OUT_SENTENCES}), and `babble` for the babble-only speakers' clips,
 * which belong to no task split: they are noise material, and a distinct value keeps them out of
 * anything that selects `train` or `test` rows, or of shifts built with the default row filter.
 */
import { readFileSync } from 'node:fs';
import {
  MANIFEST_COLUMNS as DATA_COLUMNS,
  ManifestError,
  formatManifestCsv,
  parseManifestCsv,
  type ManifestRow as DataManifestRow,
} from '../data/manifest.js';
import { describeFileError } from '../util/files.js';
import { SPEAKING_STYLE_NAMES, type AgeGroup, type Gender, type SpeakerRole, type SpeakingStyleName } from './voices.js';

export { ManifestError };

/** The value of the `corpus` column of every offline-corpus row. */
export const OFFLINE_CORPUS_NAME = 'offline';

/**
 * Task sentence ids held out of MAE pre-training (`models/mae-tiny.config.json`,
 * `heldOutSentences`): their clips get `split` = `test`, the other task clips `train`.
 */
export const HELD_OUT_SENTENCES: readonly number[] = [12, 13, 14, 15, 16, 17, 18, 19];

/** The `split` value of an offline-corpus clip (see the file comment for why babble has its own). */
export function offlineSplit(role: SpeakerRole, sentence: number): 'train' | 'test' | 'babble' | 'pretrain' {
  if (role === 'babble') return 'babble';
  if (role === 'pool') return 'pretrain';
  return HELD_OUT_SENTENCES.includes(sentence) ? 'test' : 'train';
}

/**
 * Whether a lib/data row is task speech: not noise material (the offline corpus's babble-only
 * talkers, its pre-training pool). Rows of other corpora have no `role` column and all count.
 */
export function isTaskSpeech(row: Pick<DataManifestRow, 'extra'>): boolean {
  return (row.extra.role ?? 'task') === 'task';
}

/** One clip of the offline corpus, as a typed view of its manifest row. */
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
  /** Always {@link OFFLINE_CORPUS_NAME} for a corpus built here. */
  corpus: string;
  /** `train`, `test`, `babble` or `pretrain` as built (see {@link offlineSplit}); kept as read otherwise. */
  split: string;
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
  /** Reverberation time of the simulated room (s); null when the corpus is not recorded. */
  rt60S: number | null;
  /** Direct-to-reverberant energy ratio of the room (dB); null when not recorded. */
  directToReverbDb: number | null;
  /** Speech over the recording's background (dB); null when not recorded. */
  backgroundSnrDb: number | null;
}

type Parser<T> = (raw: string) => T | undefined;

/** An offline-only column, kept as text in lib/data's `extra`. */
interface ExtraColumn<K extends keyof ManifestRow> {
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
const count: Parser<number> = (raw) => (/^\d+$/.test(raw) ? Number(raw) : undefined);
const finite: Parser<number> = (raw) => (raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : undefined);
const positive: Parser<number> = (raw) => {
  const value = finite(raw);
  return value !== undefined && value > 0 ? value : undefined;
};
/** Empty text stands for "not recorded" (null); anything else must pass `parser`. */
function optional<T>(parser: Parser<T>): Parser<T | null> {
  return (raw) => (raw === '' ? null : parser(raw));
}
function orEmpty(format: (value: number) => string): (value: number | null) => string {
  return (value) => (value === null ? '' : format(value));
}
// Fixed decimals keep the file's bytes stable and readable; the values are measured to no more.
const fixed = (digits: number) => (value: number) => value.toFixed(digits);

function extraColumn<K extends keyof ManifestRow>(
  name: string,
  key: K,
  expected: string,
  parser: Parser<ManifestRow[K]>,
  format: (value: ManifestRow[K]) => string = String,
): ExtraColumn<K> {
  return { name, key, expected, parse: parser, format };
}

/** The offline corpus's extra columns, in file order after lib/data's fixed ones. */
const EXTRA_COLUMNS = [
  extraColumn('utt', 'utt', 'a non-negative integer', count),
  extraColumn('sentence', 'sentence', 'a non-negative integer', count),
  extraColumn('text', 'text', 'the spoken text', nonEmpty),
  extraColumn('role', 'role', 'task, babble or pool', oneOf<SpeakerRole>(['task', 'babble', 'pool'])),
  extraColumn('f0_target_hz', 'f0TargetHz', 'a positive number', positive, fixed(1)),
  extraColumn('vtl_cm', 'vtlCm', 'a positive number', positive, fixed(2)),
  extraColumn('rate_wpm', 'rateWpm', 'a positive number', positive, fixed(0)),
  extraColumn('gain_db', 'gainDb', 'a number', finite, fixed(2)),
  extraColumn('floor_db', 'floorDb', 'a number', finite, fixed(1)),
  extraColumn('rt60_s', 'rt60S', 'empty or a positive number', optional(positive), orEmpty(fixed(3))),
  extraColumn('drr_db', 'directToReverbDb', 'empty or a number', optional(finite), orEmpty(fixed(1))),
  extraColumn('background_snr_db', 'backgroundSnrDb', 'empty or a number', optional(finite), orEmpty(fixed(1))),
] as const;

/** The offline corpus's own columns, written after lib/data's fixed columns. */
export const OFFLINE_EXTRA_COLUMNS: readonly string[] = EXTRA_COLUMNS.map((c) => c.name);

/** Every column of an offline-corpus manifest, in file order (lib/data's fixed columns first). */
export const MANIFEST_COLUMNS: readonly string[] = [...DATA_COLUMNS, ...OFFLINE_EXTRA_COLUMNS];


/**
 * The lib/data row of an offline-corpus clip: the corpus's facts that lib/data has columns for
 * go there (`ageGroup` → `age_group`, `durationS` → `duration_s`, rounded to 0.1 ms), the rest
 * become extra columns, formatted with fixed decimals.
 */
export function toDataRow(row: ManifestRow): DataManifestRow {
  const extra: Record<string, string> = {};
  for (const c of EXTRA_COLUMNS) extra[c.name] = (c.format as (value: unknown) => string)(row[c.key]);
  return {
    path: row.path,
    speaker: row.speaker,
    gender: row.gender,
    age: row.age,
    age_group: row.ageGroup,
    label: row.label,
    duration_s: Number(row.durationS.toFixed(4)),
    corpus: row.corpus,
    split: row.split,
    extra,
  };
}

/**
 * The typed view of a lib/data row of the offline corpus. Checks what lib/data cannot know
 * (gender F or M, an integer age, a speaking-style label, the extra columns' types) and throws
 * {@link ManifestError} naming `source`, the 1-based `rowNumber` and the column.
 */
export function fromDataRow(row: DataManifestRow, source = 'manifest', rowNumber?: number): ManifestRow {
  const fail = (column: string, expected: string, value: unknown): never => {
    throw new ManifestError(source, `expected ${expected}, got ${JSON.stringify(value ?? '')}`, rowNumber, column);
  };
  const speaker = nonEmpty(row.speaker) ?? fail('speaker', 'a speaker id', row.speaker);
  const gender = row.gender === 'F' || row.gender === 'M' ? row.gender : fail('gender', 'F or M', row.gender);
  const ageGroup = oneOf<AgeGroup>(['young', 'old'])(row.age_group) ?? fail('age_group', 'young or old', row.age_group);
  const age = row.age !== null && Number.isInteger(row.age) ? row.age : fail('age', 'an integer age in years', row.age);
  const label = oneOf(SPEAKING_STYLE_NAMES)(row.label) ?? fail('label', SPEAKING_STYLE_NAMES.join(', '), row.label);
  const durationS = row.duration_s !== null && row.duration_s > 0 ? row.duration_s : fail('duration_s', 'a positive number of seconds', row.duration_s);
  const typed: Record<string, unknown> = { path: row.path, speaker, gender, ageGroup, age, label, corpus: row.corpus, split: row.split, durationS };
  for (const c of EXTRA_COLUMNS) {
    const raw = row.extra[c.name];
    const value = raw === undefined ? undefined : c.parse(raw);
    typed[c.key] = value === undefined ? fail(c.name, c.expected, raw) : value;
  }
  return typed as unknown as ManifestRow;
}

/** Renders rows as manifest CSV through lib/data's writer (header first, `\n` line ends, stable bytes). */
export function formatManifest(rows: readonly ManifestRow[]): string {
  return formatManifestCsv(rows.map(toDataRow));
}

/**
 * Parses offline-corpus manifest CSV with lib/data's reader, then checks every row with
 * {@link fromDataRow}. Columns beyond {@link MANIFEST_COLUMNS} are allowed and ignored; a missing
 * column, a malformed value, an empty manifest or a repeated path throws a {@link ManifestError}
 * naming `file` and, for a value, the row (1-based, header excluded) and the column.
 */
export function parseManifest(text: string, file: string): ManifestRow[] {
  // Every column, not just lib/data's three: a manifest without `split` is an older layout.
  const rows = parseManifestCsv(text, file, { requiredColumns: MANIFEST_COLUMNS });
  if (rows.length === 0) throw new ManifestError(file, 'has a header but no rows');
  const seen = new Set<string>();
  return rows.map((row, index) => {
    const typed = fromDataRow(row, file, index + 1);
    // A clip listed twice would sit on both sides of a split.
    if (seen.has(typed.path)) throw new ManifestError(file, `${typed.path} is listed twice`, index + 1, 'path');
    seen.add(typed.path);
    return typed;
  });
}

/** Reads and validates an offline-corpus manifest file (see {@link parseManifest}). */
export function readManifest(path: string): ManifestRow[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ManifestError(path, `cannot read: ${describeFileError(err)}`);
  }
  return parseManifest(text, path);
}
