/**
 * Reordering token rows with a gradient that works on every backend. The stock `tf.gather`
 * gradient needs `UnsortedSegmentSum`, which the WebAssembly backend lacks; for a
 * permutation the gradient is simply the same reordering by the inverse permutation. The
 * textbook form, {@link textbookPermuteRows}, multiplies by a one-hot permutation matrix.
 */
import * as tf from '@tensorflow/tfjs';
import { customOp } from './custom-op.js';
import { takeRows } from './rows.js';

/** A row permutation and its inverse. */
export interface RowPermutation {
  /** `out[i] = x[forward[i]]`. */
  forward: Int32Array;
  /** `x[j] = out[inverse[j]]`. */
  inverse: Int32Array;
}

/** A permutation of `0 … n-1` with its inverse; throws when `order` is not a permutation. */
export function rowPermutation(order: Int32Array): RowPermutation {
  const inverse = new Int32Array(order.length).fill(-1);
  for (let i = 0; i < order.length; i++) {
    const j = order[i];
    if (!(j >= 0 && j < order.length) || inverse[j] !== -1) {
      throw new Error(`row permutation: index ${j} at position ${i} is out of range or repeated`);
    }
    inverse[j] = i;
  }
  return { forward: order.slice(), inverse };
}

/** `x[perm.forward]` along axis 0, differentiable on every backend. `[R, D] -> [R, D]`. */
export function permuteRows(x: tf.Tensor2D, perm: RowPermutation): tf.Tensor2D {
  if (x.shape[0] !== perm.forward.length) throw new Error(`permuteRows: ${x.shape[0]} rows, permutation of ${perm.forward.length}`);
  const fn = customOp<[tf.Tensor2D], tf.Tensor2D>((rows) => ({
    value: takeRows(rows, perm.forward),
    gradFunc: (dy) => takeRows(dy as tf.Tensor2D, perm.inverse),
  }));
  return fn(x);
}

/**
 * {@link permuteRows} as autodiff of a product with the one-hot permutation matrix
 * (`[R, R] · [R, D]`): the reference the fast version is tested against.
 */
export function textbookPermuteRows(x: tf.Tensor2D, perm: RowPermutation): tf.Tensor2D {
  const rows = perm.forward.length;
  const onehot = new Float32Array(rows * rows);
  perm.forward.forEach((source, i) => (onehot[i * rows + source] = 1)); // row i selects x[forward[i]]
  return tf.matMul(tf.tensor2d(onehot, [rows, rows]), x);
}
