import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  attachHead,
  createModel,
  disposeModel,
  forwardMae,
  namedParameters,
  patchGrid,
  randomMasking,
  resolveModelConfig,
  type MaeModel,
  type MaeParams,
  type ModelConfig,
} from '../lib/model/index.js';
import { createRng, gaussian } from '../lib/util/index.js';
import {
  BatchedBitFit,
  OnlineTtt,
  conditionName,
  parseNoiseCondition,
  PerSampleTtt,
  describeGroup,
  evaluate,
  memoryFootprint,
  parseRows,
  resolveTttConfig,
  summarizeAccuracy,
  tttBatchedBitFit,
  tttClip,
  tttOnline,
  tttPerSample,
  type ClipTrace,
  type MethodSpec,
  type TttClip,
  readResults,
  type TttRow,
} from '../lib/ttt/index.js';
import { formatAccuracyTable, noiseShift, runTtt, tttExperiment, type TttCommandFlags } from '../lib/cli/commands/ttt.js';
import { runExperiment } from '../lib/experiment/index.js';
import { FULL_CORPUS_DIR, ROOT, fullCorpus } from './helpers/corpus.js';
import { MICRO } from './helpers/models.js';


/** Smaller still, for the long leak test. */
const NANO: ModelConfig = resolveModelConfig({
  ...MICRO,
  preset: 'tiny',
  name: 'nano',
  inputFrames: 16,
  melBins: 16,
  embedDim: 16,
  depth: 1,
  decoderEmbedDim: 8,
  decoderDepth: 1,
});

/** Spectrogram-like clips: harmonic stripes whose spacing depends on the class, drifting in time, plus noise. */
function syntheticClips(config: ModelConfig, count: number, seed: number, classes = 3): TttClip[] {
  const rng = createRng(seed);
  return Array.from({ length: count }, (_, i) => {
    const label = i % classes;
    const spacing = 4 + 3 * label;
    const phase = rng() * 2 * Math.PI;
    const drift = 0.1 + 0.2 * rng();
    const fbank = new Float32Array(config.inputFrames * config.melBins);
    for (let t = 0; t < config.inputFrames; t++) {
      for (let m = 0; m < config.melBins; m++) {
        fbank[t * config.melBins + m] = 0.8 * Math.cos((2 * Math.PI * m) / spacing + phase + drift * t) + 0.1 * gaussian(rng);
      }
    }
    return { id: `clip-${seed}-${i}`, fbank, label };
  });
}

function makeModel(config: ModelConfig = MICRO, seed = 0): MaeModel {
  const model = createModel(config, seed);
  attachHead(model, { numClasses: 3 }, seed);
  return model;
}

/** Every parameter's float32 bit pattern, by name. */
function parameterBits(model: MaeModel): Map<string, Uint32Array> {
  return new Map([...namedParameters(model)].map(([name, v]) => [name, new Uint32Array((v.dataSync() as Float32Array).slice().buffer)]));
}

function assertSameBits(before: Map<string, Uint32Array>, after: Map<string, Uint32Array>): void {
  assert.deepEqual([...after.keys()], [...before.keys()]);
  for (const [name, bits] of before) assert.deepEqual(after.get(name), bits, `${name} changed`);
}

function maxDifference(a: readonly ClipTrace[], b: readonly ClipTrace[]): { loss: number; logits: number } {
  let loss = 0;
  let logits = 0;
  a.forEach((trace, i) => {
    assert.equal(trace.clip, b[i].clip);
    assert.equal(trace.steps.length, b[i].steps.length);
    trace.steps.forEach((step, s) => {
      const other = b[i].steps[s];
      loss = Math.max(loss, Math.abs(step.loss - other.loss) / Math.max(1, Math.abs(other.loss)));
      step.logits.forEach((v, j) => (logits = Math.max(logits, Math.abs(v - other.logits[j]))));
    });
  });
  return { loss, logits };
}

