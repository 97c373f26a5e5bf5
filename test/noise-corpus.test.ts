// Noise corpora as shifts: their names, the division of a noise manifest into test noise and
// the training side (disjoint, the same for every seed), and opening a prepared manifest.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clipFromSamples, writeWav } from '../lib/audio/index.js';
import { makeRow, prepareCorpus, type ManifestRow } from '../lib/data/index.js';
import { resolveExperimentConfig } from '../lib/experiment/index.js';
import { noiseRoles, openNoiseCorpus, parseNoiseCorpus, parseShift, shiftName, type NoisePart, type ShiftReport } from '../lib/shifts/index.js';
import { shuffled, createRng } from '../lib/util/random.js';
import { MUSAN_FIXTURE_NOISE, writeMusanFixture } from './helpers/real-layouts.js';

const quiet = { log: () => {} };
const pathsOf = (parts: readonly NoisePart[]) => parts.map((part) => part.row.path).sort();

function emptyReport(): ShiftReport {
  const side = { clips: 0, speakers: 0, classes: {}, genders: {}, ageGroups: {}, seconds: null };
  return { name: 'noise:musan-noise@5dB', task: 'label', seed: 0, rows: 0, train: side, test: side, sharedSpeakers: 0, rules: [], warnings: [] };
}

describe('noise-corpus shift names', () => {
  it('name a corpus and, after a dash, one of its labels', () => {
    assert.deepEqual(parseNoiseCorpus('musan-noise'), { corpus: 'musan', label: 'noise' });
    assert.deepEqual(parseNoiseCorpus('demand-DKITCHEN'), { corpus: 'demand', label: 'DKITCHEN' });
    assert.deepEqual(parseNoiseCorpus('esc50-crying_baby'), { corpus: 'esc-50', label: 'crying_baby' });
    assert.deepEqual(parseNoiseCorpus('esc-50-dog'), { corpus: 'esc-50', label: 'dog' });
    assert.deepEqual(parseNoiseCorpus('ms-snsd'), { corpus: 'ms-snsd' });
    assert.deepEqual(parseNoiseCorpus('MS-SNSD-Babble'), { corpus: 'ms-snsd', label: 'Babble' });
    assert.equal(parseNoiseCorpus('rain'), undefined);
    assert.equal(parseNoiseCorpus('musan-'), undefined);
  });

  it('are shift names, kept as written; other noise names are refused with the forms', () => {
    assert.deepEqual(parseShift('noise:demand-DKITCHEN@0dB'), { kind: 'noise', noise: 'demand-DKITCHEN', snrDb: 0 });
    assert.equal(shiftName(parseShift('noise:esc50-dog@10')), 'noise:esc50-dog@10dB');
    assert.throws(() => parseShift('noise:rain@0dB'), /shift 'noise:rain@0dB': 'rain' is neither a generated noise \(white, pink, brown, babble\) nor a noise corpus \(musan\[-<category>\]/);
  });

  it("have a config section naming each corpus's prepared manifest, checked like every key", () => {
    const tasks = [{ task: 'label' as const, shifts: ['noise:musan-noise@5dB'] }];
    assert.deepEqual(resolveExperimentConfig({ name: 'n', tasks, noise: { musan: 'data/musan', 'esc-50': 'x/manifest.csv' } }).noise, { musan: 'data/musan', 'esc-50': 'x/manifest.csv' });
    assert.throws(() => resolveExperimentConfig({ name: 'n', tasks, noise: { musn: 'data/musan' } }, 'c.yaml'), /c\.yaml: invalid experiment config[\s\S]*noise: unknown key 'musn'/);
    assert.throws(() => resolveExperimentConfig({ name: 'n', tasks: [{ task: 'label', shifts: ['noise:rain@5dB'] }] }, 'c'), /tasks\[0\]\.shifts\[0\]: shift 'noise:rain@5dB'/);
  });
});

describe('noise roles: test noise and the training side never share a recording', () => {
  const noise = (path: string, label: string, extra: Record<string, string> = {}, split = ''): ManifestRow => makeRow({ path, label, corpus: 'x', split, extra });

  it("follow the manifest's own train/test split where it has one (MS-SNSD)", () => {
    const rows = [
      noise('noise_train/Babble_1.wav', 'Babble', {}, 'train'),
      noise('noise_train/Typing_1.wav', 'Typing', {}, 'train'),
      noise('noise_test/Babble_2.wav', 'Babble', {}, 'test'),
      noise('noise_other/Babble_3.wav', 'Babble', {}, 'dev'),
    ];
    const roles = noiseRoles(rows);
    assert.deepEqual(pathsOf(roles.test), ['noise_test/Babble_2.wav']);
    assert.deepEqual(pathsOf(roles.train), ['noise_train/Babble_1.wav', 'noise_train/Typing_1.wav']);
    assert.match(roles.rule, /split column/);
  });

  it('otherwise give half of each label’s files to test, the same division whatever the row order', () => {
    const rows = [
      ...Array.from({ length: 10 }, (_, i) => noise(`noise/free-sound/noise-${i}.wav`, 'noise')),
      ...Array.from({ length: 4 }, (_, i) => noise(`music/fma/music-${i}.wav`, 'music')),
    ];
    const roles = noiseRoles(rows);
    const again = noiseRoles(shuffled(createRng(5), rows));
    assert.deepEqual(pathsOf(again.test), pathsOf(roles.test));
    const test = new Set(pathsOf(roles.test));
    assert.deepEqual(pathsOf(roles.train).filter((path) => test.has(path)), []);
    assert.deepEqual([...pathsOf(roles.train), ...pathsOf(roles.test)].sort(), rows.map((row) => row.path).sort());
    for (const [label, count] of [['noise', 10], ['music', 4]] as const) {
      assert.equal(roles.test.filter((part) => part.row.label === label).length, count / 2, label);
    }
    assert.ok(roles.test.every((part) => part.from === 0 && part.to === 1));
  });

  it('keep the clips of one ESC-50 source recording on one side', () => {
    const rows = Array.from({ length: 12 }, (_, i) => noise(`audio/1-${i}-A-0.wav`, 'dog', { src_file: `src${Math.floor(i / 3)}`, fold: '1' }));
    const roles = noiseRoles(rows);
    const sideOf = new Map([...roles.train.map((part) => [part.row.path, 'train'] as const), ...roles.test.map((part) => [part.row.path, 'test'] as const)]);
    for (let source = 0; source < 4; source++) {
      const sides = new Set(rows.filter((row) => row.extra.src_file === `src${source}`).map((row) => sideOf.get(row.path)));
      assert.equal(sides.size, 1, `src${source} is on ${[...sides].join(' and ')}`);
    }
    assert.equal(roles.test.length, 6);
  });

  it("divide a DEMAND environment's one scene in time, all its channels alike", () => {
    const rows = [1, 2, 3].map((channel) => noise(`DKITCHEN/ch0${channel}.wav`, 'DKITCHEN', { channel: String(channel) }));
    const roles = noiseRoles([...rows, noise('TBUS/ch01.wav', 'TBUS', { channel: '1' })]);
    for (const path of [...rows.map((row) => row.path), 'TBUS/ch01.wav']) {
      const train = roles.train.filter((part) => part.row.path === path);
      const test = roles.test.filter((part) => part.row.path === path);
      assert.deepEqual([train.length, test.length], [1, 1], path);
      assert.ok(train[0].to <= test[0].from, `${path}: training side [${train[0].from}, ${train[0].to}) and test [${test[0].from}, ${test[0].to}) overlap`);
    }
    assert.match(roles.rule, /DKITCHEN, TBUS: a single recording, divided in time/);
  });
});

describe('opening a prepared noise corpus', function () {
  this.timeout(60_000);
  let dataDir: string;
  let musan: string;
  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'ttt-noise-corpus-'));
    writeMusanFixture(join(dataDir, 'musan'));
    musan = prepareCorpus('musan', { dataDir, ...quiet }).manifestPath;
    writeWav(join(dataDir, 'demand', 'DKITCHEN', 'ch01.wav'), new Float32Array(16000).fill(0.01), 16000);
    writeWav(join(dataDir, 'demand', 'DKITCHEN', 'ch02.wav'), new Float32Array(16000).fill(0.01), 16000);
    prepareCorpus('demand', { dataDir, parse: { channels: 'all' }, ...quiet });
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it("selects the label's files for a role from the manifest `data prepare` wrote; the two roles are disjoint and cover the label", () => {
    const manifests = { musan: join(dataDir, 'musan') };
    const test = openNoiseCorpus('musan-noise', { manifests }).files.map((file) => file.name);
    const train = openNoiseCorpus('musan-noise', { manifests, role: 'train' }).files.map((file) => file.name);
    assert.ok(test.every((name) => name!.startsWith('musan/noise/')), test.join(', '));
    assert.deepEqual(test.filter((name) => train.includes(name)), []);
    const noiseFiles = Object.values(MUSAN_FIXTURE_NOISE).flat().length;
    assert.equal(test.length + train.length, noiseFiles);
    assert.deepEqual(openNoiseCorpus('musan-noise', { manifests: { musan } }).files.map((file) => file.name), test, 'the folder or its manifest.csv');
  });

  it('finds a corpus in the data folder when the config does not name it', () => {
    const saved = process.env.TTT_SPEECH_DATA;
    process.env.TTT_SPEECH_DATA = dataDir;
    try {
      const files = openNoiseCorpus('demand-dkitchen').files;
      assert.deepEqual(files.map((file) => file.name), ['DKITCHEN/ch01.wav [0.5, 1)', 'DKITCHEN/ch02.wav [0.5, 1)']);
    } finally {
      if (saved === undefined) delete process.env.TTT_SPEECH_DATA;
      else process.env.TTT_SPEECH_DATA = saved;
    }
  });

  it("adds the rule and the drawn files to the shift's report", async () => {
    const report = emptyReport();
    const files = openNoiseCorpus('musan-noise', { manifests: { musan }, report });
    assert.match(report.rules.join('\n'), /noise roles by recording/);
    const noiseFiles = Object.values(MUSAN_FIXTURE_NOISE).flat().length;
    assert.deepEqual({ ...report.noise, drawn: [] }, { corpus: 'musan', manifest: musan, label: 'noise', testFiles: files.files.length, trainFiles: noiseFiles - files.files.length, drawn: [] });
    const speech = clipFromSamples(Float32Array.from({ length: 16000 }, (_, i) => 0.1 * Math.sin(i / 5)), 16000, 'speech.wav');
    for (let seed = 0; seed < 6; seed++) await files.addTo(speech, { snrDb: 5, seed });
    const drawn = report.noise!.drawn;
    assert.ok(drawn.length > 0 && drawn.every((name) => files.files.some((file) => file.name === name)), drawn.join(', '));
    assert.deepEqual(drawn, [...new Set(drawn)].sort(), 'each file once, sorted');
  });

  it('says what is missing: the manifest (and how to make it), the label (and which exist), the corpus', () => {
    const where = 'label/noise:esc50-dog@5dB';
    assert.throws(
      () => openNoiseCorpus('esc50-dog', { manifests: { 'esc-50': join(dataDir, 'esc-50') }, where }),
      /^Error: label\/noise:esc50-dog@5dB: no prepared esc-50 manifest at .*esc-50\/manifest\.csv; run ttt-speech data download esc-50 && ttt-speech data prepare esc-50/,
    );
    assert.throws(() => openNoiseCorpus('musan-rain', { manifests: { musan } }), /no musan clips are labelled 'rain' in .*manifest\.csv \(labels: music, noise, speech\)/);
    assert.throws(() => openNoiseCorpus('demand', { manifests: { demand: musan } }), /lists musan clips, not demand/);
  });
});
