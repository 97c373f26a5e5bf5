/**
 * Fixed 2-D sin-cos position embeddings (as in MAE and AudioMAE): not learned, so a model
 * trained on one grid still has meaningful positions, and TTT never changes them.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * Position embeddings for a `timePatches × freqPatches` grid in time-major token order:
 * the first half of each row encodes the time column, the second half the frequency row.
 * With `clsToken`, a zero row comes first (the class token has no position).
 * Returns `[(cls?1:0) + T·F, width]`.
 */
export function sinCosPositionEmbedding(width: number, timePatches: number, freqPatches: number, clsToken = false): tf.Tensor2D {
  if (width % 4 !== 0) throw new Error(`sin-cos position embedding width must be a multiple of 4, got ${width}`);
  const offsetRows = clsToken ? 1 : 0;
  const rows = offsetRows + timePatches * freqPatches;
  const values = new Float32Array(rows * width);
  for (let t = 0; t < timePatches; t++) {
    for (let f = 0; f < freqPatches; f++) {
      const row = (offsetRows + t * freqPatches + f) * width;
      sinCos1d(values, row, width / 2, t);
      sinCos1d(values, row + width / 2, width / 2, f);
    }
  }
  return tf.tensor2d(values, [rows, width]);
}

function sinCos1d(values: Float32Array, offset: number, width: number, position: number): void {
  // width/2 frequencies ω_i = 1 / 10000^(i / (width/2)), sines then cosines.
  const half = width / 2;
  for (let i = 0; i < half; i++) {
    const omega = 1 / Math.pow(10000, i / half);
    values[offset + i] = Math.sin(position * omega);
    values[offset + half + i] = Math.cos(position * omega);
  }
}
