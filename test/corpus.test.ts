import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readWav } from '../lib/audio/index.js';
import {
  BABBLE_SENTENCES,
  MANIFEST_COLUMNS,
  ManifestError,
  SPEAKER_GROUPS,
  SPEAKER_GROUP_NAMES,
  SPEAKING_STYLE_NAMES,
  TASK_SENTENCES,
  VoiceParameterError,
  buildCorpus,
  drawClipVoice,
  drawSpeakers,
  espeakVariant,
  fromDataRow,
  HELD_OUT_SENTENCES,
  OFFLINE_EXTRA_COLUMNS,
  toDataRow,
  planCorpus,
  readManifest,
  resolveCorpusRecipe,
  summarizeCorpus,
  type CorpusBuildResult,
  type ManifestRow,
} from '../lib/corpus/index.js';
import { runShardProcess } from '../lib/corpus/shard-process.js';
import { MANIFEST_COLUMNS as DATA_COLUMNS, readManifestCsv } from '../lib/data/index.js';
import { openSynthSession } from '../lib/corpus/synth-client.js';
import { createRng } from '../lib/util/index.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

function hashFiles(dir: string, rows: readonly ManifestRow[]): Map<string, string> {
  const hashes = new Map<string, string>();
  for (const file of ['manifest.csv', ...rows.map((r) => r.path)]) {
    hashes.set(file, createHash('sha256').update(readFileSync(join(dir, file))).digest('hex'));
  }
  return hashes;
}

function mean(values: readonly number[]): number {
  return values.reduce((s, v) => s + v, 0) / values.length;
}

function sd(values: readonly number[]): number {
  const m = mean(values);
  return Math.sqrt(mean(values.map((v) => (v - m) ** 2)));
}

/**
 * Median F0 of a clip by normalised autocorrelation on loud, periodic frames (40 ms frames,
 * 60–400 Hz); the first lag within 90 % of the best peak, to avoid sub-octave picks.
 */
function estimateF0(samples: Float32Array, rate: number): number {
  const frame = Math.round(0.04 * rate);
  const hop = Math.round(0.01 * rate);
  const minLag = Math.floor(rate / 400);
  const maxLag = Math.ceil(rate / 60);
  const energies: number[] = [];
  for (let start = 0; start + frame + maxLag <= samples.length; start += hop) {
    let e = 0;
    for (let i = 0; i < frame; i++) e += samples[start + i] ** 2;
    energies.push(e);
  }
  const loud = Math.max(...energies) * 0.1;
  const f0s: number[] = [];
  energies.forEach((energy, k) => {
    if (energy < loud) return;
    const start = k * hop;
    const r = new Float64Array(maxLag + 1);
    for (let lag = minLag; lag <= maxLag; lag++) {
      let num = 0;
      let e2 = 0;
      for (let i = 0; i < frame; i++) {
        num += samples[start + i] * samples[start + i + lag];
        e2 += samples[start + i + lag] ** 2;
      }
      r[lag] = num / Math.sqrt(energy * e2 + 1e-12);
    }
    let best = minLag;
    for (let lag = minLag; lag <= maxLag; lag++) if (r[lag] > r[best]) best = lag;
    if (r[best] < 0.6) return;
    let chosen = best;
    for (let lag = minLag + 1; lag < best; lag++) {
      if (r[lag] >= 0.9 * r[best] && r[lag] >= r[lag - 1] && r[lag] >= r[lag + 1]) {
        chosen = lag;
        break;
      }
    }
    f0s.push(rate / chosen);
  });
  f0s.sort((a, b) => a - b);
  return f0s[Math.floor(f0s.length / 2)];
}

