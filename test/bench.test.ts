import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  LARGE_BATCH_CASES,
  NO_TORCH_NOTE,
  benchCaseNames,
  findTorchPython,
  formatBenchTable,
  median,
  parseTorchOutput,
  repeatSpec,
  runBench,
  selectCases,
  timeRuns,
  type BenchReport,
} from '../lib/bench/index.js';
import { packageRoot } from '../lib/util/index.js';

/** Every `ms` of a report is a positive finite number; torch figures are numbers or null together with their ratio. */
function checkReport(report: BenchReport, cases: readonly string[]): void {
  assert.deepEqual(report.cases.map((c) => c.case), cases);
  for (const entry of report.cases) {
    assert.deepEqual(Object.keys(entry).sort(), ['backend', 'case', 'ms', 'notes', 'ratio', 'torchMs']);
    assert.equal(typeof entry.ms, 'number');
    assert.ok(Number.isFinite(entry.ms) && entry.ms > 0, `${entry.case}: ms ${entry.ms}`);
    assert.equal(entry.backend, tf.getBackend());
    assert.equal(typeof entry.notes, 'string');
    if (entry.torchMs === null) assert.equal(entry.ratio, null);
    else {
      assert.ok(Number.isFinite(entry.torchMs) && entry.torchMs > 0);
      assert.ok(entry.ratio !== null && Math.abs(entry.ratio - entry.ms / entry.torchMs) < 1e-9);
    }
  }
}

