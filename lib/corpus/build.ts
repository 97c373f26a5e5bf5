/**
 * Building the offline corpus: plan every clip from the seed, make the shards (each in its own
 * process, up to `parallel` at once), then write the manifest and, last, `corpus.json`.
 *
 * Reproducibility: a shard's bytes depend only on the recipe and its index (see `shard.ts`),
 * every random draw comes from a seed derived per speaker and per clip, and rows are gathered in
 * plan order, so the output is the same whatever the parallelism.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { createProgress, packageVersion, withFileLock, writeFileAtomic, writeJsonAtomic } from '../util/index.js';

/** The lock file of a build, inside the corpus folder. */
const CORPUS_LOCK = '.corpus-build.lock';
import { ManifestError, formatManifest, parseManifest, readManifest, type ManifestRow } from './manifest.js';
import { CORPUS_FILES, planCorpus, resolveCorpusRecipe, type CorpusRecipe, type CorpusRecipeOptions } from './plan.js';
import type { ClipAdjustments, ShardResult } from './shard.js';
import { runShardProcess } from './shard-process.js';
import { summarizeCorpus, type CorpusSummary } from './summary.js';
import { ESPEAK_PACKAGE } from './synth-client.js';
import { espeakRate, espeakVariant } from './voices.js';

/** Options of {@link buildCorpus}. Sizes not given come from the preset. */
export interface CorpusOptions extends CorpusRecipeOptions {
  /** Where to write; default `<data dir>/offline` (see {@link defaultCorpusDir}). */
  outDir?: string;
  /** Rebuild even if a complete corpus with the same recipe is there. */
  force?: boolean;
  /** Shards made at once (default: up to 2, one per core); never changes the output. */
  parallel?: number;
}

/** What `corpus.json` records. Written last: its presence marks a complete corpus. */
export interface CorpusRecord {
  recipe: CorpusRecipe;
  /** Versions of ttt-speech, the eSpeak NG package and Node that made it. */
  versions: Record<string, string>;
  counts: { clips: number; taskSpeakers: number; babbleSpeakers: number; poolSpeakers: number };
  adjustments: ClipAdjustments;
  buildSeconds: number;
  /** ISO date and time the build finished. */
  builtAt: string;
  /** SHA-256 of manifest.csv (hex). */
  manifestSha256: string;
}

/** The summary of a built (or reused) corpus and where it is. */
export interface CorpusBuildResult extends CorpusSummary {
  outDir: string;
  manifestPath: string;
  /** True when an existing complete corpus was returned without rebuilding. */
  reused: boolean;
  /** Seconds the build took (as recorded, for a reused corpus). */
  buildSeconds: number;
  recipe: CorpusRecipe;
  /** Clips that needed a correction to stay within 1–4 s or below full scale. */
  adjustments: ClipAdjustments;
}

/** The data folder: `TTT_SPEECH_DATA`, else `./data`. */
export function defaultDataDir(): string {
  return resolve(process.env.TTT_SPEECH_DATA || 'data');
}

/** Where the offline corpus goes by default: `<data dir>/offline`. */
export function defaultCorpusDir(): string {
  return join(defaultDataDir(), 'offline');
}

/**
 * Runs `work` over `items` with at most `limit` at once; results keep the items' order. After a
 * failure no new item starts, and the first error is thrown once the running ones have ended,
 * so nothing is still writing when the caller hears of it.
 */
async function mapPool<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const runner = async () => {
    while (!failure && next < items.length) {
      const index = next++;
      try {
        results[index] = await work(items[index], index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, runner));
  if (failure) throw failure.error;
  return results;
}

const OWN_WAV = /^[sb]\d{2,}_\d{2,}_[a-z]+\.wav$/;

/** Removes what an earlier build wrote here (only files named like ours), record first. */
function clearPreviousBuild(outDir: string): void {
  rmSync(join(outDir, CORPUS_FILES.record), { force: true });
  rmSync(join(outDir, CORPUS_FILES.manifest), { force: true });
  const wavDir = join(outDir, CORPUS_FILES.wavDir);
  if (!existsSync(wavDir)) return;
  for (const name of readdirSync(wavDir)) if (OWN_WAV.test(name)) rmSync(join(wavDir, name), { force: true });
}

function sha256(bytes: string | Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function sameRecipe(a: CorpusRecipe, b: CorpusRecipe): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]) as Set<keyof CorpusRecipe>;
  return [...keys].every((key) => a[key] === b[key]);
}

/**
 * The record and rows of a complete corpus in `outDir` made with `recipe`, or `undefined`: the
 * record must match, the manifest must have the recorded hash and every listed WAV must exist.
 */
