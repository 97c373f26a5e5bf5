import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { attachHead, createModel, disposeModel, forwardClassifier, namedParameters, resolveModelConfig, type MaeModel, type ModelConfig } from '../lib/model/index.js';
import { createRng, gaussian } from '../lib/util/index.js';
import { evaluate, readResults, tttPerSample, type ClipTrace, type TttClip, type TttRow } from '../lib/ttt/index.js';
import { adaptationTable, formatAdaptationTable, loadExperimentConfig, methodSpec, resolveExperimentConfig, rollingMean, rollingTopShare, streamFigures, streamTraces } from '../lib/experiment/index.js';
import {
  Cotta,
  Eata,
  Memo,
  Sar,
  Suta,
  Tent,
  TTA_METHODS,
  augmentFbanks,
  createTtaMethod,
  marginalEntropy,
  minimumClassConfusion,
  resolveTtaSettings,
  runStream,
  selectSamples,
  softCrossEntropy,
  softmaxEntropy,
  sutaLoss,
  ttaMethodFactory,
  tttStreamMethod,
  voicedColumns,
  type TtaMethodName,
  type TtaSettingsInput,
} from '../lib/tta/index.js';
import { MICRO } from './helpers/models.js';

const NANO: ModelConfig = resolveModelConfig({ ...MICRO, preset: 'tiny', name: 'nano', inputFrames: 16, melBins: 16, embedDim: 16, depth: 2, decoderEmbedDim: 8, decoderDepth: 1 });
const CLASSES = 3;

/** Spectrogram-like clips: class-dependent harmonic stripes plus noise. */
function syntheticClips(config: ModelConfig, count: number, seed: number): TttClip[] {
  const rng = createRng(seed);
  return Array.from({ length: count }, (_, i) => {
    const label = i % CLASSES;
    const spacing = 4 + 3 * label;
    const phase = rng() * 2 * Math.PI;
    const fbank = new Float32Array(config.inputFrames * config.melBins);
    for (let t = 0; t < config.inputFrames; t++) {
      for (let m = 0; m < config.melBins; m++) fbank[t * config.melBins + m] = 0.8 * Math.cos((2 * Math.PI * m) / spacing + phase + 0.2 * t) + 0.1 * gaussian(rng);
    }
    return { id: `clip-${seed}-${i}`, fbank, label };
  });
}

/** A model whose head is scaled up so its predictions are confident (a fresh head predicts near-uniformly, which no entropy filter lets through). */
function makeModel(config: ModelConfig = MICRO, headScale = 300): MaeModel {
  const model = createModel(config, 0);
  const head = attachHead(model, { numClasses: CLASSES }, 0);
  tf.tidy(() => head.fc.weight.assign(tf.mul(head.fc.weight, headScale)));
  return model;
}

function bits(tensor: tf.Tensor): Uint32Array {
  return new Uint32Array((tensor.dataSync() as Float32Array).slice().buffer);
}

function modelBits(model: MaeModel): Map<string, Uint32Array> {
  return new Map([...namedParameters(model)].map(([name, v]) => [name, bits(v)]));
}

function assertSourceRestored(method: { state: { variables: Map<string, tf.Variable>; sources: ReadonlyMap<string, tf.Variable> } }): void {
  for (const [name, copy] of method.state.variables) assert.deepEqual(bits(copy), bits(method.state.sources.get(name) as tf.Variable), `${name} is not back to its source value`);
}

function changedNames(method: { state: { variables: Map<string, tf.Variable>; sources: ReadonlyMap<string, tf.Variable> } }): string[] {
  return [...method.state.variables].filter(([name, copy]) => bits(copy).some((b, i) => b !== bits(method.state.sources.get(name) as tf.Variable)[i])).map(([name]) => name);
}

function logitsOf(traces: readonly ClipTrace[], step: number): number[][] {
  return traces.map((trace) => trace.steps[step].logits);
}