describe('bench', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ttt-bench-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('names every case as DESIGN.md fixes them and selects by name or prefix', () => {
    assert.deepEqual(benchCaseNames(), [
      'fbank-4s',
      'forward-per-sample',
      'ttt-all-per-sample',
      'ttt-bias-per-sample',
      'ttt-bias-batched-B1',
      'ttt-bias-batched-B4',
      'ttt-bias-batched-B8',
      'ttt-bias-batched-B16',
      'pretrain-step-B8',
    ]);
    for (const name of benchCaseNames()) assert.match(name, /^[a-z]+(-[a-z0-9]+)*(-B\d+)?$/);
    assert.deepEqual(selectCases(['ttt-bias-batched']).map((c) => c.name), ['ttt-bias-batched-B1', 'ttt-bias-batched-B4', 'ttt-bias-batched-B8', 'ttt-bias-batched-B16']);
    assert.deepEqual(selectCases(['forward-per-sample', 'fbank-4s']).map((c) => c.name), ['fbank-4s', 'forward-per-sample']);
    assert.deepEqual(selectCases(['ttt-bias-batched-B1']).map((c) => c.name), ['ttt-bias-batched-B1']);
    assert.deepEqual(selectCases(['fbank']).map((c) => c.name), ['fbank-4s']);
    assert.throws(() => selectCases(['nope']), /no benchmark case .*nope/);
    assert.throws(() => selectCases(['ttt-bi']), /no benchmark case/);
  });

  it('adds the large-batch cases only when asked for (the webgpu default) or named in full', () => {
    const large = benchCaseNames({ largeBatches: true });
    for (const name of LARGE_BATCH_CASES) assert.ok(large.includes(name), name);
    assert.deepEqual(large.filter((n) => !LARGE_BATCH_CASES.includes(n)), benchCaseNames());
    assert.deepEqual(selectCases(['ttt-bias-batched']).map((c) => c.name).includes('ttt-bias-batched-B64'), false);
    assert.deepEqual(selectCases(['ttt-bias-batched'], { largeBatches: true }).map((c) => c.name).at(-1), 'ttt-bias-batched-B64');
    assert.deepEqual(selectCases(['pretrain-step-B64', 'ttt-bias-per-sample']).map((c) => c.name), ['ttt-bias-per-sample', 'pretrain-step-B64']);
  });

  it('takes medians, and quick mode means few runs', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.throws(() => median([]));
    assert.deepEqual(repeatSpec({ quick: true }), { warmup: 1, repeats: 3 });
    assert.deepEqual(repeatSpec({}), { warmup: 2, repeats: 10 });
    assert.deepEqual(repeatSpec({ quick: true, repeats: 5 }), { warmup: 1, repeats: 5 });
  });

  it('counts runs and tensors around the timed runs', async () => {
    let runs = 0;
    let resets = 0;
    const timing = await timeRuns({ run: () => void runs++, reset: () => void resets++ }, { warmup: 2, repeats: 3 });
    assert.equal(runs, 5);
    assert.equal(resets, 5);
    assert.equal(timing.samples.length, 3);
    assert.equal(timing.tensorsAfter, timing.tensorsBefore);
    const kept: tf.Tensor[] = [];
    const leaky = await timeRuns({ run: () => void kept.push(tf.scalar(1)) }, { warmup: 0, repeats: 2 });
    assert.equal(leaky.tensorsAfter - leaky.tensorsBefore, 2);
    tf.dispose(kept);
  });

  it('quick run of two cheap cases writes a well-formed report and leaks no tensor', async () => {
    const out = join(dir, 'bench', 'latest.json');
    const before = tf.memory().numTensors;
    const cases = ['fbank-4s', 'forward-per-sample'];
    // No interpreter of this name exists: the reference is skipped the way it is on a machine without torch.
    const { report, timings, path } = await runBench({ quick: true, cases, out, pythonCandidates: [join(dir, 'no-such-python3')] });
    assert.equal(path, out);
    for (const t of timings) {
      assert.equal(t.timing.samples.length, 3);
      assert.equal(t.timing.tensorsAfter, t.timing.tensorsBefore, `${t.case} leaks tensors`);
    }
    // Whole cases (model load and dispose included) leave nothing but the fbank's cached matrices behind.
    assert.ok(tf.memory().numTensors - before <= 2, `${tf.memory().numTensors - before} tensors left behind`);

    const written = JSON.parse(readFileSync(out, 'utf8')) as BenchReport;
    assert.deepEqual(written, report);
    checkReport(written, cases);
    for (const entry of written.cases) {
      assert.equal(entry.torchMs, null);
      assert.ok(entry.notes.includes(NO_TORCH_NOTE), entry.notes);
    }
    const { info } = written;
    assert.equal(info.backend.name, tf.getBackend());
    assert.ok(info.machine.cpuCount >= 1 && info.machine.cpuModel.length > 0);
    assert.ok(!Number.isNaN(Date.parse(info.date)));
    assert.deepEqual(info.runs, { warmup: 1, repeats: 3, quick: true });
    assert.equal(info.model.name, 'tiny');
    assert.deepEqual(info.torch, { skipped: NO_TORCH_NOTE });
    assert.equal(info.versions.torch, null);

    const table = formatBenchTable(written);
    for (const name of cases) assert.match(table, new RegExp(`^${name}\\s+\\d+\\.\\d\\s+–\\s+–$`, 'm'));
  });

  it('one batched BitFit step leaves the tensor count unchanged', async () => {
    const { report, timings } = await runBench({ cases: ['ttt-bias-batched-B1'], warmup: 1, repeats: 2, torch: false, out: null });
    checkReport(report, ['ttt-bias-batched-B1']);
    assert.equal(timings[0].timing.tensorsAfter, timings[0].timing.tensorsBefore);
    assert.match(report.cases[0].notes, /ms per clip/);
    assert.ok(!report.cases[0].notes.includes(NO_TORCH_NOTE), 'a reference that was not asked for is not reported missing');
  });

  it('fills torchMs and ratio from the PyTorch reference when python3 has torch (skipped without torch)', async function () {
    const python = findTorchPython();
    if (python === undefined) this.skip();
    const { report } = await runBench({ quick: true, cases: ['fbank-4s', 'forward-per-sample'], out: null });
    checkReport(report, ['fbank-4s', 'forward-per-sample']);
    for (const entry of report.cases) assert.ok(entry.torchMs !== null && entry.ratio !== null, `${entry.case}: ${entry.notes}`);
    assert.ok(!('skipped' in report.info.torch));
    assert.equal(report.info.versions.torch, python?.torchVersion);
  });

  it('checks the reference output, and the reference script exists', () => {
    const ok = parseTorchOutput(
      JSON.stringify({ info: { torch: '1.13', python: '3.11', threads: 1, warmup: 1, repeats: 3, model: 'x' }, cases: [{ case: 'fbank-4s', ms: 1.5, notes: '' }] }),
    );
    assert.equal(ok.cases[0].ms, 1.5);
    assert.throws(() => parseTorchOutput('Traceback'), /no JSON/);
    assert.throws(() => parseTorchOutput(JSON.stringify({ info: {}, cases: [{ case: 'x', ms: -1 }] })), /bad case/);
    const script = readFileSync(join(packageRoot(), 'bench', 'torch_reference.py'), 'utf8');
    for (const name of benchCaseNames()) assert.ok(script.includes(name.replace(/-B\d+$/, '')), `the reference does not know ${name}`);
  });
});
