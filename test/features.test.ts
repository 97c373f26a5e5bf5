import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { writeWav } from '../lib/audio/index.js';
import {
  AUDIOSET_NORM_STATS,
  DEFAULT_FBANK_OPTIONS,
  clearFbankCache,
  computeNormStats,
  fbank,
  fbankBatch,
  fbankCacheTensorCount,
  melFilterbank,
  melScale,
  normalizeFbank,
  padOrCrop,
  floorLevel,
  datasetNormStats,
  modelInputs,
  normalizedFbanks,
  type FbankOptions,
} from '../lib/features/index.js';
import type { FbankJson } from '../lib/cli/commands/fbank.js';
import { encodeFlac } from './helpers/flac.js';

const TEST_DIR = dirname(fileURLToPath(import.meta.url));
const FIXTURE_DIR = join(TEST_DIR, 'fixtures', 'fbank');

interface Fixture {
  name: string;
  description: string;
  float32MaxDiff: number;
  options: Partial<FbankOptions>;
  signal: number[];
  frames: number;
  bins: number;
  expected: number[][];
}

function loadFixtures(): Fixture[] {
  return readdirSync(FIXTURE_DIR)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => JSON.parse(readFileSync(join(FIXTURE_DIR, file), 'utf8')) as Fixture);
}

function maxAbsDiff(a: number[][], b: number[][]): number {
  let worst = 0;
  a.forEach((row, i) => row.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - b[i][j])))));
  return worst;
}

/** A deterministic test clip: two tones and a little pseudo-random noise. */
function testClip(seconds: number, seed = 1): Float32Array {
  const n = Math.round(seconds * 16000);
  const out = new Float32Array(n);
  let state = seed;
  for (let i = 0; i < n; i++) {
    state = (state * 1664525 + 1013904223) >>> 0;
    out[i] = 0.3 * Math.sin((2 * Math.PI * 440 * i) / 16000) + 0.1 * Math.sin((2 * Math.PI * 2500 * i) / 16000) + 0.02 * (state / 2 ** 32 - 0.5);
  }
  return out;
}

function disposeAll(tensors: tf.Tensor[]): void {
  tensors.forEach((t) => t.dispose());
}

describe('fbank: parity with torchaudio.compliance.kaldi.fbank', () => {
  const fixtures = loadFixtures();
  const reached: string[] = [];

  after(() => {
    // The number each fixture reached, for the record (the bound is 1e-3).
    console.log('      max |ttt-speech − torchaudio (float64)| per fixture, and torchaudio float32 for comparison:');
    reached.forEach((line) => console.log(`        ${line}`));
  });

  it('has fixtures to check', () => {
    assert.ok(fixtures.length >= 6, `found ${fixtures.length} fixtures in ${FIXTURE_DIR}`);
  });

  for (const fixture of fixtures) {
    it(`${fixture.name} (${fixture.description}) is within 1e-3`, () => {
      const out = fbank(Float32Array.from(fixture.signal), fixture.options);
      try {
        assert.deepEqual(out.shape, [fixture.frames, fixture.bins]);
        const diff = maxAbsDiff(out.arraySync(), fixture.expected);
        reached.push(`${fixture.name.padEnd(30)} ${diff.toExponential(2)}   (torchaudio float32: ${fixture.float32MaxDiff.toExponential(2)})`);
        assert.ok(diff <= 1e-3, `max abs diff ${diff} exceeds 1e-3`);
      } finally {
        out.dispose();
      }
    });
  }

  it('uses the AudioMAE front end by default', () => {
    assert.deepEqual(
      { ...DEFAULT_FBANK_OPTIONS },
      {
        sampleRate: 16000,
        melBins: 128,
        frameLengthMs: 25,
        frameShiftMs: 10,
        windowType: 'povey',
        preemphasis: 0.97,
        removeDcOffset: true,
        roundToPowerOfTwo: true,
        lowFreq: 20,
        highFreq: 0,
        snipEdges: true,
        dither: 0,
        seed: 0,
        inputScale: 1,
        source: 'samples',
      },
    );
    const out = fbank(testClip(1));
    assert.deepEqual(out.shape, [98, 128]); // 1 + ⌊(16000 − 400) / 160⌋ frames
    out.dispose();
  });
});

