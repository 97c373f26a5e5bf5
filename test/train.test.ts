import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { createRng, gaussian } from '../lib/util/index.js';
import {
  createModel,
  disposeModel,
  forwardClassifier,
  namedParameters,
  patchGrid,
  randomMasking,
  readCheckpointConfig,
  selectParameters,
  type MaeModel,
} from '../lib/model/index.js';
import {
  AdamW,
  CropStore,
  clipByGlobalNorm,
  cosineLearningRate,
  maeTrainStep,
  pretrainMae,
  stratifiedSplit,
  trainHead,
  whiteningTransform,
  fitRidgeHead,
  ridgeFit,
  solveSymmetric,
  type PretrainState,
} from '../lib/train/index.js';
import { MICRO } from './helpers/models.js';


/**
 * Spectrogram-like clips: a few harmonic stripes whose spacing depends on the class, moving
 * slowly in time, plus noise. Structured enough for an MAE to learn to fill in.
 */
function syntheticClips(count: number, seed: number, classes = 2): { clips: Float32Array[]; labels: number[] } {
  const rng = createRng(seed);
  const clips: Float32Array[] = [];
  const labels: number[] = [];
  for (let i = 0; i < count; i++) {
    const label = i % classes;
    const spacing = 4 + 3 * label;
    const phase = rng() * 2 * Math.PI;
    const drift = 0.1 + 0.2 * rng();
    const clip = new Float32Array(MICRO.inputFrames * MICRO.melBins);
    for (let t = 0; t < MICRO.inputFrames; t++) {
      for (let m = 0; m < MICRO.melBins; m++) {
        const stripe = Math.cos((2 * Math.PI * m) / spacing + phase + drift * t);
        clip[t * MICRO.melBins + m] = 0.8 * stripe + 0.1 * gaussian(rng);
      }
    }
    clips.push(clip);
    labels.push(label);
  }
  return { clips, labels };
}

const bits = (t: tf.Tensor) => Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer));

describe('learning-rate schedule', () => {
  it('warms up linearly, peaks, and follows a cosine to the floor', () => {
    const schedule = { learningRate: 1, minLearningRate: 0.1, warmupSteps: 4, totalSteps: 14 };
    assert.equal(cosineLearningRate(0, schedule), 0.25);
    assert.equal(cosineLearningRate(3, schedule), 1);
    assert.equal(cosineLearningRate(4, schedule), 1);
    assert.ok(Math.abs(cosineLearningRate(9, schedule) - 0.55) < 1e-12);
    assert.ok(Math.abs(cosineLearningRate(14, schedule) - 0.1) < 1e-12);
  });
});

