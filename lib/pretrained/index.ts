/**
 * A pre-trained model and the way clips become its inputs, in one place. A checkpoint records
 * the feature recipe and normalisation statistics it was trained with; every caller that goes
 * from a checkpoint and manifest rows to model inputs (the experiment runner, the CLI, the
 * notebooks, the tests of the shipped model) goes through {@link loadPretrained}, so each of
 * them replays that recipe and none can drift from the others.
 * @packageDocumentation
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadClip, type Clip } from '../audio/index.js';
import { withSyncReads } from '../backend/index.js';
import { resolveClipPath } from '../data/index.js';
import { modelInputs, type FeatureRecipe, type NormStats } from '../features/index.js';
import { disposeModel, loadCheckpoint, type CheckpointConfig, type MaeModel } from '../model/index.js';
import { packageRoot } from '../util/index.js';

/** The checkpoint the kit ships (a tiny MAE pre-trained on the offline corpus). */
export const SHIPPED_CHECKPOINT = 'models/mae-tiny';

/** Anything with a clip path: a row of a manifest (lib/data or the offline corpus), absolute or relative. */
export interface ClipRow {
  path: string;
}

/** Options of {@link Pretrained.inputsOf}. */
export interface InputsOptions {
  /** Folder that relative paths start from (a manifest's folder). */
  root: string;
  /**
   * Changes each loaded clip before its features are made (a test condition such as added
   * noise); gets the row so that what it draws can be seeded by the clip's path. May be async
   * (noise drawn from files is read as it is drawn).
   */
  transform?: (clip: Clip, row: ClipRow) => Clip | Promise<Clip>;
}

/** A loaded checkpoint with its input recipe (see {@link loadPretrained}). */
export interface Pretrained {
  /** The checkpoint folder, absolute. */
  readonly dir: string;
  readonly model: MaeModel;
  /** How the model's inputs were made in pre-training. */
  readonly recipe: FeatureRecipe;
  /** The dataset statistics its inputs were normalised with. */
  readonly normStats: NormStats;
  /** The checkpoint's `config.json` as read (model, features, statistics, what training recorded). */
  readonly config: CheckpointConfig<FeatureRecipe, NormStats>;
  /** Model inputs `[inputFrames, melBins]` (row-major) of waveforms; `sources` name them in errors. */
  inputsOfSamples(samples: readonly Float32Array[], sources?: readonly string[]): Float32Array[];
  /** Loads the rows' clips, applies `transform`, and returns their model inputs in row order. */
  inputsOf(rows: readonly ClipRow[], options: InputsOptions): Promise<Float32Array[]>;
  /** Frees the model's tensors. */
  dispose(): void;
}

/**
 * Where a checkpoint named by a config or a flag is: the path as given when it exists, else the
 * same path inside the package (so `models/mae-tiny` is found from any working folder, e.g. a
 * notebook's).
 */
export function resolveCheckpointDir(path: string): string {
  if (isAbsolute(path) || existsSync(path)) return resolve(path);
  const inPackage = join(packageRoot(), path);
  return existsSync(inPackage) ? inPackage : resolve(path);
}

/** Loads a rows' clip from `root` (absolute paths as they are). */
export function loadRowClip(row: ClipRow, root: string): Promise<Clip> {
  return loadClip(resolveClipPath(row, root));
}

/**
 * Loads a pre-trained checkpoint with the recipe of its inputs. Fails, naming the folder, when
 * the checkpoint does not record a feature recipe and normalisation statistics (without them
 * nothing can make inputs the model was trained on). The caller disposes the result.
 */
export function loadPretrained(path: string = SHIPPED_CHECKPOINT): Pretrained {
  const dir = resolveCheckpointDir(path);
  const { model, config, tensors } = loadCheckpoint<FeatureRecipe, NormStats>(dir);
  tf.dispose([...tensors.values()]);
  const { features: recipe, normStats } = config;
  if (!recipe || !normStats) {
    disposeModel(model);
    throw new Error(`${dir}: the checkpoint records no feature recipe or normalisation statistics, so no inputs can be made for it`);
  }
  const inputsOfSamples = (samples: readonly Float32Array[], sources?: readonly string[]) =>
    modelInputs(samples, recipe, normStats, model.config.inputFrames, sources);
  return {
    dir,
    model,
    recipe,
    normStats,
    config,
    inputsOfSamples,
    async inputsOf(rows, { root, transform }) {
      const samples: Float32Array[] = [];
      for (const row of rows) {
        const clip = await loadRowClip(row, root);
        samples.push((transform ? await transform(clip, row) : clip).samples);
      }
      // The feature pipeline reads tensors synchronously: on webgpu it runs on wasm, before GPU work.
      return withSyncReads(() => inputsOfSamples(samples, rows.map((row) => row.path)));
    },
    dispose: () => disposeModel(model),
  };
}
