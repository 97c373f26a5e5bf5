/**
 * Seeded parameter initialisation (MAE's choices: Xavier-uniform weights, zero biases, unit
 * LayerNorm scales, N(0, 0.02²) tokens). Each parameter draws from its own stream derived
 * from the model seed and its name, so adding a head never changes the encoder's start.
 */
import * as tf from '@tensorflow/tfjs';
import { createRng, deriveSeed, gaussian } from '../util/index.js';
import type { DenseParams, LayerNormParams } from './parameters.js';

/** Makes the variables of one model from one seed. */
export interface Initializer {
  /** Uniform in ±√(6 / (fan_in + fan_out)) for an `[in, out]` matrix. */
  xavierUniform(name: string, shape: [number, number]): tf.Variable;
  /** N(0, sd²) entries. */
  normal(name: string, shape: number[], sd: number): tf.Variable;
  /** A constant tensor. */
  constant(shape: number[], value: number): tf.Variable;
  /** A dense layer: Xavier weight, zero bias. */
  dense(name: string, inDim: number, outDim: number): DenseParams;
  /** A LayerNorm: γ = 1, β = 0. */
  layerNorm(width: number): LayerNormParams;
}

// tf.variable shares the initial tensor's data; disposing the initial tensor keeps the count of live tensors honest.
function toVariable(initial: tf.Tensor): tf.Variable {
  const variable = tf.variable(initial, true);
  initial.dispose();
  return variable;
}

/** An {@link Initializer} seeded by `seed`; `prefix` is the naming root of the part it builds (e.g. `encoder`). */
export function createInitializer(seed: number, prefix: string): Initializer {
  const stream = (name: string) => createRng(deriveSeed(seed, `${prefix}.${name}`));
  const init: Initializer = {
    xavierUniform(name, [inDim, outDim]) {
      const rng = stream(name);
      const limit = Math.sqrt(6 / (inDim + outDim));
      const values = new Float32Array(inDim * outDim);
      for (let i = 0; i < values.length; i++) values[i] = (2 * rng() - 1) * limit;
      return toVariable(tf.tensor2d(values, [inDim, outDim]));
    },
    normal(name, shape, sd) {
      const rng = stream(name);
      const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
      for (let i = 0; i < values.length; i++) values[i] = gaussian(rng, 0, sd);
      return toVariable(tf.tensor(values, shape));
    },
    constant(shape, value) {
      return toVariable(tf.fill(shape, value));
    },
    dense(name, inDim, outDim) {
      return { weight: init.xavierUniform(`${name}.weight`, [inDim, outDim]), bias: init.constant([outDim], 0) };
    },
    layerNorm(width) {
      return { weight: init.constant([width], 1), bias: init.constant([width], 0) };
    },
  };
  return init;
}