/** Entropy of a probability vector, in nats, by hand. */
function entropy(probs: readonly number[]): number {
  return -probs.reduce((sum, p) => sum + (p > 0 ? p * Math.log(p) : 0), 0);
}

function softmax(logits: readonly number[]): number[] {
  const top = Math.max(...logits);
  const exps = logits.map((v) => Math.exp(v - top));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / total);
}

describe('TTA objectives', () => {
  it('entropy, marginal entropy, soft cross-entropy and minimum class confusion match hand computations', () => {
    const rows = [[2, 0.5, -1], [0.1, 0.2, 0.3], [-3, 4, 0]];
    const logits = tf.tensor2d(rows);
    try {
      const perRow = softmaxEntropy(logits).arraySync();
      rows.forEach((row, i) => assert.ok(Math.abs(perRow[i] - entropy(softmax(row))) < 1e-5));
      const mean = [0, 1, 2].map((c) => rows.reduce((s, row) => s + softmax(row)[c], 0) / rows.length);
      assert.ok(Math.abs(marginalEntropy(logits).arraySync() - entropy(mean)) < 1e-5);
      const teacher = tf.tensor2d([[0, 1, 0], [1, 1, 1], [5, 0, 0]]);
      const ce = softCrossEntropy(logits, teacher).arraySync();
      teacher.arraySync().forEach((t, i) => {
        const expected = -softmax(t).reduce((s, p, c) => s + p * Math.log(softmax(rows[i])[c]), 0);
        assert.ok(Math.abs(ce[i] - expected) < 1e-5);
      });
      teacher.dispose();
      // MCC: C = Pᵀ P, each column over its sum, off-diagonal mass over the class count.
      const probs = rows.map(softmax);
      const corr = [0, 1, 2].map((i) => [0, 1, 2].map((j) => probs.reduce((s, p) => s + p[i] * p[j], 0)));
      const colSums = [0, 1, 2].map((j) => corr.reduce((s, row) => s + row[j], 0));
      let off = 0;
      corr.forEach((row, i) => row.forEach((v, j) => (off += i === j ? 0 : v / colSums[j])));
      assert.ok(Math.abs(minimumClassConfusion(logits).arraySync() - off / 3) < 1e-5);
    } finally {
      logits.dispose();
    }
  });
});

describe('spectrogram augmentation', () => {
  it('is reproducible from its seed, differs between keys and copies, and keeps shape', () => {
    const clip = syntheticClips(NANO, 1, 1)[0];
    const fbanks = tf.tensor3d(clip.fbank as Float32Array, [1, NANO.inputFrames, NANO.melBins]);
    const a = augmentFbanks(fbanks, 4, 7, 'k');
    const b = augmentFbanks(fbanks, 4, 7, 'k');
    const c = augmentFbanks(fbanks, 4, 7, 'other');
    try {
      assert.deepEqual(a.shape, [4, NANO.inputFrames, NANO.melBins]);
      assert.deepEqual(bits(a), bits(b));
      assert.notDeepEqual(bits(a), bits(c));
      const values = a.arraySync();
      assert.notDeepEqual(values[0], values[1]);
      // Mild: a copy stays close to its clip.
      const original = fbanks.arraySync()[0];
      let diff = 0;
      values[0].forEach((row, t) => row.forEach((v, m) => (diff += Math.abs(v - original[t][m]))));
      assert.ok(diff / (clip.fbank as Float32Array).length < 0.5, `mean change ${diff / (clip.fbank as Float32Array).length}`);
    } finally {
      tf.dispose([fbanks, a, b, c]);
    }
  });
});