describe('offline corpus: speaker and style model', () => {
  it('draws each group with exactly the documented mean and SD (stratified draws)', () => {
    const speakers = drawSpeakers(7, 'task', 6);
    for (const group of SPEAKER_GROUP_NAMES) {
      const members = speakers.filter((s) => `${s.gender}-${s.ageGroup}` === group);
      assert.equal(members.length, 6);
      const norms = SPEAKER_GROUPS[group];
      for (const key of ['f0Hz', 'vtlCm', 'rateWpm'] as const) {
        const values = members.map((s) => s[key]);
        assert.ok(Math.abs(mean(values) - norms[key].mean) < 1e-9, `${group} ${key} mean`);
        assert.ok(Math.abs(sd(values) - norms[key].sd) < 1e-9, `${group} ${key} SD`);
      }
      const [lo, hi] = norms.ageYears;
      assert.ok(members.every((s) => s.age >= lo && s.age <= hi), `${group} ages`);
    }
  });

  it('gives every task speaker every style equally often', () => {
    const shards = planCorpus(resolveCorpusRecipe({ preset: 'full' }));
    const task = shards.flat().filter((p) => p.speaker.role === 'task');
    const bySpeaker = new Map<string, string[]>();
    for (const plan of task) bySpeaker.set(plan.speaker.id, [...(bySpeaker.get(plan.speaker.id) ?? []), plan.voice.style]);
    assert.equal(bySpeaker.size, 24);
    for (const [speaker, styles] of bySpeaker) {
      for (const style of SPEAKING_STYLE_NAMES) assert.equal(styles.filter((s) => s === style).length, 5, `${speaker} ${style}`);
    }
  });

  it('writes variant files whose pitch span puts the median on the target F0', () => {
    const [speaker] = drawSpeakers(3, 'task', 1);
    const clip = drawClipVoice(speaker, 'neutral', createRng(1));
    const text = espeakVariant(clip);
    assert.doesNotMatch(text, /NaN|Infinity|undefined/);
    const [, lo, hi] = /pitch (\d+) (\d+)/.exec(text)!.map(Number);
    assert.ok(Math.abs(lo + 0.65 * (hi - lo) - clip.f0Hz) < 2, text);
    assert.equal((text.match(/^formant [1-8] /gm) ?? []).length, 8);
  });

  it('refuses a non-finite or out-of-range number instead of writing it', () => {
    const [speaker] = drawSpeakers(3, 'task', 1);
    const clip = drawClipVoice(speaker, 'sad', createRng(1));
    assert.throws(() => espeakVariant({ ...clip, f0Hz: Number.NaN }), VoiceParameterError);
    assert.throws(() => espeakVariant({ ...clip, speaker: { ...speaker, vtlCm: 0 } }), /formant 1/);
    assert.throws(() => espeakVariant({ ...clip, speaker: { ...speaker, roughness: Number.NaN } }), /roughness/);
  });
});

