// A real-corpus experiment end to end on tiny copies in the real layouts: CREMA-D (emotion,
// with its demographics file) and MUSAN (noise) go through `ttt-speech data prepare`, then a
// small config runs the shipped model over clean, a noise-corpus shift and the natural gender
// and age shifts, and the report is written. Checks that the natural shifts come from
// VideoDemographics.csv, and that the noise-corpus shift is seeded and draws only test-side
// noise files.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { prepareCorpus } from '../lib/data/index.js';
import { experimentUnits, resolveExperimentConfig, runExperiment, writeReport, type ExperimentConfigInput } from '../lib/experiment/index.js';
import { openNoiseCorpus, type ShiftReport } from '../lib/shifts/index.js';
import { readResults, type TttRow } from '../lib/ttt/index.js';
import { ROOT } from './helpers/corpus.js';
import { CREMA_D_ACTORS, CREMA_D_FIXTURE_EMOTIONS, CREMA_D_FIXTURE_SENTENCES, writeCremaDFixture, writeMusanFixture } from './helpers/real-layouts.js';

const NOISE_SHIFT = 'label/noise:musan-noise@5dB';
const CLIPS_PER_ACTOR = CREMA_D_FIXTURE_EMOTIONS.length * CREMA_D_FIXTURE_SENTENCES.length;

/** The actor of a CREMA-D clip, from its file name (`1001_DFA_ANG_XX.wav`), as VideoDemographics.csv lists them. */
function actorOf(clip: string) {
  const actor = CREMA_D_ACTORS.find((candidate) => basename(clip).startsWith(`${candidate.id}_`));
  assert.ok(actor, `${clip} has no actor`);
  return actor;
}

function rowsOf(out: string, condition: string): TttRow[] {
  return readResults(join(out, 'results.csv')).filter((row) => row.condition === condition);
}

/** What a run's rows say, without the timings that differ from run to run. */
function withoutTimes(rows: readonly TttRow[]): string[] {
  return rows.map((row) => [row.method, row.clip, row.step, row.loss, row.predicted, row.label].join('|')).sort();
}

describe('a CREMA-D experiment with MUSAN noise, from `data prepare` to the report', function () {
  this.timeout(600_000);
  let dir: string;
  let dataDir: string;
  let config: ExperimentConfigInput;
  let out: string;
  let splits: Record<string, ShiftReport>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ttt-real-corpus-'));
    dataDir = join(dir, 'data');
    writeCremaDFixture(join(dataDir, 'crema-d'));
    writeMusanFixture(join(dataDir, 'musan'));
    const log = () => {};
    const crema = prepareCorpus('crema-d', { dataDir, log });
    prepareCorpus('musan', { dataDir, log });
    config = {
      name: 'crema-d-fixture',
      corpus: { manifest: crema.manifestPath },
      noise: { musan: join(dataDir, 'musan') },
      checkpoint: join(ROOT, 'models', 'mae-tiny'),
      tasks: [{ task: 'label', shifts: ['clean', 'noise:musan-noise@5dB', 'gender:F->M', 'age:young->old'], maxTest: 6 }],
      methods: [{ name: 'no-ttt' }, { name: 'ttt-bitfit', group: 'bias' }],
      ttt: { steps: 1 },
      head: { epochs: 3 },
      seed: 3,
    };
    out = join(dir, 'run');
    await runExperiment(resolveExperimentConfig(config), { out });
    splits = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).splits;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('trains gender:F->M on the female actors of VideoDemographics.csv and tests on the male ones', () => {
    const females = CREMA_D_ACTORS.filter((actor) => actor.sex === 'Female').length;
    assert.deepEqual(splits['label/gender:F->M'].train.genders, { F: females * CLIPS_PER_ACTOR });
    const tested = rowsOf(out, 'label/gender:F->M').map((row) => actorOf(row.clip));
    assert.ok(tested.length > 0 && tested.every((actor) => actor.sex === 'Male'));
  });

  it('trains age:young->old on actors aged 30 and under and tests on those 50 and over; the actor aged 42 takes no part', () => {
    const young = CREMA_D_ACTORS.filter((actor) => actor.age <= 30).length;
    assert.deepEqual(splits['label/age:young->old'].train.ageGroups, { young: young * CLIPS_PER_ACTOR });
    const tested = rowsOf(out, 'label/age:young->old').map((row) => actorOf(row.clip));
    assert.ok(tested.length > 0 && tested.every((actor) => actor.age >= 50));
  });

  it('tests the clips the clean shift tests, with the noise added', () => {
    const clean = rowsOf(out, 'label/clean').filter((row) => row.method === 'no-ttt');
    const noisy = rowsOf(out, NOISE_SHIFT).filter((row) => row.method === 'no-ttt');
    assert.deepEqual(noisy.map((row) => row.clip).sort(), clean.map((row) => row.clip).sort());
    const cleanLoss = new Map(clean.map((row) => [row.clip, row.loss]));
    for (const row of noisy) assert.notEqual(row.loss, cleanLoss.get(row.clip), `${row.clip}: same loss with and without noise`);
  });

  it('draws its noise only from test-side MUSAN noise files, none of which the training side may use', () => {
    const noise = splits[NOISE_SHIFT].noise!;
    assert.equal(noise.corpus, 'musan');
    assert.equal(noise.label, 'noise');
    const manifests = { musan: join(dataDir, 'musan') };
    const testSide = openNoiseCorpus('musan-noise', { manifests }).files.map((file) => file.name);
    const trainSide = openNoiseCorpus('musan-noise', { manifests, role: 'train' }).files.map((file) => file.name);
    assert.ok(noise.drawn.length > 0);
    assert.deepEqual(noise.drawn.filter((name) => !testSide.includes(name)), [], 'every drawn file is on the test side');
    assert.deepEqual(noise.drawn.filter((name) => trainSide.includes(name)), [], 'no drawn file is on the training side');
    assert.ok(noise.drawn.every((name) => name.startsWith('musan/noise/')), 'music and speech are not noise');
    assert.ok(splits[NOISE_SHIFT].rules.some((rule) => /noise roles by recording/.test(rule)), 'the report says which rule divided the files');
  });

  it('gives the same rows and draws the same files when run again', async () => {
    const again = join(dir, 'again');
    const resolved = resolveExperimentConfig(config);
    await runExperiment(resolved, { out: again, units: experimentUnits(resolved).filter((unit) => unit.condition === NOISE_SHIFT) });
    assert.deepEqual(withoutTimes(rowsOf(again, NOISE_SHIFT)), withoutTimes(rowsOf(out, NOISE_SHIFT)));
    const redrawn = JSON.parse(readFileSync(join(again, 'config.json'), 'utf8')).splits[NOISE_SHIFT].noise.drawn;
    assert.deepEqual(redrawn, splits[NOISE_SHIFT].noise!.drawn);
  });

  it('writes a report that names the noise files and the rule behind them', () => {
    const report = writeReport([out]);
    const html = readFileSync(report.reportPath, 'utf8');
    assert.match(html, /noise files: musan noise from .*: \d+ on the test side, \d+ kept for the training side/);
    assert.match(html, /noise roles by recording/);
    assert.deepEqual(new Set(report.summary.map((s) => s.condition)), new Set(['label/clean', NOISE_SHIFT, 'label/gender:F->M', 'label/age:young->old']));
  });
});
