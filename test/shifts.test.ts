import assert from 'node:assert/strict';
import { makeRow, readManifestCsv, type ManifestRow } from '../lib/data/index.js';
import {
  buildShift,
  formatShiftReport,
  parseShift,
  shiftName,
  shiftTables,
  type ShiftOptions,
  type ShiftSpec,
  type ShiftSplit,
} from '../lib/shifts/index.js';
import { MAIN_EXPERIMENT, experimentUnits, resolveExperimentConfig } from '../lib/experiment/index.js';
import { fullCorpus } from './helpers/corpus.js';

const EMOTIONS = ['angry', 'happy', 'neutral', 'sad'];

/**
 * A small corpus in the shape of CREMA-D: 12 speakers (6 F, 6 M; ages 22–71, no age_group),
 * each saying 3 clips of each of 4 emotions, no split column.
 */
function toyCorpus(): ManifestRow[] {
  const ages = [22, 25, 28, 55, 62, 71];
  const rows: ManifestRow[] = [];
  for (const gender of ['F', 'M'] as const) {
    ages.forEach((age, i) => {
      const speaker = `${gender}${i}`;
      for (const emotion of EMOTIONS) {
        for (let take = 0; take < 3; take++) {
          rows.push(makeRow({ path: `wav/${speaker}_${emotion}_${take}.wav`, speaker, gender, age, label: emotion, duration_s: 2, corpus: 'toy' }));
        }
      }
    });
  }
  return rows;
}

const speakersOf = (rows: readonly ManifestRow[]) => new Set(rows.map((row) => row.speaker));
const pathsOf = (rows: readonly ManifestRow[]) => rows.map((row) => row.path);

function countBy(rows: readonly ManifestRow[], key: (row: ManifestRow) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const row of rows) out[key(row)] = (out[key(row)] ?? 0) + 1;
  return out;
}

function assertNoClipOnBothSides(split: ShiftSplit): void {
  const train = new Set(pathsOf(split.train));
  assert.deepEqual(split.test.filter((row) => train.has(row.path)).map((row) => row.path), []);
}

function build(rows: readonly ManifestRow[], shift: string, options: Partial<ShiftOptions> & Pick<ShiftOptions, 'task'>): ShiftSplit {
  return buildShift(rows, parseShift(shift), { seed: 0, ...options });
}

describe('shift names', () => {
  it('parses every documented form and prints it back canonically', () => {
    const cases: [string, ShiftSpec][] = [
      ['clean', { kind: 'clean' }],
      ['noise:white@0dB', { kind: 'noise', noise: 'white', snrDb: 0 }],
      ['noise:babble@-5dB', { kind: 'noise', noise: 'babble', snrDb: -5 }],
      ['noise:pink@2.5dB', { kind: 'noise', noise: 'pink', snrDb: 2.5 }],
      ['noise:musan@10dB', { kind: 'noise', noise: 'musan', snrDb: 10 }],
      ['gender:F->M', { kind: 'gender', train: 'F', test: 'M' }],
      ['gender:M->F', { kind: 'gender', train: 'M', test: 'F' }],
      ['age:young->old', { kind: 'age', train: 'young', test: 'old' }],
    ];
    for (const [text, spec] of cases) {
      assert.deepEqual(parseShift(text), spec, text);
      assert.equal(shiftName(spec), text);
      assert.deepEqual(parseShift(shiftName(spec)), spec);
    }
  });

  it('accepts loose spellings and names them canonically', () => {
    assert.equal(shiftName(parseShift(' Clean ')), 'clean');
    assert.equal(shiftName(parseShift('noise:White@0')), 'noise:white@0dB');
    assert.equal(shiftName(parseShift('noise:babble@+5db')), 'noise:babble@5dB');
    assert.equal(shiftName(parseShift('noise:babble@-0dB')), 'noise:babble@0dB');
    assert.equal(shiftName(parseShift('gender:f -> m')), 'gender:F->M');
  });

  it('rejects anything else with the text and the expected forms', () => {
    for (const bad of ['', 'noisy', 'noise:white', 'noise:white@loud', 'gender:F->X', 'gender:F-M', 'age:young', 'age:young->', 'speaker:a->b']) {
      assert.throws(
        () => parseShift(bad),
        (err: Error) => err.message.startsWith(`shift '${bad}': expected one of`) && /noise:white@0dB/.test(err.message) && /gender:F->M/.test(err.message) && /age:young->old/.test(err.message),
        bad,
      );
    }
  });
});