describe('AdamW', () => {
  it('takes the textbook step with decoupled decay on matrices only', () => {
    const weight = tf.variable(tf.tensor2d([[1, -2]]));
    const bias = tf.variable(tf.tensor1d([0.5]));
    const optimizer = new AdamW(new Map<string, tf.Variable>([['fc.weight', weight], ['fc.bias', bias]]), { weightDecay: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
    try {
      tf.tidy(() => optimizer.apply(new Map<string, tf.Tensor>([['fc.weight', tf.tensor2d([[0.2, -0.4]])], ['fc.bias', tf.tensor1d([1])]]), 0.01));
      // step 1: m̂ = g, v̂ = g², so the Adam step is lr·sign(g) (up to ε); decay multiplies the weight by (1 − lr·wd)
      const expectedWeight = [1 * (1 - 0.001) - 0.01, -2 * (1 - 0.001) + 0.01];
      const w = weight.dataSync();
      expectedWeight.forEach((e, i) => assert.ok(Math.abs(w[i] - e) < 1e-6, `weight ${i}: ${w[i]} vs ${e}`));
      assert.ok(Math.abs(bias.dataSync()[0] - (0.5 - 0.01)) < 1e-6);
      assert.equal(optimizer.step, 1);
    } finally {
      optimizer.dispose();
      weight.dispose();
      bias.dispose();
    }
  });
});

describe('clipByGlobalNorm', () => {
  it('scales all gradients by one factor when their joint norm is too large', () => {
    tf.tidy(() => {
      const { grads, norm } = clipByGlobalNorm(new Map([['a', tf.tensor1d([3])], ['b', tf.tensor1d([4])]]), 1);
      assert.ok(Math.abs(norm.dataSync()[0] - 5) < 1e-6);
      assert.ok(Math.abs(grads.get('a')!.dataSync()[0] - 0.6) < 1e-6);
      assert.ok(Math.abs(grads.get('b')!.dataSync()[0] - 0.8) < 1e-6);
      const untouched = clipByGlobalNorm(new Map([['a', tf.tensor1d([0.3])]]), 1);
      assert.ok(Math.abs(untouched.grads.get('a')!.dataSync()[0] - 0.3) < 1e-6);
    });
  });
});

describe('MAE pre-training', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ttt-speech-train-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('lowers the reconstruction loss on structured synthetic data', async () => {
    const model = createModel(MICRO, 0);
    try {
      const { clips } = syntheticClips(32, 1);
      const result = await pretrainMae(model, clips, { epochs: 12, batchSize: 8, learningRate: 3e-3, seed: 1 });
      assert.equal(result.history.length, 48);
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      const first = mean(result.history.slice(0, 4).map((r) => r.loss));
      const last = mean(result.history.slice(-4).map((r) => r.loss));
      assert.ok(last < 0.7 * first, `loss went from ${first.toFixed(4)} to ${last.toFixed(4)}`);
    } finally {
      disposeModel(model);
    }
  });

  it('resumes from a checkpoint to the same weights and losses as an uninterrupted run', async () => {
    const { clips } = syntheticClips(12, 2);
    const options = { epochs: 3, batchSize: 4, seed: 5, checkpointEvery: 2, mask: { strategy: 'time+frequency' as const, ratio: 0.6 } };
    const straight = createModel(MICRO, 3);
    const interrupted = createModel(MICRO, 3);
    const resumed = createModel(MICRO, 3);
    try {
      const full = await pretrainMae(straight, clips, { ...options, checkpointDir: join(dir, 'straight') });
      const crash = new Error('interrupted');
      await assert.rejects(
        pretrainMae(interrupted, clips, {
          ...options,
          checkpointDir: join(dir, 'run'),
          onStep: (r) => {
            if (r.step === 4) throw crash;
          },
        }),
        /interrupted/,
      );
      const state = readCheckpointConfig<unknown, unknown, PretrainState>(join(dir, 'run')).training!;
      assert.equal(state.step, 4);
      assert.equal(state.completed, false);
      const rest = await pretrainMae(resumed, clips, { ...options, checkpointDir: join(dir, 'run'), resume: true });
      assert.equal(rest.resumedFrom, 4);
      assert.deepEqual(rest.history, full.history);
      const a = namedParameters(straight);
      for (const [name, variable] of namedParameters(resumed)) assert.deepEqual(bits(variable), bits(a.get(name)!), `${name} differs`);
      await assert.rejects(
        pretrainMae(resumed, clips, { ...options, seed: 6, checkpointDir: join(dir, 'run'), resume: true }),
        /different settings \(seed: checkpoint has 5, this run has 6\)/,
      );
    } finally {
      for (const m of [straight, interrupted, resumed]) disposeModel(m);
    }
  });

  it('cuts random windows: inside each long clip, short clips padded with their own value, seeded', () => {
    const mels = MICRO.melBins;
    const frames = MICRO.inputFrames;
    // Each frame holds its own index, so a window shows where it starts.
    const clip = (length: number, padValue: number) => ({ values: Float32Array.from({ length: length * mels }, (_, i) => Math.floor(i / mels)), frames: length, padValue });
    const store = new CropStore([clip(frames * 3, -1), clip(frames - 5, -7)], frames, mels);
    const starts = new Set<number>();
    for (let draw = 0; draw < 200; draw++) {
      const [longStart, shortStart] = store.starts([0, 1], createRng(draw));
      assert.equal(shortStart, 0);
      assert.ok(longStart >= 0 && longStart <= 2 * frames, `start ${longStart}`);
      starts.add(longStart);
      const batch = store.batch([0, 1], [longStart, shortStart]);
      const values = batch.dataSync();
      batch.dispose();
      assert.equal(values[0], longStart);
      assert.equal(values[(frames - 1) * mels], longStart + frames - 1);
      assert.equal(values[frames * mels + (frames - 6) * mels], frames - 6, 'the short clip\'s last frame');
      assert.equal(values[frames * mels + (frames - 5) * mels], -7, 'padding after it');
    }
    assert.ok(starts.size > frames, `only ${starts.size} of ${2 * frames + 1} possible starts in 200 draws`);
    assert.deepEqual(store.starts([0, 0, 1], createRng(4)), store.starts([0, 0, 1], createRng(4)));
    assert.throws(() => new CropStore([{ values: new Float32Array(10), frames: 3, padValue: 0 }], frames, mels), /clip 0 has 10 values for 3 frames/);
  });

  it('pre-trains on random windows and resumes to the same weights and losses', async () => {
    const { clips } = syntheticClips(12, 4);
    // Longer clips than the model's input: the same synthetic frames tiled three times over.
    const long = clips.map((values, i) => {
      const tiled = new Float32Array(values.length * 3);
      for (let k = 0; k < 3; k++) tiled.set(values, k * values.length);
      return { values: tiled, frames: 3 * MICRO.inputFrames, padValue: -1 - i };
    });
    const options = { epochs: 3, batchSize: 4, seed: 2, checkpointEvery: 3 };
    const straight = createModel(MICRO, 1);
    const resumed = createModel(MICRO, 1);
    const fixed = createModel(MICRO, 1);
    try {
      const full = await pretrainMae(straight, long, { ...options, checkpointDir: join(dir, 'straight') });
      const state = readCheckpointConfig<unknown, unknown, PretrainState>(join(dir, 'straight')).training!;
      assert.equal(state.settings.randomCrop, true);
      await assert.rejects(
        pretrainMae(resumed, long, { ...options, checkpointDir: join(dir, 'run'), onStep: (r) => { if (r.step === 5) throw new Error('stop'); } }),
        /stop/,
      );
      const rest = await pretrainMae(resumed, long, { ...options, checkpointDir: join(dir, 'run'), resume: true });
      assert.equal(rest.resumedFrom, 3);
      assert.deepEqual(rest.history, full.history);
      const a = namedParameters(straight);
      for (const [name, variable] of namedParameters(resumed)) assert.deepEqual(bits(variable), bits(a.get(name)!), `${name} differs`);
      // Windows at the clips' starts only (what fixed inputs give) follow another trajectory.
      const atStart = await pretrainMae(fixed, clips, options);
      assert.notDeepEqual(atStart.history.map((r) => r.loss), full.history.map((r) => r.loss));
      await assert.rejects(pretrainMae(fixed, long, { ...options, checkpointDir: join(dir, 'straight'), resume: true, epochs: 4 }), /different settings/);
    } finally {
      for (const m of [straight, resumed, fixed]) disposeModel(m);
    }
  });

  it('leaks no tensors over 100 training steps', () => {
    const model = createModel(MICRO, 0);
    const optimizer = new AdamW(selectParameters(model, 'all'));
    const { clips } = syntheticClips(4, 3);
    const fbanks = tf.tensor3d(Float32Array.from(clips.flatMap((c) => Array.from(c))), [4, MICRO.inputFrames, MICRO.melBins]);
    const grid = patchGrid(MICRO);
    const rng = createRng(0);
    try {
      const before = tf.memory().numTensors;
      for (let step = 0; step < 100; step++) {
        maeTrainStep(model, optimizer, fbanks, randomMasking(grid, 4, rng), 1e-3, { gradientClipNorm: 1 });
      }
      assert.equal(tf.memory().numTensors, before);
    } finally {
      fbanks.dispose();
      optimizer.dispose();
      disposeModel(model);
    }
  });
});

function validationAccuracy(model: MaeModel, clips: Float32Array[], labels: number[], indices: number[]): number {
  return tf.tidy(() => {
    const x = tf.tensor3d(Float32Array.from(indices.flatMap((i) => Array.from(clips[i]))), [indices.length, MICRO.inputFrames, MICRO.melBins]);
    const predicted = tf.argMax(forwardClassifier(model, x), 1).dataSync();
    return indices.filter((index, i) => predicted[i] === labels[index]).length / indices.length;
  });
}

describe('head training', () => {
  it('splits every class in proportion', () => {
    const labels = [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2];
    const { train, validation } = stratifiedSplit(labels, 0.2, 0);
    assert.deepEqual([...train, ...validation].sort((a, b) => a - b), labels.map((_, i) => i));
    assert.deepEqual(validation.map((i) => labels[i]).sort(), [0, 1, 2]);
  });

  it('probes a frozen encoder, stops early on validation accuracy and keeps the best head', async () => {
    const model = createModel(MICRO, 0);
    const encoderBefore = bits(namedParameters(model).get('encoder.blocks.0.attn.qkv.weight')!);
    try {
      const { clips, labels } = syntheticClips(40, 4, 2);
      const result = await trainHead(model, clips, labels, { epochs: 60, batchSize: 8, learningRate: 1e-2, patience: 3, seed: 2 });
      assert.ok(result.bestValidationAccuracy >= 0.75, `validation accuracy ${result.bestValidationAccuracy}`);
      assert.ok(result.stoppedEarly, 'ran all epochs');
      assert.equal(result.history.length, result.bestEpoch + 3 + 1);
      assert.equal(validationAccuracy(model, clips, labels, result.validationIndices), result.bestValidationAccuracy);
      assert.deepEqual(bits(namedParameters(model).get('encoder.blocks.0.attn.qkv.weight')!), encoderBefore);
    } finally {
      disposeModel(model);
    }
  });

  it('whitens features: the transformed training rows have identity covariance', () => {
    const rng = createRng(3);
    const n = 400;
    const d = 6;
    // Correlated columns of different scales: column j mixes in the one before it.
    const rows = new Float32Array(n * d);
    for (let r = 0; r < n; r++) {
      for (let j = 0; j < d; j++) rows[r * d + j] = gaussian(rng) * (1 + j) + (j > 0 ? 0.9 * rows[r * d + j - 1] : 0);
    }
    const mean = new Float64Array(d);
    for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) mean[j] += rows[r * d + j] / n;
    for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) rows[r * d + j] -= mean[j];
    const rotation = whiteningTransform(rows, n, d, 0);
    const z = tf.tidy(() => tf.matMul(tf.tensor2d(rows, [n, d]), tf.tensor2d(rotation, [d, d])).arraySync()) as number[][];
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        const c = z.reduce((s, row) => s + row[i] * row[j], 0) / n;
        assert.ok(Math.abs(c - (i === j ? 1 : 0)) < 1e-3, `covariance[${i}][${j}] = ${c}`);
      }
    }
    assert.throws(() => whiteningTransform(rows, n, d, 2), /shrinkage 2 is not in \[0, 1\]/);
  });

  it('leaves no tensor behind (a second probe replaces the first head)', async () => {
    const model = createModel(MICRO, 0);
    try {
      const { clips, labels } = syntheticClips(24, 3, 3);
      await trainHead(model, clips, labels, { epochs: 3, batchSize: 4 });
      const before = tf.memory().numTensors;
      await trainHead(model, clips, labels, { epochs: 3, batchSize: 4 });
      await trainHead(model, clips, labels, { epochs: 1, batchSize: 4, mode: 'finetune' });
      assert.equal(tf.memory().numTensors, before);
    } finally {
      disposeModel(model);
    }
  });

  it('fine-tunes encoder and head together, leaving the decoder alone', async () => {
    const model = createModel(MICRO, 0);
    const before = new Map([...namedParameters(model)].map(([n, v]) => [n, bits(v)]));
    try {
      const { clips, labels } = syntheticClips(16, 5, 2);
      await trainHead(model, clips, labels, { mode: 'finetune', epochs: 2, batchSize: 8, head: { kind: 'mlp', hiddenDim: 16 } });
      const after = namedParameters(model);
      assert.notDeepEqual(bits(after.get('encoder.blocks.1.mlp.fc2.weight')!), before.get('encoder.blocks.1.mlp.fc2.weight'));
      assert.deepEqual(bits(after.get('decoder.pred.weight')!), before.get('decoder.pred.weight'));
      assert.ok(after.has('head.hidden.weight'));
    } finally {
      disposeModel(model);
    }
  });
});

