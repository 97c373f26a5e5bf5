/**
 * MAE's reconstruction loss (`forward_loss`): mean squared error over the hidden patches,
 * against the patches as they are or normalised per patch (`norm_pix_loss`).
 */
import * as tf from '@tensorflow/tfjs';
import { deviceConstant, maskedMse } from './kernels/index.js';

/** Options of {@link forwardLoss}. */
export interface LossOptions {
  /** Normalise each target patch to zero mean, unit variance (MAE `norm_pix_loss`). */
  normPixLoss?: boolean;
  /** Return one loss per sample (`[B]`) instead of the batch mean; summing them gives each sample its own gradient. */
  perSample?: boolean;
}

/**
 * MAE `forward_loss`: mean squared error over the hidden patches only.
 * `target, pred: [B, N, p²]`, `mask: [B, N]` (1 = hidden) → scalar, or `[B]` with `perSample`.
 * With no hidden patch the loss is 0. Only `pred` gets a gradient.
 */
export function forwardLoss(target: tf.Tensor3D, pred: tf.Tensor3D, mask: tf.Tensor2D, options: LossOptions = {}): tf.Tensor {
  let goal: tf.Tensor = target;
  if (options.normPixLoss) {
    const { mean, variance } = tf.moments(target, -1, true); // [B, N, 1] each
    goal = tf.div(tf.sub(target, mean), tf.sqrt(tf.add(variance, deviceConstant(1e-6))));
  }
  return maskedMse(pred, goal, mask, options.perSample ?? false);
}
