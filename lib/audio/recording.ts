/**
 * A simulated recording chain: the room a voice is spoken in, the microphone and channel that
 * colour it, and the background that is always there. Clean synthetic speech has none of these,
 * so a model pre-trained on it has never seen anything but a dry voice over a faint floor, and
 * any added noise is an all-or-nothing shock. Passing every clip through a chain drawn from
 * realistic ranges makes "clean" mean what it means in a real corpus (a little reverberant, a
 * little coloured, a quiet background), so that added noise becomes a shift of degree.
 *
 * Written here rather than taken from a room-acoustics package: the chain is three short steps
 * (a statistical room response, a smooth random equaliser, coloured noise), each a product in the
 * frequency domain, and what matters for the corpus is that every draw is seeded and recorded.
 */
import FFT from 'fft.js';
import { createRng, gaussian, type Rng } from '../util/random.js';
import { makeBabble } from './noise.js';
import { mixAtSnr } from './mix.js';

/** Ranges a chain is drawn from; every range is `[low, high]`, drawn uniformly. */
export interface RecordingRanges {
  /** Reverberation time of the room, seconds (time for the reverberant energy to fall 60 dB). */
  rt60S: readonly [number, number];
  /** Energy of the direct sound over the reverberant tail, dB. */
  directToReverbDb: readonly [number, number];
  /** Largest swing of the microphone/channel equaliser, dB (the first of four smooth terms). */
  colourDb: number;
  /** Corner of the microphone's low-frequency roll-off, Hz. */
  highPassHz: readonly [number, number];
  /** Speech (active) over background, dB. */
  floorSnrDb: readonly [number, number];
  /** Spectral slope of a coloured background: power ∝ f^slope (0 white, −1 pink, −2 brown). */
  floorSlope: readonly [number, number];
  /** Chance that the background is distant babble instead of coloured noise (needs talkers). */
  babbleChance: number;
}

/**
 * Ranges of the offline corpus's recordings: small to medium rooms (RT60 0.15–0.7 s, as measured
 * in offices and living rooms), a talker close enough for the direct sound to dominate
 * (2–12 dB), a ±6 dB equaliser and a 60–200 Hz roll-off (inexpensive microphones), and a
 * background 20–40 dB below the speech (quiet to ordinary indoor rooms).
 */
export const DEFAULT_RECORDING_RANGES: Readonly<RecordingRanges> = Object.freeze({
  rt60S: [0.15, 0.7] as const,
  directToReverbDb: [2, 12] as const,
  colourDb: 6,
  highPassHz: [60, 200] as const,
  floorSnrDb: [20, 40] as const,
  floorSlope: [-2, 0.5] as const,
  babbleChance: 0.3,
});

/** What one chain drew: enough to describe (and reproduce) the recording. */
export interface RecordingInfo {
  rt60S: number;
  directToReverbDb: number;
  highPassHz: number;
  floorSnrDb: number;
  /** `babble` or `noise`. */
  floorKind: 'babble' | 'noise';
  /** Slope of the coloured background (meaningful when `floorKind` is `noise`). */
  floorSlope: number;
}

/** A recorded clip and its chain. */
export interface RecordedClip {
  samples: Float32Array;
  info: RecordingInfo;
}

/** Options of {@link recordClip}. */
export interface RecordOptions {
  /** Sample rate of the clip, Hz. */
  sampleRate: number;
  /** Ranges to draw from; default {@link DEFAULT_RECORDING_RANGES}. */
  ranges?: Readonly<RecordingRanges>;
  /** Talker clips for a babble background, from speakers who never appear in a test set. */
  babbleTalkers?: Float32Array[];
}

/** Length of the simulated room response, seconds: the tail of the longest room is 40 dB down by then. */
const RESPONSE_S = 0.375;
/** The direct sound arrives alone for this long before the reflections, seconds. */
const PRE_DELAY_S = 0.001;
/** Lowest frequency the equaliser and slopes are defined from, Hz (avoids log 0 at DC). */
const LOWEST_HZ = 20;
/** Terms of the smooth random equaliser; term k swings at most colourDb / k. */
const EQ_TERMS = 4;
/** Swing of the background's own equaliser, dB: backgrounds are not perfectly smooth either. */
const FLOOR_EQ_DB = 4;