describe('TENT', () => {
  it('one step lowers the batch mean entropy and changes only encoder LayerNorm affine parameters', () => {
    const model = makeModel();
    const before = modelBits(model);
    const tent = new Tent(model, resolveTtaSettings('tent', { batch: 6, learningRate: 0.05 }));
    try {
      const first = tent.adaptBatch(syntheticClips(MICRO, 6, 2));
      const mean = (step: number) => first.reduce((s, t) => s + t.steps[step].loss, 0) / first.length;
      assert.ok(mean(1) < mean(0), `entropy ${mean(0)} -> ${mean(1)}`);
      for (const name of tent.state.variables.keys()) assert.match(name, /^encoder\.(blocks\.\d+\.norm[12]|norm)\.(weight|bias)$/);
      assert.ok(changedNames(tent).length > 0);
      assert.deepEqual(modelBits(model), before, 'the model’s own variables never change');
      // Online: the next batch starts from the adapted weights, so its step 0 differs from the source model's.
      const next = syntheticClips(MICRO, 6, 3);
      const online = tent.adaptBatch(next);
      const fresh = new Tent(model, resolveTtaSettings('tent', { batch: 6, learningRate: 0.05 }));
      const fromSource = fresh.adaptBatch(next);
      fresh.dispose();
      assert.notDeepEqual(logitsOf(online, 0), logitsOf(fromSource, 0));
    } finally {
      tent.dispose();
      disposeModel(model);
    }
  });
});

describe('MEMO', () => {
  it('its loss is the entropy of the mean of the augmented copies’ softmaxes, computed by hand', () => {
    const model = makeModel(NANO);
    const settings = resolveTtaSettings('memo', { augmentations: 5, seed: 3 });
    const memo = new Memo(model, settings);
    const clip = syntheticClips(NANO, 1, 4)[0];
    try {
      const trace = memo.adaptBatch([clip])[0];
      const fbanks = tf.tensor3d(clip.fbank as Float32Array, [1, NANO.inputFrames, NANO.melBins]);
      const copies = augmentFbanks(fbanks, 5, 3, `memo:${clip.id}:0`);
      const logits = tf.tidy(() => forwardClassifier(model, copies).arraySync());
      tf.dispose([fbanks, copies]);
      const probs = logits.map(softmax);
      const marginal = [0, 1, 2].map((c) => probs.reduce((s, p) => s + p[c], 0) / probs.length);
      assert.ok(Math.abs(trace.steps[0].loss - entropy(marginal)) < 1e-5, `${trace.steps[0].loss} vs ${entropy(marginal)}`);
      assert.ok(memo.state.variables.has('head.fc.weight') && memo.state.variables.has('encoder.blocks.0.attn.qkv.weight'));
      assertSourceRestored(memo);
    } finally {
      memo.dispose();
      disposeModel(model);
    }
  });
});

