// Experiments: configs are validated with errors that name the key, grids expand and shards
// partition them, a run writes config.json / results.csv / summary.csv / report.html, a run
// killed mid-way and started again ends with the same summary and no duplicate rows, and
// sharded sweeps merge into one report that draws in a browser.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  expandGrid,
  experimentUnits,
  loadExperimentConfig,
  parseShard,
  resolveExperimentConfig,
  runExperiment,
  runSweep,
  shardItems,
  writeReport,
  type ExperimentConfigInput,
} from '../lib/experiment/index.js';
import { fbankCacheTensorCount } from '../lib/features/index.js';
import { readResults } from '../lib/ttt/index.js';
import { hasChromium, renderedDom, screenshot } from './helpers/chromium.js';
import { FULL_CORPUS_DIR, ROOT, fullCorpus } from './helpers/corpus.js';

/** A small experiment on the offline corpus with the shipped model: two units, three methods, two steps. */
function smallConfig(name: string): ExperimentConfigInput {
  return {
    name,
    corpus: { offline: { preset: 'full', seed: 1, dir: FULL_CORPUS_DIR } },
    checkpoint: join(ROOT, 'models', 'mae-tiny'),
    tasks: [
      { task: 'speaker', shifts: ['noise:white@0dB'], maxTest: 3 },
      { task: 'label', shifts: ['gender:F->M'], maxTest: 3 },
    ],
    methods: [{ name: 'no-ttt' }, { name: 'ttt-all', group: 'all' }, { name: 'ttt-bitfit', group: 'bias', batch: 2 }],
    ttt: { steps: 2 },
    head: { epochs: 5 },
    seed: 0,
  };
}

/** summary.csv without the timing column, which differs from run to run. */
function summaryWithoutTimes(path: string): string[] {
  const [header, ...lines] = readFileSync(path, 'utf8').trim().split('\n');
  const drop = header.split(',').indexOf('mean_ms');
  return lines.map((line) => line.split(',').filter((_, i) => i !== drop).join(','));
}

function rowKeys(path: string): string[] {
  return readResults(path).map((row) => [row.condition, row.method, row.clip, row.step].join('|'));
}

