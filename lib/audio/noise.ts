/**
 * Noise for distribution shifts: white, pink and brown noise, and multi-talker babble. Every
 * generator is a pure function of its seed, so a noisy test set is reproduced exactly.
 * Outputs have zero mean and unit RMS; {@link mixAtSnr} sets the level.
 */
import { createRng, gaussian, shuffled, type Rng } from '../util/random.js';
import { activeSpeechPower } from './level.js';

/** Synthetic noise colours: power falling as 1/f⁰ (white), 1/f (pink), 1/f² (brown). */
export type NoiseType = 'white' | 'pink' | 'brown';

/** Options of {@link makeBabble}. */
export interface BabbleOptions {
  /** Talkers summed; default 6, or every talker when fewer are given. */
  count?: number;
  /** Sample rate of the talker clips in Hz, for the activity rule; default 16000. */
  sampleRate?: number;
}

// Filters start from rest; these many samples are generated and dropped first so that the output
// is stationary from its first sample (several time constants of the slowest pole in each filter).
const PINK_WARMUP = 8192;
const BROWN_WARMUP = 4096;
// Leak of the brown-noise integrator: the 1/f² slope flattens below (1 − BROWN_LEAK)·fs/2π,
// about 5 Hz at 16 kHz, which keeps the output from drifting without touching the speech band.
const BROWN_LEAK = 0.998;

/**
 * Generates `length` samples of zero-mean, unit-RMS noise from `seed`.
 * - `white`: independent Gaussian samples (flat spectrum).
 * - `pink`: white noise through Paul Kellet's published "refined" filter, a sum of seven
 *   first-order sections whose poles are spread so that the sum falls at −3 dB/octave
 *   (within about ±0.05 dB from fs/4800 up).
 * - `brown`: white noise through a slightly leaky integrator: −6 dB/octave (1/f²) from a few Hz up
 *   to about fs/4, flattening a little towards Nyquist as any discrete integrator does.
 * The slopes are per octave of the sample rate, so the same call serves any rate.
 */
export function generateNoise(type: NoiseType, length: number, seed: number): Float32Array {
  if (!Number.isInteger(length) || length < 0) throw new Error(`generateNoise: length must be a whole number ≥ 0, got ${length}`);
  const rng = createRng(seed);
  switch (type) {
    case 'white':
      return normalise(whiteNoise(rng, length));
    case 'pink':
      return normalise(pinkNoise(rng, length));
    case 'brown':
      return normalise(brownNoise(rng, length));
    default:
      throw new Error(`generateNoise: unknown noise type '${String(type)}'; use 'white', 'pink' or 'brown'`);
  }
}

function whiteNoise(rng: Rng, length: number): Float64Array {
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) out[i] = gaussian(rng);
  return out;
}

function pinkNoise(rng: Rng, length: number): Float64Array {
  const out = new Float64Array(length);
  let b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0;
  for (let i = -PINK_WARMUP; i < length; i++) {
    const white = gaussian(rng);
    b0 = 0.99886 * b0 + white * 0.0555179;
    b1 = 0.99332 * b1 + white * 0.0750759;
    b2 = 0.969 * b2 + white * 0.153852;
    b3 = 0.8665 * b3 + white * 0.3104856;
    b4 = 0.55 * b4 + white * 0.5329522;
    b5 = -0.7616 * b5 - white * 0.016898;
    const pink = b0 + b1 + b2 + b3 + b4 + b5 + b6 + white * 0.5362;
    b6 = white * 0.115926;
    if (i >= 0) out[i] = pink;
  }
  return out;
}

function brownNoise(rng: Rng, length: number): Float64Array {
  const out = new Float64Array(length);
  let level = 0;
  for (let i = -BROWN_WARMUP; i < length; i++) {
    level = BROWN_LEAK * level + gaussian(rng);
    if (i >= 0) out[i] = level;
  }
  return out;
}

/** Removes the mean and scales to unit RMS; an all-zero or empty input stays zero. */
function normalise(values: Float64Array): Float32Array {
  const out = new Float32Array(values.length);
  if (values.length === 0) return out;
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  let power = 0;
  for (let i = 0; i < values.length; i++) power += (values[i] - mean) ** 2;
  power /= values.length;
  const gain = power > 0 ? 1 / Math.sqrt(power) : 0;
  for (let i = 0; i < values.length; i++) out[i] = (values[i] - mean) * gain;
  return out;
}

/**
 * Makes `length` samples of multi-talker babble: `count` clips from distinct talkers (chosen by
 * `seed`), each read from a random offset and looped to `length`, each scaled to the same
 * active-speech power (see {@link activeSpeechPower}) so that no one voice dominates, then summed
 * and scaled to zero mean and unit RMS.
 *
 * `talkers` holds one clip per talker, all at `options.sampleRate`. Babble must be made from
 * speakers who are not among the test speakers: otherwise the "noise" contains the very voices
 * being classified, and speaker or emotion labels leak into it. The built-in offline corpus
 * keeps babble-only speakers for this.
 */
export function makeBabble(talkers: Float32Array[], length: number, seed: number, options: BabbleOptions = {}): Float32Array {
  if (!Number.isInteger(length) || length < 0) throw new Error(`makeBabble: length must be a whole number ≥ 0, got ${length}`);
  if (talkers.length === 0) throw new Error('makeBabble: no talker clips given');
  const count = options.count ?? Math.min(6, talkers.length);
  const sampleRate = options.sampleRate ?? 16000;
  if (!Number.isInteger(count) || count < 1 || count > talkers.length) {
    throw new Error(`makeBabble: count must be a whole number from 1 to the ${talkers.length} talkers given, got ${count}`);
  }
  const rng = createRng(seed);
  const chosen = shuffled(rng, talkers.map((_, index) => index)).slice(0, count);
  const sum = new Float64Array(length);
  for (const index of chosen) {
    const talker = talkers[index];
    if (talker.length === 0) throw new Error(`makeBabble: talker clip ${index} is empty`);
    const voice = loopFrom(talker, Math.floor(rng() * talker.length), length);
    const power = activeSpeechPower(voice, sampleRate);
    if (!(power > 0)) throw new Error(`makeBabble: talker clip ${index} is silent over the stretch used`);
    const gain = 1 / Math.sqrt(power);
    for (let i = 0; i < length; i++) sum[i] += voice[i] * gain;
  }
  return normalise(sum);
}

/**
 * `length` samples of `source` starting at `offset`, wrapping to its start as often as needed.
 * Used to cut or loop noise and talkers to the length of the speech they go with.
 */
export function loopFrom(source: Float32Array, offset: number, length: number): Float32Array {
  if (source.length === 0) throw new Error('loopFrom: empty source');
  const out = new Float32Array(length);
  let read = ((Math.floor(offset) % source.length) + source.length) % source.length;
  for (let i = 0; i < length; i++) {
    out[i] = source[read];
    read = read + 1 === source.length ? 0 : read + 1;
  }
  return out;
}
