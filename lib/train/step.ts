/**
 * One MAE training step: loss and gradients of the trained variables, optional clipping by
 * global norm, one AdamW update; everything inside one `tf.tidy`.
 */
import * as tf from '@tensorflow/tfjs';
import { forwardMae, type ForwardContext, type MaeModel, type MaskPlan } from '../model/index.js';
import type { AdamW } from './optim.js';

/** What a step reports. */
export interface StepResult {
  loss: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
}

/** Options of {@link maeTrainStep}. */
export interface MaeStepOptions {
  /** Clip gradients to this global norm; `null` or absent: no clipping. */
  gradientClipNorm?: number | null;
  context?: ForwardContext;
}

/**
 * Loss and gradients of `loss(params)` for the optimizer's variables, then one update.
 * Returns the loss and the gradient norm; leaves no tensor behind.
 */
export function optimizerStep(
  optimizer: AdamW,
  lossFn: () => tf.Scalar,
  learningRate: number,
  gradientClipNorm: number | null | undefined,
): StepResult {
  const result = stepTensors(optimizer, lossFn, learningRate, gradientClipNorm);
  try {
    const [loss, gradNorm] = result.dataSync();
    return { loss, gradNorm };
  } finally {
    result.dispose();
  }
}

/**
 * {@link optimizerStep} that reads loss and norm back asynchronously: the only way on the
 * webgpu backend in Node, which has no synchronous read from the GPU.
 */
export async function optimizerStepAsync(
  optimizer: AdamW,
  lossFn: () => tf.Scalar,
  learningRate: number,
  gradientClipNorm: number | null | undefined,
): Promise<StepResult> {
  const result = stepTensors(optimizer, lossFn, learningRate, gradientClipNorm);
  try {
    const [loss, gradNorm] = await result.data();
    return { loss, gradNorm };
  } finally {
    result.dispose();
  }
}

/** `[loss, gradient norm]` of one step whose update has been applied. */
function stepTensors(optimizer: AdamW, lossFn: () => tf.Scalar, learningRate: number, gradientClipNorm: number | null | undefined): tf.Tensor1D {
  const names = [...optimizer.params.keys()];
  const variables = [...optimizer.params.values()];
  return tf.tidy(() => {
    const { value, grads } = tf.variableGrads(lossFn, variables);
    // variableGrads keys by the variables' engine names; map them back to parameter names.
    const named = new Map<string, tf.Tensor>();
    variables.forEach((variable, i) => {
      const g = grads[variable.name];
      if (g) named.set(names[i], g);
    });
    // Clipping by the global norm happens inside the optimizer, on its one flat vector of gradients.
    const norm = optimizer.applyClipped(named, learningRate, gradientClipNorm);
    return tf.stack([value, norm]) as tf.Tensor1D;
  });
}

/** The MAE loss of a batch under a mask plan, as the closure a step differentiates. */
function maeLoss(model: MaeModel, fbanks: tf.Tensor3D, plan: MaskPlan, options: MaeStepOptions): () => tf.Scalar {
  return () => forwardMae(model, fbanks, plan, { context: options.context }).loss as tf.Scalar;
}

/** One MAE pre-training step on a batch `[B, frames, mels]` with mask plan `plan`. */
export function maeTrainStep(
  model: MaeModel,
  optimizer: AdamW,
  fbanks: tf.Tensor3D,
  plan: MaskPlan,
  learningRate: number,
  options: MaeStepOptions = {},
): StepResult {
  return optimizerStep(optimizer, maeLoss(model, fbanks, plan, options), learningRate, options.gradientClipNorm);
}

/** {@link maeTrainStep} with an asynchronous read of loss and norm (see {@link optimizerStepAsync}). */
export function maeTrainStepAsync(
  model: MaeModel,
  optimizer: AdamW,
  fbanks: tf.Tensor3D,
  plan: MaskPlan,
  learningRate: number,
  options: MaeStepOptions = {},
): Promise<StepResult> {
  return optimizerStepAsync(optimizer, maeLoss(model, fbanks, plan, options), learningRate, options.gradientClipNorm);
}
