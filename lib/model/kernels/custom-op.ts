/**
 * A typed wrapper of `tf.customGrad`: the op's inputs keep their names and ranks in
 * TypeScript, and the gradient function gets the tensors the forward pass saved.
 */
import * as tf from '@tensorflow/tfjs';

/** Keeps tensors for the backward pass (they reach the gradient function as `saved`). */
export type GradSave = (tensors: tf.Tensor[]) => void;

/** Forward pass of a custom op: its value and how to turn the output gradient into one gradient per input. */
export interface CustomOpResult {
  value: tf.Tensor;
  gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor | tf.Tensor[];
}

/**
 * Wraps `forward` (which receives its tensor inputs, then a save function) as a
 * differentiable op. Tensors used by `gradFunc` must be saved (or be kept outside every
 * tidy scope): everything else made in the forward pass is freed before backpropagation.
 */
export function customOp<Inputs extends tf.Tensor[], Out extends tf.Tensor = tf.Tensor>(
  forward: (...args: [...Inputs, GradSave]) => CustomOpResult,
): (...inputs: Inputs) => Out {
  return tf.customGrad(forward as never) as unknown as (...inputs: Inputs) => Out;
}