describe('EATA', () => {
  it('drops a sample above the entropy margin and one redundant with the running average', () => {
    const margin = 0.4 * Math.log(3);
    const probs = new Float32Array([0.98, 0.01, 0.01, 0.34, 0.33, 0.33, 0.01, 0.98, 0.01]);
    const entropies = [0, 1, 2].map((i) => entropy(Array.from(probs.subarray(3 * i, 3 * i + 3))));
    const first = selectSamples(entropies, probs, 3, null, margin, 0.4);
    assert.deepEqual(first.reliable, [0, 2], 'the near-uniform sample is unreliable');
    assert.deepEqual(first.kept, [0, 2]);
    first.weights.forEach((w, k) => assert.ok(Math.abs(w - 1 / Math.exp(entropies[first.kept[k]] - margin)) < 1e-9));
    // An average that already points at class 0: sample 0 is redundant, sample 2 is not.
    const second = selectSamples(entropies, probs, 3, new Float32Array([0.9, 0.05, 0.05]), margin, 0.4);
    assert.deepEqual(second.kept, [2]);
  });

  it('its Fisher penalty pulls a parameter moved away from its source value back', () => {
    const model = makeModel();
    const clips = syntheticClips(MICRO, 8, 5);
    const eata = new Eata(model, resolveTtaSettings('eata', { batch: 4, fisherClips: 8 }), clips);
    try {
      assert.ok(eata.fisher.size > 0 && [...eata.fisher.values()].some((f) => f.max().arraySync() as number > 0));
      const name = 'encoder.blocks.0.norm1.weight';
      const variable = eata.state.variables.get(name) as tf.Variable;
      const source = eata.state.sources.get(name) as tf.Variable;
      tf.tidy(() => variable.assign(tf.add(source, 0.5)));
      const distance = () => tf.tidy(() => tf.sum(tf.mul(eata.fisher.get(name) as tf.Tensor, tf.square(tf.sub(variable, source)))).arraySync() as number);
      const away = distance();
      const { grads } = tf.variableGrads(() => eata.fisherPenalty(), [variable]);
      const gradient = grads[variable.name];
      const largest = tf.tidy(() => tf.max(tf.abs(gradient)).arraySync() as number);
      assert.ok(largest > 0);
      tf.tidy(() => variable.assign(tf.sub(variable, tf.mul(gradient, 1e-3 / largest))));
      tf.dispose(Object.values(grads));
      assert.ok(distance() < away, `${away} -> ${distance()}`);
    } finally {
      eata.dispose();
      disposeModel(model);
    }
  });

  it('updates only on kept samples: a batch of unsure predictions leaves the weights alone', () => {
    const model = makeModel(MICRO, 1); // the fresh head: near-uniform predictions, all above the margin
    const eata = new Eata(model, resolveTtaSettings('eata', { batch: 4, fisherClips: 0, learningRate: 0.1 }));
    try {
      eata.adaptBatch(syntheticClips(MICRO, 4, 6));
      assert.deepEqual(eata.lastSelection?.kept, []);
      assert.equal(eata.gradientPasses, 0);
      assertSourceRestored(eata);
    } finally {
      eata.dispose();
      disposeModel(model);
    }
  });
});

describe('SAR', () => {
  it('takes two forward/backward passes per update and leaves out the top blocks and the final norm', () => {
    const model = makeModel();
    const sar = new Sar(model, resolveTtaSettings('sar', { batch: 4, resetBelow: 0 }, MICRO.depth));
    try {
      assert.equal(sar.settings.skipLastBlocks, 1);
      const names = [...sar.state.variables.keys()];
      assert.ok(names.length > 0 && names.every((n) => n.startsWith('encoder.blocks.0.norm')), names.join(', '));
      sar.adaptBatch(syntheticClips(MICRO, 4, 7));
      assert.equal(sar.gradientPasses, 2);
      assert.ok(changedNames(sar).length > 0);
    } finally {
      sar.dispose();
      disposeModel(model);
    }
  });

  it('resets to the source weights when the moving average of its loss falls under the threshold', () => {
    const model = makeModel();
    const sar = new Sar(model, resolveTtaSettings('sar', { batch: 4, resetBelow: 1e6 }, MICRO.depth));
    try {
      sar.adaptBatch(syntheticClips(MICRO, 4, 8));
      assert.equal(sar.collapses, 1);
      assertSourceRestored(sar);
      const next = sar.adaptBatch(syntheticClips(MICRO, 4, 9));
      assert.equal(next[0].steps[0].status, 'reset');
    } finally {
      sar.dispose();
      disposeModel(model);
    }
  });
});

