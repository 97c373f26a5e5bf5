// Checks of assignment 2. Points are in brackets; questions are the outer describe blocks.
// Hidden checks draw unseen inputs from ASSIGNMENT_SEED, which the grader picks at grading time.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { ensureBackend } from 'ttt-speech/backend';
import { attachHead, createModel, disposeModel, forwardLoss, namedParameters, resolveModelConfig, type MaeModel } from 'ttt-speech/model';
import { SgdMomentum, tttClip } from 'ttt-speech/ttt';
import { createRng } from 'ttt-speech/util';
import { maskedPatchLoss, numericalGradient, sgdMomentumStep, tttLoop } from '../ttt-loop.js';

const seed = Number(process.env.ASSIGNMENT_SEED ?? '1');

/** A model small enough to adapt in a second: 32 frames × 32 mels, 8×8 patches. */
const MICRO = resolveModelConfig({
  preset: 'tiny',
  name: 'micro',
  inputFrames: 32,
  melBins: 32,
  patchSize: 8,
  embedDim: 32,
  depth: 2,
  numHeads: 2,
  decoderEmbedDim: 16,
  decoderDepth: 1,
  decoderNumHeads: 2,
});

before(async () => {
  await ensureBackend({ log: () => {} });
});

function randomTensor(rng: () => number, shape: number[]): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: size }, () => rng() * 2 - 1), shape);
}

function randomMask(rng: () => number, batch: number, tokens: number, allVisibleRow = -1): tf.Tensor2D {
  const values = Float32Array.from({ length: batch * tokens }, (_, i) => (Math.floor(i / tokens) === allVisibleRow ? 0 : rng() < 0.75 ? 1 : 0));
  return tf.tensor2d(values, [batch, tokens]);
}

function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, `expected ${b.length} values, got ${a.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1e-8, Math.abs(a[i]) + Math.abs(b[i])));
  return worst;
}

function checkLoss(rng: () => number, batch: number, tokens: number, patchDim: number, allVisibleRow = -1): void {
  tf.tidy(() => {
    const target = randomTensor(rng, [batch, tokens, patchDim]) as tf.Tensor3D;
    const pred = randomTensor(rng, [batch, tokens, patchDim]) as tf.Tensor3D;
    const mask = randomMask(rng, batch, tokens, allVisibleRow);
    const yours = maskedPatchLoss(target, pred, mask);
    const expected = forwardLoss(target, pred, mask, { perSample: true });
    assert.deepEqual(yours.shape, [batch], `the loss of a batch of ${batch} should have shape [${batch}], got [${yours.shape}]`);
    const error = relativeError(yours.dataSync(), expected.dataSync());
    assert.ok(error < 1e-5, `on [${batch}, ${tokens}, ${patchDim}] your losses ${Array.from(yours.dataSync()).map((v) => v.toFixed(5)).join(', ')} differ from the library's ${Array.from(expected.dataSync()).map((v) => v.toFixed(5)).join(', ')}`);
  });
}

function microModel(modelSeed: number): MaeModel {
  const model = createModel(MICRO, modelSeed);
  attachHead(model, { numClasses: 3 }, modelSeed);
  return model;
}

function snapshot(model: MaeModel): Map<string, Float32Array> {
  return new Map([...namedParameters(model)].map(([name, variable]) => [name, variable.dataSync() as Float32Array]));
}

function checkAgainstTttClip(modelSeed: number, fbankSeed: number, steps: number, learningRate: number, maskSeed: number): void {
  const model = microModel(modelSeed);
  const rng = createRng(fbankSeed);
  const fbank = Float32Array.from({ length: 32 * 32 }, () => rng() * 2 - 1);
  const fbanks = tf.tensor3d(fbank, [1, 32, 32]);
  try {
    const reference = tttClip(model, { id: `clip-${fbankSeed}`, fbank, label: 0 }, {
      group: 'all',
      config: { steps, learningRate, momentum: 0.9, mask: { ratio: 0.75 }, seed: maskSeed, maxLossRatio: 1e9 },
    });
    const before = snapshot(model);
    const tensorsBefore = tf.memory().numTensors;
    const yours = tttLoop(model, fbanks, `clip-${fbankSeed}`, { steps, learningRate, momentum: 0.9, maskRatio: 0.75, seed: maskSeed });
    const leaked = tf.memory().numTensors - tensorsBefore;
    assert.equal(yours.losses.length, steps + 1, `expected ${steps + 1} losses (steps 0 … ${steps}), got ${yours.losses.length}`);
    reference.steps.forEach((row, step) => {
      const error = Math.abs(yours.losses[step] - row.loss);
      assert.ok(error < 1e-4, `step ${step}: your loss ${yours.losses[step]?.toFixed(6)} differs from tttClip's ${row.loss.toFixed(6)} by ${error.toExponential(1)} (allowed 1e-4)`);
    });
    assert.deepEqual(yours.predictions, reference.steps.map((row) => row.predicted), 'your predictions per step differ from tttClip’s');
    for (const [name, values] of snapshot(model)) {
      assert.ok(values.every((v, i) => v === before.get(name)![i]), `after tttLoop the model's ${name} is not exactly as before: train working copies, never the model`);
    }
    assert.equal(leaked, 0, `tttLoop left ${leaked} tensors behind (dispose copies, velocities and gradients)`);
  } finally {
    fbanks.dispose();
    disposeModel(model);
  }
}