describe('offline corpus: build (ci preset)', function () {
  this.timeout(300_000);
  const dirs: string[] = [];
  let first: CorpusBuildResult;
  let rows: ManifestRow[];

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ttt-corpus-a-'));
    dirs.push(dir);
    first = await buildCorpus({ preset: 'ci', outDir: dir, parallel: 1 });
    rows = readManifest(first.manifestPath);
  });

  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('is byte-identical for the same seed, whatever the parallelism', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ttt-corpus-b-'));
    dirs.push(dir);
    const second = await buildCorpus({ preset: 'ci', outDir: dir, parallel: 2 });
    assert.equal(second.reused, false);
    assert.deepEqual(hashFiles(dir, readManifest(second.manifestPath)), hashFiles(first.outDir, rows));
  });

  it('differs for another seed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ttt-corpus-c-'));
    dirs.push(dir);
    const tiny = { speakersPerGroup: 1, utterancesPerSpeaker: 2, babbleSpeakersPerGroup: 1, babbleUtterancesPerSpeaker: 1 };
    const other = await buildCorpus({ preset: 'ci', ...tiny, seed: 2, outDir: dir });
    const otherRows = readManifest(other.manifestPath);
    const same = otherRows.find((r) => r.speaker === 's01' && r.utt === 0)!;
    const base = rows.find((r) => r.speaker === 's01' && r.utt === 0)!;
    assert.notEqual(same.f0TargetHz, base.f0TargetHz);
    assert.notDeepEqual(readFileSync(join(dir, same.path)), readFileSync(join(first.outDir, base.path)));
  });

  it('returns an existing complete corpus at once, and rebuilds on force', async () => {
    const started = performance.now();
    const again = await buildCorpus({ preset: 'ci', outDir: first.outDir });
    assert.equal(again.reused, true);
    assert.ok(performance.now() - started < 3000, 'reuse should not rebuild');
    assert.deepEqual({ ...again, reused: false }, { ...first, reused: false });
    const record = JSON.parse(readFileSync(join(first.outDir, 'corpus.json'), 'utf8'));
    assert.equal(record.recipe.seed, 1);
    assert.equal(record.versions['@echogarden/espeak-ng-emscripten'], '0.3.5');
    assert.equal(record.manifestSha256, createHash('sha256').update(readFileSync(first.manifestPath)).digest('hex'));
    const dir = mkdtempSync(join(tmpdir(), 'ttt-corpus-d-'));
    dirs.push(dir);
    const tiny = { preset: 'ci' as const, speakersPerGroup: 1, utterancesPerSpeaker: 1, babbleSpeakersPerGroup: 1, babbleUtterancesPerSpeaker: 1, outDir: dir };
    const together = await Promise.all([buildCorpus(tiny), buildCorpus(tiny)]);
    assert.deepEqual(together.map((r) => r.reused).sort(), [false, true], 'the second build waits for the first and reuses it');
    assert.equal((await buildCorpus(tiny)).reused, true);
    assert.equal((await buildCorpus({ ...tiny, force: true })).reused, false);
    assert.deepEqual(readdirSync(dir).sort(), ['corpus.json', 'manifest.csv', 'wav']);
    // A manifest in a layout this version cannot read (the one before lib/data's) is rebuilt, not an error.
    const manifestPath = join(dir, 'manifest.csv');
    const lines = readFileSync(manifestPath, 'utf8').trimEnd().split('\n').map((line) => line.split(','));
    const legacy = lines.map((cells) => cells.filter((_, i) => lines[0][i] !== 'corpus' && lines[0][i] !== 'split').join(',')).join('\n') + '\n';
    writeFileSync(manifestPath, legacy);
    const recordPath = join(dir, 'corpus.json');
    const stale = JSON.parse(readFileSync(recordPath, 'utf8'));
    writeFileSync(recordPath, JSON.stringify({ ...stale, manifestSha256: createHash('sha256').update(legacy).digest('hex') }));
    const rebuilt = await buildCorpus(tiny);
    assert.equal(rebuilt.reused, false);
    assert.equal(readManifest(rebuilt.manifestPath)[0].corpus, 'offline');
  });

  it('writes a manifest with the documented columns and types', () => {
    const header = readFileSync(first.manifestPath, 'utf8').split('\n')[0].split(',');
    assert.deepEqual(header, [...MANIFEST_COLUMNS]);
    for (const name of ['path', 'speaker', 'gender', 'age_group', 'age', 'label', 'utt', 'sentence', 'role', 'duration_s', 'f0_target_hz', 'vtl_cm', 'rate_wpm', 'gain_db']) {
      assert.ok(header.includes(name), name);
    }
    assert.equal(rows.length, 8 * 8 + 4 * 4);
    for (const row of rows) {
      assert.match(row.path, /^wav\/[sb]\d\d_\d\d_[a-z]+\.wav$/);
      assert.ok(['F', 'M'].includes(row.gender) && ['young', 'old'].includes(row.ageGroup));
      assert.ok(Number.isInteger(row.age) && Number.isInteger(row.utt) && Number.isFinite(row.f0TargetHz));
      assert.equal(row.text, row.role === 'task' ? TASK_SENTENCES[row.sentence] : BABBLE_SENTENCES[row.sentence - TASK_SENTENCES.length]);
    }
  });

  it('is a lib/data manifest: fixed columns first, corpus "offline", split by held-out sentence, offline facts as extra columns', () => {
    const dataRows = readManifestCsv(first.manifestPath);
    assert.deepEqual(readFileSync(first.manifestPath, 'utf8').split('\n')[0].split(',').slice(0, DATA_COLUMNS.length), [...DATA_COLUMNS]);
    assert.equal(dataRows.length, rows.length);
    for (const [i, row] of dataRows.entries()) {
      assert.equal(row.corpus, 'offline');
      const typed = rows[i];
      const expected = typed.role === 'babble' ? 'babble' : HELD_OUT_SENTENCES.includes(typed.sentence) ? 'test' : 'train';
      assert.equal(row.split, expected, row.path);
      assert.equal(typed.split, expected);
      assert.deepEqual(Object.keys(row.extra), [...OFFLINE_EXTRA_COLUMNS]);
      // The typed view and the lib/data row are two views of one parse.
      assert.deepEqual(fromDataRow(row), typed);
      assert.deepEqual(toDataRow(typed), row);
    }
    // The ci preset has sentences 0–7 only: every task clip is a training clip.
    assert.deepEqual([...new Set(dataRows.map((r) => r.split))].sort(), ['babble', 'train']);
  });

  it('keeps every clip within 1–4 s, as 16 kHz 16-bit mono WAV', () => {
    for (const row of rows) {
      assert.ok(row.durationS >= 1 && row.durationS <= 4, `${row.path}: ${row.durationS} s`);
      const wav = readWav(join(first.outDir, row.path));
      assert.equal(wav.sampleRate, 16000);
      assert.equal(wav.bitDepth, '16');
      assert.equal(wav.channels.length, 1);
      assert.ok(Math.abs(wav.channels[0].length / 16000 - row.durationS) < 1e-3);
    }
  });

  it('is balanced by gender, age group and style, with babble speakers kept apart', () => {
    const summary = summarizeCorpus(rows);
    assert.deepEqual(summary.taskSpeakersByGroup, { 'F-young': 2, 'F-old': 2, 'M-young': 2, 'M-old': 2 });
    assert.deepEqual(summary.taskSpeakersByGender, { F: 4, M: 4 });
    assert.deepEqual(summary.taskSpeakersByAgeGroup, { young: 4, old: 4 });
    assert.deepEqual(summary.labels, { neutral: 16, happy: 16, angry: 16, sad: 16 });
    assert.deepEqual(summary.utterancesPerSpeaker, { min: 8, max: 8 });
    assert.equal(summary.speakers.babble, 4);
    const taskSpeakers = new Set(rows.filter((r) => r.role === 'task').map((r) => r.speaker));
    assert.ok(rows.filter((r) => r.role === 'babble').every((r) => !taskSpeakers.has(r.speaker) && r.sentence >= TASK_SENTENCES.length));
    assert.ok(first.durationS.min >= 1 && first.durationS.max <= 4);
    assert.ok(first.bytesOnDisk! > 0);
  });

  it('has a noise floor: no run of digital silence, floor 40–55 dB below the speech', () => {
    for (const row of rows.slice(0, 16)) {
      const x = readWav(join(first.outDir, row.path)).channels[0];
      let zeroRun = 0;
      let longest = 0;
      for (const v of x) {
        zeroRun = v === 0 ? zeroRun + 1 : 0;
        longest = Math.max(longest, zeroRun);
      }
      assert.ok(longest < 40, `${row.path}: ${longest} zeros in a row`);
      const lead = x.subarray(0, 1200); // the first 75 ms are always leading silence
      const leadRms = Math.sqrt(mean(Array.from(lead, (v) => v * v)));
      const rms = Math.sqrt(mean(Array.from(x, (v) => v * v)));
      const below = 20 * Math.log10(rms / leadRms);
      assert.ok(below > 35 && below < 62, `${row.path}: floor ${below.toFixed(1)} dB below`);
    }
  });

  it('follows the groups acoustically: women speak at a higher F0 than men', () => {
    const perSpeaker = new Map<string, { gender: string; estimated: number[]; target: number[] }>();
    for (const row of rows.filter((r) => r.role === 'task')) {
      const wav = readWav(join(first.outDir, row.path));
      const entry = perSpeaker.get(row.speaker) ?? { gender: row.gender, estimated: [], target: [] };
      entry.estimated.push(estimateF0(wav.channels[0], wav.sampleRate));
      entry.target.push(row.f0TargetHz);
      perSpeaker.set(row.speaker, entry);
    }
    const speakers = [...perSpeaker.values()];
    const byGender = (g: string) => speakers.filter((s) => s.gender === g).map((s) => mean(s.estimated));
    const female = byGender('F');
    const male = byGender('M');
    assert.ok(mean(female) > 1.3 * mean(male), `F ${female.map(Math.round)} vs M ${male.map(Math.round)}`);
    for (const s of speakers) {
      const ratio = mean(s.estimated) / mean(s.target);
      assert.ok(ratio > 0.75 && ratio < 1.3, `estimated/target F0 ratio ${ratio.toFixed(2)}`);
    }
  });

  it('prints a summary from the CLI (reusing the built corpus)', () => {
    const run = spawnSync(process.execPath, [join(ROOT, 'bin', 'ttt-speech.mjs'), 'corpus', '--preset', 'ci', '--out', first.outDir], {
      encoding: 'utf8',
      env: { ...process.env, TTT_SPEECH_PROGRESS: 'off' },
    });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /reused/);
    assert.match(run.stdout, /F-young\s+2/);
    assert.match(run.stdout, /sad\s+16/);
  });
});