describe('CoTTA', () => {
  it('its teacher is the exponential moving average of the student', () => {
    const model = makeModel(NANO);
    const cotta = new Cotta(model, resolveTtaSettings('cotta', { batch: 4, restoreProbability: 0, learningRate: 1e-2, augmentations: 2 }));
    try {
      const teacherBefore = new Map([...cotta.teacher].map(([n, v]) => [n, v.dataSync().slice()]));
      cotta.adaptBatch(syntheticClips(NANO, 4, 10));
      for (const [name, teacher] of cotta.teacher) {
        const student = cotta.state.variables.get(name)?.dataSync() as Float32Array;
        const previous = teacherBefore.get(name) as Float32Array;
        const now = teacher.dataSync();
        now.forEach((v, i) => assert.ok(Math.abs(v - (0.999 * previous[i] + 0.001 * student[i])) < 1e-6, name));
      }
      assert.ok(changedNames(cotta).length > 0);
    } finally {
      cotta.dispose();
      disposeModel(model);
    }
  });

  it('restores a share of the weights that matches the restore probability', () => {
    const model = makeModel(NANO);
    const p = 0.1;
    const cotta = new Cotta(model, resolveTtaSettings('cotta', { batch: 4, restoreProbability: p, learningRate: 1e-2, augmentations: 2, seed: 1 }));
    try {
      let restored = 0;
      let total = 0;
      const clips = syntheticClips(NANO, 12, 11);
      for (let start = 0; start < clips.length; start += 4) {
        cotta.adaptBatch(clips.slice(start, start + 4));
        // Adam moves every element, so an element equal to its source value was restored.
        for (const [name, copy] of cotta.state.variables) {
          const source = bits(cotta.state.sources.get(name) as tf.Variable);
          bits(copy).forEach((b, i) => (restored += b === source[i] ? 1 : 0));
          total += copy.size;
        }
      }
      const share = restored / total;
      const bound = 5 * Math.sqrt((p * (1 - p)) / total);
      assert.ok(Math.abs(share - p) < bound + 0.01, `restored share ${share} vs p = ${p} ± ${bound}`);
    } finally {
      cotta.dispose();
      disposeModel(model);
    }
  });
});

describe('SUTA', () => {
  it('leaves silent frames out of the entropy and its two terms match hand computations', () => {
    const frames = 16;
    const mels = 4;
    const fbank = new Float32Array(frames * mels).fill(1);
    fbank.fill(-2, 0, 8 * mels); // the first patch column (8 frames) is silence
    assert.deepEqual(voicedColumns(fbank, frames, mels, 8, 0.1), [false, true]);
    assert.deepEqual(voicedColumns(new Float32Array(frames * mels), frames, mels, 8, 0.1), [true, true], 'a flat clip keeps every frame');
    const rows = [[3, 0, 0], [0.5, 0.4, 0.1], [0, 2, 1]];
    const logits = tf.tensor2d(rows);
    try {
      const loss = sutaLoss(logits, [false, true, true], 0.3).arraySync();
      const probs = rows.map(softmax);
      const meanEntropy = (entropy(probs[1]) + entropy(probs[2])) / 2;
      const mcc = minimumClassConfusion(logits).arraySync();
      assert.ok(Math.abs(loss - (0.3 * meanEntropy + 0.7 * mcc)) < 1e-5);
    } finally {
      logits.dispose();
    }
  });

  it('adapts LayerNorm and the patch embedding for ten steps per clip, then resets', () => {
    const model = makeModel();
    const suta = new Suta(model, resolveTtaSettings('suta', { learningRate: 1e-3 }));
    try {
      assert.ok([...suta.state.variables.keys()].every((n) => /norm\d*\.(weight|bias)$|^encoder\.patchEmbed\./.test(n)));
      const trace = suta.adaptBatch(syntheticClips(MICRO, 1, 12))[0];
      assert.equal(trace.steps.length, 11);
      assert.ok(trace.steps[10].loss < trace.steps[0].loss, `${trace.steps[0].loss} -> ${trace.steps[10].loss}`);
      assertSourceRestored(suta);
    } finally {
      suta.dispose();
      disposeModel(model);
    }
  });
});

/** Small settings per method so every method runs fast on the nano model. */
function quick(method: TtaMethodName, extra: TtaSettingsInput = {}): TtaSettingsInput {
  const base: TtaSettingsInput = { learningRate: 1e-2, seed: 2, ...extra };
  if (method === 'memo' || method === 'cotta') base.augmentations = 3;
  if (method === 'suta') base.steps = 2;
  if (method === 'eata') base.fisherClips = 4;
  if (method === 'sar') base.resetBelow = 0; // the confident test head would count as collapsed and reset every batch
  return base;
}