describe('fbank options', () => {
  it('frames without snipping edges by the hop alone', () => {
    const out = fbank(testClip(1), { snipEdges: false });
    assert.deepEqual(out.shape, [100, 128]);
    out.dispose();
  });

  it('scales the input: int16 scale adds log(32768²) where energies are above the floor', () => {
    const clip = testClip(0.5);
    const [float, int16] = [fbank(clip), fbank(clip, { inputScale: 32768 })];
    const shift = tf.tidy(() => tf.sub(int16, float).max().dataSync()[0]);
    assert.ok(Math.abs(shift - Math.log(32768 ** 2)) < 1e-3, `shift ${shift}`);
    disposeAll([float, int16]);
  });

  it('dithers reproducibly from the seed and not at all by default', () => {
    const clip = testClip(0.5);
    const [a, b, c, plain] = [
      fbank(clip, { dither: 1e-3, seed: 7 }),
      fbank(clip, { dither: 1e-3, seed: 7 }),
      fbank(clip, { dither: 1e-3, seed: 8 }),
      fbank(clip),
    ];
    assert.deepEqual(a.dataSync(), b.dataSync());
    assert.notDeepEqual(a.dataSync(), c.dataSync());
    assert.notDeepEqual(a.dataSync(), plain.dataSync());
    disposeAll([a, b, c, plain]);
  });

  it('builds a Kaldi mel filterbank: triangles on the 1127·ln(1 + f/700) scale, zero outside the band', () => {
    assert.ok(Math.abs(melScale(700) - 1127 * Math.log(2)) < 1e-9);
    const bank = melFilterbank({ melBins: 23, paddedSize: 512, sampleRate: 16000, lowFreqHz: 300, highFreqHz: 3000 });
    assert.ok(bank.firstBin * (16000 / 512) > 300 && (bank.firstBin - 1) * (16000 / 512) <= 300);
    assert.ok((bank.firstBin + bank.binCount - 1) * (16000 / 512) < 3000);
    assert.ok(bank.weights.every((w) => w >= 0 && w <= 1));
  });

  it('rejects bad options with a message naming the option', () => {
    assert.throws(() => fbank(testClip(0.5), { melBins: 3 }), /melBins must be an integer above 3/);
    assert.throws(() => fbank(testClip(0.5), { windowType: 'kaiser' as never }), /windowType must be one of/);
    assert.throws(() => fbank(testClip(0.5), { lowFreq: 5000, highFreq: 4000 }), /lowFreq < highFreq/);
    assert.throws(() => fbank(testClip(0.5), { preemphasis: 1.5 }), /preemphasis must be in \[0, 1\]/);
  });
});

describe('fbank input checks', () => {
  it('refuses a clip shorter than one frame, naming the source', () => {
    assert.throws(() => fbank(new Float32Array(399), { source: 'short.wav' }), /short\.wav is too short: 399 samples .* needs 400/);
  });

  it('refuses NaN and Infinity, naming the source and the index', () => {
    const clip = testClip(0.1);
    clip[1234] = Number.NaN;
    assert.throws(() => fbank(clip, { source: 'bad.wav' }), /bad\.wav has a non-finite sample \(NaN\) at index 1234/);
    clip[1234] = Number.POSITIVE_INFINITY;
    assert.throws(() => fbank(clip), /samples has a non-finite sample \(Infinity\) at index 1234/);
  });

  it('says a clip is too short for a frame longer than the clip, however long the frame', () => {
    assert.throws(
      () => fbank(testClip(2), { frameLengthMs: 10000, source: 'two-seconds.wav' }),
      /two-seconds\.wav is too short: 32000 samples \(2000\.0 ms at 16000 Hz\); one 10000 ms frame needs 160000/,
    );
  });

  it('refuses a window whose DFT matrix would not fit in memory, naming the source', () => {
    assert.throws(() => fbank(testClip(1.5), { frameLengthMs: 1200, source: 'long.wav' }), /long\.wav: a 1200 ms window \(19200 samples\) needs a [\d.]+ GiB DFT matrix/);
  });

  it('names the clip in a batch', () => {
    assert.throws(() => fbankBatch([testClip(0.1), new Float32Array(10)], { source: 'set' }), /set\[1\] is too short/);
  });
});

