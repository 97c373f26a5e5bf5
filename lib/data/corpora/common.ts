/**
 * What every corpus parser shares: walking a folder, finding the corpus's own files, and
 * reporting what it left out and why.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';
import type { ManifestRow } from '../manifest.js';
import { makeRow } from '../manifest.js';
import { probeDuration } from '../probe.js';

/** A file a parser saw and did not turn into a row. */
export interface SkippedFile {
  /** Path relative to the corpus root. */
  path: string;
  reason: string;
}

/** What a parser returns: rows with paths relative to the corpus root, and what it left out. */
export interface ParseResult {
  rows: ManifestRow[];
  skipped: SkippedFile[];
}

/** A local copy of a corpus that is not in the layout a parser expects. */
export class CorpusLayoutError extends Error {
  /** The corpus root that was given. */
  readonly root: string;

  constructor(corpus: string, root: string, problem: string) {
    super(`${corpus} at ${root}: ${problem}`);
    this.name = 'CorpusLayoutError';
    this.root = root;
  }
}

/**
 * Every file under `root` whose name passes `accept`, as sorted POSIX paths relative to `root`.
 * Hidden entries are skipped: archives unpacked on macOS carry `._name` twins of every file.
 */
export function listFiles(root: string, accept: (name: string) => boolean, under = ''): string[] {
  const out: string[] = [];
  const walk = (relDir: string): void => {
    const entries = readdirSync(join(root, relDir), { withFileTypes: true });
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const rel = relDir ? `${relDir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(rel);
      else if ((entry.isFile() || entry.isSymbolicLink()) && accept(entry.name)) out.push(rel);
    }
  };
  walk(under.split(sep).join('/'));
  return out.sort();
}

/** True for names ending in `.wav` (any case). */
export function isWav(name: string): boolean {
  return name.toLowerCase().endsWith('.wav');
}

/** Throws {@link CorpusLayoutError} unless `rel` exists under `root`; returns its full path. */
export function requirePath(corpus: string, root: string, rel: string, hint: string): string {
  const full = join(root, rel);
  if (!existsSync(full)) throw new CorpusLayoutError(corpus, root, `'${rel}' not found; ${hint}`);
  return full;
}

/** True if `path` is a folder. */
export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Options every parser takes. */
export interface ParseOptions {
  /** Read each clip's header for `duration_s` (default true); off leaves durations `null`. */
  durations?: boolean;
}

/**
 * Makes a row for a clip at `rel` under `root`, with its duration from the header. Clips whose
 * header says they hold no samples go to `skipped` instead (CREMA-D ships one such file).
 */
export function clipRow(
  root: string,
  rel: string,
  fields: Omit<Partial<ManifestRow>, 'path'> & Pick<ManifestRow, 'label' | 'corpus'>,
  options: ParseOptions,
  skipped: SkippedFile[],
): ManifestRow | undefined {
  const duration = options.durations === false ? null : probeDuration(join(root, rel));
  if (duration === 0) {
    skipped.push({ path: rel, reason: 'the file holds no audio samples' });
    return undefined;
  }
  return makeRow({ ...fields, path: rel, duration_s: duration });
}

/** `age_group` from an age: `young` up to `youngMax`, `old` from `oldMin`, `middle` between. */
export function ageGroup(age: number | null, youngMax = 30, oldMin = 50): string {
  if (age === null) return '';
  if (age <= youngMax) return 'young';
  if (age >= oldMin) return 'old';
  return 'middle';
}