describe('modes, seeds and memory', () => {
  it('episodic mode restores every trained tensor bit-exactly, for every method', () => {
    const model = makeModel(NANO);
    const clips = syntheticClips(NANO, 4, 13);
    try {
      for (const method of TTA_METHODS) {
        const batch = method === 'memo' || method === 'suta' ? 1 : 4;
        const settings = resolveTtaSettings(method, quick(method, { mode: 'episodic', batch }), NANO.depth);
        const runner = createTtaMethod(model, method, settings, clips);
        try {
          const traces = runStream(runner, clips);
          assert.equal(traces.length, clips.length);
          assertSourceRestored(runner);
          if (runner instanceof Cotta) for (const [name, t] of runner.teacher) assert.deepEqual(bits(t), bits(runner.state.sources.get(name) as tf.Variable), `${method} teacher ${name}`);
          // Episodic: a clip's result does not depend on what came before it.
          const again = createTtaMethod(model, method, settings, clips);
          const alone = runStream(again, clips.slice(-batch));
          again.dispose();
          assert.deepEqual(logitsOf(alone, 1), logitsOf(traces.slice(-batch), 1), method);
        } finally {
          runner.dispose();
        }
      }
    } finally {
      disposeModel(model);
    }
  });

  it('the same seed reproduces a run and another seed changes the augmentations', () => {
    const model = makeModel(NANO);
    const clips = syntheticClips(NANO, 4, 14);
    const run = (seed: number) => {
      const runner = createTtaMethod(model, 'cotta', resolveTtaSettings('cotta', quick('cotta', { batch: 2, seed, confidenceThreshold: 1.01, restoreProbability: 0.2 })));
      try {
        return runStream(runner, clips).map((t) => t.steps.map((s) => s.loss));
      } finally {
        runner.dispose();
      }
    };
    try {
      assert.deepEqual(run(5), run(5));
      assert.notDeepEqual(run(5), run(6));
    } finally {
      disposeModel(model);
    }
  });

  it('online runs keep the tensor count flat over 500 clips, and reset every n batches when asked', () => {
    const model = makeModel(NANO);
    const clips = syntheticClips(NANO, 500, 15);
    try {
      const start = tf.memory().numTensors;
      for (const method of ['tent', 'eata', 'sar', 'cotta'] as const) {
        const runner = createTtaMethod(model, method, resolveTtaSettings(method, quick(method, { batch: 10, resetEvery: 20 }), NANO.depth), clips);
        try {
          runStream(runner, clips.slice(0, 10));
          const during = tf.memory().numTensors;
          const traces = runStream(runner, clips.slice(10));
          assert.equal(tf.memory().numTensors, during, `${method} leaks`);
          assert.deepEqual(traces.filter((t) => t.steps[0].status === 'reset').map((t) => t.clip), clips.slice(200, 210).concat(clips.slice(400, 410)).map((c) => c.id), method);
        } finally {
          runner.dispose();
        }
      }
      for (const method of ['memo', 'suta'] as const) {
        const runner = createTtaMethod(model, method, resolveTtaSettings(method, quick(method)));
        try {
          runStream(runner, clips.slice(0, 2));
          const during = tf.memory().numTensors;
          runStream(runner, clips.slice(2, 40));
          assert.equal(tf.memory().numTensors, during, `${method} leaks`);
        } finally {
          runner.dispose();
        }
      }
      assert.equal(tf.memory().numTensors, start);
    } finally {
      disposeModel(model);
    }
  });
});

