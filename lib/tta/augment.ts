/**
 * Seeded augmentations of normalised log-mel spectrograms, shared by MEMO (the copies whose
 * marginal prediction it sharpens) and CoTTA (the copies its teacher averages). They stand in
 * for the image augmentations of those papers (AugMix; flips, crops and colour jitter), with
 * the same intent: label-preserving changes a speech clip meets in the wild.
 *
 * Each copy draws, in this order: a time mask and a frequency mask (SpecAugment, filled with
 * 0, the corpus mean of a normalised fbank), a circular time shift, a gain (a constant added
 * to every normalised log-mel value, i.e. a level change) and mild Gaussian noise.
 */
import * as tf from '@tensorflow/tfjs';
import { createRng, deriveSeed, gaussian, type Rng } from '../util/index.js';

/** How strong each augmentation may be; every draw is uniform up to its bound. */
export interface SpectrogramAugmentOptions {
  /** Widest time mask as a fraction of the frames; default 0.1. */
  timeMask: number;
  /** Widest frequency mask as a fraction of the mel bins; default 0.1. */
  frequencyMask: number;
  /** Largest circular time shift as a fraction of the frames, either way; default 0.05. */
  timeShift: number;
  /** Largest level change in normalised units, either way; default 0.1. */
  gain: number;
  /** Standard deviation of the added noise in normalised units; default 0.05. */
  noise: number;
}

/** The default strengths: mild enough that a clean clip keeps its class. */
export const DEFAULT_AUGMENT: Readonly<SpectrogramAugmentOptions> = Object.freeze({ timeMask: 0.1, frequencyMask: 0.1, timeShift: 0.05, gain: 0.1, noise: 0.05 });

/** Checks the strengths, naming a bad one. */
export function validateAugment(options: SpectrogramAugmentOptions): void {
  for (const key of ['timeMask', 'frequencyMask', 'timeShift'] as const) {
    if (!(options[key] >= 0 && options[key] < 1)) throw new Error(`augment.${key} must be in [0, 1), got ${options[key]}`);
  }
  for (const key of ['gain', 'noise'] as const) {
    if (!(options[key] >= 0 && Number.isFinite(options[key]))) throw new Error(`augment.${key} must be a finite number ≥ 0, got ${options[key]}`);
  }
}

/** One augmented copy of a `[frames, mels]` fbank (row-major) written into `out`. */
function augmentOne(source: Float32Array, out: Float32Array, frames: number, mels: number, options: SpectrogramAugmentOptions, rng: Rng): void {
  const shift = Math.round((2 * rng() - 1) * options.timeShift * frames);
  for (let t = 0; t < frames; t++) {
    const from = (((t - shift) % frames) + frames) % frames;
    out.set(source.subarray(from * mels, (from + 1) * mels), t * mels);
  }
  const timeWidth = Math.floor(rng() * (options.timeMask * frames + 1));
  const timeStart = Math.floor(rng() * (frames - timeWidth + 1));
  out.fill(0, timeStart * mels, (timeStart + timeWidth) * mels);
  const freqWidth = Math.floor(rng() * (options.frequencyMask * mels + 1));
  const freqStart = Math.floor(rng() * (mels - freqWidth + 1));
  for (let t = 0; t < frames; t++) out.fill(0, t * mels + freqStart, t * mels + freqStart + freqWidth);
  const gain = (2 * rng() - 1) * options.gain;
  for (let i = 0; i < out.length; i++) out[i] += gain + (options.noise > 0 ? gaussian(rng, 0, options.noise) : 0);
}

/**
 * `copies` augmented copies of each fbank of `fbanks` `[B, frames, mels]`, seeded by
 * `(seed, key)`: `[B·copies, frames, mels]`, the copies of clip b at rows `b·copies …`.
 * The same seed and key give the same copies.
 */
export function augmentFbanks(fbanks: tf.Tensor3D, copies: number, seed: number, key: string, options: SpectrogramAugmentOptions = DEFAULT_AUGMENT): tf.Tensor3D {
  if (!Number.isInteger(copies) || copies < 1) throw new Error(`augmentations must be a positive integer, got ${copies}`);
  validateAugment(options);
  const [batch, frames, mels] = fbanks.shape;
  const values = fbanks.dataSync() as Float32Array;
  const size = frames * mels;
  const out = new Float32Array(batch * copies * size);
  const rng = createRng(deriveSeed(seed, `augment:${key}`));
  for (let b = 0; b < batch; b++) {
    const source = values.subarray(b * size, (b + 1) * size);
    for (let c = 0; c < copies; c++) augmentOne(source, out.subarray((b * copies + c) * size, (b * copies + c + 1) * size), frames, mels, options, rng);
  }
  return tf.tensor3d(out, [batch * copies, frames, mels]);
}