/** MAE loss of `params` on a clip under a fixed mask. */
function fixedMaskLoss(model: MaeModel, clip: TttClip, params: MaeParams<tf.Tensor> = model.params): number {
  return tf.tidy(() => {
    const plan = randomMasking(patchGrid(model.config), 1, createRng(12345), { ratio: 0.75 });
    const fbanks = tf.tensor3d(clip.fbank as Float32Array, [1, model.config.inputFrames, model.config.melBins]);
    return forwardMae(model, fbanks, plan, { params }).loss.dataSync()[0];
  });
}

describe('TTT config', () => {
  it('fills paper-style defaults and picks the learning rate of the optimizer and the kind of group', () => {
    const sgd = resolveTttConfig();
    assert.equal(sgd.optimizer, 'sgd');
    assert.equal(sgd.momentum, 0.9);
    assert.equal(sgd.steps, 20);
    assert.deepEqual(sgd.mask, { strategy: 'random', ratio: 0.75 });
    assert.equal(sgd.learningRate, 5e-3);
    assert.ok(resolveTttConfig({}, { vectorsOnly: true }).learningRate > sgd.learningRate);
    const adamw = resolveTttConfig({ optimizer: 'adamw' });
    assert.notEqual(adamw.learningRate, sgd.learningRate);
    assert.equal(resolveTttConfig({ optimizer: 'adamw', learningRate: 0.5 }, { vectorsOnly: true }).learningRate, 0.5);
    assert.equal(resolveTttConfig({ mask: { strategy: 'time' } }).mask.ratio, 0.75);
    assert.throws(() => resolveTttConfig({ steps: -1 }), /steps/);
    assert.throws(() => resolveTttConfig({ mask: { ratio: 1 } }), /mask.ratio/);
  });
});

describe('parameter groups', () => {
  it('bias trains exactly the encoder parameters whose names end in .bias', () => {
    const model = makeModel();
    try {
      const expected = [...namedParameters(model).keys()].filter((n) => n.startsWith('encoder.') && n.endsWith('.bias'));
      const group = describeGroup(model, 'bias');
      assert.deepEqual(group.names, expected);
      assert.equal(group.count, expected.reduce((n, name) => n + namedParameters(model).get(name)!.size, 0));
      assert.equal(group.bytes, 4 * group.count);
      // What actually moves during TTT: compare the parameters seen at step K with the source.
      const changed: string[] = [];
      const clip = syntheticClips(MICRO, 1, 1)[0];
      tttClip(model, clip, {
        group: 'bias',
        config: { steps: 2, learningRate: 0.05 },
        hooks: {
          onAdapted: (_, params) => {
            const source = namedParameters(model);
            for (const [name, tensor] of namedParametersOf(params)) {
              const a = tensor.dataSync();
              const b = source.get(name)!.dataSync();
              if (a.some((v, i) => v !== b[i])) changed.push(name);
            }
          },
        },
      });
      assert.deepEqual(changed, expected);
    } finally {
      disposeModel(model);
    }
  });

  it('counts all, layernorm, lastBlocks:k and predicates over encoder parameters only', () => {
    const model = makeModel();
    try {
      const all = describeGroup(model, 'all');
      assert.ok(all.names.every((n) => n.startsWith('encoder.')));
      assert.equal(all.names.length, [...namedParameters(model).keys()].filter((n) => n.startsWith('encoder.')).length);
      assert.ok(describeGroup(model, 'layernorm').names.every((n) => /^encoder\..*norm\d?\.(weight|bias)$/.test(n)));
      assert.ok(describeGroup(model, 'lastBlocks:1').names.every((n) => n.startsWith('encoder.blocks.1.') || n.startsWith('encoder.norm.')));
      const qkv = describeGroup(model, function qkvOnly(n) {
        return n.includes('.qkv.');
      });
      assert.equal(qkv.group, 'custom:qkvOnly');
      assert.equal(qkv.names.length, 4);
      assert.equal(describeGroup(model, 'none').count, 0);
      assert.throws(() => describeGroup(model, (n) => n.startsWith('decoder.')), /selects no encoder parameter/);
    } finally {
      disposeModel(model);
    }
  });
});