describe('fbankBatch', () => {
  it('matches per-clip fbank to 1e-5 on clips of different lengths', () => {
    const clips = [testClip(0.4, 1), testClip(1.03, 2), testClip(0.025, 3), testClip(2.5, 4)];
    for (const options of [{}, { melBins: 64, windowType: 'hanning' as const, snipEdges: false }, { dither: 1e-4, seed: 3 }]) {
      const batch = fbankBatch(clips, options);
      assert.equal(batch.length, clips.length);
      // With dither only the first clip has a per-clip twin: clip i draws from deriveSeed(seed, i).
      const comparable = 'dither' in options ? 1 : clips.length;
      for (let i = 0; i < comparable; i++) {
        const single = fbank(clips[i], options);
        assert.deepEqual(batch[i].shape, single.shape);
        const diff = maxAbsDiff(batch[i].arraySync(), single.arraySync());
        assert.ok(diff <= 1e-5, `clip ${i}, options ${JSON.stringify(options)}: diff ${diff}`);
        single.dispose();
      }
      disposeAll(batch);
    }
  });

  it('returns an empty list for no clips', () => {
    assert.deepEqual(fbankBatch([]), []);
  });
});

describe('padOrCrop', () => {
  const fb = tf.tensor2d(Float32Array.from({ length: 5 * 3 }, (_, i) => i + 1), [5, 3]);
  after(() => fb.dispose());

  it('pads with zero frames at the end and crops the tail by default (AudioMAE)', () => {
    const padded = padOrCrop(fb, 8);
    assert.deepEqual(padded.shape, [8, 3]);
    assert.deepEqual(padded.arraySync().slice(5), [[0, 0, 0], [0, 0, 0], [0, 0, 0]]);
    assert.deepEqual(padded.arraySync().slice(0, 5), fb.arraySync());
    const cropped = padOrCrop(fb, 2);
    assert.deepEqual(cropped.arraySync(), [[1, 2, 3], [4, 5, 6]]);
    disposeAll([padded, cropped]);
  });

  it("splits the padding or the crop between both ends in 'center' mode", () => {
    const padded = padOrCrop(fb, 8, 'center');
    assert.deepEqual(padded.shape, [8, 3]);
    assert.deepEqual(padded.arraySync()[0], [0, 0, 0]);
    assert.deepEqual(padded.arraySync()[1], [1, 2, 3]);
    assert.deepEqual(padded.arraySync()[7], [0, 0, 0]);
    const cropped = padOrCrop(fb, 2, 'center');
    assert.deepEqual(cropped.arraySync(), [[4, 5, 6], [7, 8, 9]]);
    disposeAll([padded, cropped]);
  });

  it('returns a new tensor of the same values when the length already fits', () => {
    const same = padOrCrop(fb, 5);
    assert.notEqual(same, fb);
    assert.deepEqual(same.arraySync(), fb.arraySync());
    same.dispose();
    assert.equal(fb.isDisposed, false);
  });

  it('rejects a non-positive target', () => {
    assert.throws(() => padOrCrop(fb, 0), /targetFrames must be a positive integer/);
    assert.throws(() => padOrCrop(fb, 8, 'end', 'loud' as never), /value must be 'zero' or 'floor'/);
  });

  it("pads at the clip's own quiet level (its 1st percentile) with 'floor', and leaves crops alone", () => {
    // 200 values from -10 to 9.9: the 1st percentile is the 3rd smallest, -9.8.
    const ramp = tf.tensor2d(Float32Array.from({ length: 200 }, (_, i) => -10 + i / 10), [50, 4]);
    assert.equal(floorLevel(ramp), Math.fround(-9.8));
    const padded = padOrCrop(ramp, 60, 'end', 'floor');
    const rows = padded.arraySync();
    assert.deepEqual(rows.slice(50), Array.from({ length: 10 }, () => Array(4).fill(Math.fround(-9.8))));
    assert.deepEqual(rows.slice(0, 50), ramp.arraySync());
    const cropped = padOrCrop(ramp, 20, 'end', 'floor');
    assert.deepEqual(cropped.arraySync(), ramp.arraySync().slice(0, 20));
    disposeAll([ramp, padded, cropped]);
  });
});

