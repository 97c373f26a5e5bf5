/**
 * Assignment 3: BitFit adapts only the bias vectors, which makes it cheap enough to give every
 * clip of a batch its own copy and adapt B clips in one pass.
 *
 * Complete every function below where it says YOUR CODE HERE; the notebook a3-bitfit.ipynb
 * imports this file and checks each function against the library.
 */
import * as tf from '@tensorflow/tfjs';
import { forwardClassifier, forwardMae, namedParameters, withOverrides, type MaeModel } from '../../../lib/model/index.js';
import { stackMasks, stepMask } from '../../../lib/ttt/index.js';

/**
 * Q1. The BitFit group: every encoder parameter (name starting with `encoder.`) whose name ends
 * in `.bias` (LayerNorm's β included), by name, in the order of `namedParameters(model)`.
 */
export function biasGroup(model: MaeModel): Map<string, tf.Variable> {
  // BEGIN SOLUTION
  const group = new Map<string, tf.Variable>();
  for (const [name, variable] of namedParameters(model)) {
    if (name.startsWith('encoder.') && name.endsWith('.bias')) group.set(name, variable);
  }
  return group;
  // END SOLUTION
}

/**
 * Q2. One trainable copy per clip of each bias: a source vector `[d]` becomes a variable
 * `[B, 1, d]` whose every row equals the source (the `1` broadcasts over the tokens).
 * The sources must stay untouched and no temporary tensor may be left behind.
 */
export function perClipCopies(biases: ReadonlyMap<string, tf.Tensor>, batch: number): Map<string, tf.Variable> {
  // BEGIN SOLUTION
  const copies = new Map<string, tf.Variable>();
  for (const [name, bias] of biases) {
    copies.set(name, tf.tidy(() => tf.variable(tf.tile(tf.reshape(bias, [1, 1, bias.size]), [batch, 1, 1]), true)));
  }
  return copies;
  // END SOLUTION
}

/** Settings of {@link batchedBitFit}. */
export interface BitFitOptions {
  steps: number;
  learningRate: number;
  momentum: number;
  maskRatio: number;
  seed: number;
}

/**
 * Q3. Batched BitFit of B clips (`fbanks: [B, frames, mels]`, ids `clipIds`), returning the loss
 * of every clip at every step, `losses[b][s]` for s = 0 … K:
 *
 * - per-clip copies of the bias group ({@link perClipCopies}), velocities of the same shape at 0;
 * - at step s, clip b's mask is `stepMask(model, { seed, mask: { strategy: 'random', ratio } }, clipIds[b], s + 1)`;
 *   stack the B masks with `stackMasks`;
 * - the losses are `forwardMae(model, fbanks, plan, { params: withOverrides(model.params, copies), perSample: true }).loss`
 *   (`[B]`); for s < K, differentiate their **sum** with respect to the copies (each row then gets
 *   exactly the gradient of its own clip's loss) and take one SGD-momentum step
 *   (`v ← μv + g`, `w ← w − lr·v`);
 * - dispose everything at the end: the model stays exactly as it was.
 */
export function batchedBitFit(model: MaeModel, fbanks: tf.Tensor3D, clipIds: readonly string[], options: BitFitOptions): number[][] {
  // BEGIN SOLUTION
  const copies = perClipCopies(biasGroup(model), clipIds.length);
  const velocity = new Map([...copies].map(([name, copy]) => [name, tf.tidy(() => tf.variable(tf.zerosLike(copy), false))]));
  const losses: number[][] = clipIds.map(() => []);
  const maskConfig = { seed: options.seed, mask: { strategy: 'random' as const, ratio: options.maskRatio } };
  try {
    for (let step = 0; step <= options.steps; step++) {
      const plan = stackMasks(clipIds.map((id) => stepMask(model, maskConfig, id, step + 1)));
      const params = withOverrides(model.params, copies);
      let perClip: Float32Array | undefined;
      tf.tidy(() => {
        const objective = (): tf.Scalar => {
          const loss = forwardMae(model, fbanks, plan, { params, perSample: true }).loss; // [B]
          perClip = loss.dataSync() as Float32Array;
          return tf.sum(loss) as tf.Scalar;
        };
        if (step === options.steps) {
          objective();
          return;
        }
        const { grads } = tf.variableGrads(objective, [...copies.values()]);
        for (const [name, copy] of copies) {
          const buffer = velocity.get(name)!;
          const next = tf.add(tf.mul(buffer, options.momentum), grads[copy.name]);
          buffer.assign(next);
          copy.assign(tf.sub(copy, tf.mul(next, options.learningRate)));
        }
      });
      perClip!.forEach((loss, b) => losses[b].push(loss));
    }
    return losses;
  } finally {
    tf.dispose([...copies.values(), ...velocity.values()]);
  }
  // END SOLUTION
}

/**
 * Q4. Bytes that one more clip adds while it adapts with SGD-momentum: its trained copy plus
 * its velocity, float32 (4 bytes per scalar), for the group `'bias'` (BitFit) or `'all'` (every
 * encoder parameter).
 */
export function bytesPerClip(model: MaeModel, group: 'bias' | 'all'): number {
  // BEGIN SOLUTION
  let scalars = 0;
  for (const [name, variable] of namedParameters(model)) {
    if (!name.startsWith('encoder.')) continue;
    if (group === 'all' || name.endsWith('.bias')) scalars += variable.size;
  }
  return scalars * 4 * 2;
  // END SOLUTION
}

/** Arg-max class of each clip with the model's own weights (used by the notebook). */
export function predictions(model: MaeModel, fbanks: tf.Tensor3D): number[] {
  return tf.tidy(() => Array.from(tf.argMax(forwardClassifier(model, fbanks), 1).dataSync()));
}