const ffts = new Map<number, FFT>();
function fftOf(size: number): FFT {
  let fft = ffts.get(size);
  if (!fft) {
    fft = new FFT(size);
    ffts.set(size, fft);
  }
  return fft;
}

function nextPowerOfTwo(n: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(2, n)));
}

/** Complex spectrum (interleaved re, im, all `size` bins) of `x` zero-padded to `size`. */
function spectrum(x: ArrayLike<number>, size: number): number[] {
  const fft = fftOf(size);
  const input = new Array<number>(size).fill(0);
  for (let i = 0; i < Math.min(x.length, size); i++) input[i] = x[i];
  const out = fft.createComplexArray() as number[];
  fft.realTransform(out, input);
  fft.completeSpectrum(out);
  return out;
}

/** Real part of the inverse transform, first `length` samples. */
function inverse(spec: number[], size: number, length: number): Float64Array {
  const fft = fftOf(size);
  const out = fft.createComplexArray() as number[];
  fft.inverseTransform(out, spec);
  const y = new Float64Array(length);
  for (let i = 0; i < length; i++) y[i] = out[2 * i];
  return y;
}

/** Multiplies every bin `k` (and its mirror) by the real `gain(frequencyHz)`: a zero-phase filter. */
function applyGain(spec: number[], size: number, sampleRate: number, gain: (hz: number) => number): void {
  for (let k = 0; k <= size / 2; k++) {
    const g = gain((k * sampleRate) / size);
    spec[2 * k] *= g;
    spec[2 * k + 1] *= g;
    if (k > 0 && k < size / 2) {
      spec[2 * (size - k)] *= g;
      spec[2 * (size - k) + 1] *= g;
    }
  }
}

function uniform(rng: Rng, [low, high]: readonly [number, number]): number {
  return low + (high - low) * rng();
}

/**
 * A smooth random equaliser in dB over a logarithmic frequency axis from 20 Hz to 8 kHz: four
 * cosine terms with random phases, term k at most `depthDb / k`, so the curve has broad bumps
 * and dips like a cheap microphone's, never narrow notches.
 */
export function drawEqualiser(rng: Rng, depthDb: number): (hz: number) => number {
  const terms = Array.from({ length: EQ_TERMS }, (_, index) => ({
    amplitude: ((rng() * 2 - 1) * depthDb) / (index + 1),
    phase: rng() * 2 * Math.PI,
  }));
  const span = Math.log2(8000 / LOWEST_HZ);
  return (hz) => {
    const u = Math.log2(Math.max(hz, LOWEST_HZ) / LOWEST_HZ) / span;
    let db = 0;
    terms.forEach((term, index) => {
      db += term.amplitude * Math.cos(Math.PI * (index + 1) * u + term.phase);
    });
    return db;
  };
}

/**
 * A statistical room impulse response: a unit direct path, then (after 1 ms) Gaussian noise
 * under an exponential envelope that falls 60 dB in `rt60S`, scaled so the tail's energy is
 * `directToReverbDb` below the direct sound's. This is the classic diffuse-field model of late
 * reverberation; early reflections are not modelled one by one.
 */
export function roomImpulseResponse(rt60S: number, directToReverbDb: number, sampleRate: number, rng: Rng): Float32Array {
  if (!(rt60S > 0)) throw new Error(`roomImpulseResponse: rt60S must be > 0, got ${rt60S}`);
  if (!Number.isFinite(directToReverbDb)) throw new Error(`roomImpulseResponse: directToReverbDb must be finite, got ${directToReverbDb}`);
  const length = Math.round(RESPONSE_S * sampleRate);
  const start = Math.round(PRE_DELAY_S * sampleRate);
  const tail = new Float64Array(length);
  let energy = 0;
  for (let i = start; i < length; i++) {
    // ln(10^3) = 6.9078: amplitude falls by 10^3 (60 dB of energy) at t = rt60S.
    tail[i] = gaussian(rng) * Math.exp((-6.907755 * i) / (rt60S * sampleRate));
    energy += tail[i] * tail[i];
  }
  const scale = 10 ** (-directToReverbDb / 20) / Math.sqrt(energy);
  const response = new Float32Array(length);
  for (let i = 0; i < length; i++) response[i] = tail[i] * scale;
  response[0] += 1;
  return response;
}

