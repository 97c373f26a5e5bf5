/**
 * Broadcasting a learned token to many positions. `tf.broadcastTo` and `tf.tile` run as
 * `Tile`, whose stock gradient adds one slice per repetition (thousands of kernels for a
 * batch of mask tokens, and a number that grows with the batch); the gradient of a broadcast
 * is just a sum over the repeated axes. The forward pass is an add to a filled tensor (a
 * kernel on every backend, no upload), so no `Tile` appears in a trained graph. The textbook
 * form, {@link textbookBroadcastTokens}, is `tf.broadcastTo` with its stock gradient.
 */
import * as tf from '@tensorflow/tfjs';
import { customOp } from './custom-op.js';

/** `x` broadcast to `shape` (numpy rules), with a one-kernel summing gradient. */
export function broadcastTokens<R extends tf.Rank>(x: tf.Tensor, shape: tf.ShapeMap[R]): tf.Tensor<R> {
  const target = shape as number[];
  if (x.rank !== target.length) throw new Error(`broadcastTokens: rank of [${x.shape}] differs from [${target}]`);
  const axes = x.shape.flatMap((size, i) => (size === 1 && target[i] !== 1 ? [i] : []));
  if (axes.length === 0) return x as tf.Tensor<R>;
  const op = customOp<[tf.Tensor], tf.Tensor<R>>((input) => ({
    value: tf.add(tf.fill(target, 0, input.dtype), input),
    gradFunc: (dy) => tf.sum(dy, axes, true),
  }));
  return op(x);
}

/** {@link broadcastTokens} as autodiff of `tf.broadcastTo`: the reference the fast version is tested against. */
export function textbookBroadcastTokens<R extends tf.Rank>(x: tf.Tensor, shape: tf.ShapeMap[R]): tf.Tensor<R> {
  return tf.broadcastTo(x, shape) as tf.Tensor<R>;
}