function namedParametersOf(params: MaeParams<tf.Tensor>): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  const walk = (node: unknown, prefix: string) => {
    if (node instanceof tf.Tensor) return void out.set(prefix, node);
    if (node && typeof node === 'object') for (const [k, v] of Object.entries(node)) if (v !== undefined) walk(v, prefix ? `${prefix}.${k}` : k);
  };
  walk(params, '');
  return out;
}

describe('per-sample TTT', () => {
  let model: MaeModel;
  const clips = syntheticClips(MICRO, 3, 2);
  before(() => (model = makeModel()));
  after(() => disposeModel(model));

  it('restores every source parameter bit for bit after each clip', () => {
    const before = parameterBits(model);
    for (const group of ['all', 'bias'] as const) {
      for (const optimizer of ['sgd', 'adamw'] as const) {
        const traces = tttPerSample(model, clips, { group, config: { steps: 3, optimizer, learningRate: optimizer === 'sgd' ? 0.05 : 1e-3 } });
        assert.ok(traces.every((t) => t.steps.length === 4 && t.divergedAt === null));
        assertSameBits(before, parameterBits(model));
      }
    }
  });

  it('with learning rate 0 predicts at every step exactly what it predicts at step 0', () => {
    for (const optimizer of ['sgd', 'adamw'] as const) {
      const [trace] = tttPerSample(model, clips.slice(0, 1), { group: 'all', config: { steps: 4, optimizer, learningRate: 0 } });
      for (const step of trace.steps) {
        assert.equal(step.predicted, trace.steps[0].predicted);
        assert.deepEqual(step.logits, trace.steps[0].logits);
      }
    }
  });

  it('starts every clip from the source weights: a clip gives the same trace alone or after others', () => {
    const runner = new PerSampleTtt(model, { group: 'all', config: { steps: 3, learningRate: 0.05 } });
    try {
      const afterOthers = [runner.adapt(clips[0]), runner.adapt(clips[1])][1];
      const alone = tttClip(model, clips[1], { group: 'all', config: { steps: 3, learningRate: 0.05 } });
      assert.deepEqual(afterOthers, { ...alone, steps: alone.steps.map((s, i) => ({ ...s, ms: afterOthers.steps[i].ms })) });
    } finally {
      runner.dispose();
    }
  });

  it('lowers the MAE loss of the clip it adapts to (measured with a fixed mask)', () => {
    for (const group of ['all', 'bias'] as const) {
      const clip = clips[0];
      const before = fixedMaskLoss(model, clip);
      let afterLoss = NaN;
      tttClip(model, clip, {
        group,
        config: { steps: 10, learningRate: 0.5 },
        hooks: { onAdapted: (_, params) => (afterLoss = fixedMaskLoss(model, clip, params)) },
      });
      assert.ok(afterLoss < 0.95 * before, `${group}: loss ${before.toFixed(4)} → ${afterLoss.toFixed(4)}`);
      assert.equal(fixedMaskLoss(model, clip), before);
    }
  });

  it('restores and flags a clip whose loss is forced to NaN, and the next clip is unaffected', () => {
    const before = parameterBits(model);
    const config = { steps: 4, learningRate: 0.05 };
    const poisoned = tttPerSample(model, clips.slice(0, 2), { group: 'all', config, hooks: { forceNaN: (clip, step) => clip === clips[0].id && step === 1 } });
    const [bad, next] = poisoned;
    assert.equal(bad.divergedAt, 2);
    assert.ok(Number.isNaN(bad.steps[2].loss));
    for (const step of bad.steps.slice(2)) {
      assert.equal(step.status, 'diverged');
      assert.equal(step.predicted, bad.steps[0].predicted);
    }
    assert.ok(bad.steps.slice(0, 2).every((s) => s.status === 'ok'));
    assertSameBits(before, parameterBits(model));
    const clean = tttClip(model, clips[1], { group: 'all', config });
    assert.equal(next.divergedAt, null);
    assert.deepEqual(next.steps.map((s) => [s.loss, s.predicted]), clean.steps.map((s) => [s.loss, s.predicted]));
  });

  it('flags a loss above maxLossRatio × the step-0 loss as diverged', () => {
    // Losses of this model stay bounded (the encoder ends in a LayerNorm), so the bound is set just above step 0.
    const [trace] = tttPerSample(model, clips.slice(0, 1), { group: 'all', config: { steps: 3, learningRate: 0.05, maxLossRatio: 1.0001 } });
    assert.notEqual(trace.divergedAt, null);
    assert.ok(trace.steps[trace.divergedAt!].loss > 1.0001 * trace.steps[0].loss);
    assert.ok(trace.steps.slice(trace.divergedAt!).every((s) => s.status === 'diverged' && s.predicted === trace.steps[0].predicted));
  });
});

