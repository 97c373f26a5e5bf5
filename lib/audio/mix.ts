/**
 * Adding noise to speech at a chosen signal-to-noise ratio, where the signal power is the
 * active-speech power (see ./level.ts), so pauses in the speech do not change how much noise
 * a clip receives.
 */
import { createRng, deriveSeed } from '../util/random.js';
import type { Clip } from './clip.js';
import { activeSpeechPower, meanPower, peakAbs } from './level.js';
import { generateNoise, loopFrom, makeBabble, type NoiseType } from './noise.js';

/** Options of {@link mixAtSnr} and {@link scaleNoiseToSnr}. */
export interface MixOptions {
  /** Sample rate of the speech (and the noise) in Hz. */
  sampleRate: number;
  /** Chooses where in the noise to start; default 0. */
  seed?: number;
}

/** A noise condition for {@link addNoise}. */
export interface NoiseSpec {
  /** Synthetic noise colour, or multi-talker babble. */
  type: NoiseType | 'babble';
  /** Target SNR in dB, on active speech. */
  snrDb: number;
  /** Seeds the noise (and, for babble, the talkers and their offsets). */
  seed: number;
  /**
   * Talker clips for `babble`, at the clip's sample rate, from speakers who are not test
   * speakers (see {@link makeBabble}).
   */
  babbleTalkers?: Float32Array[];
}

function powerToDb(power: number): number {
  return 10 * Math.log10(power);
}

/**
 * Returns the noise cut (from a seeded random offset) or looped to the speech's length and scaled
 * so that 10·log10(activeSpeechPower(speech) / meanPower(noise)) = `snrDb`. The noise power is
 * measured over the stretch actually used, so the SNR holds exactly for the returned array.
 */
export function scaleNoiseToSnr(speech: Float32Array, noise: Float32Array, snrDb: number, options: MixOptions): Float32Array {
  if (!Number.isFinite(snrDb)) throw new Error(`SNR must be a finite number of dB, got ${snrDb}`);
  if (noise.length === 0) throw new Error('cannot mix: the noise is empty');
  const speechPower = activeSpeechPower(speech, options.sampleRate);
  if (!(speechPower > 0)) throw new Error('cannot mix at an SNR: the speech has no active (non-silent) frames');
  const rng = createRng(options.seed ?? 0);
  // Longer noise: any start that leaves a whole speech length. Shorter noise: loop it from any point.
  const span = noise.length > speech.length ? noise.length - speech.length + 1 : noise.length;
  const segment = loopFrom(noise, Math.floor(rng() * span), speech.length);
  const noisePower = meanPower(segment);
  if (!(noisePower > 0)) throw new Error('cannot mix at an SNR: the noise is silent over the stretch used');
  const gain = Math.sqrt(speechPower / (noisePower * 10 ** (snrDb / 10)));
  for (let i = 0; i < segment.length; i++) segment[i] *= gain;
  return segment;
}

/**
 * Mixes speech and noise at `snrDb` dB (active-speech power over noise power; see
 * {@link scaleNoiseToSnr}). The speech level is left as it is. Only when the sum would peak
 * above 1 (and so clip when written to integer PCM) is the whole mix scaled down to peak at 1;
 * a common gain on speech and noise leaves their ratio, the SNR, unchanged.
 */
export function mixAtSnr(speech: Float32Array, noise: Float32Array, snrDb: number, options: MixOptions): Float32Array {
  const scaledNoise = scaleNoiseToSnr(speech, noise, snrDb, options);
  const mix = new Float32Array(speech.length);
  for (let i = 0; i < mix.length; i++) mix[i] = speech[i] + scaledNoise[i];
  const peak = peakAbs(mix);
  if (peak > 1) {
    const gain = 1 / peak;
    for (let i = 0; i < mix.length; i++) mix[i] *= gain;
  }
  return mix;
}

/** SNR in dB of speech against the noise added to it: active-speech power over mean noise power. */
export function measureSnrDb(speech: Float32Array, noiseScaled: Float32Array, sampleRate: number): number {
  return powerToDb(activeSpeechPower(speech, sampleRate)) - powerToDb(meanPower(noiseScaled));
}

/**
 * Returns a new clip with noise of `spec.type` added at `spec.snrDb` (see {@link mixAtSnr}).
 * Synthetic noise is generated at the clip's length; babble is made from `spec.babbleTalkers`.
 * The source label and original-format fields are kept, so results still join on `source`.
 */
export function addNoise(clip: Clip, spec: NoiseSpec): Clip {
  const length = clip.samples.length;
  let noise: Float32Array;
  if (spec.type === 'babble') {
    if (!spec.babbleTalkers || spec.babbleTalkers.length === 0) {
      throw new Error(`addNoise: babble noise for ${clip.source} needs babbleTalkers (clips of non-test speakers)`);
    }
    noise = makeBabble(spec.babbleTalkers, length, deriveSeed(spec.seed, 'babble'), { sampleRate: clip.sampleRate });
  } else {
    noise = generateNoise(spec.type, length, deriveSeed(spec.seed, spec.type));
  }
  const samples = mixAtSnr(clip.samples, noise, spec.snrDb, { sampleRate: clip.sampleRate, seed: deriveSeed(spec.seed, 'offset') });
  return { ...clip, samples };
}
