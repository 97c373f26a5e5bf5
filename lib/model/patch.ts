/**
 * Fbank ⇄ patch tokens. A fbank batch `[B, frames, mels]` is cut into `p × p` tiles; tokens
 * run in time-major order (token `t · freqPatches + f` is time column `t`, frequency row `f`),
 * and the values inside a patch are likewise frame-major (`i · p + j` is frame `i`, mel `j`).
 */
import * as tf from '@tensorflow/tfjs';

function checkDivisible(what: string, size: number, patchSize: number): void {
  if (!Number.isInteger(patchSize) || patchSize <= 0) throw new Error(`patchSize must be a positive integer, got ${patchSize}`);
  if (size % patchSize !== 0) throw new Error(`${what}=${size} is not a multiple of patchSize=${patchSize}`);
}

/**
 * Cuts fbanks into patch tokens (MAE `patchify`).
 * `[B, frames, mels] -> [B, N, p²]` with `N = (frames/p)·(mels/p)`.
 */
export function patchify(fbanks: tf.Tensor3D, patchSize: number): tf.Tensor3D {
  const [batch, frames, mels] = fbanks.shape;
  checkDivisible('frames', frames, patchSize);
  checkDivisible('mel bins', mels, patchSize);
  const timePatches = frames / patchSize;
  const freqPatches = mels / patchSize;
  return tf.tidy(() => {
    // Folding batch and time columns together keeps the permute at rank 4 (rank-5 transposes are slow on wasm).
    const tiles = tf.reshape(fbanks, [batch * timePatches, patchSize, freqPatches, patchSize]);
    const grouped = tf.transpose(tiles, [0, 2, 1, 3]); // [B·T, F, p, p]
    return tf.reshape(grouped, [batch, timePatches * freqPatches, patchSize * patchSize]);
  });
}

/**
 * Reassembles fbanks from patch tokens (MAE `unpatchify`); the exact inverse of {@link patchify}.
 * `[B, N, p²] -> [B, frames, mels]` for the given grid.
 */
export function unpatchify(tokens: tf.Tensor3D, patchSize: number, frames: number, mels: number): tf.Tensor3D {
  checkDivisible('frames', frames, patchSize);
  checkDivisible('mel bins', mels, patchSize);
  const [batch, numPatches, patchDim] = tokens.shape;
  const timePatches = frames / patchSize;
  const freqPatches = mels / patchSize;
  if (numPatches !== timePatches * freqPatches || patchDim !== patchSize * patchSize) {
    throw new Error(
      `unpatchify: tokens [${tokens.shape}] do not tile ${frames} frames × ${mels} mel bins with ${patchSize}×${patchSize} patches`,
    );
  }
  return tf.tidy(() => {
    const grouped = tf.reshape(tokens, [batch * timePatches, freqPatches, patchSize, patchSize]);
    const tiles = tf.transpose(grouped, [0, 2, 1, 3]); // [B·T, p, F, p]
    return tf.reshape(tiles, [batch, frames, mels]);
  });
}