describe('batched BitFit', () => {
  let model: MaeModel;
  const clips = syntheticClips(MICRO, 5, 3);
  before(() => (model = makeModel(MICRO, 1)));
  after(() => disposeModel(model));

  for (const optimizer of ['sgd', 'adamw'] as const) {
    it(`matches per-sample BitFit to 1e-4 in losses and logits (${optimizer})`, () => {
      const config = { steps: 4, optimizer, learningRate: optimizer === 'sgd' ? 0.05 : 1e-3 };
      const perSample = tttPerSample(model, clips, { group: 'bias', config });
      const batched = tttBatchedBitFit(model, clips, { batch: 3, config }); // batches of 3 and 2
      const diff = maxDifference(batched, perSample);
      assert.ok(diff.loss < 1e-4 && diff.logits < 1e-4, `max difference: loss ${diff.loss}, logits ${diff.logits}`);
      assert.ok(perSample[0].steps[4].loss !== perSample[0].steps[0].loss, 'the steps changed nothing');
    });
  }

  it('keeps the shared weights frozen and the source biases intact', () => {
    const before = parameterBits(model);
    tttBatchedBitFit(model, clips, { batch: 2, config: { steps: 2, learningRate: 0.05 } });
    assertSameBits(before, parameterBits(model));
  });

  it('restores a diverged clip alone; the other clips of its batch match their clean runs', () => {
    const config = { steps: 4, learningRate: 0.05 };
    const bad = clips[1].id;
    const poisoned = tttBatchedBitFit(model, clips.slice(0, 3), { batch: 3, config, hooks: { forceNaN: (clip, step) => clip === bad && step === 0 } });
    const clean = tttBatchedBitFit(model, clips.slice(0, 3), { batch: 3, config });
    assert.equal(poisoned[1].divergedAt, 1);
    assert.ok(poisoned[1].steps.slice(1).every((s) => s.status === 'diverged' && s.predicted === poisoned[1].steps[0].predicted));
    const others = [0, 2];
    const diff = maxDifference(others.map((i) => poisoned[i]), others.map((i) => clean[i]));
    assert.ok(diff.loss < 1e-6 && diff.logits < 1e-6, `neighbours moved: ${JSON.stringify(diff)}`);
  });

  it('refuses groups that hold matrices', () => {
    assert.throws(() => new BatchedBitFit(model, { batch: 2, group: 'all' }), /vector parameters only/);
  });
});

describe('online TTT', () => {
  let model: MaeModel;
  const clips = syntheticClips(MICRO, 4, 4);
  before(() => (model = makeModel(MICRO, 2)));
  after(() => disposeModel(model));
  const config = { steps: 2, learningRate: 0.05 };

  it('carries the adapted weights from clip to clip (the first clip equals per-sample TTT)', () => {
    const online = tttOnline(model, clips, { group: 'all', config });
    const perSample = tttPerSample(model, clips, { group: 'all', config });
    assert.deepEqual(online[0].steps.map((s) => s.loss), perSample[0].steps.map((s) => s.loss));
    assert.notEqual(online[1].steps[0].loss, perSample[1].steps[0].loss);
  });

  it('resets to the source weights every n clips, and on a loss threshold', () => {
    const every = tttOnline(model, clips, { group: 'all', config, reset: { every: 2 } });
    const perSample = tttPerSample(model, clips, { group: 'all', config });
    assert.equal(every[2].steps[0].status, 'reset');
    assert.deepEqual(every[2].steps.map((s) => s.loss), perSample[2].steps.map((s) => s.loss));
    const threshold = tttOnline(model, clips, { group: 'all', config, reset: { lossAbove: 0 } });
    assert.ok(threshold.slice(1).every((t) => t.steps[0].status === 'reset'));
    assert.deepEqual(threshold[3].steps.map((s) => s.loss), perSample[3].steps.map((s) => s.loss));
  });

  it('adapts on a sliding window and leaves the model untouched', () => {
    const before = parameterBits(model);
    const runner = new OnlineTtt(model, { group: 'bias', window: 3, config });
    try {
      const traces = clips.map((clip) => runner.next(clip));
      assert.ok(traces.every((t) => t.steps.length === 3 && t.divergedAt === null));
      assert.equal(runner.seen, 4);
    } finally {
      runner.dispose();
    }
    assertSameBits(before, parameterBits(model));
  });
});