describe('speaker ID splits (utterance-disjoint)', () => {
  const rows = toyCorpus();

  it('has the same speakers in training and test and no clip on both sides', () => {
    const split = build(rows, 'clean', { task: 'speaker' });
    assert.deepEqual([...speakersOf(split.test)].sort(), [...speakersOf(split.train)].sort());
    assert.equal(speakersOf(split.train).size, 12);
    assertNoClipOnBothSides(split);
    assert.equal(split.train.length + split.test.length, rows.length);
    assert.deepEqual(split.labels, [...speakersOf(rows)].sort());
    assert.equal(split.labelOf(rows[0]), rows[0].speaker);
    assert.equal(split.report.sharedSpeakers, 12);
  });

  it('without a split column, tests testFraction of each speaker, spread over its labels', () => {
    const split = build(rows, 'clean', { task: 'speaker', testFraction: 0.25 });
    const perSpeaker = countBy(split.test, (row) => row.speaker);
    assert.ok(Object.values(perSpeaker).every((n) => n === 3), JSON.stringify(perSpeaker));
    // 3 test clips of a speaker with 4 labels: no label twice.
    for (const speaker of speakersOf(rows)) {
      const labels = split.test.filter((row) => row.speaker === speaker).map((row) => row.label);
      assert.equal(new Set(labels).size, labels.length);
    }
    assert.match(split.report.rules.join('\n'), /25% of each speaker's clips/);
  });

  it("uses the manifest's split column when it has train and test values", () => {
    const withSplit = rows.map((row) => ({ ...row, split: row.path.endsWith('_2.wav') ? 'test' : 'train' }));
    const split = build(withSplit, 'noise:white@0dB', { task: 'speaker' });
    assert.ok(split.test.every((row) => row.split === 'test') && split.train.every((row) => row.split === 'train'));
    assert.equal(split.test.length, 12 * 4);
    assert.deepEqual(split.noise, { type: 'white', snrDb: 0 });
    assert.match(split.report.rules.join('\n'), /split column decides/);
  });

  it('refuses gender and age shifts, saying why', () => {
    for (const shift of ['gender:F->M', 'age:young->old']) {
      assert.throws(() => build(rows, shift, { task: 'speaker' }), /^Error: speaker\/.*speaker ID can only recognise speakers it was trained on; use the label task/);
    }
  });
});

describe('label-task splits (speaker-disjoint)', () => {
  const rows = toyCorpus();

  it('holds speakers out for clean and noise shifts, stratified by gender', () => {
    const split = build(rows, 'clean', { task: 'label' });
    const train = speakersOf(split.train);
    const test = speakersOf(split.test);
    assert.deepEqual([...test].filter((speaker) => train.has(speaker)), []);
    assert.equal(test.size, 4); // a third of 12
    assert.deepEqual(countBy(split.test, (row) => row.gender), { F: 24, M: 24 });
    assert.deepEqual(split.labels, EMOTIONS);
    assert.equal(split.report.sharedSpeakers, 0);
    assert.equal(split.noise, undefined);
  });

  it('selects the same rows for clean and noise shifts, so conditions are paired', () => {
    const clean = build(rows, 'clean', { task: 'label', maxTest: 10 });
    const noisy = build(rows, 'noise:babble@-5dB', { task: 'label', maxTest: 10 });
    assert.deepEqual(pathsOf(noisy.test), pathsOf(clean.test));
    assert.deepEqual(pathsOf(noisy.train), pathsOf(clean.train));
  });

  it('gender:F->M trains on women only and tests on men only', () => {
    const split = build(rows, 'gender:F->M', { task: 'label' });
    assert.ok(split.train.length > 0 && split.train.every((row) => row.gender === 'F'));
    assert.ok(split.test.length > 0 && split.test.every((row) => row.gender === 'M'));
    assert.equal(split.train.length, 72);
    assert.equal(split.test.length, 72);
  });

  it('age:young->old bands rows by their ages when they have no age_group (default: 30 and under, 50 and over)', () => {
    const split = build(rows, 'age:young->old', { task: 'label' });
    assert.ok(split.train.every((row) => row.age! <= 30));
    assert.ok(split.test.every((row) => row.age! >= 50));
    assert.deepEqual(split.report.train.ageGroups, { young: 72 });
    assert.match(split.report.rules.join('\n'), /young 0–30, old 50\+/);
  });

  it('takes age bands from the options, leaving ages between bands out', () => {
    const split = build(rows, 'age:young->old', { task: 'label', ageBands: { young: [18, 26], old: [60, 99] } });
    assert.deepEqual([...new Set(split.train.map((row) => row.age))].sort(), [22, 25]);
    assert.deepEqual([...new Set(split.test.map((row) => row.age))].sort(), [62, 71]);
    assert.throws(() => build(rows, 'age:young->middle', { task: 'label' }), /label\/age:young->middle: no rows have age 'middle' \(found, with speakers: old \(6\), young \(6\)\)/);
  });

  it('drops test rows whose class training never saw, with a warning', () => {
    const extra = rows.map((row) => (row.gender === 'M' && row.label === 'sad' ? { ...row, label: 'bored' } : row));
    const split = build(extra, 'gender:F->M', { task: 'label' });
    assert.ok(!split.test.some((row) => row.label === 'bored'));
    assert.deepEqual(split.labels, EMOTIONS);
    assert.match(split.report.warnings.join('\n'), /test classes absent from training, their clips dropped: bored \(18\)/);
    assert.match(split.report.warnings.join('\n'), /training classes with no test clip: sad/);
  });
});

describe('split sizes, caps and seeds', () => {
  const rows = toyCorpus();

  it('caps keep every class its share and spread over speakers', () => {
    const uneven = rows.filter((row) => !(row.label === 'sad' && row.path.endsWith('_0.wav')));
    const split = build(uneven, 'clean', { task: 'label', maxTest: 20, maxTrain: 40 });
    assert.equal(split.test.length, 20);
    assert.equal(split.train.length, 40);
    // Test side: 4 speakers × (3 + 3 + 3 + 2) = 44 clips; 20 of them in proportion 12:12:12:8.
    assert.deepEqual(countBy(split.test, (row) => row.label), { angry: 6, happy: 5, neutral: 5, sad: 4 });
    assert.ok(Object.values(countBy(split.test, (row) => row.speaker)).every((n) => n >= 4 && n <= 6));
    assert.match(split.report.rules.join('\n'), /test capped at 20 of 44 clips/);
  });

  it('a cap at least the number of classes tests every class, even one that proportion would round to none', () => {
    // Speaker M5 keeps 2 clips (1 tested), the others 12 (5 tested): in 17 of 56 test clips M5's share is 0.3, and the
    // largest remainders of the others (0.52 each) would take every spare place.
    const rare = rows.filter((row) => row.speaker !== 'M5' || /_(angry|happy)_0\.wav$/.test(row.path));
    const whole = build(rare, 'clean', { task: 'speaker' });
    assert.equal(whole.test.filter((row) => row.speaker === 'M5').length, 1);
    assert.equal(whole.test.length, 56);
    const capped = build(rare, 'clean', { task: 'speaker', maxTest: 17 });
    assert.equal(capped.test.length, 17);
    assert.equal(new Set(capped.test.map((row) => row.speaker)).size, 12);
    assert.deepEqual(capped.report.warnings, []);
    // Below the number of classes a cap cannot cover them all, and the report says so.
    const tiny = build(rare, 'clean', { task: 'speaker', maxTest: 11 });
    assert.match(tiny.report.warnings.join('\n'), /training classes with no test clip/);
  });

  it('gives the same split for the same seed and another for another seed', () => {
    for (const [task, shift] of [['speaker', 'clean'], ['label', 'clean'], ['label', 'noise:white@0dB']] as const) {
      const a = build(rows, shift, { task, seed: 1, maxTest: 20 });
      const b = build(rows, shift, { task, seed: 1, maxTest: 20 });
      const c = build(rows, shift, { task, seed: 2, maxTest: 20 });
      assert.deepEqual(pathsOf(a.test), pathsOf(b.test));
      assert.deepEqual(pathsOf(a.train), pathsOf(b.train));
      assert.deepEqual(a.report, b.report);
      assert.notDeepEqual(pathsOf(a.test), pathsOf(c.test), `${task}/${shift}`);
    }
  });

  it('keeps manifest order on both sides', () => {
    const split = build(rows, 'clean', { task: 'speaker', maxTest: 30 });
    const order = new Map(rows.map((row, i) => [row.path, i]));
    for (const side of [split.train, split.test]) {
      const indices = side.map((row) => order.get(row.path)!);
      assert.deepEqual(indices, [...indices].sort((x, y) => x - y));
    }
  });

  it('checks options and names the problem', () => {
    assert.throws(() => build(rows, 'clean', { task: 'speaker', testFraction: 1 }), /testFraction must be a number in \(0, 1\)/);
    assert.throws(() => build(rows, 'clean', { task: 'label', maxTest: 0 }), /maxTest must be a positive integer/);
    assert.throws(() => build(rows, 'clean', { task: 'label', filter: () => false }), /label\/clean: no rows take part/);
    assert.throws(() => build(rows, 'clean', { task: 'emotion' as 'label' }), /unknown task 'emotion'/);
  });

  it('reports sizes, balance and rules as a small table, and as danfo DataFrames', async () => {
    const split = build(rows, 'gender:F->M', { task: 'label' });
    const text = formatShiftReport(split.report);
    assert.match(text, /^label\/gender:F->M \(seed 0; 144 rows took part, 0 speakers on both sides\)/);
    assert.match(text, /clips\s+72\s+72/);
    assert.match(text, /gender F\s+72\s+0/);
    assert.match(text, /class angry\s+18\s+18/);
    assert.match(text, /rules:\n {2}- /);
    const tables = await shiftTables(split);
    assert.deepEqual(tables.train.columns, ['class', 'F', 'M', 'total']);
    assert.deepEqual(tables.train.values, EMOTIONS.map((emotion) => [emotion, 18, 0, 18]));
    assert.deepEqual(tables.test.values, EMOTIONS.map((emotion) => [emotion, 0, 18, 18]));
  });
});

describe('shifts on the offline corpus (full preset, read with lib/data)', function () {
  this.timeout(600_000);
  let rows: ManifestRow[];

  before(async () => {
    rows = readManifestCsv((await fullCorpus()).manifestPath);
  });

  it('speaker/clean: 24 speakers, sentences 0–11 to train and the 8 held out of pre-training to test', () => {
    const split = build(rows, 'clean', { task: 'speaker' });
    assert.equal(split.labels.length, 24);
    assert.equal(split.train.length, 24 * 12);
    assert.equal(split.test.length, 24 * 8);
    assert.ok(split.test.every((row) => Number(row.extra.sentence) >= 12));
    assert.ok([...split.train, ...split.test].every((row) => row.extra.role === 'task'));
    assertNoClipOnBothSides(split);
  });

  it('label/clean: 16 speakers to train, 8 held out (4 F, 4 M) to test', () => {
    const split = build(rows, 'clean', { task: 'label' });
    assert.deepEqual(split.labels, EMOTIONS);
    assert.equal(speakersOf(split.train).size, 16);
    assert.equal(speakersOf(split.test).size, 8);
    assert.deepEqual(split.report.test.genders, { F: 32, M: 32 });
    assert.equal(split.train.length, 16 * 12);
    assert.equal(split.test.length, 8 * 8);
  });

  it("the main job's capped test sets test every training class (no warnings)", () => {
    const config = resolveExperimentConfig(MAIN_EXPERIMENT);
    for (const unit of experimentUnits(config)) {
      const split = build(rows, unit.shift, { task: unit.task, maxTest: unit.maxTest, filter: (row) => (row.extra.role ?? 'task') === 'task' });
      assert.deepEqual(new Set(split.test.map(split.labelOf)).size, split.labels.length, unit.condition);
      assert.deepEqual(split.report.warnings, [], unit.condition);
    }
  });

  it('label/gender:F->M: 12 women to train, 12 men to test', () => {
    const split = build(rows, 'gender:F->M', { task: 'label' });
    assert.equal(split.train.length, 12 * 12);
    assert.equal(split.test.length, 12 * 8);
    assert.ok(split.train.every((row) => row.gender === 'F') && split.test.every((row) => row.gender === 'M'));
    assert.deepEqual(split.report.test.classes, { angry: 24, happy: 24, neutral: 24, sad: 24 });
  });

  it('label/age:young->old: 12 young speakers to train, 12 old to test, balanced by gender', () => {
    const split = build(rows, 'age:young->old', { task: 'label' });
    assert.equal(split.train.length, 12 * 12);
    assert.equal(split.test.length, 12 * 8);
    assert.ok(split.train.every((row) => row.age_group === 'young') && split.test.every((row) => row.age_group === 'old'));
    assert.deepEqual(split.report.test.genders, { F: 48, M: 48 });
    assert.deepEqual(split.report.warnings, []);
  });
});
