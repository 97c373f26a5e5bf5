import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AudioFileError,
  FLAC_BIT_DEPTHS,
  FLOAT_WAV_LIMIT,
  activeFrames,
  activeSpeechPower,
  addNoise,
  assertSampleRate,
  clipFromSamples,
  decodeAudio,
  decodeFlac,
  decodeWav,
  encodeWav,
  generateNoise,
  loadClip,
  makeBabble,
  meanPower,
  measureSnrDb,
  mixAtSnr,
  NoiseFiles,
  parseFlacStreamInfo,
  peakAbs,
  readAudio,
  readWav,
  resample,
  scaleNoiseToSnr,
  toMono,
  writeWav,
  type NoiseType,
} from '../lib/audio/index.js';
import { createRng } from '../lib/util/random.js';
import { encodeFlac, verbatimFlac } from './helpers/flac.js';

// ---- signal helpers -------------------------------------------------------------------------

function tone(frequency: number, length: number, sampleRate: number, amplitude = 0.5): Float32Array {
  return Float32Array.from({ length }, (_, i) => amplitude * Math.sin((2 * Math.PI * frequency * i) / sampleRate));
}

/**
 * A speech-like test signal at 16 kHz: 500 Hz bursts of 320 ms (whole 20 ms frames, whole
 * periods) at the given amplitudes, each followed by 480 ms of silence. Its active-speech power
 * is the mean of amplitude²/2, while its whole-signal power is 40 % of that (about −4 dB).
 */
function toneBursts(amplitudes: number[]): Float32Array {
  const burst = 5120;
  const pause = 7680;
  const out = new Float32Array(amplitudes.length * (burst + pause));
  amplitudes.forEach((amplitude, b) => out.set(tone(500, burst, 16000, amplitude), b * (burst + pause)));
  return out;
}

/** Rounds to 16-bit PCM steps (and -0 to 0, as a decoder returns it). */
function onSixteenBitGrid(samples: Float32Array): Float32Array {
  return Float32Array.from(samples, (v) => Math.round(v * 32768) / 32768 + 0);
}

function expectedActivePower(amplitudes: number[]): number {
  return amplitudes.reduce((sum, a) => sum + (a * a) / 2, 0) / amplitudes.length;
}

function db(ratio: number): number {
  return 10 * Math.log10(ratio);
}

/** In-place iterative radix-2 FFT (length a power of two). */
function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j], re[i]];
      [im[i], im[j]] = [im[j], im[i]];
    }
  }
  for (let size = 2; size <= n; size <<= 1) {
    const step = (-2 * Math.PI) / size;
    for (let start = 0; start < n; start += size) {
      for (let k = 0; k < size / 2; k++) {
        const c = Math.cos(step * k);
        const s = Math.sin(step * k);
        const a = start + k;
        const b = a + size / 2;
        const tr = re[b] * c - im[b] * s;
        const ti = re[b] * s + im[b] * c;
        re[b] = re[a] - tr;
        im[b] = im[a] - ti;
        re[a] += tr;
        im[a] += ti;
      }
    }
  }
}

/** Welch power spectrum: Hann-windowed segments of `segment` samples, 50 % overlap, averaged. */
function welch(samples: Float32Array, segment: number): Float64Array {
  const psd = new Float64Array(segment / 2 + 1);
  const window = Float64Array.from({ length: segment }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / segment));
  let count = 0;
  for (let start = 0; start + segment <= samples.length; start += segment / 2) {
    const re = new Float64Array(segment);
    const im = new Float64Array(segment);
    for (let i = 0; i < segment; i++) re[i] = samples[start + i] * window[i];
    fft(re, im);
    for (let k = 0; k <= segment / 2; k++) psd[k] += re[k] ** 2 + im[k] ** 2;
    count++;
  }
  return psd.map((v) => v / count);
}

/** Frequency (Hz) of the largest Welch bin. */
function peakFrequency(samples: Float32Array, sampleRate: number, segment = 4096): number {
  const psd = welch(samples, segment);
  let best = 1;
  for (let k = 1; k < psd.length; k++) if (psd[k] > psd[best]) best = k;
  return (best * sampleRate) / segment;
}

/**
 * Least-squares slope, in dB per octave, of the mean power density in consecutive octave bands
 * starting at `lowest` (a fraction of the sample rate).
 */
function spectralSlopeDbPerOctave(samples: Float32Array, lowest: number, octaves: number, segment = 4096): number {
  const psd = welch(samples, segment);
  const levels: number[] = [];
  for (let o = 0; o < octaves; o++) {
    const from = Math.round(lowest * 2 ** o * segment);
    const to = Math.round(lowest * 2 ** (o + 1) * segment);
    let sum = 0;
    for (let k = from; k < to; k++) sum += psd[k];
    levels.push(db(sum / (to - from)));
  }
  const meanX = (octaves - 1) / 2;
  const meanY = levels.reduce((a, b) => a + b, 0) / octaves;
  let num = 0;
  let den = 0;
  levels.forEach((y, x) => {
    num += (x - meanX) * (y - meanY);
    den += (x - meanX) ** 2;
  });
  return num / den;
}

// ---- hand-made WAV files, independent of the encoder under test -----------------------------