/** Gaussian noise with power ∝ f^slope, shaped further by `eq` (dB); unit RMS is left to the mixer. */
function colouredNoise(length: number, slope: number, eq: (hz: number) => number, sampleRate: number, rng: Rng): Float32Array {
  const size = nextPowerOfTwo(length);
  const white = new Float64Array(size);
  for (let i = 0; i < size; i++) white[i] = gaussian(rng);
  const spec = spectrum(white, size);
  applyGain(spec, size, sampleRate, (hz) => (Math.max(hz, LOWEST_HZ) / 1000) ** (slope / 2) * 10 ** (eq(hz) / 20));
  return Float32Array.from(inverse(spec, size, length));
}

/**
 * Records `samples` through a chain drawn from `seed`: convolve with a room response, colour with
 * a random equaliser and a microphone roll-off, then add a background (coloured noise, or distant
 * babble when talkers are given) at a drawn SNR on active speech. The output has the input's
 * length (the reverberant tail past the end is cut, as a recording stops) and never peaks above 1.
 */
export function recordClip(samples: Float32Array, seed: number, options: RecordOptions): RecordedClip {
  const { sampleRate } = options;
  const ranges = options.ranges ?? DEFAULT_RECORDING_RANGES;
  if (samples.length === 0) throw new Error('recordClip: the clip is empty');
  const rng = createRng(seed);
  const rt60S = uniform(rng, ranges.rt60S);
  const directToReverbDb = uniform(rng, ranges.directToReverbDb);
  const response = roomImpulseResponse(rt60S, directToReverbDb, sampleRate, rng);

  // Room and microphone in one pass: (x * h) coloured by a zero-phase gain.
  const size = nextPowerOfTwo(samples.length + response.length - 1);
  const voice = spectrum(samples, size);
  const room = spectrum(response, size);
  for (let k = 0; k < size; k++) {
    const re = voice[2 * k] * room[2 * k] - voice[2 * k + 1] * room[2 * k + 1];
    const im = voice[2 * k] * room[2 * k + 1] + voice[2 * k + 1] * room[2 * k];
    voice[2 * k] = re;
    voice[2 * k + 1] = im;
  }
  const equaliser = drawEqualiser(rng, ranges.colourDb);
  const highPassHz = uniform(rng, ranges.highPassHz);
  // A second-order roll-off: −12 dB per octave below the corner.
  applyGain(voice, size, sampleRate, (hz) => 10 ** (equaliser(hz) / 20) / Math.sqrt(1 + (highPassHz / Math.max(hz, 1)) ** 4));
  const recorded = Float32Array.from(inverse(voice, size, samples.length));

  const floorSnrDb = uniform(rng, ranges.floorSnrDb);
  const floorSlope = uniform(rng, ranges.floorSlope);
  const talkers = options.babbleTalkers ?? [];
  const babble = talkers.length > 0 && rng() < ranges.babbleChance;
  const floorSeed = Math.floor(rng() * 0xffffffff);
  const background = babble
    ? makeBabble(talkers, samples.length, floorSeed, { count: Math.min(8, talkers.length), sampleRate })
    : colouredNoise(samples.length, floorSlope, drawEqualiser(rng, FLOOR_EQ_DB), sampleRate, rng);
  const mixed = mixAtSnr(recorded, background, floorSnrDb, { sampleRate, seed: floorSeed });
  return {
    samples: mixed,
    info: { rt60S, directToReverbDb, highPassHz, floorSnrDb, floorKind: babble ? 'babble' : 'noise', floorSlope },
  };
}