describe('normalisation statistics', () => {
  it('computes the pooled scalar mean and standard deviation over all values of all fbanks', () => {
    const a = tf.tensor2d([[1, 2], [3, 4]]);
    const b = tf.tensor2d([[5, 6]]);
    const stats = computeNormStats([a, b]);
    assert.ok(Math.abs(stats.mean - 3.5) < 1e-12);
    assert.ok(Math.abs(stats.std - Math.sqrt(17.5 / 6)) < 1e-12);
    disposeAll([a, b]);
  });

  it("normalises as AudioMAE does, (x − mean) / (2·std), with the scale adjustable", () => {
    const x = tf.tensor2d([[-4.2677393, 4.8702555]]);
    const normalized = normalizeFbank(x, AUDIOSET_NORM_STATS);
    const values = normalized.dataSync();
    assert.ok(Math.abs(values[0]) < 1e-6 && Math.abs(values[1] - 1) < 1e-6, `${values}`);
    const unit = normalizeFbank(x, { mean: 0, std: 2 }, { stdScale: 1 });
    assert.ok(Math.abs(unit.dataSync()[1] - 4.8702555 / 2) < 1e-6);
    disposeAll([x, normalized, unit]);
  });

  it('maps a dataset to mean 0 and standard deviation 0.5', () => {
    const fbanks = fbankBatch([testClip(0.5, 1), testClip(0.7, 2)]);
    const stats = computeNormStats(fbanks);
    const normalized = fbanks.map((fb) => normalizeFbank(fb, stats));
    const after = computeNormStats(normalized);
    assert.ok(Math.abs(after.mean) < 1e-5 && Math.abs(after.std - 0.5) < 1e-5, JSON.stringify(after));
    disposeAll([...fbanks, ...normalized]);
  });

  it('refuses a zero standard deviation and an empty set', () => {
    const x = tf.tensor2d([[1]]);
    assert.throws(() => normalizeFbank(x, { mean: 0, std: 0 }), /std > 0/);
    assert.throws(() => computeNormStats([]), /no fbanks/);
    x.dispose();
  });
});

describe('model inputs at full length (for random windows)', () => {
  it("hold what modelInputs gives in the window it cuts, and pad with the clip's own normalised floor", () => {
    const recipe = { fbank: { ...DEFAULT_FBANK_OPTIONS }, padMode: 'end' as const, padValue: 'floor' as const, stdScale: 2 };
    const clips = [testClip(3.0, 1), testClip(0.8, 2)];
    const stats = datasetNormStats(clips, recipe);
    const frames = 256;
    const fixed = modelInputs(clips, recipe, stats, frames);
    const long = normalizedFbanks(clips, recipe, stats);
    const mels = recipe.fbank.melBins;
    assert.ok(long[0].frames > frames && long[1].frames < frames, `frames ${long[0].frames}, ${long[1].frames}`);
    assert.deepEqual(Array.from(long[0].values.subarray(0, frames * mels)), Array.from(fixed[0]));
    assert.deepEqual(Array.from(long[1].values), Array.from(fixed[1].subarray(0, long[1].frames * mels)));
    const padded = fixed[1].subarray(long[1].frames * mels);
    assert.ok(padded.every((v) => Math.abs(v - long[1].padValue) < 1e-6), `padding ${padded[0]} vs ${long[1].padValue}`);
  });
});

describe('fbank memory', () => {
  it('leaks no tensors over many calls; the cache holds two per option set until cleared', () => {
    const clip = testClip(0.5);
    clearFbankCache();
    const before = tf.memory().numTensors;
    const warm = fbank(clip);
    warm.dispose();
    assert.equal(fbankCacheTensorCount(), 2);
    assert.equal(tf.memory().numTensors, before + 2);
    for (let i = 0; i < 50; i++) {
      const one = fbank(clip);
      const batch = fbankBatch([clip, clip, clip]);
      const fixed = padOrCrop(one, 64);
      const normalized = normalizeFbank(fixed, AUDIOSET_NORM_STATS);
      disposeAll([one, ...batch, fixed, normalized]);
    }
    assert.equal(tf.memory().numTensors, before + 2);
    clearFbankCache();
    assert.equal(tf.memory().numTensors, before);
  });

  it("keeps its cache alive when first built inside a caller's tf.tidy", () => {
    clearFbankCache();
    const inside = tf.tidy(() => fbank(testClip(0.3), { melBins: 40 }).sum());
    const again = fbank(testClip(0.3), { melBins: 40 });
    assert.deepEqual(again.shape, [28, 40]);
    disposeAll([inside, again]);
    clearFbankCache();
  });
});