function existingCorpus(outDir: string, recipe: CorpusRecipe): { record: CorpusRecord; rows: ManifestRow[] } | undefined {
  const recordPath = join(outDir, CORPUS_FILES.record);
  const manifestPath = join(outDir, CORPUS_FILES.manifest);
  if (!existsSync(recordPath) || !existsSync(manifestPath)) return undefined;
  let record: CorpusRecord;
  try {
    record = JSON.parse(readFileSync(recordPath, 'utf8')) as CorpusRecord;
  } catch {
    return undefined;
  }
  if (!record.recipe || !sameRecipe(record.recipe, recipe)) return undefined;
  if (sha256(readFileSync(manifestPath)) !== record.manifestSha256) return undefined;
  let rows: ManifestRow[];
  try {
    rows = readManifest(manifestPath);
  } catch (err) {
    // A manifest this version cannot read (an older layout) means rebuilding, not failing.
    if (err instanceof ManifestError) return undefined;
    throw err;
  }
  const complete = rows.every((row) => {
    const file = join(outDir, row.path);
    return existsSync(file) && statSync(file).size > 44;
  });
  return complete ? { record, rows } : undefined;
}

/**
 * Builds the offline corpus (or returns the one already there). Writes
 * `<outDir>/wav/<speaker>_<utt>_<style>.wav` (16 kHz, 16-bit mono, each 1–4 s), then
 * `manifest.csv` (see {@link ManifestRow}), then `corpus.json` (recipe, versions, counts, build
 * time, manifest hash). A later call with the same recipe finds that record and returns at once;
 * `force` rebuilds. The WAVs and manifest are byte-identical for the same recipe, whatever
 * `parallel` is.
 */
export async function buildCorpus(options: CorpusOptions = {}): Promise<CorpusBuildResult> {
  const outDir = resolve(options.outDir ?? defaultCorpusDir());
  const recipe = resolveCorpusRecipe(options);
  const parallel = options.parallel ?? Math.min(2, availableParallelism());
  if (!Number.isInteger(parallel) || parallel < 1) throw new Error(`corpus: parallel must be a positive integer, got ${parallel}`);
  if (!options.force) {
    const existing = reuseExisting(outDir, recipe);
    if (existing) return existing;
  }
  mkdirSync(outDir, { recursive: true });
  // Two builds into one folder (two test runs, a test run and `npm start`) must not interleave:
  // one would delete what the other is writing. The second waits, then usually reuses the corpus.
  return withFileLock(join(outDir, CORPUS_LOCK), async () => {
    // Another build may have finished this very corpus while we waited for the lock.
    if (!options.force) {
      const existing = reuseExisting(outDir, recipe);
      if (existing) return existing;
    }
    return build(outDir, recipe, parallel);
  });
}

function reuseExisting(outDir: string, recipe: CorpusRecipe): CorpusBuildResult | undefined {
  const existing = existingCorpus(outDir, recipe);
  if (!existing) return undefined;
  const { record, rows } = existing;
  return {
    ...summarizeCorpus(rows, outDir),
    outDir,
    manifestPath: join(outDir, CORPUS_FILES.manifest),
    reused: true,
    buildSeconds: record.buildSeconds,
    recipe,
    adjustments: record.adjustments,
  };
}

async function build(outDir: string, recipe: CorpusRecipe, parallel: number): Promise<CorpusBuildResult> {
  const manifestPath = join(outDir, CORPUS_FILES.manifest);
  const started = performance.now();
  clearPreviousBuild(outDir);
  mkdirSync(join(outDir, CORPUS_FILES.wavDir), { recursive: true });
  const shards = planCorpus(recipe);
  // Every number goes through the variant checks before any process starts.
  for (const plan of shards.flat()) {
    espeakVariant(plan.voice);
    espeakRate(plan.voice);
  }
  const progress = createProgress({ label: 'corpus', total: shards.reduce((n, shard) => n + shard.length, 0) });
  let results: ShardResult[];
  try {
    results = await mapPool(shards, parallel, (_, index) => runShardProcess({ recipe, index, outDir }, (file) => progress.tick(1, file)));
  } finally {
    progress.stop();
  }
  const rows = results.flatMap((r) => r.rows);
  const adjustments: ClipAdjustments = { faster: 0, padded: 0, limited: 0 };
  for (const { adjustments: shard } of results) {
    adjustments.faster += shard.faster;
    adjustments.padded += shard.padded;
    adjustments.limited += shard.limited;
  }
  const manifest = formatManifest(rows);
  writeFileAtomic(manifestPath, manifest);
  // Summarise what a reader of the manifest will see (rounded values), as a reuse would.
  const summary = summarizeCorpus(parseManifest(manifest, manifestPath), outDir);
  const buildSeconds = (performance.now() - started) / 1000;
  const record: CorpusRecord = {
    recipe,
    versions: { 'ttt-speech': packageVersion(), [ESPEAK_PACKAGE]: recipe.espeakVersion, node: process.versions.node },
    counts: { clips: summary.clips, taskSpeakers: summary.speakers.task, babbleSpeakers: summary.speakers.babble, poolSpeakers: summary.speakers.pool },
    adjustments,
    buildSeconds: Number(buildSeconds.toFixed(2)),
    builtAt: new Date().toISOString(),
    manifestSha256: sha256(manifest),
  };
  writeJsonAtomic(join(outDir, CORPUS_FILES.record), record);
  return { ...summary, outDir, manifestPath, reused: false, buildSeconds: record.buildSeconds, recipe, adjustments };
}