describe('memory footprint', () => {
  it('counts copies and optimizer slots per mode, and the measurement agrees', () => {
    const model = makeModel();
    try {
      const all = memoryFootprint(model, 'all', 'sgd');
      const bias = memoryFootprint(model, 'bias', 'sgd');
      const adamw = memoryFootprint(model, 'bias', 'adamw');
      const batched = memoryFootprint(model, 'bias', 'sgd', { batch: 8 });
      assert.equal(all.trainedParameters, describeGroup(model, 'all').count);
      assert.equal(all.slotBytes, all.trainedBytes);
      assert.equal(adamw.slotBytes, 2 * adamw.trainedBytes);
      assert.equal(batched.trainedBytes, 8 * bias.trainedBytes);
      for (const f of [all, bias, adamw, batched]) assert.equal(f.measuredBytes, f.totalBytes, `${f.group}/${f.optimizer}/B${f.batch}`);
      assert.ok(bias.totalBytes < all.totalBytes / 10);
    } finally {
      disposeModel(model);
    }
  });
});

describe('tensor memory', () => {
  it('leaks no tensor over 500 TTT steps', function () {
    this.timeout(120_000);
    const model = makeModel(NANO, 3);
    const clips = syntheticClips(NANO, 4, 5);
    try {
      const before = tf.memory().numTensors;
      const bytes = tf.memory().numBytes;
      let steps = 0;
      const perSample = new PerSampleTtt(model, { group: 'all', config: { steps: 50 } });
      try {
        for (const clip of clips) steps += perSample.adapt(clip).steps.length - 1; // 200
      } finally {
        perSample.dispose();
      }
      steps += tttPerSample(model, clips, { group: 'bias', config: { steps: 25, optimizer: 'adamw' } }).length * 25; // 100
      steps += tttBatchedBitFit(model, clips, { batch: 2, config: { steps: 50 } }).length * 50; // 200 clip-steps in 100 passes
      steps += tttOnline(model, clips, { group: 'all', window: 2, config: { steps: 10 } }).length * 10; // 40
      tttPerSample(model, clips.slice(0, 1), { group: 'all', config: { steps: 5 }, hooks: { forceNaN: () => true } });
      assert.ok(steps >= 500);
      assert.equal(tf.memory().numTensors, before);
      assert.equal(tf.memory().numBytes, bytes);
    } finally {
      disposeModel(model);
    }
  });
});

describe('results', () => {
  it('summarises accuracy per condition, method and step', () => {
    const row = (method: string, clip: string, step: number, correct: boolean): TttRow => ({
      condition: 'clean', method, group: 'all', optimizer: 'sgd', batch: 1, clip, step,
      loss: 1, predicted: correct ? 1 : 0, label: 1, correct, ms: 2, status: 'ok', seed: 0,
    });
    const summary = summarizeAccuracy([row('a', 'x', 0, true), row('a', 'y', 0, false), row('a', 'x', 1, true), row('b', 'x', 0, false)]);
    assert.deepEqual(
      summary.map((s) => [s.method, s.step, s.accuracy, s.n]),
      [['a', 0, 0.5, 2], ['a', 1, 1, 1], ['b', 0, 0, 1]],
    );
  });
});

