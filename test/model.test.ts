import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { createRng } from '../lib/util/index.js';
import {
  FrozenWeights,
  attachHead,
  countParameters,
  createModel,
  disposeModel,
  encodeFeatures,
  forwardClassifier,
  forwardDecoder,
  forwardEncoder,
  forwardLoss,
  forwardMae,
  keepShape,
  loadCheckpoint,
  loadWeights,
  namedParameters,
  patchGrid,
  patchify,
  randomMasking,
  restoreTokenOrder,
  saveCheckpoint,
  selectParameters,
  unpatchify,
  withOverrides,
  type MaskStrategy,
} from '../lib/model/index.js';
import { MICRO } from './helpers/models.js';

function seededTensor(shape: number[], seed: number): tf.Tensor {
  const rng = createRng(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: size }, () => 2 * rng() - 1), shape);
}

/** max |a − b| / max |b| over all values. */
function relativeError(actual: tf.Tensor, expected: tf.Tensor): number {
  return tf.tidy(() => {
    const scale = Math.max(tf.max(tf.abs(expected)).dataSync()[0], 1e-12);
    return tf.max(tf.abs(tf.sub(actual, expected))).dataSync()[0] / scale;
  });
}

describe('patchify / unpatchify', () => {
  it('round-trips a fbank batch exactly', () => {
    tf.tidy(() => {
      const x = seededTensor([2, 48, 32], 1) as tf.Tensor3D;
      const tokens = patchify(x, 16);
      assert.deepEqual(tokens.shape, [2, 6, 256]);
      const back = unpatchify(tokens, 16, 48, 32);
      assert.deepEqual(Array.from(back.dataSync()), Array.from(x.dataSync()));
    });
  });

  it('orders tokens time-major and patch values frame-major', () => {
    tf.tidy(() => {
      // value = 1000·frame + mel, so every value names its own position
      const frames = 32;
      const mels = 24;
      const values = Float32Array.from({ length: frames * mels }, (_, i) => 1000 * Math.floor(i / mels) + (i % mels));
      const tokens = patchify(tf.tensor3d(values, [1, frames, mels]), 8).arraySync()[0];
      // grid: 4 time columns × 3 frequency rows; token t·3 + f
      assert.equal(tokens[1 * 3 + 2][0], 1000 * 8 + 16); // time column 1, frequency row 2
      assert.equal(tokens[1 * 3 + 2][1], 1000 * 8 + 17); // next mel bin
      assert.equal(tokens[1 * 3 + 2][8], 1000 * 9 + 16); // next frame
    });
  });
});

