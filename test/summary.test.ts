// The summary people read: accuracy with Wilson intervals, paired-bootstrap gains over the
// unadapted model on the same clips, chance and top-class shares, as summary.csv (the older
// columns first, readable by danfo.js) and as plain sentences in the terminal.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDanfo } from '../lib/data/index.js';
import {
  conditionChance,
  formatDiagnostics,
  formatStatisticsCsv,
  formatStatisticsTable,
  gainSentence,
  reportedSteps,
  summarizeWithIntervals,
  writeReport,
  type TwinDiagnostic,
} from '../lib/experiment/index.js';
import { wilsonInterval } from '../lib/stats/index.js';
import { formatRows, resultsHeader, summarizeAccuracy, type TttRow } from '../lib/ttt/index.js';
import { hasChromium, renderedDom, screenshot } from './helpers/chromium.js';

const CLIPS = 20;

/** Rows of one condition: `no-ttt` (step 0) and two adapting methods over steps 0–2. */
function rows(condition = 'label/noise:white@0dB'): TttRow[] {
  const out: TttRow[] = [];
  const base = { condition, optimizer: 'sgd', batch: 1, loss: 0.1, ms: 1, status: 'ok' as const, seed: 0 };
  for (let c = 0; c < CLIPS; c++) {
    const label = c % 4;
    const before = c < 6 ? label : (label + 1) % 4; // 6 of 20 right before TTT
    out.push({ ...base, method: 'no-ttt', group: 'none', optimizer: 'none', clip: `c${c}`, step: 0, predicted: before, label, correct: before === label });
    for (let step = 0; step <= 2; step++) {
      // `same` never changes its answers; `better` fixes clips 6–13 by step 2.
      out.push({ ...base, method: 'same', group: 'all', clip: `c${c}`, step, predicted: before, label, correct: before === label });
      const fixed = step === 2 && c >= 6 && c < 14 ? label : before;
      out.push({ ...base, method: 'better', group: 'bias', clip: `c${c}`, step, predicted: fixed, label, correct: fixed === label });
    }
  }
  return out;
}

