/**
 * Training inputs: normalised fbanks, each `[frames, mels]` as a tensor or a row-major
 * Float32Array, copied once into one contiguous store from which batches are cut.
 */
import * as tf from '@tensorflow/tfjs';
import { createRng, deriveSeed, shuffled, type Rng } from '../util/index.js';

/** One normalised fbank `[frames, mels]`: a tensor, or its values in row-major order. */
export type FbankInput = tf.Tensor2D | Float32Array;

/** A fixed set of equally shaped fbanks that hands out batches `[B, frames, mels]`. */
export class FbankStore {
  /** Number of fbanks. */
  readonly size: number;
  private readonly values: Float32Array;
  private readonly clipSize: number;

  /** Copies `clips` (each exactly `frames × mels`, already padded or cropped) into the store. */
  constructor(clips: readonly FbankInput[], readonly frames: number, readonly mels: number) {
    this.size = clips.length;
    this.clipSize = frames * mels;
    this.values = new Float32Array(this.size * this.clipSize);
    clips.forEach((clip, i) => {
      if (clip instanceof Float32Array) {
        if (clip.length !== this.clipSize) {
          throw new Error(`clip ${i} has ${clip.length} values; the model takes ${frames} frames × ${mels} mel bins = ${this.clipSize}`);
        }
        this.values.set(clip, i * this.clipSize);
      } else {
        if (clip.rank !== 2 || clip.shape[0] !== frames || clip.shape[1] !== mels) {
          throw new Error(`clip ${i} has shape [${clip.shape}]; the model takes [${frames}, ${mels}] (pad or crop first)`);
        }
        this.values.set(clip.dataSync() as Float32Array, i * this.clipSize);
      }
    });
  }

  /** The fbanks at `indices` as one tensor `[B, frames, mels]` (the caller disposes it). */
  batch(indices: readonly number[]): tf.Tensor3D {
    const out = new Float32Array(indices.length * this.clipSize);
    indices.forEach((index, row) => out.set(this.values.subarray(index * this.clipSize, (index + 1) * this.clipSize), row * this.clipSize));
    return tf.tensor3d(out, [indices.length, this.frames, this.mels]);
  }
}

/** One normalised fbank at its own length and the value that pads it past its end. */
export interface CroppableFbank {
  /** Values `[frames, mels]` in row-major order. */
  values: Float32Array;
  /** Frames of the clip (at least 1). */
  frames: number;
  /** What fills a window that runs past the clip's end. */
  padValue: number;
}

/**
 * Fbanks of any length that hand out random windows of `frames`: a clip longer than the
 * window is cut at a uniformly drawn start, a shorter one starts at 0 and is padded with its
 * own `padValue` (so a short clip looks as it does at test time). Each pass over the data thus
 * shows a different part of every long clip: with 2.56 s windows and 3–6 s clips, half the
 * audio would otherwise never be seen in pre-training.
 */
export class CropStore {
  /** Number of fbanks. */
  readonly size: number;

  constructor(private readonly clips: readonly CroppableFbank[], readonly frames: number, readonly mels: number) {
    this.size = clips.length;
    clips.forEach((clip, i) => {
      if (!Number.isInteger(clip.frames) || clip.frames < 1 || clip.values.length !== clip.frames * mels) {
        throw new Error(`clip ${i} has ${clip.values.length} values for ${clip.frames} frames; the model takes ${mels} mel bins per frame`);
      }
      if (!Number.isFinite(clip.padValue)) throw new Error(`clip ${i} has a non-finite padding value ${clip.padValue}`);
    });
  }

  /** The start frame of each window: uniform over every start that keeps the window inside the clip. */
  starts(indices: readonly number[], rng: Rng): number[] {
    return indices.map((index) => Math.floor(rng() * (Math.max(0, this.clips[index].frames - this.frames) + 1)));
  }

  /** Windows of the fbanks at `indices` from `starts`, as one tensor `[B, frames, mels]` (the caller disposes it). */
  batch(indices: readonly number[], starts: readonly number[]): tf.Tensor3D {
    const size = this.frames * this.mels;
    const out = new Float32Array(indices.length * size);
    indices.forEach((index, row) => {
      const clip = this.clips[index];
      const from = starts[row] * this.mels;
      const copied = Math.min(this.frames, clip.frames - starts[row]) * this.mels;
      out.set(clip.values.subarray(from, from + copied), row * size);
      out.fill(clip.padValue, row * size + copied, (row + 1) * size);
    });
    return tf.tensor3d(out, [indices.length, this.frames, this.mels]);
  }
}

/**
 * The batches of one epoch: a seeded shuffle of `0 … size-1` cut into batches of
 * `batchSize`; with `dropLast` an incomplete last batch is left out (every step then has the
 * same batch size), otherwise it is kept.
 */
export function epochBatches(size: number, batchSize: number, seed: number, epoch: number, dropLast: boolean): number[][] {
  const order = shuffled(createRng(deriveSeed(seed, `epoch:${epoch}`)), Array.from({ length: size }, (_, i) => i));
  const batches: number[][] = [];
  for (let start = 0; start < size; start += batchSize) {
    const batch = order.slice(start, start + batchSize);
    if (batch.length < batchSize && dropLast && batches.length > 0) break;
    batches.push(batch);
  }
  return batches;
}