describe('ridge head (closed form)', () => {
  it('solves a symmetric positive definite system exactly and refuses an indefinite one', () => {
    const rng = createRng(8);
    const d = 7;
    const c = 3;
    const M = Float64Array.from({ length: d * d }, () => gaussian(rng));
    const A = new Float64Array(d * d);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) for (let k = 0; k < d; k++) A[i * d + j] += M[k * d + i] * M[k * d + j] + (i === j && k === 0 ? 1 : 0);
    const X = Float64Array.from({ length: d * c }, () => gaussian(rng));
    const B = new Float64Array(d * c);
    for (let i = 0; i < d; i++) for (let j = 0; j < c; j++) for (let k = 0; k < d; k++) B[i * c + j] += A[i * d + k] * X[k * c + j];
    const solved = solveSymmetric(A, B, d, c);
    assert.ok(solved.every((v, i) => Math.abs(v - X[i]) < 1e-8), 'A⁻¹(AX) = X');
    assert.throws(() => solveSymmetric(Float64Array.from([1, 2, 2, 1]), Float64Array.from([1, 1]), 2, 1), /not positive definite at row 1/);
  });

  it('shrinks towards the class priors as the penalty grows', () => {
    const Z = Float64Array.from([1, 0, 0, 1, -1, 0, 0, -1, 2, 1]);
    const labels = [0, 1, 0, 1, 0];
    const rows = [0, 1, 2, 3, 4];
    const loose = ridgeFit(Z, 2, labels, 2, 1e-6, rows);
    const tight = ridgeFit(Z, 2, labels, 2, 1e9, rows);
    assert.ok(Math.max(...tight.W.map(Math.abs)) < 1e-8);
    assert.ok(Math.abs(tight.b[0] - 0.6) < 1e-6 && Math.abs(tight.b[1] - 0.4) < 1e-6);
    assert.ok(Math.max(...loose.W.map(Math.abs)) > 0.1);
    assert.throws(() => ridgeFit(Z, 2, labels, 2, 0, rows), /lambda must be > 0/);
  });

  it('fits a head on a frozen encoder: its folded weights predict what the float64 fit predicts, and λ is the best held-out choice', async () => {
    const model = createModel(MICRO, 0);
    const encoderBefore = bits(namedParameters(model).get('encoder.blocks.0.attn.qkv.weight')!);
    try {
      const { clips, labels } = syntheticClips(48, 5, 3);
      const groups = clips.map((_, i) => Math.floor(i / 6));
      const before = tf.memory().numTensors;
      const result = await fitRidgeHead(model, clips, labels, { groups, lambdas: [0.1, 10, 1000] });
      assert.equal(tf.memory().numTensors, before + 2, 'only the new head (weight, bias) stays');
      assert.deepEqual(result.cvAccuracy.map((c) => c.lambda), [0.1, 10, 1000]);
      assert.equal(result.lambda, result.cvAccuracy.reduce((a, b) => (b.accuracy > a.accuracy ? b : a)).lambda);
      assert.ok(result.trainAccuracy > 0.8, `train accuracy ${result.trainAccuracy}`);
      const all = clips.map((_, i) => i);
      assert.equal(validationAccuracy(model, clips, labels, all), result.trainAccuracy);
      assert.deepEqual(bits(namedParameters(model).get('encoder.blocks.0.attn.qkv.weight')!), encoderBefore);
      const weight = bits(namedParameters(model).get('head.fc.weight')!);
      await fitRidgeHead(model, clips, labels, { groups, lambdas: [0.1, 10, 1000] });
      assert.deepEqual(bits(namedParameters(model).get('head.fc.weight')!), weight, 'the same features give the same head');
      await assert.rejects(fitRidgeHead(model, clips, labels.slice(1)), /48 clips and 47 labels/);
    } finally {
      disposeModel(model);
    }
  });
});
