/**
 * Assignment 1: from a log-mel spectrogram to the tokens a masked autoencoder sees.
 *
 * Complete every function below where it says YOUR CODE HERE; the notebook
 * a1-spectrograms.ipynb imports this file and checks each function against the library.
 * Only `@tensorflow/tfjs` may be imported here: the point is to write these yourself.
 */
import * as tf from '@tensorflow/tfjs';

/** Hz to mel on Kaldi's natural-log scale: 1127 · ln(1 + f / 700). */
export function melScale(hz: number): number {
  return 1127 * Math.log(1 + hz / 700);
}

/**
 * Q1. Kaldi's mel filterbank as a dense matrix, row-major `[fftSize / 2, melBins]`.
 *
 * Filter `m` (0-based) is a triangle on the mel axis with edges at
 * `melLow + m·Δ`, `melLow + (m+1)·Δ`, `melLow + (m+2)·Δ`, where
 * `melLow = melScale(lowHz)` and `Δ = (melScale(highHz) − melLow) / (melBins + 1)`.
 * DFT bin `k` sits at `k · sampleRate / fftSize` Hz; its weight in filter `m` is the triangle's
 * height at the bin's mel value (0 outside the triangle). Bins `0 … fftSize/2 − 1` get weights.
 */
export function melFilterbank(melBins: number, fftSize: number, sampleRate: number, lowHz: number, highHz: number): Float64Array {
  // BEGIN SOLUTION
  const bins = fftSize / 2;
  const melLow = melScale(lowHz);
  const delta = (melScale(highHz) - melLow) / (melBins + 1);
  const weights = new Float64Array(bins * melBins);
  for (let k = 0; k < bins; k++) {
    const mel = melScale((k * sampleRate) / fftSize);
    for (let m = 0; m < melBins; m++) {
      const left = melLow + m * delta;
      const centre = left + delta;
      const right = centre + delta;
      const rising = (mel - left) / (centre - left);
      const falling = (right - mel) / (right - centre);
      weights[k * melBins + m] = Math.max(0, Math.min(rising, falling));
    }
  }
  return weights;
  // END SOLUTION
}

/**
 * Q2. Cuts a batch of fbanks into `p × p` patch tokens: `[B, frames, mels] -> [B, N, p²]`.
 * Tokens run in time-major order (token `t · (mels/p) + f` covers frames `t·p … t·p+p−1` and
 * mel bins `f·p … f·p+p−1`); inside a token, values are frame-major (`i · p + j` is frame `i`,
 * mel `j` of the patch). Throw an Error when frames or mels is not a multiple of p.
 * Dispose every intermediate tensor (use tf.tidy).
 */
export function patchify(fbanks: tf.Tensor3D, patchSize: number): tf.Tensor3D {
  // BEGIN SOLUTION
  const [batch, frames, mels] = fbanks.shape;
  if (frames % patchSize !== 0 || mels % patchSize !== 0) {
    throw new Error(`patchify: ${frames} frames × ${mels} mel bins do not divide into ${patchSize}×${patchSize} patches`);
  }
  const timePatches = frames / patchSize;
  const freqPatches = mels / patchSize;
  return tf.tidy(() => {
    const tiles = tf.reshape(fbanks, [batch * timePatches, patchSize, freqPatches, patchSize]);
    const grouped = tf.transpose(tiles, [0, 2, 1, 3]);
    return tf.reshape(grouped, [batch, timePatches * freqPatches, patchSize * patchSize]);
  });
  // END SOLUTION
}

/**
 * Q3. The exact inverse of {@link patchify}: `[B, N, p²] -> [B, frames, mels]`.
 * Throw an Error when the tokens do not tile `frames × mels` with `p × p` patches.
 */
export function unpatchify(tokens: tf.Tensor3D, patchSize: number, frames: number, mels: number): tf.Tensor3D {
  // BEGIN SOLUTION
  const [batch, numPatches, patchDim] = tokens.shape;
  const timePatches = frames / patchSize;
  const freqPatches = mels / patchSize;
  if (!Number.isInteger(timePatches) || !Number.isInteger(freqPatches) || numPatches !== timePatches * freqPatches || patchDim !== patchSize * patchSize) {
    throw new Error(`unpatchify: tokens [${tokens.shape}] do not tile ${frames} × ${mels} with ${patchSize}×${patchSize} patches`);
  }
  return tf.tidy(() => {
    const grouped = tf.reshape(tokens, [batch * timePatches, freqPatches, patchSize, patchSize]);
    const tiles = tf.transpose(grouped, [0, 2, 1, 3]);
    return tf.reshape(tiles, [batch, frames, mels]);
  });
  // END SOLUTION
}

/** What {@link randomMask} returns for one sample. */
export interface SampleMask {
  /** Visible token indices, ascending. */
  idsKeep: number[];
  /** Hidden token indices, ascending. */
  idsMasked: number[];
  /** One entry per token: 1 hidden, 0 visible. */
  mask: Uint8Array;
}

/**
 * Q4. Seeded random masking of one sample's `numPatches` tokens at `ratio` in [0, 1).
 * Keep `max(1, round(numPatches · (1 − ratio)))` tokens, chosen by a partial Fisher–Yates
 * shuffle that calls `rng` exactly once per kept token: start from `pool = [0, 1, …, N−1]`; for
 * `i = 0 … keep−1` swap `pool[i]` with `pool[i + floor(rng() · (N − i))]`; the kept tokens are
 * `pool[0 … keep−1]`. Throw an Error for a ratio outside [0, 1).
 */
export function randomMask(numPatches: number, ratio: number, rng: () => number): SampleMask {
  // BEGIN SOLUTION
  if (!(ratio >= 0 && ratio < 1)) throw new Error(`mask ratio must be in [0, 1), got ${ratio}`);
  const keep = Math.max(1, Math.round(numPatches * (1 - ratio)));
  const pool = Array.from({ length: numPatches }, (_, i) => i);
  for (let i = 0; i < keep; i++) {
    const j = i + Math.floor(rng() * (numPatches - i));
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  const mask = new Uint8Array(numPatches).fill(1);
  for (const token of pool.slice(0, keep)) mask[token] = 0;
  const idsKeep: number[] = [];
  const idsMasked: number[] = [];
  mask.forEach((hidden, token) => (hidden ? idsMasked : idsKeep).push(token));
  return { idsKeep, idsMasked, mask };
  // END SOLUTION
}