describe('randomMasking', () => {
  const grid = patchGrid({ inputFrames: 256, melBins: 128, patchSize: 16 }); // 16 time columns × 8 frequency rows

  it('keeps exactly round(N·(1−r)) tokens and restore order inverts the shuffle', () => {
    for (const ratio of [0, 0.3, 0.5, 0.75, 0.9]) {
      const plan = randomMasking(grid, 3, createRng(7), { ratio });
      const N = grid.numPatches;
      assert.equal(plan.keepCount, Math.round(N * (1 - ratio)));
      for (let b = 0; b < 3; b++) {
        const shuffle = plan.idsShuffle.subarray(b * N, (b + 1) * N);
        const restore = plan.idsRestore.subarray(b * N, (b + 1) * N);
        for (let n = 0; n < N; n++) assert.equal(shuffle[restore[n]], n);
        const kept = Array.from(plan.idsKeep.subarray(b * plan.keepCount, (b + 1) * plan.keepCount));
        const hidden = Array.from(plan.idsMasked.subarray(b * plan.maskCount, (b + 1) * plan.maskCount));
        assert.deepEqual([...kept, ...hidden].sort((x, y) => x - y), Array.from({ length: N }, (_, i) => i));
        for (const n of kept) assert.equal(plan.mask[b * N + n], 0);
        for (const n of hidden) assert.equal(plan.mask[b * N + n], 1);
      }
    }
  });

  it('is reproducible from the seed and differs between samples', () => {
    const a = randomMasking(grid, 2, createRng(11));
    const b = randomMasking(grid, 2, createRng(11));
    assert.deepEqual(a.idsKeep, b.idsKeep);
    const N = grid.numPatches;
    assert.notDeepEqual(Array.from(a.mask.subarray(0, N)), Array.from(a.mask.subarray(N, 2 * N)));
  });

  const hiddenAt = (mask: Float32Array, t: number, f: number) => mask[t * grid.freqPatches + f] === 1;

  it("'time' hides whole time columns", () => {
    const plan = randomMasking(grid, 1, createRng(3), { strategy: 'time', ratio: 0.75 });
    let hiddenColumns = 0;
    for (let t = 0; t < grid.timePatches; t++) {
      const column = Array.from({ length: grid.freqPatches }, (_, f) => hiddenAt(plan.mask, t, f));
      assert.ok(column.every((h) => h === column[0]), `column ${t} is partly hidden`);
      if (column[0]) hiddenColumns++;
    }
    assert.equal(hiddenColumns, grid.timePatches - Math.round(grid.timePatches * 0.25));
  });

  it("'frequency' hides whole frequency rows", () => {
    const plan = randomMasking(grid, 1, createRng(3), { strategy: 'frequency', ratio: 0.5 });
    let hiddenRows = 0;
    for (let f = 0; f < grid.freqPatches; f++) {
      const row = Array.from({ length: grid.timePatches }, (_, t) => hiddenAt(plan.mask, t, f));
      assert.ok(row.every((h) => h === row[0]), `row ${f} is partly hidden`);
      if (row[0]) hiddenRows++;
    }
    assert.equal(hiddenRows, grid.freqPatches - Math.round(grid.freqPatches * 0.5));
  });

  it("'time+frequency' hides the union of whole columns and rows, splitting the ratio", () => {
    const plan = randomMasking(grid, 1, createRng(5), { strategy: 'time+frequency', ratio: 0.75 });
    const columnHidden = Array.from({ length: grid.timePatches }, (_, t) =>
      Array.from({ length: grid.freqPatches }, (_, f) => hiddenAt(plan.mask, t, f)).every(Boolean),
    );
    const rowHidden = Array.from({ length: grid.freqPatches }, (_, f) =>
      Array.from({ length: grid.timePatches }, (_, t) => hiddenAt(plan.mask, t, f)).every(Boolean),
    );
    for (let t = 0; t < grid.timePatches; t++) {
      for (let f = 0; f < grid.freqPatches; f++) assert.equal(hiddenAt(plan.mask, t, f), columnHidden[t] || rowHidden[f]);
    }
    // √(1 − 0.75) = 0.5: half the columns and half the rows stay, so a quarter of the tokens
    assert.equal(columnHidden.filter(Boolean).length, 8);
    assert.equal(rowHidden.filter(Boolean).length, 4);
    assert.equal(plan.keepCount, grid.numPatches / 4);
  });

  it('rejects ratios outside [0, 1) and unknown strategies', () => {
    assert.throws(() => randomMasking(grid, 1, createRng(1), { ratio: 1 }), /mask ratio/);
    assert.throws(() => keepShape(grid, 'diagonal' as MaskStrategy, 0.5), /unknown mask strategy/);
  });
});

