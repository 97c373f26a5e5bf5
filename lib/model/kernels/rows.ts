/**
 * Moving rows of tensors on the WebAssembly backend without its slow paths: every `slice`
 * (and so every `split`/`unstack` piece) there first copies the whole input out of wasm
 * memory, so cutting n pieces costs n full copies, and its `gather` kernel moves about one
 * value per 40 ns. Reading the data once and uploading the result costs one copy. Other
 * backends use their native ops. These helpers are not differentiable: they serve the inside
 * of custom-gradient ops and data that needs no gradient (patches, fixed embeddings).
 */
import * as tf from '@tensorflow/tfjs';

/** `count` blocks of `rows × cols` from a tensor holding exactly `count · rows · cols` values in row-major order. */
export function rowBlocks(x: tf.Tensor, count: number, rows: number, cols: number): tf.Tensor2D[] {
  if (x.size !== count * rows * cols) throw new Error(`rowBlocks: [${x.shape}] does not hold ${count} blocks of ${rows}×${cols}`);
  if (count === 1) return [tf.reshape(x, [rows, cols])];
  if (tf.getBackend() !== 'wasm') return tf.split(tf.reshape(x, [count * rows, cols]), count, 0) as tf.Tensor2D[];
  const data = x.dataSync() as Float32Array;
  const size = rows * cols;
  return Array.from({ length: count }, (_, i) => tf.tensor2d(data.subarray(i * size, (i + 1) * size), [rows, cols]));
}

/** Rows `rows[i]` of `x`, in that order. `[R, C] -> [rows.length, C]`. */
export function takeRows(x: tf.Tensor2D, rows: Int32Array): tf.Tensor2D {
  const [numRows, cols] = x.shape;
  for (const r of rows) if (!(r >= 0 && r < numRows)) throw new Error(`takeRows: row ${r} is outside 0…${numRows - 1}`);
  if (tf.getBackend() !== 'wasm') return tf.tidy(() => tf.gather(x, tf.tensor1d(rows, 'int32')));
  const data = x.dataSync() as Float32Array;
  const out = new Float32Array(rows.length * cols);
  for (let i = 0; i < rows.length; i++) out.set(data.subarray(rows[i] * cols, (rows[i] + 1) * cols), i * cols);
  return tf.tensor2d(out, [rows.length, cols]);
}

/**
 * Global row indices `b·rowsPerSample + ids[b, j]` of a flattened `[B, perSample]` index array,
 * for picking per-sample rows out of a `[B·rowsPerSample, ·]` tensor.
 */
export function batchRowIndices(ids: Int32Array, batch: number, perSample: number, rowsPerSample: number): Int32Array {
  const out = new Int32Array(ids.length);
  for (let b = 0; b < batch; b++) {
    for (let j = 0; j < perSample; j++) out[b * perSample + j] = b * rowsPerSample + ids[b * perSample + j];
  }
  return out;
}
