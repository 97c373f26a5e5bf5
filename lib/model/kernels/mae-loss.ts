/**
 * MAE's reconstruction loss (mean squared error over the hidden patches) as one op with its
 * gradient in closed form, beside its textbook form ({@link textbookMaskedMse}): autodiff of
 * `mean` and `sum` would build a tensor of ones of the input's shape on the CPU and upload it
 * every step on a GPU.
 */
import * as tf from '@tensorflow/tfjs';
import { deviceConstant } from './backend-traits.js';
import { customOp } from './custom-op.js';

/**
 * Mean over hidden patches of the per-patch mean squared error.
 * `pred: [B, N, p²]`, `goal` broadcastable to it, `mask: [B, N]` (1 = hidden) → scalar, or
 * `[B]` (each sample's own mean) with `perSample`. With no hidden patch the loss is 0.
 * Only `pred` gets a gradient: `∂L/∂pred = 2 (pred − goal) · w` with
 * `w = mask / (p² · hidden count)`.
 */
export function maskedMse(pred: tf.Tensor3D, goal: tf.Tensor, mask: tf.Tensor2D, perSample = false): tf.Tensor {
  const [batch, numPatches, patchDim] = pred.shape;
  const op = customOp<[tf.Tensor3D], tf.Tensor>((input, save) => {
    const hidden = perSample ? tf.sum(mask, 1, true) : tf.sum(mask); // [B, 1] or scalar
    const weights = tf.div(mask, tf.mul(tf.maximum(hidden, deviceConstant(1)), deviceConstant(patchDim))); // [B, N]
    const diff = tf.sub(input, goal);
    const perPatch = tf.sum(tf.square(diff), -1); // [B, N]
    save([diff, weights]);
    return {
      value: perSample ? tf.sum(tf.mul(perPatch, weights), 1) : tf.sum(tf.mul(perPatch, weights)),
      gradFunc: (dy, [sDiff, sWeights]) => {
        const scaled = tf.mul(perSample ? tf.reshape(dy, [batch, 1]) : dy, deviceConstant(2)); // [B, 1] or scalar
        return tf.mul(sDiff, tf.reshape(tf.mul(sWeights, scaled), [batch, numPatches, 1]));
      },
    };
  });
  return op(pred);
}

/** {@link maskedMse} as autodiff of `Σ mean((pred − goal)², -1) · mask / max(Σ mask, 1)`: the reference the fast version is tested against. */
export function textbookMaskedMse(pred: tf.Tensor3D, goal: tf.Tensor, mask: tf.Tensor2D, perSample = false): tf.Tensor {
  const perPatch = tf.mul(tf.mean(tf.square(tf.sub(pred, goal)), -1), mask); // [B, N]
  if (perSample) return tf.div(tf.sum(perPatch, 1), tf.maximum(tf.sum(mask, 1), 1));
  return tf.div(tf.sum(perPatch), tf.maximum(tf.sum(mask), 1));
}