describe('MAE model', () => {
  it('counts the parameters of the presets', () => {
    const tiny = createModel('tiny', 0);
    try {
      // Counted from the architecture: LayerNorm 2d; dense in·out + out; MLP ratio 4.
      const c = tiny.config;
      const p2 = c.patchSize * c.patchSize;
      const block = (d: number) => 2 * (2 * d) + (d * 3 * d + 3 * d) + (d * d + d) + (d * 4 * d + 4 * d) + (4 * d * d + d);
      const encoder = p2 * c.embedDim + c.embedDim + c.depth * block(c.embedDim) + 2 * c.embedDim + (c.clsToken ? c.embedDim : 0);
      const decoder =
        c.embedDim * c.decoderEmbedDim + c.decoderEmbedDim + c.decoderEmbedDim + c.decoderDepth * block(c.decoderEmbedDim) + 2 * c.decoderEmbedDim + c.decoderEmbedDim * p2 + p2;
      assert.equal(c.mlpRatio, 4);
      assert.equal(countParameters(tiny.params), encoder + decoder);
    } finally {
      disposeModel(tiny);
    }
  });

  it('names parameters hierarchically and selects groups by name', () => {
    const model = createModel(MICRO, 0);
    attachHead(model, { numClasses: 3 });
    try {
      const names = [...namedParameters(model).keys()];
      for (const name of ['encoder.blocks.1.attn.qkv.bias', 'encoder.norm.weight', 'decoder.pred.weight', 'decoder.maskToken', 'head.fc.bias']) {
        assert.ok(names.includes(name), `missing ${name}`);
      }
      assert.equal(names[0], 'encoder.patchEmbed.weight');
      const bias = [...selectParameters(model, 'bias').keys()];
      assert.ok(bias.length > 0 && bias.every((n) => n.endsWith('.bias')));
      assert.equal(bias.length, names.filter((n) => n.endsWith('.bias')).length);
      const norms = [...selectParameters(model, 'layernorm').keys()];
      assert.ok(norms.includes('encoder.blocks.0.norm1.weight') && norms.includes('decoder.norm.bias'));
      assert.ok(norms.every((n) => /norm\d?\.(weight|bias)$/.test(n)));
      const last = [...selectParameters(model, 'lastBlocks:1').keys()];
      assert.ok(last.every((n) => n.startsWith('encoder.blocks.1.') || n.startsWith('encoder.norm.')));
      assert.equal(selectParameters(model, (n) => n.startsWith('encoder.') && n.endsWith('.bias')).size, 2 * 6 + 2);
      assert.throws(() => selectParameters(model, 'lastBlocks:5'), /k must be in 1…2/);
    } finally {
      disposeModel(model);
    }
  });

  it('encodes visible tokens only, decodes every patch, classifies whole clips', () => {
    const model = createModel(MICRO, 1);
    attachHead(model, { numClasses: 4, kind: 'mlp', hiddenDim: 8 });
    try {
      tf.tidy(() => {
        const grid = patchGrid(MICRO);
        const fbanks = seededTensor([2, 32, 32], 2) as tf.Tensor3D;
        const plan = randomMasking(grid, 2, createRng(1));
        const patches = patchify(fbanks, 8);
        const latent = forwardEncoder(model.params.encoder, MICRO, model.posEmbed.encoder, patches, plan);
        assert.deepEqual(latent.shape, [2, 4, 32]);
        const pred = forwardDecoder(model.params.decoder, MICRO, model.posEmbed.decoder, latent, plan);
        assert.deepEqual(pred.shape, [2, 16, 64]);
        const { loss } = forwardMae(model, fbanks, plan);
        assert.ok(Number.isFinite(loss.dataSync()[0]));
        assert.deepEqual(forwardClassifier(model, fbanks).shape, [2, 4]);
        assert.deepEqual(encodeFeatures(model, fbanks).shape, [2, 32]);
      });
    } finally {
      disposeModel(model);
    }
  });

  it('puts visible tokens back at their places and mask tokens in the hidden ones', () => {
    tf.tidy(() => {
      const grid = patchGrid(MICRO);
      const plan = randomMasking(grid, 2, createRng(9));
      // visible token j of sample b carries the value 100·b + idsKeep[b, j]; the mask token is −1
      const visible = tf.tensor3d(Array.from(plan.idsKeep, (n, i) => 100 * Math.floor(i / plan.keepCount) + n), [2, plan.keepCount, 1]);
      const restored = restoreTokenOrder(visible, tf.tensor3d([[[-1]]]), plan).arraySync();
      for (let b = 0; b < 2; b++) {
        for (let n = 0; n < grid.numPatches; n++) {
          assert.equal(restored[b][n][0], plan.mask[b * grid.numPatches + n] ? -1 : 100 * b + n);
        }
      }
    });
  });

  it('computes only the hidden patches in the loss', () => {
    const model = createModel(MICRO, 1);
    try {
      tf.tidy(() => {
        const grid = patchGrid(MICRO);
        const fbanks = seededTensor([1, 32, 32], 3) as tf.Tensor3D;
        const plan = randomMasking(grid, 1, createRng(2));
        const { loss, pred, mask } = forwardMae(model, fbanks, plan);
        const target = patchify(fbanks, 8).arraySync()[0];
        const p = pred.arraySync()[0];
        const m = mask.arraySync()[0];
        let sum = 0;
        let count = 0;
        for (let n = 0; n < grid.numPatches; n++) {
          if (!m[n]) continue;
          sum += p[n].reduce((acc, v, i) => acc + (v - target[n][i]) ** 2, 0) / p[n].length;
          count++;
        }
        assert.ok(Math.abs(loss.dataSync()[0] - sum / count) < 1e-5);
      });
    } finally {
      disposeModel(model);
    }
  });

  it('gives per-sample bias copies the same results and gradients as shared biases', () => {
    const model = createModel(MICRO, 2);
    const batch = 3;
    const frozen = new FrozenWeights([...selectParameters(model, (n) => n.endsWith('.weight') && !n.includes('norm')).values()]);
    try {
      tf.tidy(() => {
        const fbanks = seededTensor([batch, 32, 32], 4) as tf.Tensor3D;
        const plan = randomMasking(patchGrid(MICRO), batch, createRng(3));
        const encoderBiases = selectParameters(model, (n) => n.startsWith('encoder.') && n.endsWith('.bias'));
        const copies = new Map<string, tf.Tensor>();
        for (const [name, bias] of encoderBiases) copies.set(name, tf.tile(tf.reshape(bias, [1, 1, -1]), [batch, 1, 1]));
        const names = [...copies.keys()];
        const perSample = (...biases: tf.Tensor[]) => {
          const params = withOverrides(model.params, new Map(names.map((n, i) => [n, biases[i]])));
          return forwardMae(model, fbanks, plan, { params, perSample: true, context: { frozen } }).loss;
        };
        const shared = forwardMae(model, fbanks, plan, { perSample: true }).loss;
        assert.ok(relativeError(perSample(...copies.values()), shared) < 1e-5);
        // Summed per-sample losses: sample b's bias copy gets exactly the gradient of sample b's own loss.
        const grads = tf.grads((...b: tf.Tensor[]) => tf.sum(perSample(...b)))([...copies.values()]);
        const single = tf.variableGrads(
          () => tf.sum(tf.slice(forwardMae(model, fbanks, plan, { perSample: true }).loss, [1], [1])) as tf.Scalar,
          [...encoderBiases.values()],
        );
        names.forEach((name, i) => {
          const sample1 = tf.reshape(tf.slice(grads[i], [1, 0, 0], [1, 1, -1]), [-1]);
          const variable = encoderBiases.get(name) as tf.Variable;
          assert.ok(relativeError(sample1, single.grads[variable.name]) < 1e-4, `${name}: per-sample gradient differs`);
        });
      });
    } finally {
      frozen.dispose();
      disposeModel(model);
    }
  });
  it('supports a class token: encoded first, pooled by the head, trained through the MAE loss', () => {
    const config = { ...MICRO, clsToken: true, normPixLoss: true };
    const model = createModel(config, 4);
    attachHead(model, { numClasses: 2, pool: 'cls' });
    try {
      tf.tidy(() => {
        const fbanks = seededTensor([2, 32, 32], 5) as tf.Tensor3D;
        const plan = randomMasking(patchGrid(config), 2, createRng(4));
        const latent = forwardEncoder(model.params.encoder, config, model.posEmbed.encoder, patchify(fbanks, 8), plan);
        assert.deepEqual(latent.shape, [2, 1 + plan.keepCount, 32]);
        assert.deepEqual(forwardMae(model, fbanks, plan).pred.shape, [2, 16, 64]);
        assert.deepEqual(forwardClassifier(model, fbanks).shape, [2, 2]);
        const cls = namedParameters(model).get('encoder.clsToken')!;
        const { grads } = tf.variableGrads(() => forwardMae(model, fbanks, plan).loss as tf.Scalar, [cls]);
        assert.ok(tf.max(tf.abs(grads[cls.name])).dataSync()[0] > 0);
      });
    } finally {
      disposeModel(model);
    }
  });

  it('normalises each target patch with normPixLoss', () => {
    tf.tidy(() => {
      const target = seededTensor([1, 3, 4], 6) as tf.Tensor3D;
      const pred = tf.zeros([1, 3, 4]) as tf.Tensor3D;
      const mask = tf.tensor2d([[1, 0, 1]]);
      // with a zero prediction, the loss is the mean square of the normalised target: 1 − 1e-6/(var + 1e-6) per patch
      const rows = target.arraySync()[0];
      const expected = [0, 2].map((n) => {
        const mean = rows[n].reduce((a, b) => a + b, 0) / 4;
        const variance = rows[n].reduce((a, b) => a + (b - mean) ** 2, 0) / 4;
        return variance / (variance + 1e-6);
      });
      const loss = forwardLoss(target, pred, mask, { normPixLoss: true }).dataSync()[0];
      assert.ok(Math.abs(loss - (expected[0] + expected[1]) / 2) < 1e-5);
    });
  });
});