describe('offline corpus: synthesis and shard processes', () => {
  it('answers requests in order and reports a bad one without stopping', async () => {
    const session = await openSynthSession();
    try {
      const variant = 'language variant\npitch 100 160\n';
      const [good, bad, again] = await Promise.allSettled([
        session.synthesize({ variant, text: 'Hello there.', rate: 170 }),
        session.synthesize({ variant, text: 'Too slow.', rate: 10 }),
        session.synthesize({ variant, text: 'Hello there.', rate: 170 }),
      ]);
      assert.equal(good.status, 'fulfilled');
      assert.equal(again.status, 'fulfilled');
      if (good.status !== 'fulfilled' || again.status !== 'fulfilled') return;
      assert.equal(good.value.sampleRate, 22050);
      assert.ok(good.value.samples.length > 0.3 * 22050);
      assert.equal(bad.status, 'rejected');
      assert.match(String((bad as PromiseRejectedResult).reason), /request 1: rate 10 is not an integer in \[80, 450\]/);
    } finally {
      await session.close();
    }
  });

  it('passes a shard process failure on with the shard named', async () => {
    const recipe = resolveCorpusRecipe({ preset: 'ci' });
    await assert.rejects(runShardProcess({ recipe, index: 99, outDir: tmpdir() }, () => {}), /corpus shard 99: corpus: the recipe has no shard 99/);
  });
});

