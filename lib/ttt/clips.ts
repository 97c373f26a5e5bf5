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

/** Loads and prepares the clips a spec selects; ids are the manifest paths. */
export async function loadTestClips(spec: ManifestClipSpec): Promise<TttClip[]> {
  const root = dirname(spec.manifest);
  const all = readManifest(spec.manifest);
  const rows = all.filter(spec.filter ?? ((row) => row.role === 'task'));
  if (rows.length === 0) throw new Error(`no clips of ${spec.manifest} pass the filter`);
  const labelOf = spec.labelOf ?? ((row: ManifestRow) => row.label);
  const resolvePath = (path: string) => (isAbsolute(path) ? path : join(root, path));
  const talkers =
    spec.noise?.type === 'babble'
      ? await Promise.all(all.filter((row) => row.role === 'babble').map(async (row) => (await loadClip(resolvePath(row.path))).samples))
      : undefined;
  if (talkers && talkers.length === 0) throw new Error(`babble noise needs babble-speaker clips; ${spec.manifest} has none`);
  const samples: Float32Array[] = [];
  const labels: number[] = [];
  for (const row of rows) {
    const label = spec.labels.indexOf(labelOf(row));
    if (label < 0) throw new Error(`${row.path}: label '${labelOf(row)}' is not one of ${spec.labels.join(', ')}`);
    let clip = await loadClip(resolvePath(row.path));
    if (spec.noise) {
      clip = addNoise(clip, { type: spec.noise.type, snrDb: spec.noise.snrDb, seed: deriveSeed(spec.noise.seed ?? 0, row.path), babbleTalkers: talkers });
    }
    samples.push(clip.samples);
    labels.push(label);
  }
  const paths = rows.map((row) => row.path);
  const inputs = modelInputs(samples, spec.recipe, spec.normStats, spec.inputFrames, paths);
  return rows.map((row, i) => ({ id: row.path, fbank: inputs[i], label: labels[i] }));
}
