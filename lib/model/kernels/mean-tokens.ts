/**
 * The mean over the token axis with its gradient spread by an add to a filled tensor, beside
 * its textbook form ({@link textbookMeanOverTokens}): autodiff of `tf.mean` would build a
 * tensor of ones of the input's shape on the CPU and upload it on every training step of a
 * head on a GPU.
 */
import * as tf from '@tensorflow/tfjs';
import { deviceConstant } from './backend-traits.js';
import { customOp } from './custom-op.js';

/** Mean over the token axis, `[B, T, D] -> [B, D]`; gradient `dy / T` for every token. */
export const meanOverTokens = customOp<[tf.Tensor3D], tf.Tensor2D>((x) => {
  const [batch, tokens, width] = x.shape;
  return {
    value: tf.mean(x, 1),
    gradFunc: (dy) => tf.add(tf.fill([batch, tokens, width], 0), tf.mul(tf.reshape(dy, [batch, 1, width]), deviceConstant(1 / tokens))),
  };
});

/** {@link meanOverTokens} as autodiff of `tf.mean`. */
export function textbookMeanOverTokens(x: tf.Tensor3D): tf.Tensor2D {
  return tf.mean(x, 1);
}