describe('evaluate', () => {
  let model: MaeModel;
  let dir: string;
  const clips = syntheticClips(MICRO, 5, 6);
  const methods: MethodSpec[] = [
    { name: 'no-ttt' },
    { name: 'ttt-all', group: 'all' },
    { name: 'ttt-bitfit', group: 'bias' },
    { name: 'ttt-bitfit-batched', group: 'bias', batch: 2 },
    { name: 'online', group: 'bias', online: { window: 2 } },
  ];
  const config = { steps: 3, learningRate: 0.05 };
  before(() => {
    model = makeModel(MICRO, 4);
    dir = mkdtempSync(join(tmpdir(), 'ttt-eval-'));
  });
  after(() => {
    disposeModel(model);
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes one row per method, clip and step, and a summary', async () => {
    const out = join(dir, 'full');
    const result = await evaluate(clips, methods, { model, config, out, condition: 'noise:white@0dB' });
    const expected = clips.length * (1 + 4 * 4);
    assert.equal(result.rows.length, expected);
    const fileRows = parseRows(readFileSync(join(out, 'results.csv'), 'utf8'));
    assert.equal(fileRows.length, expected);
    assert.ok(fileRows.every((r) => r.condition === 'noise:white@0dB'));
    assert.deepEqual(
      result.summary.filter((s) => s.method === 'ttt-all').map((s) => [s.step, s.n]),
      [[0, 5], [1, 5], [2, 5], [3, 5]],
    );
    assert.ok(readFileSync(join(out, 'summary.csv'), 'utf8').startsWith('condition,method,step,accuracy,n'));
    // Batched and per-sample BitFit agree on every prediction.
    const predictions = (method: string) => result.rows.filter((r) => r.method === method).map((r) => `${r.clip}:${r.step}:${r.predicted}`).sort();
    assert.deepEqual(predictions('ttt-bitfit-batched'), predictions('ttt-bitfit'));
  });

  it('resumes an interrupted run with no duplicate or missing rows and the same summary', async () => {
    const reference = await evaluate(clips, methods, { model, config, out: join(dir, 'reference') });
    const out = join(dir, 'interrupted');
    await assert.rejects(
      evaluate(clips, methods, {
        model,
        config,
        out,
        hooks: {
          afterClip: ({ written }) => {
            if (written === 13) throw new Error('interrupted');
          },
        },
      }),
      /interrupted/,
    );
    // A write torn by the crash: half a line at the end of the file.
    appendFileSync(join(out, 'results.csv'), 'clean,ttt-bitfit-batched,bias,sgd,2,clip-6-4,0,0.9');
    const resumed = await evaluate(clips, methods, { model, config, out });
    assert.equal(resumed.resumedClips, 13);
    const rows = parseRows(readFileSync(join(out, 'results.csv'), 'utf8'));
    const keys = rows.map((r) => `${r.method}|${r.clip}|${r.step}`);
    assert.equal(new Set(keys).size, keys.length, 'duplicate rows');
    assert.equal(rows.length, reference.rows.length);
    assert.deepEqual(summarizeAccuracy(rows).map(({ meanMs: _, ...s }) => s), reference.summary.map(({ meanMs: _, ...s }) => s));
    const outcome = (r: TttRow) => `${r.method}|${r.clip}|${r.step}|${r.predicted}|${r.loss}|${r.status}`;
    assert.deepEqual(rows.map(outcome).sort(), reference.rows.map(outcome).sort());
  });

  it('refuses to mix other settings into an existing folder', async () => {
    await assert.rejects(evaluate(clips, methods, { model, config: { ...config, steps: 2 }, out: join(dir, 'reference') }), /other methods, settings or clips/);
  });
});

