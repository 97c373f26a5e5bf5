import assert from 'node:assert/strict';
import {
  DEFAULT_RECORDING_RANGES,
  generateNoise,
  measureSnrDb,
  peakAbs,
  recordClip,
  roomImpulseResponse,
  type RecordingRanges,
} from '../lib/audio/index.js';
import { createRng } from '../lib/util/random.js';

const RATE = 16000;

/** Speech-like: white-noise bursts of 300 ms at 0.1 RMS, each followed by 200 ms of silence. */
function bursts(seconds: number): Float32Array {
  const x = generateNoise('white', Math.round(seconds * RATE), 3);
  for (let i = 0; i < x.length; i++) x[i] *= (i % 8000) < 4800 ? 0.1 : 0;
  return x;
}

/** Power (linear) of `x` in the band [lowHz, highHz), by a plain DFT over a few bins. */
function bandPower(x: Float32Array, lowHz: number, highHz: number): number {
  const n = 4096;
  let total = 0;
  for (let start = 0; start + n <= x.length; start += n) {
    for (let k = Math.ceil((lowHz * n) / RATE); k < (highHz * n) / RATE; k += 4) {
      let re = 0;
      let im = 0;
      for (let i = 0; i < n; i++) {
        const angle = (2 * Math.PI * k * i) / n;
        re += x[start + i] * Math.cos(angle);
        im -= x[start + i] * Math.sin(angle);
      }
      total += re * re + im * im;
    }
  }
  return total;
}

/** A chain with no room, no colour and no roll-off: only the background is added. */
function dryRanges(overrides: Partial<RecordingRanges> = {}): RecordingRanges {
  return {
    ...DEFAULT_RECORDING_RANGES,
    directToReverbDb: [120, 120],
    rt60S: [0.01, 0.01],
    colourDb: 0,
    highPassHz: [0.001, 0.001],
    ...overrides,
  };
}