describe('ttt-speech fbank (CLI)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ttt-speech-fbank-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function runCli(args: string[]): { status: number | null; stdout: string; stderr: string } {
    const root = join(TEST_DIR, '..');
    const run = spawnSync(process.execPath, [join(root, 'bin', 'ttt-speech.mjs'), ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
    return { status: run.status, stdout: run.stdout, stderr: run.stderr };
  }

  it('prints the fbank of a stereo WAV as JSON, averaging the channels', () => {
    const left = testClip(0.5, 1);
    const right = testClip(0.5, 2);
    const file = join(dir, 'stereo.wav');
    writeWav(file, [left, right], 16000, '32f');
    const run = runCli(['fbank', file, '--json', '--bins', '40', '--window', 'hanning']);
    assert.equal(run.status, 0, run.stderr);
    const result = JSON.parse(run.stdout) as FbankJson;
    assert.equal(result.frames, 48);
    assert.equal(result.bins, 40);
    assert.equal(result.options.windowType, 'hanning');
    assert.equal(result.options.melBins, 40);
    assert.equal(result.data.length, 48);
    const mono = left.map((v, i) => 0.5 * (v + right[i]));
    const expected = fbank(mono, { melBins: 40, windowType: 'hanning' });
    assert.ok(maxAbsDiff(result.data, expected.arraySync()) <= 1e-5);
    expected.dispose();
  });

  it('prints a short summary without --json', () => {
    const file = join(dir, 'mono.wav');
    writeWav(file, testClip(1), 16000, '16');
    const run = runCli(['fbank', file, '--frame-length', '20', '--frame-shift', '5']);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /mono\.wav: 197 frames × 128 mel bins/);
    assert.match(run.stdout, /log-mel min -?\d+\.\d+, mean -?\d+\.\d+, max -?\d+\.\d+/);
  });

  it('fails with the reason for a clip shorter than one frame, also when the frame is long', () => {
    const file = join(dir, 'short.wav');
    writeWav(file, testClip(0.02), 16000, '16');
    const run = runCli(['fbank', file]);
    assert.equal(run.status, 1);
    assert.match(run.stderr, /short\.wav is too short/);
    const two = join(dir, 'two-seconds.wav');
    writeWav(two, testClip(2), 16000, '16');
    const long = runCli(['fbank', two, '--frame-length', '10000']);
    assert.equal(long.status, 1);
    assert.match(long.stderr, /two-seconds\.wav is too short: 32000 samples .*one 10000 ms frame needs 160000/);
    assert.doesNotMatch(long.stderr, /RangeError|typed array/);
  });

  it('reads a FLAC file and prints the same fbank as for the same audio in WAV', async () => {
    const ints = Int32Array.from(testClip(0.5, 3), (v) => Math.max(-32768, Math.min(32767, Math.round(v * 32768))));
    const flacFile = join(dir, 'clip.flac');
    const wavFile = join(dir, 'clip.wav');
    writeFileSync(flacFile, await encodeFlac([ints], { sampleRate: 16000, bitsPerSample: 16 }));
    writeWav(wavFile, Float32Array.from(ints, (v) => v / 32768), 16000, '16');
    const [fromFlac, fromWav] = [flacFile, wavFile].map((file) => runCli(['fbank', file, '--json', '--bins', '40']));
    assert.equal(fromFlac.status, 0, fromFlac.stderr);
    assert.deepEqual((JSON.parse(fromFlac.stdout) as FbankJson).data, (JSON.parse(fromWav.stdout) as FbankJson).data);
  });
});
