// Pre-training from a config: the schema checks every setting before any corpus is built, a run
// leaves a checkpoint that records its feature recipe, statistics and settings (random windows
// included), and the `pretrain` command is a thin reader and printer around the library.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPretrain } from '../lib/cli/commands/pretrain.js';
import { readCheckpointConfig } from '../lib/model/index.js';
import { pretrainFromConfig, resolvePretrainConfig, type PretrainConfig, type PretrainState } from '../lib/train/index.js';
import { FULL_CORPUS_DIR, fullCorpus } from './helpers/corpus.js';

/** A small model on the first sentences of the tests' corpus: a few steps in seconds. */
function smallConfig(out: string, extra: Partial<PretrainConfig> = {}): PretrainConfig {
  return resolvePretrainConfig({
    model: { preset: 'tiny', depth: 1, embedDim: 64, numHeads: 2, decoderEmbedDim: 32, decoderDepth: 1, decoderNumHeads: 2 },
    data: { corpus: { preset: 'full', seed: 1, dir: FULL_CORPUS_DIR }, roles: ['task'], heldOutSentences: [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19] },
    features: { padMode: 'end', padValue: 'floor', stdScale: 2 },
    train: { epochs: 1, batchSize: 16, randomCrop: true, checkpointEvery: 1 },
    seed: 3,
    out,
    ...extra,
  });
}

describe('pre-training from a config', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'ttt-pretrain-config-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses bad settings with the key named, before any corpus is built', async () => {
    assert.throws(() => resolvePretrainConfig({ train: { mask: { ratio: 0 } } }, 'p.json'), /p\.json: train\.mask\.ratio: a mask ratio must be in \(0, 1\)/);
    assert.throws(() => resolvePretrainConfig({ train: { epoch: 3 } }, 'p.json'), /p\.json: train/);
    assert.throws(() => resolvePretrainConfig({ data: { roles: ['speaker'] } }, 'p.json'), /data\.roles/);
    const corpusDir = join(dir, 'never-built');
    await assert.rejects(
      pretrainFromConfig(resolvePretrainConfig({ data: { corpus: { dir: corpusDir } }, features: { fbank: { melBins: 64 } }, out: join(dir, 'ck') })),
      /melBins=64 differs from the model's melBins=128/,
    );
    assert.equal(existsSync(corpusDir), false);
  });

  it('pre-trains on random windows, records recipe, statistics and settings, and knows a finished run', async function () {
    this.timeout(600_000);
    await fullCorpus();
    const out = join(dir, 'ck');
    const run = await pretrainFromConfig(smallConfig(out));
    assert.equal(run.status, 'trained');
    // 2 sentences × 24 speakers = 48 clips, batches of 16.
    assert.equal(run.clips, 48);
    assert.equal(run.totalSteps, 3);
    const stored = readCheckpointConfig<{ padValue?: string }, { mean: number; std: number }, PretrainState>(out);
    assert.equal(stored.features?.padValue, 'floor');
    assert.ok(stored.normStats!.std > 0);
    assert.equal(stored.training?.settings.randomCrop, true);
    assert.equal(stored.training?.completed, true);
    await assert.rejects(pretrainFromConfig(smallConfig(out)), /a checkpoint exists at .*--resume/);
    const again = await pretrainFromConfig(smallConfig(out), { resume: true });
    assert.equal(again.status, 'complete');
    assert.match(await runPretrain({ config: join(dir, 'unused.json'), out }).catch((e: Error) => e.message), /unused\.json: cannot read the pretrain config: no such file/);
  });
});