describe('experiment configs', () => {
  it('fill in defaults: the shipped model, the offline corpus, no-ttt / ttt-all / ttt-bitfit', () => {
    const config = resolveExperimentConfig({ name: 'x', tasks: [{ task: 'speaker', shifts: ['noise:white@0dB'] }] });
    assert.equal(config.checkpoint, 'models/mae-tiny');
    assert.deepEqual(config.corpus, { offline: {} });
    assert.deepEqual(config.methods.map((m) => m.name), ['no-ttt', 'ttt-all', 'ttt-bitfit']);
    assert.equal(config.seed, 0);
  });

  it('name an unknown key, a bad value and a bad shift', () => {
    assert.throws(() => resolveExperimentConfig({ name: 'x', tasks: [{ task: 'speaker', shifts: ['clean'] }], tt: {} }, 'my.json'), /my\.json: invalid experiment config[\s\S]*unknown key 'tt'/);
    assert.throws(() => resolveExperimentConfig({ name: 'x', tasks: [{ task: 'speaker', shifts: ['clean'] }], ttt: { steps: -1 } }, 'c'), /ttt\.steps/);
    assert.throws(() => resolveExperimentConfig({ name: 'x', tasks: [{ task: 'speaker', shifts: ['noise:rain'] }] }, 'c'), /tasks\[0\]\.shifts\[0\]/);
    assert.throws(() => resolveExperimentConfig({ name: 'x', tasks: [{ task: 'speaker', shifts: ['clean'] }], methods: [{ name: 'a' }, { name: 'a' }] }, 'c'), /'a' appears twice/);
    assert.throws(() => resolveExperimentConfig({ name: 'x', tasks: [{ task: 'speaker', shifts: ['clean'] }], methods: [{ name: 'a', group: 'weights' }] }, 'c'), /methods\[0\]\.group/);
    // Before any corpus is built: speaker ID cannot be tested on speakers it was not trained on.
    assert.throws(() => resolveExperimentConfig({ name: 'x', tasks: [{ task: 'speaker', shifts: ['clean', 'age:young->old'] }] }, 'c'), /tasks\[0\]\.shifts\[1\]: 'age:young->old'.*task: label/);
    assert.throws(() => resolveExperimentConfig({ name: 'x', tasks: [{ task: 'label', shifts: ['clean'] }], ttt: { mask: { ratio: 1 } } }, 'c'), /ttt\.mask\.ratio: a mask ratio must be in \(0, 1\)/);
    assert.throws(() => resolveExperimentConfig({ name: 'x', tasks: [{ task: 'label', shifts: ['clean'] }], head: { kind: 'ridge', epochs: 5 } }, 'c'), /head\.epochs: applies to kind: probe only/);
    assert.throws(() => resolveExperimentConfig({ name: 'x', tasks: [{ task: 'label', shifts: ['clean'] }], head: { lambdas: [1] } }, 'c'), /head\.lambdas: applies to kind: ridge only/);
  });

  it('read from YAML and JSON files, with the file named in errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ttt-config-'));
    try {
      writeFileSync(join(dir, 'a.yaml'), 'name: a\ntasks:\n  - task: label\n    shifts: ["gender:F->M"]\nttt: { steps: 3, mask: { ratio: 0.5 } }\n');
      const config = loadExperimentConfig(join(dir, 'a.yaml'));
      assert.equal(config.ttt.steps, 3);
      assert.equal(config.ttt.mask?.ratio, 0.5);
      writeFileSync(join(dir, 'b.json'), '{ "name": "b", ');
      assert.throws(() => loadExperimentConfig(join(dir, 'b.json')), /b\.json: not valid JSON/);
      assert.throws(() => loadExperimentConfig(join(dir, 'missing.json')), /missing\.json: cannot read/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('include valid examples in experiments/', () => {
    const files = readdirSync(join(ROOT, 'experiments')).filter((f) => /\.(json|ya?ml)$/.test(f));
    assert.ok(files.length >= 3, `example configs: ${files.join(', ')}`);
    for (const file of files) assert.ok(expandGrid(loadExperimentConfig(join(ROOT, 'experiments', file))).length >= 1, file);
  });
});

describe('grids and shards', () => {
  it('expand every combination of the grid, each validated', () => {
    const variants = expandGrid(resolveExperimentConfig({ name: 'g', tasks: [{ task: 'speaker', shifts: ['clean'] }], grid: { 'ttt.mask.ratio': [0.25, 0.5], seed: [0, 1] } }));
    assert.deepEqual(variants.map((v) => v.name), ['ttt.mask.ratio=0.25__seed=0', 'ttt.mask.ratio=0.25__seed=1', 'ttt.mask.ratio=0.5__seed=0', 'ttt.mask.ratio=0.5__seed=1']);
    assert.equal(variants[3].config.ttt.mask?.ratio, 0.5);
    assert.equal(variants[3].config.seed, 1);
    assert.throws(() => expandGrid(resolveExperimentConfig({ name: 'g', tasks: [{ task: 'speaker', shifts: ['clean'] }], grid: { 'ttt.mask.ratio': [1.5] } })), /ttt\.mask\.ratio/);
  });

  it('split work into disjoint shards that cover it', () => {
    assert.deepEqual(parseShard('1/3'), { index: 1, count: 3 });
    assert.throws(() => parseShard('3/3'), /0 ≤ i < n/);
    const items = Array.from({ length: 10 }, (_, i) => i);
    const shards = [0, 1, 2].map((index) => shardItems(items, { index, count: 3 }));
    assert.deepEqual(shards.flat().sort((a, b) => a - b), items);
    const units = experimentUnits(resolveExperimentConfig(smallConfig('u')));
    assert.deepEqual(units.map((u) => u.condition), ['speaker/noise:white@0dB', 'label/gender:F->M']);
  });
});

describe('running experiments', function () {
  this.timeout(1_200_000);
  let dir: string;
  before(async () => {
    await fullCorpus();
    dir = mkdtempSync(join(tmpdir(), 'ttt-experiment-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes config.json, results.csv, summary.csv and report.html, without leaking tensors', async () => {
    // The fbank plan cache (two tensors per option set, see clearFbankCache) is not a leak.
    const tensorsBefore = tf.memory().numTensors - fbankCacheTensorCount();
    const out = join(dir, 'whole');
    const result = await runExperiment(resolveExperimentConfig(smallConfig('whole')), { out });
    assert.equal(tf.memory().numTensors - fbankCacheTensorCount(), tensorsBefore);
    // 3 clips × 2 units × (1 row for no-ttt + 3 rows for each of two adapting methods).
    assert.equal(result.newRows, 3 * 2 * (1 + 3 + 3));
    const record = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    assert.equal(record.experiment.name, 'whole');
    assert.equal(record.backend, tf.getBackend());
    assert.ok(record.versions.tfjs && record.seed === 0);
    assert.deepEqual(Object.keys(record.splits).sort(), ['label/gender:F->M', 'speaker/noise:white@0dB']);
    const report = writeReport([out]);
    assert.ok(existsSync(report.reportPath) && existsSync(join(out, 'summary.csv')));
    assert.deepEqual(new Set(report.summary.map((s) => s.condition)), new Set(['speaker/noise:white@0dB', 'label/gender:F->M']));
  });

  it('killed mid-run and started again, ends with the same summary and no duplicate rows', async function () {
    const config = join(dir, 'kill.json');
    writeFileSync(config, JSON.stringify(smallConfig('kill')));
    const out = join(dir, 'kill');
    const cli = (signalAfterRows?: number) =>
      new Promise<number | null>((resolve, reject) => {
        const child = spawn(process.execPath, [join(ROOT, 'bin', 'ttt-speech.mjs'), 'run', config, '--out', out], { stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (chunk) => (stderr += chunk));
        let timer: NodeJS.Timeout | undefined;
        if (signalAfterRows !== undefined) {
          timer = setInterval(() => {
            const path = join(out, 'results.csv');
            if (existsSync(path) && readFileSync(path, 'utf8').trim().split('\n').length > signalAfterRows) child.kill('SIGKILL');
          }, 100);
        }
        child.on('error', reject);
        child.on('close', (code) => {
          if (timer) clearInterval(timer);
          if (signalAfterRows === undefined && code !== 0) reject(new Error(`run failed (${code}): ${stderr.slice(-2000)}`));
          else resolve(code);
        });
      });
    const killedCode = await cli(10);
    assert.notEqual(killedCode, 0, 'the first run was killed before it finished');
    const partial = rowKeys(join(out, 'results.csv')).length;
    assert.ok(partial > 0 && partial < 42, `rows after the kill: ${partial}`);
    await cli();
    const keys = rowKeys(join(out, 'results.csv'));
    assert.equal(new Set(keys).size, keys.length, 'no duplicate rows');
    assert.equal(keys.length, 42);
    assert.deepEqual(summaryWithoutTimes(join(out, 'summary.csv')), summaryWithoutTimes(join(dir, 'whole', 'summary.csv')));
  });

  it('with resume off, starts afresh and keeps the rows of every unit', async () => {
    const out = join(dir, 'whole');
    const result = await runExperiment(resolveExperimentConfig(smallConfig('whole')), { out, resume: false });
    assert.equal(result.newRows, 42);
    const keys = rowKeys(join(out, 'results.csv'));
    assert.equal(keys.length, 42);
    assert.equal(new Set(keys.map((key) => key.split('|')[0])).size, 2, 'both units kept their rows');
  });

  it('stops on a missing checkpoint, noise manifest or a group the model lacks before building any corpus', async () => {
    const never = join(dir, 'never-built');
    const base = { ...smallConfig('early'), corpus: { offline: { preset: 'full', seed: 1, dir: never } } };
    await assert.rejects(
      runExperiment(resolveExperimentConfig({ ...base, tasks: [{ task: 'label', shifts: ['noise:musan-noise@5dB'] }], noise: { musan: join(dir, 'no-musan') } }), { out: join(dir, 'early-noise') }),
      /label\/noise:musan-noise@5dB: no prepared musan manifest at .*no-musan\/manifest\.csv/,
    );
    await assert.rejects(runExperiment(resolveExperimentConfig({ ...base, checkpoint: join(dir, 'no-model') }), { out: join(dir, 'early-model') }), /no-model/);
    await assert.rejects(
      runExperiment(resolveExperimentConfig({ ...base, methods: [{ name: 'deep', group: 'lastBlocks:99' }] }), { out: join(dir, 'early-group') }),
      /method deep: .*99/,
    );
    assert.equal(existsSync(never), false);
  });

  it('trains a head once for all variants of a sweep that differ only in TTT settings', async () => {
    const config = resolveExperimentConfig({
      ...smallConfig('shared-heads'),
      tasks: [{ task: 'speaker', shifts: ['clean'], maxTest: 2 }],
      methods: [{ name: 'ttt-bitfit', group: 'bias' }],
      ttt: { steps: 1 },
      grid: { 'ttt.learningRate': [0.1, 0.2] },
    });
    const out = join(dir, 'shared-heads');
    const sweep = await runSweep(config, { out });
    assert.equal(sweep.runs.length, 2);
    assert.equal(readdirSync(join(out, 'heads')).length, 1, 'one head file for both variants');
    const notes = sweep.runs.map((run) => Object.values((JSON.parse(readFileSync(join(run.result.out, 'config.json'), 'utf8')) as { heads: Record<string, string> }).heads)[0]);
    assert.match(notes[0], /^linear probe/);
    assert.match(notes[1], /^head loaded from .*heads/);
  });

  it('runs a sweep in shards and merges them into one report that draws in a browser', async function () {
    const sweep = {
      ...smallConfig('sweep'),
      tasks: [{ task: 'speaker' as const, shifts: ['clean'], maxTest: 2 }],
      methods: [{ name: 'no-ttt' }, { name: 'ttt-bitfit', group: 'bias' }],
      ttt: { steps: 1 },
      grid: { 'ttt.mask.ratio': [0.5, 0.9] },
    };
    const config = resolveExperimentConfig(sweep);
    const out = join(dir, 'sweep');
    const first = await runSweep(config, { out, shard: { index: 0, count: 2 } });
    const second = await runSweep(config, { out, shard: { index: 1, count: 2 } });
    assert.deepEqual([...first.runs, ...second.runs].map((r) => r.variant).sort(), ['ttt.mask.ratio=0.5', 'ttt.mask.ratio=0.9']);
    const report = writeReport([out]);
    assert.equal(report.folders.length, 2);
    const variants = new Set(report.summary.map((s) => s.variant));
    assert.deepEqual([...variants].sort(), ['ttt.mask.ratio=0.5', 'ttt.mask.ratio=0.9']);
    assert.match(readFileSync(report.summaryPath, 'utf8').split('\n')[0], /^variant,condition,method,step,accuracy/);
    if (!hasChromium()) {
      console.log('      (browser check skipped: /usr/bin/chromium not found; apt-get install -y chromium)');
      return;
    }
    const html = readFileSync(report.reportPath, 'utf8');
    const figures = html.match(/class="ttt-figure"/g)?.length ?? 0;
    assert.ok(figures >= 4, `figures in the report: ${figures}`);
    const dom = renderedDom(dir, report.reportPath);
    assert.ok((dom.match(/class="main-svg"/g)?.length ?? 0) >= figures, 'every figure has its SVG');
    assert.ok(screenshot(dir, report.reportPath, 'experiment-sweep-report.png') > 20_000, 'the screenshot shows more than a blank page');
  });
});