describe('TTA in the evaluation loop', () => {
  it('runs baselines and wrapped TTT side by side, records resolved settings, and resumes an online method', async () => {
    const model = makeModel(NANO);
    const clips = syntheticClips(NANO, 6, 16);
    const out = mkdtempSync(join(tmpdir(), 'tta-'));
    const methods = [
      { name: 'tent', stream: ttaMethodFactory('tent', { batch: 2, learningRate: 1e-2 }, NANO.depth) },
      { name: 'memo', stream: ttaMethodFactory('memo', { augmentations: 2 }, NANO.depth) },
      { name: 'ttt-bitfit', group: 'bias' as const, config: { steps: 1 } },
    ];
    try {
      let stopAt = 3;
      await assert.rejects(
        evaluate(clips, methods, { model, out, hooks: { afterClip: ({ method }) => { if (method === 'tent' && --stopAt === 0) throw new Error('stop'); } } }),
        /stop/,
      );
      const resumed = await evaluate(clips, methods, { model, out });
      const fresh = await evaluate(clips, methods, { model });
      const rows = readResults(join(out, 'results.csv'));
      assert.equal(rows.filter((r) => r.method === 'tent').length, clips.length * 2);
      assert.equal(rows.filter((r) => r.method === 'memo').length, clips.length * 2);
      const key = (r: { method: string; clip: string; step: number }) => `${r.method}/${r.clip}/${r.step}`;
      const freshPredictions = new Map(fresh.rows.map((r) => [key(r), r.predicted]));
      for (const row of resumed.rows) assert.equal(row.predicted, freshPredictions.get(key(row)), key(row));
      const tent = rows.find((r) => r.method === 'tent');
      assert.equal(tent?.group, 'layernorm');
      assert.equal(tent?.batch, 2);
      const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
      const recorded = config.runs.clean.methods.find((m: { method: string }) => m.method === 'tent');
      assert.equal(recorded.settings.method, 'tent');
      assert.equal(recorded.settings.learningRate, 1e-2);
      assert.equal(recorded.settings.mode, 'online');
      // Memory beyond the model: TENT holds LayerNorm copies and SGD momentum, MEMO every classifier parameter and its momentum.
      const layerNormScalars = [...namedParameters(model)].filter(([n]) => /^encoder\..*norm\d*\.(weight|bias)$/.test(n)).reduce((s, [, v]) => s + v.size, 0);
      const classifierScalars = [...namedParameters(model)].filter(([n]) => /^(encoder|head)\./.test(n)).reduce((s, [, v]) => s + v.size, 0);
      assert.equal(config.memoryBytes.clean.tent, 4 * 2 * layerNormScalars);
      assert.equal(config.memoryBytes.clean.memo, 4 * 2 * classifierScalars);
      assert.ok(config.memoryBytes.clean['ttt-bitfit'] > 0);
    } finally {
      rmSync(out, { recursive: true, force: true });
      disposeModel(model);
    }
  });

  it('wrapped per-sample TTT gives the traces of lib/ttt', () => {
    const model = makeModel(NANO);
    const clips = syntheticClips(NANO, 2, 17);
    try {
      const wrapped = tttStreamMethod(model, { group: 'bias', config: { steps: 2 } });
      const traces = runStream(wrapped, clips);
      wrapped.dispose();
      assert.deepEqual(traces, tttPerSample(model, clips, { group: 'bias', config: { steps: 2 } }).map((t) => ({ ...t, steps: t.steps.map((s, i) => ({ ...s, ms: traces[clips.findIndex((c) => c.id === t.clip)].steps[i].ms })) })));
    } finally {
      disposeModel(model);
    }
  });

  it('rejects a setting a method does not have, naming it', () => {
    assert.throws(() => resolveTtaSettings('tent', { augmentations: 3 }), /tent has no setting 'augmentations'/);
    const model = makeModel(NANO);
    try {
      assert.throws(() => new Memo(model, resolveTtaSettings('memo', { batch: 2 })), /batch must be 1/);
      assert.throws(() => new Tent(model, resolveTtaSettings('tent', { mode: 'episodic', resetEvery: 2 })), /resetEvery applies to online mode only/);
    } finally {
      disposeModel(model);
    }
  });
});