describe('checkpoints', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ttt-speech-ckpt-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('round-trips every parameter bit for bit, with config and extras', () => {
    const model = createModel(MICRO, 5);
    attachHead(model, { numClasses: 3, kind: 'mlp', hiddenDim: 8 });
    const extra = tf.tensor([0.1, -2.5e-20, 3]);
    try {
      saveCheckpoint(join(dir, 'ckpt'), model, { normStats: { mean: -4.2, std: 3.1 }, features: { melBins: 32 }, tensors: new Map([['optimizer.step', extra]]) });
      const loaded = loadCheckpoint<{ melBins: number }, { mean: number; std: number }>(join(dir, 'ckpt'));
      try {
        assert.deepEqual(loaded.model.config, model.config);
        assert.deepEqual(loaded.model.headConfig, model.headConfig);
        assert.deepEqual(loaded.config.normStats, { mean: -4.2, std: 3.1 });
        const original = namedParameters(model);
        const restored = namedParameters(loaded.model);
        assert.deepEqual([...restored.keys()], [...original.keys()]);
        for (const [name, variable] of original) {
          const a = new Uint32Array((variable.dataSync() as Float32Array).buffer.slice(0));
          const b = new Uint32Array((restored.get(name)!.dataSync() as Float32Array).buffer.slice(0));
          assert.deepEqual(b, a, `${name} differs`);
        }
        assert.deepEqual(Array.from(loaded.tensors.get('optimizer.step')!.dataSync()), Array.from(extra.dataSync()));
        tf.dispose([...loaded.tensors.values()]);
      } finally {
        disposeModel(loaded.model);
      }
    } finally {
      extra.dispose();
      disposeModel(model);
    }
  });

  it('names the first mismatching parameter', () => {
    const small = createModel(MICRO, 0);
    const wide = createModel({ ...MICRO, embedDim: 48 }, 0);
    try {
      saveCheckpoint(join(dir, 'ckpt'), small);
      assert.throws(() => loadWeights(wide, join(dir, 'ckpt')), /^Error: encoder\.patchEmbed\.weight: checkpoint has \[64,32\], model expects \[64,48\]$/);
    } finally {
      disposeModel(small);
      disposeModel(wide);
    }
  });

  it('refuses weights split into a different number of heads', () => {
    const model = createModel(MICRO, 0);
    const other = createModel({ ...MICRO, numHeads: 4 }, 0);
    try {
      saveCheckpoint(join(dir, 'ckpt'), model);
      assert.throws(() => loadWeights(other, join(dir, 'ckpt')), /model config numHeads: checkpoint has 2, model expects 4/);
      loadWeights(other, join(dir, 'ckpt'), { parts: ['decoder'] });
    } finally {
      disposeModel(model);
      disposeModel(other);
    }
  });

  it('replaces an existing checkpoint in place', () => {
    const a = createModel(MICRO, 1);
    const b = createModel(MICRO, 2);
    try {
      saveCheckpoint(join(dir, 'ckpt'), a);
      saveCheckpoint(join(dir, 'ckpt'), b);
      loadWeights(a, join(dir, 'ckpt'));
      const wa = namedParameters(a).get('decoder.pred.weight')!.dataSync();
      const wb = namedParameters(b).get('decoder.pred.weight')!.dataSync();
      assert.deepEqual(Array.from(wa), Array.from(wb));
    } finally {
      disposeModel(a);
      disposeModel(b);
    }
  });
});