describe('Q1: the masked-patch loss', () => {
  it('matches the library on a batch of 2 × 16 patches of 64 values [2 pts]', () => checkLoss(createRng(4), 2, 16, 64));
  // BEGIN HIDDEN TESTS
  it('matches the library on unseen shapes, with a sample that hides nothing (loss 0) [2 pts]', () => {
    const rng = createRng(seed);
    for (let trial = 0; trial < 3; trial++) checkLoss(rng, 2 + Math.floor(rng() * 3), 4 + Math.floor(rng() * 30), 4 + Math.floor(rng() * 60), 1);
  });
  // END HIDDEN TESTS
});

describe('Q2: the numerical gradient', () => {
  it('finds the gradient cos(x) of Σ sin(x) to 1e-6 relative error, leaving x unchanged [1 pt]', () => {
    const x = Float64Array.from([0.3, -1.2, 2.5, 0.0]);
    const copy = x.slice();
    const gradient = numericalGradient((v) => v.reduce((sum, value) => sum + Math.sin(value), 0), x);
    const error = relativeError(gradient, Array.from(copy, Math.cos));
    assert.ok(error < 1e-6, `relative error ${error.toExponential(2)} against cos(x)`);
    assert.deepEqual(Array.from(x), Array.from(copy), 'numericalGradient changed x');
  });
  // BEGIN HIDDEN TESTS
  it('agrees with TensorFlow.js autodiff of the masked-patch loss (relative error < 1e-2) [2 pts]', () => {
    const rng = createRng(seed + 1);
    const target = randomTensor(rng, [1, 5, 6]) as tf.Tensor3D;
    const mask = randomMask(rng, 1, 5, -1);
    const x = Float64Array.from({ length: 30 }, () => rng() * 2 - 1);
    const loss = (values: Float64Array): number =>
      tf.tidy(() => maskedPatchLoss(target, tf.tensor3d(Float32Array.from(values), [1, 5, 6]), mask).dataSync()[0]);
    const numeric = numericalGradient(loss, x, 1e-2);
    const analytic = tf.tidy(() => tf.grad((pred: tf.Tensor) => tf.sum(forwardLoss(target, pred as tf.Tensor3D, mask, { perSample: true })))(tf.tensor3d(Float32Array.from(x), [1, 5, 6])).dataSync());
    tf.dispose([target, mask]);
    const error = relativeError(numeric, analytic);
    assert.ok(error < 1e-2, `relative error ${error.toExponential(2)} between your numerical gradient and autodiff`);
  });
  // END HIDDEN TESTS
});

describe('Q3: SGD with momentum', () => {
  const checkSteps = (rng: () => number, steps: number): void => {
    const shapes: Record<string, number[]> = { 'a.weight': [3, 4], 'a.bias': [4] };
    const yours = new Map(Object.entries(shapes).map(([name, shape]) => [name, tf.variable(randomTensor(rng, shape))]));
    const library = new Map([...yours].map(([name, v]) => [name, tf.variable(v.clone())]));
    const velocity = new Map([...yours].map(([name, v]) => [name, tf.variable(tf.zerosLike(v))]));
    const optimizer = new SgdMomentum(library, 0.1, 0.9, 0, () => false);
    try {
      for (let step = 0; step < steps; step++) {
        const grads = new Map([...yours].map(([name, v]) => [name, randomTensor(rng, v.shape)]));
        const before = tf.memory().numTensors;
        sgdMomentumStep(yours, grads, velocity, 0.1, 0.9);
        assert.equal(tf.memory().numTensors, before, `step ${step + 1} left ${tf.memory().numTensors - before} tensors behind`);
        optimizer.apply(grads);
        tf.dispose([...grads.values()]);
        for (const [name, v] of yours) {
          const error = relativeError(v.dataSync(), library.get(name)!.dataSync());
          assert.ok(error < 1e-5, `after step ${step + 1}, ${name} differs from the library's SGD-momentum (relative error ${error.toExponential(1)})`);
        }
      }
    } finally {
      optimizer.dispose();
      tf.dispose([...yours.values(), ...library.values(), ...velocity.values()]);
    }
  };
  it('matches the library’s optimizer over 3 steps [1 pt]', () => checkSteps(createRng(9), 3));
  // BEGIN HIDDEN TESTS
  it('matches the library’s optimizer over 6 steps of unseen gradients [1 pt]', () => checkSteps(createRng(seed + 2), 6));
  // END HIDDEN TESTS
});

describe('Q4: the per-sample TTT loop', () => {
  it('follows tttClip’s losses (to 1e-4) and predictions for 3 steps, then leaves the model exactly as it was [3 pts]', () => checkAgainstTttClip(1, 2, 3, 0.01, 0));
  // BEGIN HIDDEN TESTS
  it('follows tttClip on an unseen model, clip, step count and mask seed [3 pts]', () => {
    const rng = createRng(seed + 3);
    checkAgainstTttClip(Math.floor(rng() * 1000), Math.floor(rng() * 1000), 2 + Math.floor(rng() * 3), 0.005 + rng() * 0.01, Math.floor(rng() * 1000));
  });
  // END HIDDEN TESTS
});
