/**
 * Assignment 2: the masked-autoencoder loss, a numerical gradient check, SGD with momentum, and
 * one per-sample test-time-training loop.
 *
 * Complete every function below where it says YOUR CODE HERE; the notebook a2-ttt-loop.ipynb
 * imports this file and checks each function against the library.
 */
import * as tf from '@tensorflow/tfjs';
import { forwardClassifier, forwardMae, withOverrides, type MaeModel } from '../../../lib/model/index.js';
import { encoderGroup, stepMask } from '../../../lib/ttt/index.js';

/**
 * Q1. MAE's reconstruction loss, one value per sample: for sample `b`, the mean over the hidden
 * patches (`mask[b, n] = 1`) of the per-patch mean squared error between `pred` and `target`.
 * `target, pred: [B, N, P]`, `mask: [B, N]` → `[B]`. A sample with no hidden patch has loss 0.
 */
export function maskedPatchLoss(target: tf.Tensor3D, pred: tf.Tensor3D, mask: tf.Tensor2D): tf.Tensor1D {
  // BEGIN SOLUTION
  return tf.tidy(() => {
    const perPatch = tf.mean(tf.square(tf.sub(pred, target)), -1); // [B, N]
    const hiddenSum = tf.sum(tf.mul(perPatch, mask), 1); // [B]
    return tf.div(hiddenSum, tf.maximum(tf.sum(mask, 1), 1)) as tf.Tensor1D;
  });
  // END SOLUTION
}

/**
 * Q2. The gradient of `f` at `x` by central differences: component `i` is
 * `(f(x + h·eᵢ) − f(x − h·eᵢ)) / 2h`. Leave `x` as it was when you return.
 */
export function numericalGradient(f: (x: Float64Array) => number, x: Float64Array, h = 1e-5): Float64Array {
  // BEGIN SOLUTION
  const gradient = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const saved = x[i];
    x[i] = saved + h;
    const up = f(x);
    x[i] = saved - h;
    const down = f(x);
    x[i] = saved;
    gradient[i] = (up - down) / (2 * h);
  }
  return gradient;
  // END SOLUTION
}

/**
 * Q3. One step of SGD with momentum in PyTorch's convention, for every weight by name:
 * `velocity ← momentum · velocity + gradient`, then `weight ← weight − learningRate · velocity`.
 * Update the variables in place (`assign`) and leave no new tensor behind.
 */
export function sgdMomentumStep(
  weights: ReadonlyMap<string, tf.Variable>,
  gradients: ReadonlyMap<string, tf.Tensor>,
  velocity: ReadonlyMap<string, tf.Variable>,
  learningRate: number,
  momentum: number,
): void {
  // BEGIN SOLUTION
  tf.tidy(() => {
    for (const [name, weight] of weights) {
      const gradient = gradients.get(name);
      const buffer = velocity.get(name);
      if (!gradient || !buffer) throw new Error(`sgdMomentumStep: no gradient or velocity for '${name}'`);
      const next = tf.add(tf.mul(buffer, momentum), gradient);
      buffer.assign(next);
      weight.assign(tf.sub(weight, tf.mul(next, learningRate)));
    }
  });
  // END SOLUTION
}

/** Settings of {@link tttLoop}. */
export interface TttLoopOptions {
  /** Gradient steps K; losses and predictions are reported for steps 0 … K. */
  steps: number;
  learningRate: number;
  momentum: number;
  /** Fraction of patches hidden at each step. */
  maskRatio: number;
  /** Seed of the masks. */
  seed: number;
}

/** What {@link tttLoop} reports, one entry per step 0 … K. */
export interface TttLoopTrace {
  /** MAE loss at each step, measured before that step's update. */
  losses: number[];
  /** Predicted class of the whole clip at each step, before that step's update. */
  predictions: number[];
}

/**
 * Q4. Per-sample TTT of one clip (`fbanks: [1, frames, mels]`, id `clipId`), training every
 * encoder parameter, the decoder and the head frozen:
 *
 * - take the encoder weights with `encoderGroup(model, 'all')` and train *working copies* of
 *   them (`tf.variable`), never the model's own variables; give them to the model with
 *   `withOverrides(model.params, copies)`;
 * - at step `s` (0 … K) use the mask `stepMask(model, { seed, mask: { strategy: 'random', ratio } }, clipId, s + 1)`;
 *   the loss is `forwardMae(…, { params, perSample: true }).loss`; classify the whole clip with
 *   `forwardClassifier(model, fbanks, { encoder: params.encoder })` (arg-max of the logits);
 * - for `s < K`, take the gradient of the loss with respect to the copies and apply
 *   {@link sgdMomentumStep} (velocities start at zero);
 * - at the end, dispose the copies and velocities: the model must be exactly as before, and no
 *   tensor may be left behind.
 */
export function tttLoop(model: MaeModel, fbanks: tf.Tensor3D, clipId: string, options: TttLoopOptions): TttLoopTrace {
  // BEGIN SOLUTION
  const source = encoderGroup(model, 'all');
  const copies = new Map<string, tf.Variable>();
  const velocity = new Map<string, tf.Variable>();
  for (const [name, weight] of source) {
    // tidy frees the temporaries; each variable keeps its own reference to the data.
    copies.set(name, tf.tidy(() => tf.variable(weight.clone(), true)));
    velocity.set(name, tf.tidy(() => tf.variable(tf.zerosLike(weight), false)));
  }
  const trace: TttLoopTrace = { losses: [], predictions: [] };
  const maskConfig = { seed: options.seed, mask: { strategy: 'random' as const, ratio: options.maskRatio } };
  try {
    for (let step = 0; step <= options.steps; step++) {
      const plan = stepMask(model, maskConfig, clipId, step + 1);
      const params = withOverrides(model.params, copies);
      const training = step < options.steps;
      const objective = (): tf.Scalar => tf.sum(forwardMae(model, fbanks, plan, { params, perSample: true }).loss) as tf.Scalar;
      const [lossTensor, ...gradientList] = tf.tidy(() => {
        if (!training) return [objective()];
        const { value, grads } = tf.variableGrads(objective, [...copies.values()]);
        return [value, ...[...copies.values()].map((copy) => grads[copy.name])];
      });
      trace.losses.push(lossTensor.dataSync()[0]);
      lossTensor.dispose();
      const predicted = tf.tidy(() => tf.argMax(forwardClassifier(model, fbanks, { encoder: params.encoder }), 1).dataSync()[0]);
      trace.predictions.push(predicted);
      if (training) {
        const names = [...copies.keys()];
        sgdMomentumStep(copies, new Map(names.map((name, i) => [name, gradientList[i]])), velocity, options.learningRate, options.momentum);
        tf.dispose(gradientList);
      }
    }
    return trace;
  } finally {
    tf.dispose([...copies.values(), ...velocity.values()]);
  }
  // END SOLUTION
}