describe('recording chain', () => {
  it('room response: the tail carries exactly the drawn direct-to-reverberant ratio', () => {
    for (const drr of [2, 7.5, 12]) {
      const response = roomImpulseResponse(0.4, drr, RATE, createRng(1));
      let tail = 0;
      for (let i = 1; i < response.length; i++) tail += response[i] * response[i];
      assert.ok(Math.abs(10 * Math.log10(1 / tail) - drr) < 1e-4, `drr ${drr}: got ${10 * Math.log10(1 / tail)}`);
      assert.equal(response[0], 1);
    }
  });

  it('room response: energy decays at the drawn reverberation time (Schroeder backward integral)', () => {
    for (const rt60 of [0.25, 0.5]) {
      const response = roomImpulseResponse(rt60, 0, RATE, createRng(2));
      const energy = new Float64Array(response.length);
      let sum = 0;
      for (let i = response.length - 1; i >= 1; i--) {
        sum += response[i] * response[i];
        energy[i] = sum;
      }
      const db = (i: number) => 10 * Math.log10(energy[i] / energy[1]);
      const at = (level: number) => energy.findIndex((_, i) => i > 0 && db(i) <= level);
      // T20: time from −5 to −25 dB, times 3.
      const estimate = ((at(-25) - at(-5)) / RATE) * 3;
      assert.ok(Math.abs(estimate - rt60) / rt60 < 0.15, `rt60 ${rt60}: estimated ${estimate}`);
    }
  });

  it('is a pure function of its seed, keeps the length and never clips', () => {
    const clip = bursts(2);
    const a = recordClip(clip, 11, { sampleRate: RATE });
    const b = recordClip(clip, 11, { sampleRate: RATE });
    const c = recordClip(clip, 12, { sampleRate: RATE });
    assert.deepEqual(a.samples, b.samples);
    assert.deepEqual(a.info, b.info);
    assert.notDeepEqual(a.samples, c.samples);
    assert.equal(a.samples.length, clip.length);
    assert.ok(peakAbs(a.samples) <= 1);
    assert.ok(a.samples.every(Number.isFinite));
    const r = DEFAULT_RECORDING_RANGES;
    assert.ok(a.info.rt60S >= r.rt60S[0] && a.info.rt60S <= r.rt60S[1]);
    assert.ok(a.info.floorSnrDb >= r.floorSnrDb[0] && a.info.floorSnrDb <= r.floorSnrDb[1]);
    assert.equal(a.info.floorKind, 'noise', 'no talkers given: the background is coloured noise');
  });

  it('adds the background at the drawn SNR on active speech', () => {
    const clip = bursts(2);
    for (const snr of [20, 35]) {
      const { samples, info } = recordClip(clip, 5, { sampleRate: RATE, ranges: dryRanges({ floorSnrDb: [snr, snr] }) });
      assert.equal(info.floorSnrDb, snr);
      const background = samples.map((v, i) => v - clip[i]);
      assert.ok(Math.abs(measureSnrDb(clip, background, RATE) - snr) < 0.2, `snr ${snr}: ${measureSnrDb(clip, background, RATE)}`);
    }
  });

  it('colours the background by its slope: brown puts far more power low than white does', () => {
    const clip = bursts(1.2);
    const tilt = (slope: number) => {
      const { samples } = recordClip(clip, 9, { sampleRate: RATE, ranges: dryRanges({ floorSlope: [slope, slope], floorSnrDb: [20, 20] }) });
      const background = samples.map((v, i) => v - clip[i]);
      return 10 * Math.log10(bandPower(background, 300, 700) / bandPower(background, 3000, 7000));
    };
    // Power ∝ f^slope: from slope 0 to −2, a decade apart in frequency moves the ratio by ~20 dB.
    assert.ok(tilt(-2) - tilt(0) > 12, `brown ${tilt(-2)} dB vs white ${tilt(0)} dB`);
  });

  it('uses distant babble as the background when talkers are given and babble is drawn', () => {
    const talkers = [1, 2, 3].map((seed) => bursts(1.5).map((v, i) => v * (1 + 0.1 * seed * Math.sin(i / 50))));
    const { info } = recordClip(bursts(1), 4, { sampleRate: RATE, babbleTalkers: talkers, ranges: { ...DEFAULT_RECORDING_RANGES, babbleChance: 1 } });
    assert.equal(info.floorKind, 'babble');
  });

  it('reverberation spreads a click in time and the microphone rolls off low frequencies', () => {
    const click = new Float32Array(RATE);
    for (let i = 0; i < 400; i++) click[4000 + i] = 0.5 * Math.sin((2 * Math.PI * 50 * i) / RATE) + 0.5 * Math.sin((2 * Math.PI * 1000 * i) / RATE);
    const ranges: RecordingRanges = { ...DEFAULT_RECORDING_RANGES, rt60S: [0.6, 0.6], directToReverbDb: [2, 2], colourDb: 0, highPassHz: [200, 200], floorSnrDb: [60, 60] };
    const { samples } = recordClip(click, 3, { sampleRate: RATE, ranges });
    let late = 0;
    for (let i = 4400 + 1600; i < 4400 + 4800; i++) late += samples[i] * samples[i];
    assert.ok(late > 1e-4, `energy 100–300 ms after the click: ${late}`);
    const low = bandPower(samples.subarray(0, 8192), 40, 60) / bandPower(click.subarray(0, 8192), 40, 60);
    const mid = bandPower(samples.subarray(0, 8192), 900, 1100) / bandPower(click.subarray(0, 8192), 900, 1100);
    assert.ok(10 * Math.log10(mid / low) > 15, `50 Hz is ${10 * Math.log10(mid / low)} dB below 1 kHz after a 200 Hz roll-off`);
  });

  it('refuses an empty clip', () => {
    assert.throws(() => recordClip(new Float32Array(0), 1, { sampleRate: RATE }), /empty/);
  });
});
