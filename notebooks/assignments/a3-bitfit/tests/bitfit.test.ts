// Checks of assignment 3. Points are in brackets; questions are the outer describe blocks.
// Hidden checks draw unseen inputs from ASSIGNMENT_SEED, which the grader picks at grading time.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { ensureBackend } from 'ttt-speech/backend';
import { attachHead, createModel, disposeModel, namedParameters, resolveModelConfig, type MaeModel } from 'ttt-speech/model';
import { encoderGroup, memoryFootprint, tttPerSample } from 'ttt-speech/ttt';
import { createRng } from 'ttt-speech/util';
import { batchedBitFit, biasGroup, bytesPerClip, perClipCopies } from '../bitfit.js';

const seed = Number(process.env.ASSIGNMENT_SEED ?? '1');

/** A micro model (32 frames × 32 mels, 8×8 patches) with a 3-class head. */
function microModel(modelSeed: number, depth = 2): MaeModel {
  const config = resolveModelConfig({ preset: 'tiny', name: 'micro', inputFrames: 32, melBins: 32, patchSize: 8, embedDim: 32, depth, numHeads: 2, decoderEmbedDim: 16, decoderDepth: 1, decoderNumHeads: 2 });
  const model = createModel(config, modelSeed);
  attachHead(model, { numClasses: 3 }, modelSeed);
  return model;
}

before(async () => {
  await ensureBackend({ log: () => {} });
});

function checkGroup(model: MaeModel): void {
  const yours = [...biasGroup(model).keys()];
  const expected = [...encoderGroup(model, 'bias').keys()];
  const missing = expected.filter((name) => !yours.includes(name));
  const extra = yours.filter((name) => !expected.includes(name));
  assert.deepEqual({ missing, extra }, { missing: [], extra: [] }, `your bias group misses ${missing.length} and adds ${extra.length} parameters (first: ${missing[0] ?? extra[0]})`);
  assert.deepEqual(yours, expected, 'the names are right but not in the order of namedParameters');
}

function checkBatched(modelSeed: number, clipSeed: number, batch: number, steps: number, learningRate: number, maskSeed: number): void {
  const model = microModel(modelSeed);
  const rng = createRng(clipSeed);
  const fbanks = Array.from({ length: batch }, () => Float32Array.from({ length: 32 * 32 }, () => rng() * 2 - 1));
  const clips = fbanks.map((fbank, i) => ({ id: `clip-${clipSeed}-${i}`, fbank, label: 0 }));
  const stacked = tf.tensor3d(Float32Array.from(fbanks.flatMap((f) => Array.from(f))), [batch, 32, 32]);
  try {
    const perSample = tttPerSample(model, clips, { group: 'bias', config: { steps, learningRate, momentum: 0.9, mask: { ratio: 0.75 }, seed: maskSeed, maxLossRatio: 1e9 } });
    const before = new Map([...namedParameters(model)].map(([name, v]) => [name, v.dataSync().slice()]));
    const tensorsBefore = tf.memory().numTensors;
    const yours = batchedBitFit(model, stacked, clips.map((c) => c.id), { steps, learningRate, momentum: 0.9, maskRatio: 0.75, seed: maskSeed });
    const leaked = tf.memory().numTensors - tensorsBefore;
    assert.equal(yours.length, batch, `expected losses for ${batch} clips, got ${yours.length}`);
    perSample.forEach((trace, b) => {
      trace.steps.forEach((row, step) => {
        const error = Math.abs(yours[b][step] - row.loss);
        assert.ok(error < 1e-4, `clip ${b}, step ${step}: your batched loss ${yours[b][step]?.toFixed(6)} differs from per-sample BitFit's ${row.loss.toFixed(6)} by ${error.toExponential(1)} (allowed 1e-4)`);
      });
    });
    for (const [name, variable] of namedParameters(model)) {
      assert.ok(variable.dataSync().every((v, i) => v === before.get(name)![i]), `after batchedBitFit the model's ${name} changed: train the per-clip copies only`);
    }
    assert.equal(leaked, 0, `batchedBitFit left ${leaked} tensors behind`);
  } finally {
    stacked.dispose();
    disposeModel(model);
  }
}

describe('Q1: the BitFit group', () => {
  it('selects exactly the encoder biases of a 2-block model, in order [1 pt]', () => {
    const model = microModel(1);
    try {
      checkGroup(model);
    } finally {
      disposeModel(model);
    }
  });
  // BEGIN HIDDEN TESTS
  it('selects exactly the encoder biases of a model of unseen depth [1 pt]', () => {
    const model = microModel(seed, 1 + (seed % 4));
    try {
      checkGroup(model);
    } finally {
      disposeModel(model);
    }
  });
  // END HIDDEN TESTS
});

describe('Q2: per-clip bias copies', () => {
  it('turns a [3] bias into a [4, 1, 3] variable whose rows equal it, leaving nothing behind [2 pts]', () => {
    const bias = tf.tensor1d([0.5, -1, 2]);
    const before = tf.memory().numTensors;
    const copies = perClipCopies(new Map([['encoder.x.bias', bias]]), 4);
    const copy = copies.get('encoder.x.bias');
    try {
      assert.ok(copy instanceof tf.Variable, 'each copy must be a tf.Variable (it is trained)');
      assert.deepEqual(copy.shape, [4, 1, 3], `shape [${copy.shape}], expected [4, 1, 3]`);
      assert.deepEqual(Array.from(copy.dataSync()), [0.5, -1, 2, 0.5, -1, 2, 0.5, -1, 2, 0.5, -1, 2], 'every row must equal the source bias');
      assert.equal(tf.memory().numTensors - before, 1, `${tf.memory().numTensors - before - 1} temporary tensors left behind`);
    } finally {
      tf.dispose([bias, ...copies.values()]);
    }
  });
});

describe('Q3: batched BitFit', () => {
  it('gives 3 clips the same losses as 3 per-sample BitFit runs (to 1e-4) over 3 steps [3 pts]', () => checkBatched(2, 3, 3, 3, 0.05, 0));
  // BEGIN HIDDEN TESTS
  it('equals per-sample BitFit on an unseen batch, model and mask seed [3 pts]', () => {
    const rng = createRng(seed + 5);
    checkBatched(Math.floor(rng() * 1000), Math.floor(rng() * 1000), 2 + Math.floor(rng() * 3), 3 + Math.floor(rng() * 2), 0.05 + rng() * 0.05, Math.floor(rng() * 1000));
  });
  // END HIDDEN TESTS
});

describe('Q4: memory per clip', () => {
  it('counts the bytes one clip adds for BitFit and for full fine-tuning like the library [2 pts]', () => {
    const model = microModel(1);
    try {
      for (const group of ['bias', 'all'] as const) {
        const expected = memoryFootprint(model, group, { optimizer: 'sgd', momentum: 0.9 }).totalBytes;
        assert.equal(bytesPerClip(model, group), expected, `group ${group}: ${bytesPerClip(model, group)} bytes, the library counts ${expected}`);
      }
    } finally {
      disposeModel(model);
    }
  });
});
