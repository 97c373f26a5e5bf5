// Real-corpus experiments end to end on tiny copies in the real layouts, through `ttt-speech
// data prepare`, a small config, the run and the report, with the shipped model.
// - CREMA-D (emotion, with its demographics file) and MUSAN (noise): clean, a noise-corpus
//   shift and the natural gender and age shifts. Checks that the natural shifts come from
//   VideoDemographics.csv, and that the noise-corpus shift is seeded and draws only test-side
//   noise files.
// - VCTK 0.92 (speaker ID on 48 kHz FLAC) with MUSAN: the shipped vctk-speaker.yaml cut down to
//   clean, generated noise and MUSAN noise. Checks that the FLAC clips reach the model at
//   16 kHz with their own lengths, that speakers and genders come from speaker-info.txt, and
//   that each speaker's utterances are split between training and test, none on both.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { manifestRoot, prepareCorpus, readManifestCsv, type ManifestRow } from '../lib/data/index.js';
import {
  experimentUnits,
  loadExperimentConfig,
  resolveExperimentConfig,
  runExperiment,
  writeReport,
  type ExperimentConfig,
  type ExperimentConfigInput,
} from '../lib/experiment/index.js';
import { frameCount, frameGeometry, resolveFbankOptions } from '../lib/features/index.js';
import { loadPretrained, loadRowClip } from '../lib/pretrained/index.js';
import { buildShift, openNoiseCorpus, parseShift, type ShiftReport } from '../lib/shifts/index.js';
import { readResults, type TttRow } from '../lib/ttt/index.js';
import { ROOT } from './helpers/corpus.js';
import {
  CREMA_D_ACTORS,
  CREMA_D_FIXTURE_EMOTIONS,
  CREMA_D_FIXTURE_SENTENCES,
  VCTK_SPEAKERS,
  writeCremaDFixture,
  writeMusanFixture,
  writeVctkFixture,
  type VctkFixtureClip,
} from './helpers/real-layouts.js';

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

