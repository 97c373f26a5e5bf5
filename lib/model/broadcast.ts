/**
 * Broadcasting a learned token to many positions. `tf.broadcastTo` runs as `Tile`, whose
 * stock gradient adds one slice per repetition (thousands of kernels for a batch of mask
 * tokens); the gradient of a broadcast is just a sum over the repeated axes.
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
    value: tf.broadcastTo(input, target),
    gradFunc: (dy) => tf.sum(dy, axes, true),
  }));
  return op(x);
}