describe('experiment summary with intervals', () => {
  it('follows summarizeAccuracy row for row and adds Wilson intervals and top-class shares', () => {
    const data = rows();
    const statistics = summarizeWithIntervals(data);
    const plain = summarizeAccuracy(data);
    assert.deepEqual(statistics.map((s) => [s.condition, s.method, s.step, s.accuracy, s.n]), plain.map((s) => [s.condition, s.method, s.step, s.accuracy, s.n]));
    const first = statistics[0];
    const wilson = wilsonInterval(6, CLIPS);
    assert.deepEqual([first.accuracyLow, first.accuracyHigh], [wilson.low, wilson.high]);
    // The share of the most frequent answer, counted here by hand.
    const predicted = data.filter((r) => r.method === 'no-ttt').map((r) => r.predicted);
    const most = Math.max(...[0, 1, 2, 3].map((k) => predicted.filter((p) => p === k).length));
    assert.equal(first.topClassShare, most / CLIPS);
  });

  it('gives a method identical to the unadapted model a gain of exactly [0, 0], and a clear gain an interval above 0', () => {
    const statistics = summarizeWithIntervals(rows());
    const same = statistics.find((s) => s.method === 'same' && s.step === 2)!;
    assert.deepEqual(same.gainVsNoTtt, { estimate: 0, low: 0, high: 0 });
    assert.deepEqual(same.gainVsStep0, { estimate: 0, low: 0, high: 0 });
    const better = statistics.find((s) => s.method === 'better' && s.step === 2)!;
    assert.ok(Math.abs(better.gainVsNoTtt!.estimate - 8 / CLIPS) < 1e-12);
    assert.ok(better.gainVsNoTtt!.low > 0 && better.gainVsNoTtt!.high <= 0.65);
    // Seeded: the same rows give the same intervals.
    assert.deepEqual(summarizeWithIntervals(rows()), statistics);
  });

  it('finds chance from the head classes when known, else from the labels', () => {
    const [levels] = conditionChance(rows());
    assert.equal(levels.uniform, 0.25);
    assert.equal(levels.majority, 0.25);
    assert.equal(levels.n, CLIPS);
    assert.equal(conditionChance(rows(), () => 24)[0].uniform, 1 / 24);
  });

  it('says in words whether a gain is measurable', () => {
    assert.equal(gainSentence({ estimate: 0.09, low: 0.04, high: 0.14 }, 20), 'TTT gained +0.09 [0.04, 0.14] after 20 steps');
    assert.equal(gainSentence({ estimate: -0.01, low: -0.05, high: 0.03 }, 20), 'TTT: no measurable change (−0.01 [−0.05, 0.03]) after 20 steps');
    assert.equal(gainSentence({ estimate: -0.1, low: -0.2, high: -0.02 }, 1), 'TTT lost −0.10 [−0.20, −0.02] after 1 step');
    assert.deepEqual(reportedSteps([3, 0, 1, 2, 5, 10, 20, 19]), [0, 1, 5, 10, 20]);
  });

  it('prints chance, intervals, top-class shares and one sentence per adapting method', () => {
    const data = rows();
    const text = formatStatisticsTable(summarizeWithIntervals(data), conditionChance(data));
    assert.match(text, /label\/noise:white@0dB \(20 clips; chance 0\.25 \(1\/4\), majority class 0\.25\)/);
    assert.match(text, /better: TTT gained \+0\.40 \[0\.\d\d, 0\.\d\d\] after 2 steps; top-class share/);
    assert.match(text, /same: TTT: no measurable change \(0\.00 \[0\.00, 0\.00\]\) after 2 steps/);
    assert.doesNotMatch(text, /no-ttt: /, 'the unadapted model gets no sentence');
  });

  it('writes summary.csv with the older columns first, readable by danfo.js, with a variant column for sweeps', async () => {
    const single = formatStatisticsCsv(summarizeWithIntervals(rows()));
    const header = single.split('\n')[0].split(',');
    assert.deepEqual(header.slice(0, 8), ['condition', 'method', 'step', 'accuracy', 'n', 'mean_loss', 'diverged', 'mean_ms']);
    assert.ok(['accuracy_low', 'accuracy_high', 'top_class_share', 'gain_vs_no_ttt_low', 'gain_vs_step0_high'].every((c) => header.includes(c)));
    const swept = formatStatisticsCsv(summarizeWithIntervals([...rows().map((r) => ({ ...r, variant: 'a' })), ...rows().map((r) => ({ ...r, variant: 'b' }))]));
    assert.match(swept, /^variant,condition,method,step,accuracy,n,/);
    const dir = mkdtempSync(join(tmpdir(), 'ttt-summary-'));
    try {
      const path = join(dir, 'summary.csv');
      writeFileSync(path, swept);
      const dfd = await loadDanfo();
      const frame = await dfd.readCSV(path);
      assert.equal(frame.shape[0], 2 * (1 + 3 + 3));
      const lows = frame.column('accuracy_low').values as number[];
      assert.ok(lows.every((x) => typeof x === 'number' && x >= 0 && x <= 1), `accuracy_low read as ${JSON.stringify(lows.slice(0, 3))}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('report from stored results', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ttt-report-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('draws chance, the reference line, bands and the clean-twin section, and the figures draw in Chromium', function () {
    this.timeout(120_000);
    const conditions = ['speaker/noise:white@0dB', 'speaker/noise:babble@0dB', 'label/gender:F->M'];
    writeFileSync(join(dir, 'results.csv'), resultsHeader() + formatRows(conditions.flatMap((c) => rows(c))));
    // The split reports give the head's classes: 24 speakers for the speaker task.
    const classes = (k: number) => Object.fromEntries(Array.from({ length: k }, (_, i) => [`c${i}`, 1]));
    const side = (k: number) => ({ clips: k, speakers: k, classes: classes(k), genders: {}, ageGroups: {}, seconds: null });
    const splits = Object.fromEntries(
      conditions.map((c) => {
        const k = c.startsWith('speaker') ? 24 : 4;
        return [c, { name: c.split('/')[1], task: c.split('/')[0], seed: 0, rows: 2 * k, train: side(k), test: side(k), sharedSpeakers: 0, rules: [], warnings: [] }];
      }),
    );
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ experiment: { name: 'stored', seed: 0 }, splits }));
    const twins: TwinDiagnostic[] = Array.from({ length: CLIPS }, (_, c) => [
      { condition: conditions[0], method: 'better', clip: `c${c}`, step: 0, lossShifted: 0.08, lossClean: 0.15, featureDistance: 0.3 },
      { condition: conditions[0], method: 'better', clip: `c${c}`, step: 2, lossShifted: 0.05, lossClean: 0.14, featureDistance: 0.3 + 0.01 * (c % 3) },
    ]).flat();
    writeFileSync(join(dir, 'diagnostics.csv'), formatDiagnostics(twins));
    const report = writeReport([dir]);
    const speaker = report.chance.find((c) => c.condition === conditions[0])!;
    assert.equal(speaker.uniform, 1 / 24);
    const html = readFileSync(report.reportPath, 'utf8');
    for (const text of ['"name":"chance"', '"name":"no-ttt (reference)"', '"fill":"toself"', 'Is the premise true here?', 'gain at the last step [95 %]']) {
      assert.ok(html.includes(text), `report has ${text}`);
    }
    // Noisy loss below the clean twin's on every clip: the premise holds for none of them.
    assert.match(html, /−0\.070 \[−0\.070, −0\.070\]|-0\.070 \[-0\.070, -0\.070\]/);
    if (!hasChromium()) {
      console.log('      (browser check skipped: /usr/bin/chromium not found; apt-get install -y chromium)');
      return;
    }
    const figures = html.match(/class="ttt-figure"/g)?.length ?? 0;
    const dom = renderedDom(dir, report.reportPath);
    assert.ok(figures >= 3 && (dom.match(/class="main-svg"/g)?.length ?? 0) >= figures, `every one of ${figures} figures has its SVG`);
    assert.ok(screenshot(dir, report.reportPath, 'stored-report.png') > 20_000, 'the screenshot shows more than a blank page');
  });
});
