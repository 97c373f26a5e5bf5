// The clean-twin diagnostic: a noise unit records, for every clip and adapting method, the MAE
// loss of the noisy clip and of its clean twin and their feature distance, before and after
// TTT; batched BitFit files the same numbers as per-sample BitFit; a clip measured against
// itself is at distance 0; the report summarises it; nothing leaks.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { diagnosticsPath, measureTwins, readDiagnostics, resolveExperimentConfig, runExperiment, summarizeDiagnostics, writeReport } from '../lib/experiment/index.js';
import { fbankCacheTensorCount } from '../lib/features/index.js';
import { createModel, disposeModel } from '../lib/model/index.js';
import { resolveTttConfig, type TttClip } from '../lib/ttt/index.js';
import { FULL_CORPUS_DIR, ROOT, fullCorpus } from './helpers/corpus.js';

describe('clean-twin diagnostic', function () {
  this.timeout(600_000);
  let dir: string;
  before(async () => {
    await fullCorpus();
    dir = mkdtempSync(join(tmpdir(), 'ttt-diagnostics-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('measures a clip against itself at distance 0 and equal losses, without leaking tensors', () => {
    const model = createModel('tiny', 0);
    try {
      const { inputFrames, melBins } = model.config;
      const clips: TttClip[] = [0, 1].map((i) => ({ id: `c${i}`, label: 0, fbank: Float32Array.from({ length: inputFrames * melBins }, (_, j) => Math.sin(j * (0.01 + i * 0.003))) }));
      const before = tf.memory().numTensors;
      const config = resolveTttConfig({ seed: 3 });
      const same = measureTwins(model, config, clips, clips);
      assert.equal(tf.memory().numTensors, before);
      for (let i = 0; i < 2; i++) {
        assert.ok(Math.abs(same.featureDistance[i]) < 1e-5, `distance ${same.featureDistance[i]}`);
        assert.equal(same.lossShifted[i], same.lossClean[i]);
      }
      const swapped = measureTwins(model, config, clips, clips.map((clip, i) => ({ ...clip, fbank: clips[1 - i].fbank })));
      assert.ok(swapped.featureDistance[0] > 1e-4, 'different inputs are at a distance');
      assert.throws(() => measureTwins(model, config, clips, [...clips].reverse()), /clean twins must be the noisy clips' own/);
    } finally {
      disposeModel(model);
    }
  });

  it('records every clip before and after each adapting method, batched BitFit as per-sample, and the report summarises it', async () => {
    const config = resolveExperimentConfig({
      name: 'twins',
      corpus: { offline: { preset: 'full', seed: 1, dir: FULL_CORPUS_DIR } },
      checkpoint: join(ROOT, 'models', 'mae-tiny'),
      tasks: [{ task: 'speaker', shifts: ['noise:white@0dB'], maxTest: 3, maxTrain: 48 }],
      methods: [
        { name: 'no-ttt' },
        { name: 'ttt-all', group: 'all' },
        { name: 'bitfit', group: 'bias' },
        { name: 'bitfit-batched', group: 'bias', batch: 2 },
      ],
      ttt: { steps: 2 },
      head: { epochs: 5 },
    });
    const out = join(dir, 'run');
    const tensorsBefore = tf.memory().numTensors - fbankCacheTensorCount();
    await runExperiment(config, { out });
    assert.equal(tf.memory().numTensors - fbankCacheTensorCount(), tensorsBefore);
    const rows = readDiagnostics(diagnosticsPath(out));
    // 3 clips × 3 adapting methods × (step 0, step 2); the unadapted model has no row of its own.
    assert.equal(rows.length, 3 * 3 * 2);
    assert.ok(rows.every((row) => row.condition === 'speaker/noise:white@0dB'));
    const at = (method: string, clip: string, step: number) => rows.find((r) => r.method === method && r.clip === clip && r.step === step)!;
    const clips = [...new Set(rows.map((row) => row.clip))];
    for (const clip of clips) {
      // Before TTT every method starts from the same weights.
      assert.deepEqual(
        ['ttt-all', 'bitfit', 'bitfit-batched'].map((m) => at(m, clip, 0)).map((r) => [r.lossShifted, r.lossClean, r.featureDistance]),
        Array(3).fill([at('ttt-all', clip, 0).lossShifted, at('ttt-all', clip, 0).lossClean, at('ttt-all', clip, 0).featureDistance]),
      );
      const full = at('ttt-all', clip, 2);
      assert.ok(full.lossShifted !== at('ttt-all', clip, 0).lossShifted, 'TTT moved the weights the diagnostic measures');
      for (const key of ['lossShifted', 'lossClean', 'featureDistance'] as const) {
        const single = at('bitfit', clip, 2)[key];
        const batched = at('bitfit-batched', clip, 2)[key];
        assert.ok(Math.abs(single - batched) <= 1e-4 * Math.max(1, Math.abs(single)), `${clip} ${key}: per-sample ${single}, batched ${batched}`);
      }
      assert.ok(at('ttt-all', clip, 0).featureDistance > 0, 'noise moves the features');
    }
    const summaries = summarizeDiagnostics(rows);
    assert.deepEqual(summaries.map((s) => s.method), ['ttt-all', 'bitfit', 'bitfit-batched']);
    const first = summaries[0];
    assert.ok(first.distanceChange.low <= first.distanceChange.estimate && first.distanceChange.estimate <= first.distanceChange.high);
    const html = readFileSync(writeReport([out]).reportPath, 'utf8');
    assert.match(html, /Is the premise true here\?/);
    assert.match(html, /Feature distance to the clean twin, before and after TTT/);
  });
});