describe('offline corpus: manifest validation', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ttt-manifest-'));
  const good = [
    MANIFEST_COLUMNS.join(','),
    'wav/s01_00_neutral.wav,s01,F,25,young,neutral,2.5000,offline,train,0,0,A gentle breeze.,task,210.0,14.80,175,-7.00,45.0,,,',
    'wav/s01_01_happy.wav,s01,F,25,young,happy,2.1000,offline,train,1,1,"Please, bring it.",task,240.0,14.80,180,-5.00,50.0,0.412,6.5,31.0',
  ];
  after(() => rmSync(dir, { recursive: true, force: true }));

  function write(name: string, lines: string[]): string {
    const file = join(dir, name);
    writeFileSync(file, lines.join('\n') + '\n');
    return file;
  }

  it('reads a valid manifest into typed rows', () => {
    const parsed = readManifest(write('good.csv', good));
    assert.equal(parsed.length, 2);
    assert.equal(parsed[1].text, 'Please, bring it.');
    assert.equal(parsed[0].age, 25);
    assert.equal(parsed[0].ageGroup, 'young');
    assert.equal(parsed[1].durationS, 2.1);
    assert.equal(parsed[0].corpus, 'offline');
    assert.equal(parsed[0].split, 'train');
    assert.equal(parsed[0].rt60S, null, 'empty recording columns: a clip that was not recorded');
    assert.deepEqual([parsed[1].rt60S, parsed[1].directToReverbDb, parsed[1].backgroundSnrDb], [0.412, 6.5, 31]);
  });

  it('names the file, row and column of a bad value', () => {
    const file = write('bad-age.csv', [good[0], good[1], good[2].replace(',25,', ',twenty,')]);
    assert.throws(
      () => readManifest(file),
      (err: Error) => err instanceof ManifestError && err.message.includes(file) && /row 2, column 'age'/.test(err.message) && /"twenty"/.test(err.message),
    );
    const label = write('bad-label.csv', [good[0], good[1].replace(',neutral,2.5000,', ',furious,2.5000,')]);
    assert.throws(() => readManifest(label), /bad-label\.csv: row 1, column 'label': expected neutral, happy, angry, sad, got "furious"/);
  });

  it('names the file and the missing column, a ragged row, a repeated path', () => {
    const noColumn = write('no-column.csv', good.map((line) => line.split(',').slice(0, -1).join(',')));
    assert.throws(() => readManifest(noColumn), /no-column\.csv: row 0, column 'background_snr_db': missing/);
    const ragged = write('ragged.csv', [good[0], good[1] + ',extra']);
    assert.throws(() => readManifest(ragged), /ragged\.csv: not valid CSV/);
    const twice = write('twice.csv', [good[0], good[1], good[1]]);
    assert.throws(() => readManifest(twice), /twice\.csv: row 2, column 'path': .* listed twice/);
    assert.throws(() => readManifest(join(dir, 'absent.csv')), /absent\.csv: cannot read: no such file/);
  });
});

