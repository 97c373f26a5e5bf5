/**
 * Test clips from a manifest: load each file, optionally add noise at an SNR, and turn it
 * into a model input with the recipe the model was trained with (fbank, pad or crop,
 * normalise with the training statistics). The result is what every TTT runner takes.
 */
import { dirname, isAbsolute, join } from 'node:path';
import { addNoise, loadClip, type NoiseType } from '../audio/index.js';
import { readManifest, type ManifestRow } from '../corpus/index.js';
import { modelInputs, type FeatureRecipe, type NormStats } from '../features/index.js';
import { deriveSeed } from '../util/index.js';
import type { TttClip } from './types.js';

/** Noise added to every test clip. */
export interface NoiseCondition {
  type: NoiseType | 'babble';
  /** SNR on active speech, dB. */
  snrDb: number;
  /** Seeds the noise; each clip draws from `deriveSeed(seed, path)`. Default 0. */
  seed?: number;
}

/** The name of a condition in results: `clean`, or `noise:<type>@<snr>dB`. */
export function conditionName(noise?: NoiseCondition): string {
  return noise ? `noise:${noise.type}@${noise.snrDb}dB` : 'clean';
}

/** Parses `white@0`, `babble@5dB`, `pink@-5` (type, then the SNR in dB) into a condition. */
export function parseNoiseCondition(text: string, seed = 0): NoiseCondition {
  const match = /^(white|pink|brown|babble)@(-?\d+(?:\.\d+)?)(?:dB)?$/i.exec(text.trim());
  if (!match) throw new Error(`noise '${text}': expected <white|pink|brown|babble>@<SNR dB>, e.g. white@0`);
  return { type: match[1].toLowerCase() as NoiseCondition['type'], snrDb: Number(match[2]), seed };
}

/** Which clips of a manifest to test on, and how. */
export interface ManifestClipSpec {
  /** Path of a manifest in the offline corpus format; clip paths are relative to its folder. */
  manifest: string;
  /** Class names in the order of the head's outputs. */
  labels: readonly string[];
  /** A row's class name; default its `label` column (the speaking style). */
  labelOf?: (row: ManifestRow) => string;
  /** Default: every `task` row. */
  filter?: (row: ManifestRow) => boolean;
  /** How the model's inputs were made in training (stored with its checkpoint). */
  recipe: FeatureRecipe;
  normStats: NormStats;
  /** Frames of the model input. */
  inputFrames: number;
  noise?: NoiseCondition;
}

/** How {@link prepareTestClips} turns rows into model inputs. */
export interface PrepareClipsOptions {
  /** Folder that relative clip paths start from (the manifest's folder). */
  root: string;
  /** Class index of each row (its position in the head's outputs). */
  classOf: (row: { path: string }, index: number) => number;
  recipe: FeatureRecipe;
  normStats: NormStats;
  inputFrames: number;
  noise?: NoiseCondition;
  /** Clips of talkers never tested, for babble noise. */
  babbleTalkers?: readonly Float32Array[];
}

/**
 * Loads rows' clips, adds the noise (each clip's from `deriveSeed(noise.seed, path)`, so a
 * clip gets the same noise whichever run or set it is in) and makes model inputs; ids are the
 * rows' paths. Every way of testing clips (manifest specs, experiment shifts) goes through here.
 */
export async function prepareTestClips(rows: readonly { path: string }[], options: PrepareClipsOptions): Promise<TttClip[]> {
  const { noise, babbleTalkers } = options;
  if (noise?.type === 'babble' && (!babbleTalkers || babbleTalkers.length === 0)) {
    throw new Error('babble noise needs clips of talkers who are never tested (babbleTalkers)');
  }
  const resolvePath = (path: string) => (isAbsolute(path) ? path : join(options.root, path));
  const samples: Float32Array[] = [];
  for (const row of rows) {
    let clip = await loadClip(resolvePath(row.path));
    if (noise) clip = addNoise(clip, { type: noise.type, snrDb: noise.snrDb, seed: deriveSeed(noise.seed ?? 0, row.path), babbleTalkers: babbleTalkers as Float32Array[] | undefined });
    samples.push(clip.samples);
  }
  const inputs = modelInputs(samples, options.recipe, options.normStats, options.inputFrames, rows.map((row) => row.path));
  return rows.map((row, i) => ({ id: row.path, fbank: inputs[i], label: options.classOf(row, i) }));
}

/** Loads and prepares the clips a spec selects; ids are the manifest paths. */
export async function loadTestClips(spec: ManifestClipSpec): Promise<TttClip[]> {
  const root = dirname(spec.manifest);
  const all = readManifest(spec.manifest);
  const rows = all.filter(spec.filter ?? ((row) => row.role === 'task'));
  if (rows.length === 0) throw new Error(`no clips of ${spec.manifest} pass the filter`);
  const labelOf = spec.labelOf ?? ((row: ManifestRow) => row.label);
  const labels = rows.map((row) => {
    const label = spec.labels.indexOf(labelOf(row));
    if (label < 0) throw new Error(`${row.path}: label '${labelOf(row)}' is not one of ${spec.labels.join(', ')}`);
    return label;
  });
  const babbleRows = spec.noise?.type === 'babble' ? all.filter((row) => row.role === 'babble') : [];
  if (spec.noise?.type === 'babble' && babbleRows.length === 0) throw new Error(`babble noise needs babble-speaker clips; ${spec.manifest} has none`);
  const babbleTalkers = await Promise.all(babbleRows.map(async (row) => (await loadClip(isAbsolute(row.path) ? row.path : join(root, row.path))).samples));
  return prepareTestClips(rows, { root, classOf: (_, i) => labels[i], recipe: spec.recipe, normStats: spec.normStats, inputFrames: spec.inputFrames, noise: spec.noise, babbleTalkers });
}