describe('a VCTK speaker-ID experiment on FLAC with MUSAN noise, from `data prepare` to the report', function () {
  this.timeout(600_000);
  let dir: string;
  let clips: VctkFixtureClip[];
  let manifestPath: string;
  let manifest: ManifestRow[];
  let config: ExperimentConfig;
  let out: string;
  let splits: Record<string, ShiftReport>;

  const speakerOf = (id: string) => {
    const speaker = VCTK_SPEAKERS.find((candidate) => candidate.id === id);
    assert.ok(speaker, `${id} is not in speaker-info.txt`);
    return speaker;
  };
  const clipOf = (path: string) => {
    const clip = clips.find((candidate) => path.endsWith(candidate.path));
    assert.ok(clip, `${path} was not written`);
    return clip;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ttt-real-vctk-'));
    const dataDir = join(dir, 'data');
    clips = await writeVctkFixture(join(dataDir, 'vctk'));
    writeMusanFixture(join(dataDir, 'musan'));
    const log = () => {};
    manifestPath = prepareCorpus('vctk', { dataDir, log }).manifestPath;
    prepareCorpus('musan', { dataDir, log });
    manifest = readManifestCsv(manifestPath);
    // The shipped config, cut down: its clean, first generated-noise and MUSAN shifts, a few clips, one TTT step.
    const shipped = loadExperimentConfig(join(ROOT, 'experiments', 'vctk-speaker.yaml'));
    const [task] = shipped.tasks;
    const kept = [
      task.shifts.find((shift) => shift === 'clean'),
      task.shifts.find((shift) => /^noise:(white|pink|brown)@/.test(shift)),
      task.shifts.find((shift) => shift.startsWith('noise:musan')),
    ];
    assert.ok(task.task === 'speaker' && kept.every((shift) => shift !== undefined), 'vctk-speaker.yaml tests speaker ID clean, under generated noise and under MUSAN noise');
    config = resolveExperimentConfig({
      ...shipped,
      name: 'vctk-fixture',
      corpus: { manifest: manifestPath },
      noise: { musan: join(dataDir, 'musan') },
      checkpoint: join(ROOT, 'models', 'mae-tiny'),
      tasks: [{ task: 'speaker', shifts: kept as string[], maxTest: VCTK_SPEAKERS.length, maxTrain: 2 * VCTK_SPEAKERS.length }],
      ttt: { ...shipped.ttt, steps: 1 },
      // Two training clips per speaker leave the gradient probe's validation split too few to
      // choose an epoch by; the closed-form ridge head needs none.
      head: { kind: 'ridge' },
    } satisfies ExperimentConfigInput);
    out = join(dir, 'run');
    await runExperiment(config, { out });
    splits = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).splits;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('lists the mic1 FLAC files with their lengths at 48 kHz, and each speaker with the gender, age and accent of speaker-info.txt', () => {
    const mic1 = clips.filter((clip) => clip.mic === 1);
    assert.deepEqual(manifest.map((row) => row.path).sort(), mic1.map((clip) => clip.path).sort());
    for (const row of manifest) {
      assert.equal(row.duration_s, clipOf(row.path).samples / 48000, `${row.path}: duration`);
      const speaker = speakerOf(row.speaker);
      assert.deepEqual(
        [row.label, row.gender, row.age, row.extra.accent, row.extra.mic],
        [speaker.id, speaker.gender, speaker.age, speaker.accent, '1'],
        row.path,
      );
    }
    assert.deepEqual(new Set(manifest.map((row) => row.speaker)), new Set(VCTK_SPEAKERS.map((speaker) => speaker.id)));
  });

  it('decodes every clip to 16 kHz, and the model input holds as many frames as that length gives, then padding', async () => {
    const pretrained = loadPretrained(config.checkpoint);
    try {
      const root = manifestRoot(manifestPath);
      const geometry = frameGeometry(resolveFbankOptions(pretrained.recipe.fbank));
      const loaded = await Promise.all(manifest.map((row) => loadRowClip(row, root)));
      // The runner's inputsOf loads each clip as above and makes its input here.
      const inputs = pretrained.inputsOfSamples(loaded.map((clip) => clip.samples));
      const { inputFrames, melBins } = pretrained.model.config;
      for (const [i, row] of manifest.entries()) {
        const clip = loaded[i];
        const samples16k = clipOf(row.path).samples / 3;
        assert.deepEqual([clip.originalSampleRate, clip.sampleRate, clip.samples.length], [48000, 16000, samples16k], row.path);
        // Padding frames hold one value in every mel bin; a frame of the voice never does.
        const frames = Array.from({ length: inputFrames }, (_, f) => inputs[i].subarray(f * melBins, (f + 1) * melBins));
        const firstPad = frames.findIndex((frame) => frame.every((v) => v === frame[0]));
        const expected = frameCount(samples16k, geometry, pretrained.recipe.fbank.snipEdges);
        assert.ok(expected < inputFrames, 'every fixture clip is shorter than the model input');
        assert.equal(firstPad, expected, `${row.path}: frames of audio in the model input`);
        assert.ok(frames.slice(firstPad).every((frame) => frame.every((v) => v === frames[firstPad][0])), `${row.path}: padding to the end`);
      }
    } finally {
      pretrained.dispose();
    }
  });

  it('tests each speaker on utterances the head was not trained on: the same speakers on both sides, no utterance on both', () => {
    for (const unit of experimentUnits(config)) {
      const tested = rowsOf(out, unit.condition).filter((row) => row.method === 'no-ttt').map((row) => row.clip).sort();
      // The runner's split, rebuilt from the same manifest, shift, seed and caps.
      const split = buildShift(manifest, parseShift(unit.shift), { task: 'speaker', seed: config.seed, maxTest: unit.maxTest, maxTrain: unit.maxTrain });
      assert.deepEqual(split.test.map((row) => row.path).sort(), tested, `${unit.condition}: the split the run tested`);
      const trainedUtterances = new Set(split.train.map((row) => `${row.speaker}_${row.extra.utt}`));
      for (const row of split.test) assert.ok(!trainedUtterances.has(`${row.speaker}_${row.extra.utt}`), `${row.path} is on both sides`);
      assert.deepEqual(new Set(split.train.map((row) => row.speaker)), new Set(VCTK_SPEAKERS.map((speaker) => speaker.id)), `${unit.condition}: every speaker is trained on`);
      const report = splits[unit.condition];
      assert.equal(report.sharedSpeakers, report.test.speakers, `${unit.condition}: every tested speaker was trained on`);
      assert.ok(report.test.clips <= unit.maxTest! && report.train.clips <= unit.maxTrain!, `${unit.condition}: the caps hold`);
      assert.ok(report.train.clips + report.test.clips < manifest.length, `${unit.condition}: the caps left clips out`);
      const genders: Record<string, number> = {};
      for (const gender of tested.map((clip) => speakerOf(clipOf(clip).speaker).gender)) genders[gender] = (genders[gender] ?? 0) + 1;
      assert.deepEqual(report.test.genders, genders, `${unit.condition}: test genders as speaker-info.txt gives them`);
    }
  });

  it('tells the speakers apart by their voices: clean accuracy before adaptation is above chance', () => {
    const clean = rowsOf(out, 'speaker/clean').filter((row) => row.method === 'no-ttt');
    const accuracy = clean.filter((row) => row.correct).length / clean.length;
    assert.ok(accuracy > 1 / VCTK_SPEAKERS.length, `clean accuracy ${accuracy.toFixed(2)} with ${VCTK_SPEAKERS.length} speakers`);
  });

  it('writes a row for every unit, method, tested clip and TTT step', () => {
    const results = readResults(join(out, 'results.csv'));
    let expected = 0;
    for (const unit of experimentUnits(config)) {
      const tested = splits[unit.condition].test.clips;
      for (const method of config.methods) {
        // The unadapted model has step 0 only; TTT methods every step from 0 to the last.
        const adapts = method.group !== undefined && method.group !== 'none';
        const last = adapts ? (method.ttt?.steps ?? config.ttt.steps ?? 0) : 0;
        const steps = Array.from({ length: last + 1 }, (_, step) => step);
        const rows = results.filter((row) => row.condition === unit.condition && row.method === method.name);
        const seen = new Set(rows.map((row) => `${row.clip}@${row.step}`));
        assert.equal(seen.size, rows.length, `${unit.condition} ${method.name}: no row twice`);
        assert.deepEqual(new Set(rows.map((row) => row.step)), new Set(steps), `${unit.condition} ${method.name}: steps`);
        assert.equal(rows.length, tested * steps.length, `${unit.condition} ${method.name}: rows`);
        expected += rows.length;
      }
    }
    assert.equal(results.length, expected, 'no rows outside the units and methods');
  });

  it("draws the MUSAN noise from the fixture's noise recordings", () => {
    const musan = experimentUnits(config).find((unit) => unit.shift.startsWith('noise:musan'))!;
    const noise = splits[musan.condition].noise!;
    assert.equal(noise.corpus, 'musan');
    assert.ok(noise.drawn.length > 0 && noise.drawn.every((name) => name.startsWith('musan/noise/')));
  });

  it('writes a report covering every unit', () => {
    const report = writeReport([out]);
    assert.ok(existsSync(report.reportPath));
    assert.deepEqual(new Set(report.summary.map((s) => s.condition)), new Set(experimentUnits(config).map((unit) => unit.condition)));
  });
});
