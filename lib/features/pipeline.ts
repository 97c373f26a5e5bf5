/**
 * From clip to model input in one place: fbank → pad or crop to the model's frames →
 * normalise with dataset statistics. Pre-training records these settings in its checkpoint,
 * and head training, test-time training and the notebooks replay them from there, so every
 * stage sees inputs made the same way.
 */
import * as tf from '@tensorflow/tfjs';
import { fbank, fbankBatch } from './fbank.js';
import { computeNormStats, floorLevel, normalizeFbank, padOrCrop, type NormStats, type PadCropMode, type PadValue } from './normalize.js';
import type { FbankOptions } from './options.js';

/** How clips become model inputs (stored under `features` in a checkpoint). */
export interface FeatureRecipe {
  /** Fbank options as resolved (without a per-clip `source` name). */
  fbank: Omit<FbankOptions, 'source'>;
  /** Where frames are added or removed to reach the model's input length. */
  padMode: PadCropMode;
  /** What padded frames hold; absent in checkpoints made before it existed, which padded with `zero`. */
  padValue?: PadValue;
  /** Normalisation divisor as a multiple of the dataset standard deviation (AudioMAE: 2). */
  stdScale: number;
}

// Clips per fbankBatch call: large enough for one big matrix product, small enough that the
// raw fbanks of a chunk stay a few MB.
const CHUNK = 32;

/**
 * Raw fbanks of many clips, computed in batches. The caller owns (and disposes) the tensors.
 * `sources` name the clips in error messages.
 */
export function rawFbanks(clips: readonly Float32Array[], recipe: FeatureRecipe, sources?: readonly string[]): tf.Tensor2D[] {
  const out: tf.Tensor2D[] = [];
  try {
    for (let start = 0; start < clips.length; start += CHUNK) {
      const chunk = clips.slice(start, start + CHUNK) as Float32Array[];
      try {
        out.push(...fbankBatch(chunk, recipe.fbank));
      } catch (err) {
        // A batch error names only an index: redo the chunk clip by clip so the error names the file.
        if (sources) chunk.forEach((clip, i) => fbank(clip, { ...recipe.fbank, source: sources[start + i] }).dispose());
        throw err;
      }
    }
    return out;
  } catch (err) {
    tf.dispose(out);
    throw err;
  }
}

/** Dataset statistics over the raw fbanks of `clips` (what pre-training stores with its checkpoint). */
export function datasetNormStats(clips: readonly Float32Array[], recipe: FeatureRecipe): NormStats {
  const raw = rawFbanks(clips, recipe);
  try {
    return computeNormStats(raw);
  } finally {
    tf.dispose(raw);
  }
}

/**
 * Model inputs `[frames, melBins]` (row-major Float32Arrays) for many clips: fbank, pad or
 * crop to `frames`, normalise with `normStats`.
 */
export function modelInputs(
  clips: readonly Float32Array[],
  recipe: FeatureRecipe,
  normStats: NormStats,
  frames: number,
  sources?: readonly string[],
): Float32Array[] {
  const raw = rawFbanks(clips, recipe, sources);
  try {
    return raw.map((fb) =>
      tf.tidy(() => normalizeFbank(padOrCrop(fb, frames, recipe.padMode, recipe.padValue ?? 'zero'), normStats, { stdScale: recipe.stdScale }).dataSync() as Float32Array),
    );
  } finally {
    tf.dispose(raw);
  }
}

/** A normalised fbank at its own length, with the value that pads it (see {@link normalizedFbanks}). */
export interface LongFbank {
  /** Normalised values `[frames, melBins]` in row-major order. */
  values: Float32Array;
  /** Frames of the whole clip. */
  frames: number;
  /** The normalised padding value the recipe gives this clip (its floor, or normalised zero). */
  padValue: number;
}

/**
 * Normalised fbanks of many clips at their full length, for training that cuts its own
 * windows (random crops); a window that runs past a clip's end is filled with `padValue`,
 * the value {@link modelInputs} would pad that clip with.
 */
export function normalizedFbanks(
  clips: readonly Float32Array[],
  recipe: FeatureRecipe,
  normStats: NormStats,
  sources?: readonly string[],
): LongFbank[] {
  const raw = rawFbanks(clips, recipe, sources);
  const scale = normStats.std * recipe.stdScale;
  try {
    return raw.map((fb) => {
      const level = (recipe.padValue ?? 'zero') === 'floor' ? floorLevel(fb) : 0;
      const values = tf.tidy(() => normalizeFbank(fb, normStats, { stdScale: recipe.stdScale }).dataSync() as Float32Array);
      return { values, frames: fb.shape[0], padValue: (level - normStats.mean) / scale };
    });
  } finally {
    tf.dispose(raw);
  }
}