describe('stream report', () => {
  const row = (method: string, clip: number, step: number, predicted: number, label: number, ms: number): TttRow => ({
    condition: 'c', method, group: 'layernorm', optimizer: 'sgd', batch: 1, clip: `k${clip}`, step, loss: 0, predicted, label, correct: predicted === label, ms, status: 'ok', seed: 0,
  });

  it('follows accuracy and the top-class share along the stream at each method’s last step, with ms per clip over all steps and memory', () => {
    const rows: TttRow[] = [];
    // A method that collapses: right on the first two clips, then class 0 for everything.
    const labels = [0, 1, 2, 1, 2, 1];
    labels.forEach((label, i) => {
      rows.push(row('tent', i, 0, label, label, 2));
      rows.push(row('tent', i, 1, i < 2 ? label : 0, label, 3));
    });
    const [trace] = streamTraces(rows);
    assert.equal(trace.step, 1);
    assert.deepEqual(rollingMean(trace.correct.map(Number), 2), [1, 1, 0.5, 0, 0, 0]);
    assert.deepEqual(rollingTopShare(trace.predicted, 3), [1, 0.5, 2 / 3, 2 / 3, 1, 1]);
    const [line] = adaptationTable(rows, { c: { tent: 4096 } });
    assert.equal(line.accuracy, 2 / 6);
    assert.equal(line.topClassShare, 5 / 6);
    assert.equal(line.msPerClip, 5);
    assert.equal(line.memoryBytes, 4096);
    assert.match(formatAdaptationTable([line]), /tent\s+6\s+0\.333\s+0\.833\s+5\s+4\.0 kB/);
    assert.equal(streamFigures([trace], 2).length, 2);
  });
});

describe('baselines in experiment configs', () => {
  const base = { name: 'x', tasks: [{ task: 'speaker', shifts: ['noise:white@0dB'] }] };

  it('name a baseline like any method, with published defaults rescaled to its batch, recorded as resolved', () => {
    const config = resolveExperimentConfig({ ...base, methods: [{ name: 'no-ttt' }, { name: 'tent', method: 'tent', lr: 1e-3, mode: 'episodic' }, { name: 'sar', method: 'sar', batch: 16 }, { name: 'memo', method: 'memo', settings: { augmentations: 8 } }] });
    const tent = methodSpec(config.methods[1], 4).stream;
    assert.equal(tent?.settings.learningRate, 1e-3);
    assert.equal(tent?.settings.mode, 'episodic');
    const sar = methodSpec(config.methods[2], 4).stream;
    assert.equal(sar?.batch, 16);
    assert.equal(sar?.settings.learningRate, (1e-3 * 16) / 64);
    assert.equal(sar?.settings.skipLastBlocks, 1);
    assert.equal(methodSpec(config.methods[3]).stream?.settings.augmentations, 8);
    assert.equal(methodSpec(config.methods[0]).stream, undefined);
    const shipped = loadExperimentConfig(join('experiments', 'tta-baselines.yaml'));
    assert.deepEqual(shipped.methods.filter((m) => m.method).map((m) => m.method).sort(), ['cotta', 'eata', 'memo', 'sar', 'suta', 'tent', 'tent'].sort());
  });

  it('reject TTT keys on a baseline, baseline keys on TTT, and unknown settings, naming them', () => {
    assert.throws(() => resolveExperimentConfig({ ...base, methods: [{ name: 't', method: 'tent', group: 'bias' }] }, 'c.yaml'), /methods\[0\]\.group: does not apply to method 'tent'/);
    assert.throws(() => resolveExperimentConfig({ ...base, methods: [{ name: 't', group: 'bias', lr: 0.1 }] }, 'c.yaml'), /methods\[0\]\.lr: applies only to a baseline/);
    assert.throws(() => resolveExperimentConfig({ ...base, methods: [{ name: 't', method: 'eata', settings: { rho: 0.1 } }] }, 'c.yaml'), /methods\[0\]: eata has no setting 'rho'/);
    assert.throws(() => resolveExperimentConfig({ ...base, methods: [{ name: 't', method: 'dua' }] }, 'c.yaml'), /methods\[0\]\.method/);
  });
});
