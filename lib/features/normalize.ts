/**
 * Fixed-length, normalised fbanks as AudioMAE feeds them to the encoder: pad with zeros or crop
 * to a target number of frames, then (x − mean) / (2·std) with dataset-level scalar statistics.
 *
 * Order matters and follows AudioMAE: padding happens on the raw log-mel fbank, before
 * normalisation, so padded frames hold 0 (= log 1) and become (0 − mean) / (2·std) after
 * normalising, exactly as in a model trained with AudioMAE's data loader.
 */
import * as tf from '@tensorflow/tfjs';

/** Where {@link padOrCrop} adds or removes frames. */
export type PadCropMode = 'end' | 'center';

/**
 * What padded frames hold. `zero` is AudioMAE's (0 = log 1 on the raw fbank, which normalises to a
 * value brighter than almost all speech: an easy block that dilutes the MAE loss of short clips);
 * `floor` repeats the clip's own quiet level, its 1st percentile, so padding looks like the pause
 * that ends the clip.
 */
export type PadValue = 'zero' | 'floor';

/** Fraction of a clip's fbank values below its `floor` padding level. */
export const FLOOR_PAD_QUANTILE = 0.01;

/** The `floor` padding level of a raw fbank: its {@link FLOOR_PAD_QUANTILE} quantile. */
export function floorLevel(fb: tf.Tensor2D): number {
  const values = Float32Array.from(fb.dataSync()).sort();
  if (values.length === 0) throw new Error('floorLevel: the fbank has no values');
  return values[Math.min(values.length - 1, Math.floor(FLOOR_PAD_QUANTILE * values.length))];
}

/** Dataset-level scalar statistics of log-mel values. */
export interface NormStats {
  /** Mean of every fbank value in the dataset. */
  mean: number;
  /** Standard deviation of every fbank value in the dataset (population form, divides by N). */
  std: number;
}

/**
 * AudioSet statistics that AudioMAE (after AST) uses with the default fbank: a checkpoint
 * trained with them expects inputs normalised with them.
 */
export const AUDIOSET_NORM_STATS: Readonly<NormStats> = Object.freeze({ mean: -4.2677393, std: 4.5689974 });

/** Options of {@link normalizeFbank}. */
export interface NormalizeOptions {
  /**
   * The divisor is `stdScale · std`. AudioMAE uses 2, which maps the data to a standard
   * deviation of about 0.5. Default 2.
   */
  stdScale?: number;
}

/**
 * Pads (with `value`: zero frames by default, see {@link PadValue}) or crops `fb` ([frames, bins]) to `targetFrames`, returning a new tensor
 * (the input is left as it is and still owned by the caller). `'end'` (AudioMAE's choice) pads
 * after the last frame and crops the tail; `'center'` splits the padding or the crop between
 * both ends, the odd frame going to the end. Pad the raw fbank, then normalise (see the file note).
 */
export function padOrCrop(fb: tf.Tensor2D, targetFrames: number, mode: PadCropMode = 'end', value: PadValue = 'zero'): tf.Tensor2D {
  if (!Number.isInteger(targetFrames) || targetFrames < 1) throw new Error(`padOrCrop: targetFrames must be a positive integer, got ${targetFrames}`);
  if (mode !== 'end' && mode !== 'center') throw new Error(`padOrCrop: mode must be 'end' or 'center', got '${String(mode)}'`);
  if (value !== 'zero' && value !== 'floor') throw new Error(`padOrCrop: value must be 'zero' or 'floor', got '${String(value)}'`);
  const [frames, bins] = fb.shape;
  const difference = targetFrames - frames;
  const before = mode === 'center' ? Math.floor(Math.abs(difference) / 2) : 0;
  return tf.tidy(() => {
    if (difference === 0) return tf.clone(fb);
    if (difference > 0) return tf.pad(fb, [[before, difference - before], [0, 0]], value === 'floor' ? floorLevel(fb) : 0);
    return tf.slice(fb, [before, 0], [targetFrames, bins]);
  });
}

/**
 * Scalar mean and standard deviation over every value of every fbank, each frame weighing the
 * same (a long clip counts more than a short one). Sums run in float64 in JavaScript: float32
 * accumulation over millions of values would drift. AST's statistics script instead averaged
 * per-clip means and per-clip standard deviations; with clips of equal length the means agree,
 * the standard deviations differ by the spread of clip means.
 */
export function computeNormStats(fbanks: tf.Tensor2D[]): NormStats {
  if (fbanks.length === 0) throw new Error('computeNormStats: no fbanks given');
  let count = 0;
  let sum = 0;
  for (const fb of fbanks) {
    const values = fb.dataSync();
    for (let i = 0; i < values.length; i++) sum += values[i];
    count += values.length;
  }
  if (count === 0) throw new Error('computeNormStats: the fbanks hold no values');
  const mean = sum / count;
  // A second pass around the mean avoids the cancellation of E[x²] − E[x]².
  let squares = 0;
  for (const fb of fbanks) {
    const values = fb.dataSync();
    for (let i = 0; i < values.length; i++) squares += (values[i] - mean) ** 2;
  }
  const std = Math.sqrt(squares / count);
  if (!Number.isFinite(mean) || !Number.isFinite(std)) throw new Error(`computeNormStats: non-finite statistics (mean ${mean}, std ${std})`);
  return { mean, std };
}

/** (fb − mean) / (stdScale · std), AudioMAE's normalisation; returns a new tensor. */
export function normalizeFbank(fb: tf.Tensor2D, stats: NormStats, options: NormalizeOptions = {}): tf.Tensor2D {
  const stdScale = options.stdScale ?? 2;
  if (!(stats.std > 0) || !Number.isFinite(stats.mean)) throw new Error(`normalizeFbank: need a finite mean and std > 0, got mean ${stats.mean}, std ${stats.std}`);
  if (!(stdScale > 0)) throw new Error(`normalizeFbank: stdScale must be positive, got ${stdScale}`);
  return tf.tidy(() => tf.div(tf.sub(fb, stats.mean), stats.std * stdScale));
}