describe('offline corpus: licence boundary', () => {
  function sources(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? sources(join(dir, entry.name)) : /\.(ts|mts|cts|js|mjs|cjs)$/.test(entry.name) ? [join(dir, entry.name)] : [],
    );
  }
  const program = join(ROOT, 'lib', 'corpus', 'synth', 'espeak-synth.mjs');

  it('loads eSpeak NG (GPL-3.0) only in its own program, which carries the GPL header', () => {
    const importsEspeak = /(from\s+|import\s*\(\s*|require\s*\(\s*)['"]@echogarden\/espeak-ng-emscripten['"]/;
    const offenders = sources(join(ROOT, 'lib')).filter((file) => file !== program && importsEspeak.test(readFileSync(file, 'utf8')));
    assert.deepEqual(offenders.map((f) => relative(ROOT, f)), []);
    const text = readFileSync(program, 'utf8');
    assert.ok(importsEspeak.test(text));
    assert.match(text.split('\n')[0], /^\/\/ SPDX-License-Identifier: GPL-3\.0-or-later$/);
    assert.match(text, /separate GPL program/);
  });

  it('never imports the synthesis program; it is only spawned', () => {
    const offenders = sources(join(ROOT, 'lib')).filter((file) => /import[^;]*espeak-synth/.test(readFileSync(file, 'utf8')));
    assert.deepEqual(offenders.map((f) => relative(ROOT, f)), []);
    const client = readFileSync(join(ROOT, 'lib', 'corpus', 'synth-client.ts'), 'utf8');
    assert.match(client, /spawn\(process\.execPath, \[synthProgramPath\(\)\]/);
  });
});

describe('offline corpus: pre-training pool and recorded clips', function () {
  this.timeout(300_000);
  const dirs: string[] = [];
  const tiny = { speakersPerGroup: 1, utterancesPerSpeaker: 2, babbleSpeakersPerGroup: 1, babbleUtterancesPerSpeaker: 1 };
  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  function fresh(): string {
    const dir = mkdtempSync(join(tmpdir(), 'ttt-corpus-pool-'));
    dirs.push(dir);
    return dir;
  }

  it('plans pool voices after the task and babble shards, leaving those shards unchanged', () => {
    const dry = planCorpus(resolveCorpusRecipe({ preset: 'ci', ...tiny }));
    const withPool = planCorpus(resolveCorpusRecipe({ preset: 'ci', ...tiny, poolSpeakersPerGroup: 2, poolUtterancesPerSpeaker: 3 }));
    assert.deepEqual(withPool.slice(0, dry.length), dry);
    const pool = withPool.slice(dry.length).flat();
    assert.equal(pool.length, 8 * 3);
    assert.deepEqual([...new Set(pool.map((p) => p.speaker.id))], ['p001', 'p002', 'p003', 'p004', 'p005', 'p006', 'p007', 'p008']);
    assert.ok(pool.every((p) => p.speaker.role === 'pool' && p.text === TASK_SENTENCES[p.sentence]));
    // Pool voices are their own draws, not copies of the task speakers.
    const taskF0 = new Set(dry.flat().map((p) => p.speaker.f0Hz));
    assert.ok(pool.every((p) => !taskF0.has(p.speaker.f0Hz)));
    assert.throws(() => resolveCorpusRecipe({ poolSpeakersPerGroup: -1 }), /poolSpeakersPerGroup must be an integer in \[0, 249\]/);
    assert.throws(() => resolveCorpusRecipe({ recording: 'yes' as unknown as boolean }), /recording must be true or false/);
    assert.equal(resolveCorpusRecipe({ preset: 'pretrain' }).poolSpeakersPerGroup, 99);
  });

  it('records every clip when asked: same speech, a different and reproducible signal, the room in the manifest', async () => {
    const dryDir = fresh();
    const dry = await buildCorpus({ preset: 'ci', ...tiny, outDir: dryDir });
    const recDir = fresh();
    const recorded = await buildCorpus({ preset: 'ci', ...tiny, poolSpeakersPerGroup: 1, poolUtterancesPerSpeaker: 1, recording: true, outDir: recDir });
    const dryRows = readManifest(dry.manifestPath);
    const recRows = readManifest(recorded.manifestPath);
    assert.equal(recRows.length, dryRows.length + 4);
    assert.deepEqual(recorded.speakers, { task: 4, babble: 4, pool: 4 });
    for (const row of dryRows) {
      const twin = recRows.find((r) => r.path === row.path)!;
      assert.equal(twin.durationS, row.durationS, `${row.path}: recording keeps the length`);
      assert.notDeepEqual(readFileSync(join(recDir, row.path)), readFileSync(join(dryDir, row.path)));
      assert.equal(row.rt60S, null);
      assert.ok(twin.rt60S! >= 0.15 && twin.rt60S! <= 0.7 && twin.backgroundSnrDb! >= 20 && twin.backgroundSnrDb! <= 40);
    }
    const pool = recRows.filter((r) => r.role === 'pool');
    assert.ok(pool.length === 4 && pool.every((r) => r.split === 'pretrain' && /^wav\/p\d{3}_00_[a-z]+\.wav$/.test(r.path)));
    const again = await buildCorpus({ preset: 'ci', ...tiny, poolSpeakersPerGroup: 1, poolUtterancesPerSpeaker: 1, recording: true, outDir: fresh(), parallel: 1 });
    assert.deepEqual(hashFiles(again.outDir, readManifest(again.manifestPath)), hashFiles(recDir, recRows));
  });
});