function wavBytes(format: { audioFormat: 1 | 3; channels: number; sampleRate: number; bits: number }, data: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(44 + data.length);
  const view = new DataView(bytes.buffer);
  const text = (offset: number, value: string) => [...value].forEach((ch, i) => view.setUint8(offset + i, ch.charCodeAt(0)));
  const blockAlign = (format.channels * format.bits) / 8;
  text(0, 'RIFF');
  view.setUint32(4, 36 + data.length, true);
  text(8, 'WAVE');
  text(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, format.audioFormat, true);
  view.setUint16(22, format.channels, true);
  view.setUint32(24, format.sampleRate, true);
  view.setUint32(28, format.sampleRate * blockAlign, true);
  view.setUint16(32, blockAlign, true);
  view.setUint16(34, format.bits, true);
  text(36, 'data');
  view.setUint32(40, data.length, true);
  bytes.set(data, 44);
  return bytes;
}

function float32Data(values: number[]): Uint8Array {
  const data = new Uint8Array(values.length * 4);
  const view = new DataView(data.buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return data;
}

function float64Data(values: number[]): Uint8Array {
  const data = new Uint8Array(values.length * 8);
  const view = new DataView(data.buffer);
  values.forEach((v, i) => view.setFloat64(i * 8, v, true));
  return data;
}

function int24Data(values: number[]): Uint8Array {
  const data = new Uint8Array(values.length * 3);
  values.forEach((v, i) => {
    const u = v < 0 ? v + 0x1000000 : v;
    data[i * 3] = u & 0xff;
    data[i * 3 + 1] = (u >> 8) & 0xff;
    data[i * 3 + 2] = (u >> 16) & 0xff;
  });
  return data;
}

/** Asserts that `action` fails with an AudioFileError naming `file` and matching `problem`. */
async function assertAudioFileError(action: () => unknown, file: string, problem: RegExp): Promise<void> {
  await assert.rejects(
    async () => {
      await action();
    },
    (err: unknown) => {
      assert.ok(err instanceof AudioFileError, `expected AudioFileError, got ${String(err)}`);
      assert.equal(err.file, file);
      assert.ok(err.message.startsWith(`${file}: `), err.message);
      assert.match(err.problem, problem);
      return true;
    },
  );
}

// ---- tests ----------------------------------------------------------------------------------

describe('audio', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ttt-speech-audio-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  describe('WAV decoding and encoding', () => {
    it('round-trips 16-bit PCM bit-exactly: encode → decode → encode gives the same bytes and samples', () => {
      const rng = createRng(1);
      const ints = Int16Array.from({ length: 4000 }, () => Math.floor(rng() * 65536) - 32768);
      ints.set([-32768, 32767, 0, 1, -1]);
      const samples = Float32Array.from(ints, (v) => v / 32768);
      const first = encodeWav(samples, 16000, '16');
      const decoded = decodeWav(first, 'memory');
      assert.equal(decoded.bitDepth, '16');
      assert.equal(decoded.sampleRate, 16000);
      assert.deepEqual(decoded.channels[0], samples);
      const second = encodeWav(decoded.channels, decoded.sampleRate, '16');
      assert.deepEqual(second, first);
    });

    it('decodes 24-bit PCM to the exact sample values', () => {
      const ints = [0, 1, -1, 8388607, -8388608, 123456, -654321];
      const decoded = decodeWav(wavBytes({ audioFormat: 1, channels: 1, sampleRate: 22050, bits: 24 }, int24Data(ints)), 'memory');
      assert.equal(decoded.bitDepth, '24');
      assert.equal(decoded.sampleRate, 22050);
      assert.deepEqual(Array.from(decoded.channels[0]), ints.map((v) => v / 8388608));
    });

    it('decodes 32-bit float to the exact sample values, channel by channel', () => {
      const left = [0, 0.5, -0.25, 1, -1, 1e-7];
      const right = [0.125, -0.5, 0.75, -1, 1, -3e-5];
      const interleaved = left.flatMap((v, i) => [v, right[i]]);
      const decoded = decodeWav(wavBytes({ audioFormat: 3, channels: 2, sampleRate: 48000, bits: 32 }, float32Data(interleaved)), 'memory');
      assert.equal(decoded.bitDepth, '32f');
      assert.deepEqual(decoded.channels[0], Float32Array.from(left));
      assert.deepEqual(decoded.channels[1], Float32Array.from(right));
    });

    it('writes a file that reads back the same', () => {
      const path = join(dir, 'written.wav');
      const samples = onSixteenBitGrid(tone(440, 1600, 16000));
      writeWav(path, samples, 16000);
      assert.deepEqual(readWav(path).channels[0], samples);
    });
  });

  describe('FLAC decoding', () => {
    /** Integer PCM of `bits` bits: a tone (what predictors are for), then noise, with both extremes, 0 and ±1 first. */
    function pcm(length: number, bits: number, seed: number): Int32Array {
      const full = 2 ** (bits - 1);
      const rng = createRng(seed);
      const out = Int32Array.from({ length }, (_, i) =>
        i < length / 2 ? Math.round((full - 1) * 0.8 * Math.sin(i / (3 + seed))) : Math.floor(rng() * 2 * full) - full,
      );
      out.set([-full, full - 1, 0, 1, -1]);
      return out;
    }

    const scaled = (ints: Int32Array, bits: number) => Float32Array.from(ints, (v) => v / 2 ** (bits - 1));

    it('decodes 8-, 16- and 24-bit stereo FLAC to exactly the encoded samples, ÷ 2^(bits − 1) as WAV is', async () => {
      for (const bits of FLAC_BIT_DEPTHS) {
        const left = pcm(6000, bits, 1);
        const right = pcm(6000, bits, 2);
        const decoded = await decodeFlac(await encodeFlac([left, right], { sampleRate: 44100, bitsPerSample: bits }), 'memory');
        assert.equal(decoded.bitDepth, bits);
        assert.equal(decoded.sampleRate, 44100);
        assert.deepEqual(decoded.channels, [scaled(left, bits), scaled(right, bits)], `${bits}-bit`);
      }
    });

    it('gives the same clip as a WAV file of the same PCM', async () => {
      const ints = pcm(4000, 16, 3);
      const fromFlac = await decodeAudio(await encodeFlac([ints], { sampleRate: 16000, bitsPerSample: 16 }), 'a.flac');
      const fromWav = await decodeAudio(encodeWav(scaled(ints, 16), 16000, '16'), 'a.wav');
      assert.deepEqual([fromFlac.format, fromWav.format], ['flac', 'wav']);
      assert.deepEqual(fromFlac.channels, fromWav.channels);
    });

    it('reads rate, channels, bit depth and length from STREAMINFO', async () => {
      const bytes = await encodeFlac([pcm(1234, 24, 4), pcm(1234, 24, 5)], { sampleRate: 48000, bitsPerSample: 24 });
      assert.deepEqual(parseFlacStreamInfo(bytes), { sampleRate: 48000, channels: 2, bitsPerSample: 24, totalSamples: 1234 });
      assert.equal(parseFlacStreamInfo(encodeWav(new Float32Array(100), 16000)), null);
    });

    it('loadClip reads .flac files and tells FLAC from WAV by content, not by name', async () => {
      const ints = pcm(8000, 16, 6);
      const flac = await encodeFlac([ints], { sampleRate: 16000, bitsPerSample: 16 });
      const wav = encodeWav(scaled(ints, 16), 16000, '16');
      const files = { 'speech.flac': flac, 'flac-named.wav': flac, 'wav-named.flac': wav };
      for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
      for (const name of Object.keys(files)) {
        const clip = await loadClip(join(dir, name));
        assert.deepEqual(clip.samples, scaled(ints, 16), name);
        assert.equal(clip.originalSampleRate, 16000);
      }
      assert.deepEqual(
        await Promise.all(Object.keys(files).map(async (name) => (await readAudio(join(dir, name))).format)),
        ['flac', 'flac', 'wav'],
      );
    });

    it('resamples a 48 kHz FLAC (as VCTK ships) to 16 kHz like the same WAV', async () => {
      const ints = Int32Array.from(tone(1000, 9600, 48000, 0.5), (v) => Math.round(v * 8388608));
      writeFileSync(join(dir, 'p225_001_mic1.flac'), await encodeFlac([ints], { sampleRate: 48000, bitsPerSample: 24 }));
      writeFileSync(join(dir, 'p225_001_mic1.wav'), wavBytes({ audioFormat: 1, channels: 1, sampleRate: 48000, bits: 24 }, int24Data(Array.from(ints))));
      const fromFlac = await loadClip(join(dir, 'p225_001_mic1.flac'));
      const fromWav = await loadClip(join(dir, 'p225_001_mic1.wav'));
      assert.equal(fromFlac.originalSampleRate, 48000);
      assert.equal(fromFlac.samples.length, 3200);
      assert.deepEqual(fromFlac.samples, fromWav.samples);
    });

    it('refuses a truncated, a corrupted and a 12-bit FLAC, frames it cannot follow, and a bare marker, naming the file', async () => {
      const ints = pcm(20000, 16, 7);
      const whole = await encodeFlac([ints], { sampleRate: 16000, bitsPerSample: 16 });
      const truncated = join(dir, 'truncated.flac');
      writeFileSync(truncated, whole.subarray(0, Math.floor(whole.length * 0.6)));
      await assertAudioFileError(() => loadClip(truncated), truncated, /^truncated or corrupt: STREAMINFO declares 20000 samples per channel but only \d+ could be decoded$/);

      const damaged = join(dir, 'damaged.flac');
      const flipped = whole.slice();
      for (let i = 0; i < 64; i++) flipped[Math.floor(whole.length / 2) + i] ^= 0xa5;
      writeFileSync(damaged, flipped);
      await assertAudioFileError(() => loadClip(damaged), damaged, /corrupt/);

      const twelve = join(dir, 'twelve.flac');
      writeFileSync(twelve, await encodeFlac([pcm(2000, 12, 8)], { sampleRate: 16000, bitsPerSample: 12 }));
      await assertAudioFileError(() => loadClip(twelve), twelve, /unsupported sample format: 12-bit FLAC; ttt-speech reads 8-, 16-, 24-bit FLAC.*sox/);

      const deferring = join(dir, 'rate-in-streaminfo.flac');
      writeFileSync(deferring, verbatimFlac(tone(440, 4800, 48000), 48000, { rateFromStreamInfo: true }));
      await assertAudioFileError(() => loadClip(deferring), deferring, /its frames take their sample rate from STREAMINFO.*re-encode it/);
      const explicit = join(dir, 'rate-in-frames.flac');
      writeFileSync(explicit, verbatimFlac(tone(440, 4800, 48000), 48000));
      assert.equal((await loadClip(explicit)).originalSampleRate, 48000);

      const bare = join(dir, 'bare.flac');
      writeFileSync(bare, Buffer.from('fLaC and then nothing of use'));
      await assertAudioFileError(() => loadClip(bare), bare, /not a FLAC file \(no STREAMINFO block/);
    });
  });

  describe('bad files are reported with the file and the problem', () => {
    it('a WAV cut off in the middle of its data chunk', async () => {
      const path = join(dir, 'truncated.wav');
      const whole = encodeWav(tone(440, 16000, 16000), 16000, '16');
      writeFileSync(path, whole.subarray(0, 44 + 10000));
      await assertAudioFileError(() => loadClip(path), path, /truncated: the data chunk declares 32000 bytes but only 10000/);
    });

    it('a text file, whatever its name', async () => {
      for (const name of ['notes.wav', 'notes.flac']) {
        const path = join(dir, name);
        writeFileSync(path, 'these are notes, not audio\n');
        await assertAudioFileError(() => loadClip(path), path, /not a WAV or FLAC file \(.*it starts with "thes"\)/);
      }
      assert.throws(() => readWav(join(dir, 'notes.wav')), /notes\.wav: not a WAV file/);
    });

    it('a WAV with 0 samples', async () => {
      const path = join(dir, 'empty.wav');
      writeFileSync(path, wavBytes({ audioFormat: 1, channels: 1, sampleRate: 16000, bits: 16 }, new Uint8Array(0)));
      await assertAudioFileError(() => loadClip(path), path, /0 samples/);
    });

    it('a 3-channel WAV: the layout is ambiguous, and the message says how to convert it', async () => {
      const path = join(dir, 'three.wav');
      const channel = tone(440, 1600, 16000);
      writeWav(path, [channel, channel, channel], 16000);
      await assertAudioFileError(() => loadClip(path), path, /3 channels; the channel layout is ambiguous.*sox .*remix/);
    });

    it('a float WAV holding a NaN', async () => {
      const path = join(dir, 'nan.wav');
      const values = Array.from(tone(440, 800, 16000));
      values[123] = NaN;
      writeFileSync(path, wavBytes({ audioFormat: 3, channels: 1, sampleRate: 16000, bits: 32 }, float32Data(values)));
      await assertAudioFileError(() => loadClip(path), path, /non-finite sample \(NaN\) at index 123/);
    });

    it('a silent clip (digital silence, and a peak below the threshold)', async () => {
      const zeros = join(dir, 'zeros.wav');
      writeWav(zeros, new Float32Array(16000), 16000);
      await assertAudioFileError(() => loadClip(zeros), zeros, /silent: digital silence/);
      const faint = join(dir, 'faint.wav');
      writeWav(faint, tone(440, 16000, 16000, 1e-5), 16000, '32f');
      await assertAudioFileError(() => loadClip(faint), faint, /silent: peak level -100\.0 dBFS, below the -90 dBFS threshold/);
    });

    it('a clip shorter than the minimum duration, stating the duration found and needed', async () => {
      const path = join(dir, 'short.wav');
      writeWav(path, tone(440, 160, 16000), 16000);
      await assertAudioFileError(() => loadClip(path), path, /too short: 0\.0100 s \(160 samples at 16000 Hz\); at least 0\.025 s/);
      await assertAudioFileError(() => loadClip(path, { minDurationS: 1 }), path, /at least 1 s is needed/);
    });

    it('a missing file, a folder, an unreadable file: said in words', async () => {
      const path = join(dir, 'missing.wav');
      await assertAudioFileError(() => loadClip(path), path, /^cannot read: no such file$/);
      await assertAudioFileError(() => loadClip(dir), dir, /^cannot read: is a directory$/);
      assert.throws(() => readWav(path), /missing\.wav: cannot read: no such file/);
    });

    it('a float WAV with a finite but implausible sample, naming its index', async () => {
      for (const [bits, value] of [[32, 1e19], [32, 1e30], [64, 1e300], [32, 32767]] as const) {
        const path = join(dir, `loud-${bits}-${value}.wav`);
        const values = Array.from(tone(440, 800, 16000));
        values[321] = value;
        const data = bits === 32 ? float32Data(values) : float64Data(values);
        writeFileSync(path, wavBytes({ audioFormat: 3, channels: 1, sampleRate: 16000, bits }, data));
        await assertAudioFileError(() => loadClip(path), path, new RegExp(`implausible sample .* at index 321 of channel 0: float samples must lie within ±${FLOAT_WAV_LIMIT}`));
      }
    });

    it('a float WAV a little over full scale is real audio and is kept as it is', async () => {
      const path = join(dir, 'hot.wav');
      const values = Array.from(tone(440, 800, 16000));
      values[100] = 1.5;
      values[101] = -FLOAT_WAV_LIMIT;
      writeFileSync(path, wavBytes({ audioFormat: 3, channels: 1, sampleRate: 16000, bits: 32 }, float32Data(values)));
      assert.deepEqual(readWav(path).channels[0], Float32Array.from(values));
    });

    it('in-memory samples get the same checks', async () => {
      await assertAudioFileError(() => clipFromSamples(new Float32Array(8000), 16000, 'synthetic'), 'synthetic', /silent/);
      await assertAudioFileError(() => clipFromSamples(tone(440, 100, 16000), 16000, 'synthetic'), 'synthetic', /too short/);
      const bad = tone(440, 1600, 16000);
      bad[7] = Infinity;
      await assertAudioFileError(() => clipFromSamples(bad, 16000, 'synthetic'), 'synthetic', /non-finite sample \(Infinity\) at index 7/);
    });
  });

  describe('clips', () => {
    it('loads a stereo 44.1 kHz file as a mono 16 kHz clip, averaging the channels', async () => {
      const path = join(dir, 'stereo.wav');
      const left = tone(1000, 44100, 44100, 0.4);
      const right = Float32Array.from(left, (v) => v / 2);
      writeWav(path, [left, right], 44100, '32f');
      const clip = await loadClip(path);
      assert.equal(clip.sampleRate, 16000);
      assert.equal(clip.source, path);
      assert.equal(clip.originalSampleRate, 44100);
      assert.equal(clip.originalChannels, 2);
      assert.equal(clip.samples.length, 16000);
      // The mean of 0.4 and 0.2 amplitude is a 0.3 amplitude sine: power 0.045.
      assert.ok(Math.abs(db(meanPower(clip.samples.subarray(500, 15500)) / 0.045)) < 0.05);
    });

    it('keeps a 16 kHz mono file sample for sample', async () => {
      const path = join(dir, 'mono16.wav');
      const samples = onSixteenBitGrid(tone(300, 8000, 16000));
      writeWav(path, samples, 16000);
      const clip = await loadClip(path);
      assert.deepEqual(clip.samples, samples);
      assert.equal(clip.originalChannels, 1);
    });

    it('downmixes by averaging, and refuses 3 channels', () => {
      const mono = toMono([Float32Array.from([1, 0.5]), Float32Array.from([0, -0.5])], 'memory');
      assert.deepEqual(mono, Float32Array.from([0.5, 0]));
      const only = Float32Array.from([0.1]);
      assert.equal(toMono([only], 'memory'), only);
      assert.throws(() => toMono([only, only, only], 'surround.wav'), /surround\.wav: has 3 channels/);
    });

    it('assertSampleRate explains a wrong rate and how to fix it', async () => {
      const clip = clipFromSamples(tone(440, 8000, 8000), 8000, 'phone.wav');
      assert.doesNotThrow(() => assertSampleRate(clip, 8000));
      await assertAudioFileError(
        () => assertSampleRate(clip, 16000),
        'phone.wav',
        /sample rate is 8000 Hz but 16000 Hz is needed here; load it with loadClip\(path, \{ sampleRate: 16000 \}\)/,
      );
    });
  });

  describe('resampling 44.1 kHz → 16 kHz', () => {
    it('keeps a 1 kHz sine at 1 kHz and scales the length by 16000/44100', async () => {
      const input = tone(1000, 2 * 44100, 44100);
      const output = await resample(input, 44100, 16000);
      assert.ok(Math.abs(output.length - (input.length * 16000) / 44100) <= 1, `length ${output.length}`);
      const found = peakFrequency(output, 16000);
      assert.ok(Math.abs(found - 1000) <= 16000 / 4096, `peak at ${found} Hz`);
      assert.ok(Math.abs(db(meanPower(output.subarray(1000, -1000)) / meanPower(input))) < 0.1);
    });

    it('passes 7.5 kHz (below the new 8 kHz Nyquist frequency) at full level', async () => {
      const output = await resample(tone(7500, 44100, 44100), 44100, 16000);
      assert.ok(Math.abs(db(meanPower(output.subarray(1000, -1000)) / 0.125)) < 0.5);
    });

    it('removes tones above 8 kHz instead of aliasing them (8.5 kHz would fold to 7.5 kHz)', async () => {
      for (const frequency of [8500, 10000, 15000]) {
        const input = tone(frequency, 44100, 44100);
        const output = await resample(input, 44100, 16000);
        const attenuation = db(meanPower(output.subarray(1000, -1000)) / meanPower(input));
        assert.ok(attenuation < -60, `${frequency} Hz only ${attenuation.toFixed(1)} dB down`);
      }
    });
  });

  describe('active speech power', () => {
    it('averages over the bursts only, not the pauses', () => {
      const amplitudes = [0.3, 0.2, 0.25, 0.15];
      const speech = toneBursts(amplitudes);
      const active = activeSpeechPower(speech, 16000);
      assert.ok(Math.abs(db(active / expectedActivePower(amplitudes))) < 0.01);
      // The clip is 40 % bursts, so whole-signal power is about 4 dB lower: the two must differ.
      assert.ok(db(active / meanPower(speech)) > 3.9);
      const { active: flags, frameLength } = activeFrames(speech, 16000);
      assert.equal(frameLength, 320);
      assert.equal(flags.filter(Boolean).length, amplitudes.length * 16);
    });

    it('is 0 for digital silence and ignores frames more than 30 dB down', () => {
      assert.equal(activeSpeechPower(new Float32Array(1000), 16000), 0);
      const loudAndFaint = new Float32Array(640);
      loudAndFaint.set(tone(500, 320, 16000, 0.5));
      loudAndFaint.set(tone(500, 320, 16000, 0.005), 320); // 40 dB below
      assert.ok(Math.abs(db(activeSpeechPower(loudAndFaint, 16000) / 0.125)) < 0.01);
    });
  });

  describe('noise', () => {
    const types: NoiseType[] = ['white', 'pink', 'brown'];

    it('is a pure function of the seed', () => {
      for (const type of types) {
        assert.deepEqual(generateNoise(type, 5000, 42), generateNoise(type, 5000, 42), type);
        assert.notDeepEqual(generateNoise(type, 5000, 42), generateNoise(type, 5000, 43), type);
      }
    });

    it('has zero mean and unit RMS', () => {
      for (const type of types) {
        const noise = generateNoise(type, 20000, 3);
        const mean = noise.reduce((a, b) => a + b, 0) / noise.length;
        assert.ok(Math.abs(mean) < 1e-6, `${type} mean ${mean}`);
        assert.ok(Math.abs(meanPower(noise) - 1) < 1e-5, type);
      }
    });

    it('white is flat, pink falls 3 dB per octave, brown 6 dB per octave', () => {
      const length = 1 << 18;
      // Octave bands from fs/256 (62.5 Hz at 16 kHz); brown is checked up to fs/4 only, where a
      // discrete integrator still follows 1/f².
      const white = spectralSlopeDbPerOctave(generateNoise('white', length, 7), 1 / 256, 7);
      const pink = spectralSlopeDbPerOctave(generateNoise('pink', length, 7), 1 / 256, 7);
      const brown = spectralSlopeDbPerOctave(generateNoise('brown', length, 7), 1 / 256, 6);
      assert.ok(Math.abs(white) < 0.3, `white ${white.toFixed(2)} dB/octave`);
      assert.ok(Math.abs(pink + 3) < 0.3, `pink ${pink.toFixed(2)} dB/octave`);
      assert.ok(Math.abs(brown + 6) < 0.3, `brown ${brown.toFixed(2)} dB/octave`);
    });

    it('rejects a bad length or type', () => {
      assert.throws(() => generateNoise('white', -1, 0), /length/);
      assert.throws(() => generateNoise('blue' as NoiseType, 10, 0), /unknown noise type 'blue'/);
    });
  });

  describe('babble', () => {
    /** Talkers: tone bursts at different pitches, levels and rhythms. */
    function talkers(count: number): Float32Array[] {
      const rng = createRng(99);
      return Array.from({ length: count }, (_, t) => {
        const out = new Float32Array(16000 + t * 1000);
        for (let start = 0; start < out.length; start += 4000) {
          const burst = tone(150 + 40 * t, 2000 + Math.floor(rng() * 1500), 16000, 0.05 + 0.1 * t);
          out.set(burst.subarray(0, out.length - start), start);
        }
        return out;
      });
    }

    it('is a pure function of the seed, with unit RMS', () => {
      const voices = talkers(8);
      const a = makeBabble(voices, 30000, 5);
      assert.deepEqual(a, makeBabble(voices, 30000, 5));
      assert.notDeepEqual(a, makeBabble(voices, 30000, 6));
      assert.equal(a.length, 30000);
      assert.ok(Math.abs(meanPower(a) - 1) < 1e-5);
    });

    it('gives every talker the same active-speech power, however loud the recording', () => {
      const quiet = tone(300, 16000, 16000, 0.01);
      const loud = tone(700, 16000, 16000, 0.5);
      const babble = makeBabble([quiet, loud], 4096 * 8, 1);
      const psd = welch(babble, 4096);
      const bin = (frequency: number) => Math.round((frequency * 4096) / 16000);
      const near = (frequency: number) => psd.slice(bin(frequency) - 3, bin(frequency) + 4).reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(db(near(300) / near(700))) < 0.5);
    });

    it('uses distinct talkers and checks the count', () => {
      const voices = talkers(3);
      assert.equal(makeBabble(voices, 1000, 1).length, 1000); // default count: all 3
      assert.throws(() => makeBabble(voices, 1000, 1, { count: 4 }), /count must be a whole number from 1 to the 3 talkers/);
      assert.throws(() => makeBabble([], 1000, 1), /no talker clips/);
    });
  });

  describe('mixing at an SNR', () => {
    // Quiet enough that even at −5 dB SNR the mix stays below full scale, so no clipping guard acts.
    const amplitudes = [0.06, 0.04, 0.05, 0.03];
    const speech = toneBursts(amplitudes);

    it('hits the SNR within 0.1 dB, measured on active speech', () => {
      const longNoise = generateNoise('pink', speech.length * 3, 11);
      const shortNoise = generateNoise('white', 3000, 12); // looped
      for (const noise of [generateNoise('white', speech.length, 1), longNoise, shortNoise, generateNoise('brown', speech.length, 2)]) {
        for (const snrDb of [-5, 0, 5, 20]) {
          const mix = mixAtSnr(speech, noise, snrDb, { sampleRate: 16000, seed: 4 });
          assert.ok(peakAbs(mix) < 1);
          const added = Float32Array.from(mix, (v, i) => v - speech[i]);
          assert.ok(Math.abs(measureSnrDb(speech, added, 16000) - snrDb) < 0.1, `measured vs ${snrDb} dB`);
          // Independently of the activity rule: the noise power follows from the burst levels.
          const expected = db(expectedActivePower(amplitudes)) - snrDb;
          assert.ok(Math.abs(db(meanPower(added)) - expected) < 0.1);
        }
      }
    });

    it('leaves the speech as it is and adds exactly the scaled noise', () => {
      const noise = generateNoise('pink', speech.length * 2, 3);
      const options = { sampleRate: 16000, seed: 8 };
      const scaled = scaleNoiseToSnr(speech, noise, 10, options);
      const mix = mixAtSnr(speech, noise, 10, options);
      assert.deepEqual(mix, Float32Array.from(speech, (v, i) => v + scaled[i]));
      assert.notDeepEqual(scaled, scaleNoiseToSnr(speech, noise, 10, { sampleRate: 16000, seed: 9 }));
    });

    it('scales a mix that would clip down to peak 1, keeping the SNR', () => {
      const loudSpeech = toneBursts([0.5, 0.4, 0.45]);
      const noise = generateNoise('white', loudSpeech.length, 5);
      const options = { sampleRate: 16000, seed: 1 };
      const scaled = scaleNoiseToSnr(loudSpeech, noise, -10, options);
      const mix = mixAtSnr(loudSpeech, noise, -10, options);
      const unclipped = Float32Array.from(loudSpeech, (v, i) => v + scaled[i]);
      assert.ok(peakAbs(unclipped) > 1);
      assert.ok(Math.abs(peakAbs(mix) - 1) < 1e-6);
      // One common gain on speech and noise: the mix is the unclipped sum, scaled.
      const gain = 1 / peakAbs(unclipped);
      mix.forEach((v, i) => assert.ok(Math.abs(v - gain * unclipped[i]) < 1e-6));
      const speechPart = Float32Array.from(loudSpeech, (v) => v * gain);
      const noisePart = Float32Array.from(mix, (v, i) => v - speechPart[i]);
      assert.ok(Math.abs(measureSnrDb(speechPart, noisePart, 16000) + 10) < 0.1);
    });

    it('rejects a non-finite SNR, silent speech and silent noise', () => {
      const noise = generateNoise('white', 1000, 1);
      assert.throws(() => mixAtSnr(speech, noise, NaN, { sampleRate: 16000 }), /SNR must be a finite number of dB, got NaN/);
      assert.throws(() => mixAtSnr(speech, noise, Infinity, { sampleRate: 16000 }), /finite/);
      assert.throws(() => mixAtSnr(new Float32Array(1000), noise, 0, { sampleRate: 16000 }), /no active/);
      assert.throws(() => mixAtSnr(speech, new Float32Array(1000), 0, { sampleRate: 16000 }), /noise is silent/);
    });

    it('addNoise returns a new clip with the same source and format, deterministically', () => {
      const clip = clipFromSamples(speech, 16000, 'bursts.wav');
      const before = Float32Array.from(clip.samples);
      for (const type of ['white', 'pink', 'brown'] as const) {
        const noisy = addNoise(clip, { type, snrDb: 5, seed: 3 });
        assert.deepEqual(noisy, addNoise(clip, { type, snrDb: 5, seed: 3 }));
        assert.equal(noisy.source, 'bursts.wav');
        assert.equal(noisy.sampleRate, 16000);
        const added = Float32Array.from(noisy.samples, (v, i) => v - speech[i]);
        assert.ok(Math.abs(measureSnrDb(speech, added, 16000) - 5) < 0.1, type);
      }
      assert.deepEqual(clip.samples, before);
    });

    it('addNoise makes babble from the talkers it is given, and asks for them', () => {
      const clip = clipFromSamples(speech, 16000, 'bursts.wav');
      const voices = [tone(200, 9000, 16000), tone(310, 7000, 16000, 0.1), tone(420, 12000, 16000, 0.2)];
      const noisy = addNoise(clip, { type: 'babble', snrDb: 0, seed: 2, babbleTalkers: voices });
      assert.deepEqual(noisy.samples, addNoise(clip, { type: 'babble', snrDb: 0, seed: 2, babbleTalkers: voices }).samples);
      const added = Float32Array.from(noisy.samples, (v, i) => v - speech[i]);
      assert.ok(Math.abs(measureSnrDb(speech, added, 16000)) < 0.1);
      assert.throws(() => addNoise(clip, { type: 'babble', snrDb: 0, seed: 2 }), /bursts\.wav needs babbleTalkers/);
    });
  });

  describe('noise files', () => {
    const speech = toneBursts([0.06, 0.04, 0.05, 0.03]);
    const clip = clipFromSamples(speech, 16000, 'bursts.wav');
    const addedNoise = (noisy: { samples: Float32Array }) => Float32Array.from(noisy.samples, (v, i) => v - speech[i]);
    const noiseFile = (name: string, samples: Float32Array, sampleRate = 16000): string => {
      const path = join(dir, name);
      writeWav(path, samples, sampleRate, '32f');
      return path;
    };

    it('draws one file and a start per seed: the same seed gives the same noise, whatever order the files were listed in', async () => {
      const paths = [1, 2, 3].map((n) => noiseFile(`white-${n}.wav`, Float32Array.from(generateNoise('white', 16000 * (n + 4), n), (v) => 0.1 * v)));
      const forward = new NoiseFiles(paths.map((path) => ({ path })), { name: 'three' });
      const backward = new NoiseFiles([...paths].reverse().map((path) => ({ path })), { name: 'three' });
      assert.deepEqual((await forward.addTo(clip, { snrDb: 5, seed: 7 })).samples, (await backward.addTo(clip, { snrDb: 5, seed: 7 })).samples);
      const picked = new Set(Array.from({ length: 40 }, (_, seed) => forward.pick(seed).path));
      assert.deepEqual([...picked].sort(), [...paths].sort(), 'every file is drawn for some seed');
      assert.notDeepEqual((await forward.addTo(clip, { snrDb: 5, seed: 7 })).samples, (await forward.addTo(clip, { snrDb: 5, seed: 8 })).samples);
      const noisy = await forward.addTo(clip, { snrDb: 5, seed: 7 });
      assert.ok(Math.abs(measureSnrDb(speech, addedNoise(noisy), 16000) - 5) < 0.1);
      assert.equal(noisy.source, 'bursts.wav');
    });

    it("resamples a recording to the clip's rate (a 1 kHz tone at 44.1 kHz stays at 1 kHz)", async () => {
      const files = new NoiseFiles([{ path: noiseFile('tone-44k.wav', tone(1000, 3 * 44100, 44100, 0.2), 44100) }], { name: 'tone' });
      const added = addedNoise(await files.addTo(clip, { snrDb: 0, seed: 1 }));
      const found = peakFrequency(added, 16000);
      assert.ok(Math.abs(found - 1000) <= 16000 / 4096, `noise peak at ${found} Hz`);
      assert.ok(Math.abs(measureSnrDb(speech, added, 16000)) < 0.1);
    });

    it('loops a recording shorter than the clip', async () => {
      const period = 1600;
      const files = new NoiseFiles([{ path: noiseFile('short.wav', Float32Array.from(generateNoise('white', period, 4), (v) => 0.1 * v)) }], { name: 'short' });
      const added = addedNoise(await files.addTo(clip, { snrDb: 10, seed: 2 }));
      assert.ok(speech.length > 10 * period);
      for (let i = 0; i + period < added.length; i += 997) assert.ok(Math.abs(added[i] - added[i + period]) < 1e-6, `sample ${i}`);
      // Noise to the end, not the recording once and then silence.
      assert.ok(Math.abs(db(meanPower(added.subarray(-period)) / meanPower(added.subarray(0, period)))) < 0.01);
    });

    it('uses only its part of a recording, with digital silence at the ends trimmed', async () => {
      const recording = new Float32Array(4 * 16000);
      recording.set(tone(300, 2 * 16000, 16000, 0.2), 0);
      recording.set(tone(700, 1.5 * 16000, 16000, 0.2), 2 * 16000); // then 0.5 s of zeros
      const path = noiseFile('two-tones.wav', recording);
      const files = new NoiseFiles([{ path, from: 0.5 }, { path, to: 0.5 }], { name: 'parts' });
      const [first, second] = files.files;
      assert.equal(first.to, 0.5, 'files are kept in path, then start, order');
      const early = await files.samples(first, 16000);
      const late = await files.samples(second, 16000);
      // The 0.5 s of zeros is gone (and the tone's own first sample, sin 0 = 0).
      assert.ok(late.length <= 1.5 * 16000 && late.length >= 1.5 * 16000 - 1, `${late.length} samples`);
      assert.ok(Math.abs(peakFrequency(early, 16000) - 300) <= 4 && Math.abs(peakFrequency(late, 16000) - 700) <= 4);
    });

    it('names the noise file, and the clip, when its noise cannot be used', async () => {
      const half = new Float32Array(2 * 16000);
      half.set(tone(300, 16000, 16000, 0.2));
      const path = noiseFile('half-silent.wav', half);
      await assertAudioFileError(() => new NoiseFiles([{ path, from: 0.5 }], { name: 'quiet' }).samples({ path, from: 0.5 }, 16000), path, /noise 'quiet': the part used here \[0\.5, 1\) is silent/);
      const silent = clipFromSamples(new Float32Array(16000), 16000, 'silence.wav', { silenceThresholdDb: -Infinity });
      await assert.rejects(new NoiseFiles([{ path }], { name: 'quiet' }).addTo(silent, { snrDb: 0, seed: 0 }), /^Error: silence\.wav: cannot mix noise 'quiet' from .*half-silent\.wav: .*no active/);
      assert.throws(() => new NoiseFiles([], { name: 'none' }), /noise 'none': no noise files/);
      assert.throws(() => new NoiseFiles([{ path, from: 0.6, to: 0.4 }], { name: 'bad' }), /half-silent\.wav: the part \[0\.6, 0\.4\) is not within/);
    });
  });
});