describe('ttt command helpers', () => {
  it('parses noise conditions and prints accuracy per step', () => {
    assert.deepEqual(parseNoiseCondition('white@0'), { type: 'white', snrDb: 0, seed: 0 });
    assert.equal(conditionName(parseNoiseCondition('babble@-5dB')), 'noise:babble@-5dB');
    assert.equal(conditionName(), 'clean');
    assert.throws(() => parseNoiseCondition('rain@0'), /expected/);
    assert.equal(noiseShift('white@0'), 'noise:white@0dB');
    assert.equal(noiseShift('noise:babble@5dB'), 'noise:babble@5dB');
    assert.equal(noiseShift(undefined), 'clean');
    assert.throws(() => noiseShift('gender:F->M'), /--noise gender:F->M/);
    const summary = summarizeAccuracy([
      { condition: 'clean', method: 'ttt-all', group: 'all', optimizer: 'sgd', batch: 1, clip: 'a', step: 0, loss: 1, predicted: 0, label: 0, correct: true, ms: 10, status: 'ok', seed: 0 },
      { condition: 'clean', method: 'ttt-all', group: 'all', optimizer: 'sgd', batch: 1, clip: 'a', step: 1, loss: 1, predicted: 1, label: 0, correct: false, ms: 5, status: 'ok', seed: 0 },
    ]);
    const table = formatAccuracyTable(summary, ['ttt-all']);
    assert.match(table, /^step\s+ttt-all\n0\s+1\.000\n1\s+0\.000\nms\/step\/clip\s+10\.0\ndiverged\s+0$/);
  });
});

describe('ttt command: a one-unit experiment', () => {
  const flags = (extra: Partial<TttCommandFlags> = {}): TttCommandFlags => ({ checkpoint: 'models/mae-tiny', group: 'all,bias', seed: 0, task: 'label', ...extra });

  it('turns flags into one task under one shift with no-ttt, a method per group and batched BitFit of vector groups', () => {
    const config = tttExperiment(flags({ noise: 'white@5', batch: 4, steps: 3, lr: 0.01, maskRatio: 0.5, limit: 7 }));
    assert.deepEqual(config.tasks, [{ task: 'label', shifts: ['noise:white@5dB'], maxTest: 7 }]);
    assert.deepEqual(config.methods.map((m) => m.name), ['no-ttt', 'ttt-all', 'ttt-bias', 'ttt-bias-batched-B4']);
    assert.deepEqual(config.ttt, { steps: 3, learningRate: 0.01, mask: { ratio: 0.5 } });
  });

  it('refuses bad values with the config schema before any corpus is built', () => {
    assert.throws(() => tttExperiment(flags({ maskRatio: 1 })), /ttt-speech ttt[\s\S]*mask\.ratio[\s\S]*\(0, 1\)/);
    assert.throws(() => tttExperiment(flags({ maskRatio: 0 })), /mask ratio must be in \(0, 1\)/);
    assert.throws(() => tttExperiment(flags({ group: 'all,weights' })), /group/);
    assert.throws(() => tttExperiment(flags({ noise: 'rain@x' })), /rain@x/);
    assert.throws(() => tttExperiment(flags({ steps: -1 })), /ttt\.steps/);
  });

  it('stops on a missing checkpoint before building a corpus', async () => {
    const data = join(tmpdir(), `never-built-${process.pid}`);
    await assert.rejects(runTtt(flags({ checkpoint: join(tmpdir(), 'no-such-checkpoint'), data })), /--checkpoint .*no checkpoint there/);
    assert.equal(existsSync(data), false);
  });

  it('gives the same rows as `run` of the same experiment (one head protocol, one split)', async function () {
    this.timeout(600_000);
    await fullCorpus();
    const dir = mkdtempSync(join(tmpdir(), 'ttt-cli-'));
    try {
      const given = flags({ checkpoint: join(ROOT, 'models', 'mae-tiny'), data: FULL_CORPUS_DIR, noise: 'white@5', steps: 1, limit: 3, group: 'bias', out: join(dir, 'cli') });
      const printed = await runTtt(given);
      assert.match(printed, /condition\s+label\/noise:white@5dB · 3 test clips/);
      await runExperiment(tttExperiment(given), { out: join(dir, 'run') });
      const outcome = (r: TttRow) => `${r.condition}|${r.method}|${r.clip}|${r.step}|${r.predicted}|${r.loss}`;
      const cli = readResults(join(dir, 'cli', 'results.csv')).map(outcome).sort();
      assert.equal(cli.length, 3 * (1 + 2));
      assert.deepEqual(cli, readResults(join(dir, 'run', 'results.csv')).map(outcome).sort());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
