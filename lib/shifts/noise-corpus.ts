/**
 * Noise corpora as shifts: `noise:musan-noise@5dB`, `noise:demand-DKITCHEN@0dB`,
 * `noise:esc50-dog@10dB`, `noise:ms-snsd@5dB`. The name is a corpus and, after a `-`, one of
 * its labels (MUSAN's category, DEMAND's environment, ESC-50's category, MS-SNSD's noise type;
 * case-insensitive); without a label every file of the corpus takes part. The files come from
 * the corpus's prepared manifest (`ttt-speech data prepare <corpus>`).
 *
 * Test noise must be new to the model: anything on the training side (noise augmentation in
 * pre-training or head training) and the test clips never share a recording.
 * {@link noiseRoles} divides a manifest into the two roles once, the same for every seed and
 * run, so code on either side that asks for its role gets disjoint files.
 */
import { existsSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { NoiseFiles, type NoiseFile } from '../audio/index.js';
import { CORPUS_SOURCES, defaultDataDir, manifestRoot, readManifestCsv, resolveClipPath, type ManifestRow } from '../data/index.js';
import { deriveSeed } from '../util/random.js';
import type { ShiftReport } from './report.js';
import { compareText, groupBy } from './sample.js';

/** The noise corpora a shift can draw from (names as `ttt-speech data` knows them). */
export const NOISE_CORPUS_NAMES = ['musan', 'demand', 'esc-50', 'ms-snsd'] as const;

/** A noise corpus name. */
export type NoiseCorpusName = (typeof NOISE_CORPUS_NAMES)[number];

// How shift names spell each corpus; `esc50` as well, since `esc-50-dog` reads badly.
const PREFIXES: readonly (readonly [string, NoiseCorpusName])[] = [
  ['ms-snsd', 'ms-snsd'],
  ['esc-50', 'esc-50'],
  ['esc50', 'esc-50'],
  ['musan', 'musan'],
  ['demand', 'demand'],
];

/** The forms of a noise-corpus name, for error messages. */
export const NOISE_CORPUS_FORMS = 'musan[-<category>], demand[-<ENVIRONMENT>], esc50[-<category>], ms-snsd[-<Type>]';

/** What a noise-corpus name selects: a corpus, and one of its labels or (`undefined`) all. */
export interface NoiseSelection {
  corpus: NoiseCorpusName;
  label?: string;
}

/**
 * Reads the noise part of a shift name as a noise-corpus selection: `musan-noise` →
 * `{ corpus: 'musan', label: 'noise' }`, `ms-snsd` → `{ corpus: 'ms-snsd' }`. Returns
 * `undefined` for a name that starts with no known corpus.
 */
export function parseNoiseCorpus(name: string): NoiseSelection | undefined {
  const lower = name.toLowerCase();
  for (const [prefix, corpus] of PREFIXES) {
    if (lower === prefix) return { corpus };
    if (lower.startsWith(`${prefix}-`) && name.length > prefix.length + 1) return { corpus, label: name.slice(prefix.length + 1) };
  }
  return undefined;
}

/** A role noise files serve: test noise, or the training side (pre-training and head augmentation). */
export type NoiseRole = 'train' | 'test';

/** A manifest row and the stretch of it one role may use (fractions of its length). */
export interface NoisePart {
  row: ManifestRow;
  from: number;
  to: number;
}

/** A manifest divided by role, and the rule that did it. */
export interface NoiseRoles {
  train: NoisePart[];
  test: NoisePart[];
  /** The rule, in a sentence for split reports. */
  rule: string;
}

/** Share of each label's recordings that serve as test noise when the manifest has no split of its own. */
export const NOISE_TEST_SHARE = 0.5;

/**
 * The recording a file belongs to: clips cut from one source recording (ESC-50's `src_file`)
 * or the channels of one multi-microphone scene (DEMAND's `channel` column: the folder) are
 * one recording, so that the two roles never hear the same sound from two files.
 */
function recordingOf(row: ManifestRow): string {
  if (row.extra.src_file) return `source ${row.extra.src_file}`;
  if (row.extra.channel !== undefined && row.extra.channel !== '') return `scene ${dirname(row.path)}`;
  return `file ${row.path}`;
}

/**
 * Divides a noise manifest into test noise and the training side, the same way for every seed
 * and run:
 * - where the manifest has its own `train` / `test` split (MS-SNSD's `noise_train/` and
 *   `noise_test/`), it decides, and rows with other split values serve neither role;
 * - otherwise, within each label, {@link NOISE_TEST_SHARE} of the recordings (see
 *   `recordingOf`: a file, an ESC-50 source recording, a DEMAND environment's channels) are test
 *   noise, chosen by a fixed hash of their name, and the rest the training side;
 * - a label with a single recording (each DEMAND environment) is divided in time instead: the
 *   training side takes the first half of each file, test noise the second.
 */
export function noiseRoles(rows: readonly ManifestRow[]): NoiseRoles {
  const whole = (row: ManifestRow): NoisePart => ({ row, from: 0, to: 1 });
  if (rows.some((row) => row.split === 'train') && rows.some((row) => row.split === 'test')) {
    return {
      train: rows.filter((row) => row.split === 'train').map(whole),
      test: rows.filter((row) => row.split === 'test').map(whole),
      rule: "noise roles by the manifest's split column: test noise from split = test files only, split = train files kept for the training side",
    };
  }
  const train: NoisePart[] = [];
  const test: NoisePart[] = [];
  const dividedInTime: string[] = [];
  const cut = 1 - NOISE_TEST_SHARE;
  for (const [label, members] of groupBy(rows, (row) => row.label)) {
    const recordings = groupBy(members, recordingOf);
    if (recordings.size === 1) {
      dividedInTime.push(label);
      for (const row of members) {
        train.push({ row, from: 0, to: cut });
        test.push({ row, from: cut, to: 1 });
      }
      continue;
    }
    // A hash rank, not a seeded shuffle: pre-training and every experiment seed see one division.
    const rank = (key: string) => deriveSeed(0, `noise-role:${key}`);
    const keys = [...recordings.keys()].sort((a, b) => rank(a) - rank(b) || compareText(a, b));
    const testCount = Math.min(keys.length - 1, Math.max(1, Math.round(keys.length * NOISE_TEST_SHARE)));
    keys.forEach((key, i) => (i < testCount ? test : train).push(...recordings.get(key)!.map(whole)));
  }
  const share = `${Math.round(NOISE_TEST_SHARE * 100)}%`;
  let rule =
    `noise roles by recording: the manifest has no train/test split, so within each label ${share} of the recordings ` +
    '(a file; the clips of one ESC-50 source recording; the channels of one DEMAND scene) are test noise, chosen by a fixed hash of their name ' +
    '(the same for every seed and run), and the rest are kept for the training side';
  if (dividedInTime.length > 0) {
    rule += `; ${dividedInTime.join(', ')}: a single recording, divided in time (training side the first ${Math.round(cut * 100)}%, test noise the rest)`;
  }
  return { train, test, rule };
}

/**
 * The prepared manifest of a noise corpus: the configured `.csv` file, or `manifest.csv` in the
 * configured folder, else `<data folder>/<corpus>/manifest.csv` (where `ttt-speech data
 * prepare` writes it).
 */
export function noiseManifestPath(corpus: NoiseCorpusName, configured?: string): string {
  if (configured === undefined) return join(defaultDataDir(), corpus, 'manifest.csv');
  const path = resolve(configured);
  return extname(path).toLowerCase() === '.csv' ? path : join(path, 'manifest.csv');
}

/** Options of {@link openNoiseCorpus}. */
export interface NoiseCorpusOptions {
  /**
   * Prepared manifests by corpus, each a `manifest.csv` or the folder holding it (an experiment
   * config's `noise:` section); a corpus not named is looked for where `ttt-speech data prepare`
   * writes it (see {@link noiseManifestPath}).
   */
  manifests?: Partial<Record<NoiseCorpusName, string>>;
  /** Which role's files; default `test`. */
  role?: NoiseRole;
  /** A split report to complete with the noise's source, the role rule and the files drawn. */
  report?: ShiftReport;
  /** Names the shift in errors, e.g. `label/noise:musan-noise@5dB`. */
  where?: string;
}

/**
 * The corpus a noise name selects and its prepared manifest; throws, naming `options.where`,
 * when the name is no noise corpus or the manifest is not there (with the command that makes it).
 * Cheap, so a run calls it for every shift before any long work.
 */
export function preparedNoiseManifest(name: string, options: NoiseCorpusOptions = {}): { selection: NoiseSelection; manifestPath: string } {
  const where = options.where ?? `noise '${name}'`;
  const selection = parseNoiseCorpus(name);
  if (!selection) throw new Error(`${where}: '${name}' is neither a generated noise nor a noise corpus (${NOISE_CORPUS_FORMS})`);
  const { corpus } = selection;
  const manifestPath = noiseManifestPath(corpus, options.manifests?.[corpus]);
  if (!existsSync(manifestPath)) {
    const prepare = CORPUS_SOURCES[corpus].access === 'download' ? `ttt-speech data download ${corpus} && ttt-speech data prepare ${corpus}` : `ttt-speech data prepare ${corpus} --root <its folder>`;
    throw new Error(`${where}: no prepared ${corpus} manifest at ${manifestPath}; run ${prepare}, or name its folder in the config (noise: { ${corpus}: <folder or manifest.csv> })`);
  }
  return { selection, manifestPath };
}

/**
 * The noise files a noise-corpus name selects for one role, ready to mix into clips (see
 * {@link NoiseFiles.addTo}). Reads the corpus's prepared manifest, keeps the rows with the
 * selected label, and takes the role's share of them by {@link noiseRoles}. With `report`, adds
 * the rule to its rules and lists in its `noise` field every file a clip draws. Throws an
 * error naming the shift and the manifest when the name is no noise corpus, the manifest is
 * missing or holds another corpus, or the label or the role's share is empty.
 */
export function openNoiseCorpus(name: string, options: NoiseCorpusOptions = {}): NoiseFiles {
  const where = options.where ?? `noise '${name}'`;
  const { selection, manifestPath } = preparedNoiseManifest(name, options);
  const { corpus } = selection;
  const rows = readManifestCsv(manifestPath);
  const corpora = new Set(rows.map((row) => row.corpus).filter((value) => value !== ''));
  if (corpora.size > 0 && !corpora.has(corpus)) throw new Error(`${where}: ${manifestPath} lists ${[...corpora].join(', ')} clips, not ${corpus}`);
  let label: string | undefined;
  if (selection.label !== undefined) {
    const labels = [...new Set(rows.map((row) => row.label))].sort(compareText);
    label = labels.find((candidate) => candidate.toLowerCase() === selection.label!.toLowerCase());
    if (label === undefined) {
      const shown = labels.length > 20 ? `${labels.slice(0, 20).join(', ')}, …` : labels.join(', ');
      throw new Error(`${where}: no ${corpus} clips are labelled '${selection.label}' in ${manifestPath} (labels: ${shown})`);
    }
  }
  const roles = noiseRoles(rows);
  const selected = (parts: readonly NoisePart[]) => parts.filter((part) => label === undefined || part.row.label === label);
  const role = options.role ?? 'test';
  const parts = selected(roles[role]);
  if (parts.length === 0) throw new Error(`${where}: ${manifestPath} has no ${label ?? corpus} files for the ${role} side (${roles.rule})`);
  const root = manifestRoot(manifestPath);
  const files: NoiseFile[] = parts.map((part) => ({
    path: resolveClipPath(part.row, root),
    name: part.from === 0 && part.to === 1 ? part.row.path : `${part.row.path} [${part.from}, ${part.to})`,
    ...(part.from === 0 && part.to === 1 ? {} : { from: part.from, to: part.to }),
  }));
  const report = options.report;
  if (!report) return new NoiseFiles(files, { name });
  report.rules.push(roles.rule);
  report.rules.push(
    `noise draw: each clip takes one of the ${files.length} ${role}-side files of ${corpus}${label === undefined ? '' : ` ${label}`} and a start in it, seeded by the seed and the clip's path ` +
      "(the same noise whichever run); resampled to the clip's rate, looped when shorter, scaled to the SNR on active speech",
  );
  const noise = { corpus, manifest: manifestPath, label: label ?? null, testFiles: selected(roles.test).length, trainFiles: selected(roles.train).length, drawn: [] as string[] };
  report.noise = noise;
  return new NoiseFiles(files, {
    name,
    onDraw: (file) => {
      const drawn = file.name ?? file.path;
      if (!noise.drawn.includes(drawn)) noise.drawn = [...noise.drawn, drawn].sort(compareText);
    },
  });
}
