/**
 * From eSpeak's raw output to a corpus clip: 16 kHz, silence before and after, a noise floor
 * under everything, the clip's gain, and a guarantee of 1–4 s.
 */
import { resample } from '../audio/index.js';
import { gaussian, type Rng } from '../util/index.js';
import type { ClipVoice } from './voices.js';

/** The corpus's sample rate (Hz). */
export const CORPUS_SAMPLE_RATE = 16000;
/** Every clip lasts at least this long (seconds). */
export const MIN_CLIP_S = 1;
/** Every clip lasts at most this long (seconds). */
export const MAX_CLIP_S = 4;

/** Keeps the resampler's rounding of lengths from pushing a clip just past {@link MAX_CLIP_S}. */
const LENGTH_MARGIN_S = 0.01;
/** Peak level the gain may reach (full scale is 1): any more and the clip is turned down. */
const PEAK_LIMIT = 0.98;
/** One-pole smoothing of the floor noise: a gentle low-frequency tilt, like room noise. */
const FLOOR_NOISE_POLE = 0.7;

/** The most eSpeak samples a clip's speech may have, given its silences. */
export function maxSpeechSamples(voice: ClipVoice, sourceRate: number): number {
  return Math.floor((MAX_CLIP_S - voice.leadS - voice.trailS - LENGTH_MARGIN_S) * sourceRate);
}

/** A finished clip and the numbers the manifest records about it. */
export interface RenderedClip {
  samples: Float32Array;
  /** Gain actually applied (dB): the planned gain, lowered where the peak would clip. */
  gainDb: number;
  /** Whether the trailing silence was lengthened to reach {@link MIN_CLIP_S}. */
  padded: boolean;
  /** Whether the peak limit lowered the gain. */
  limited: boolean;
}

function rms(samples: Float32Array): number {
  let sum = 0;
  for (const v of samples) sum += v * v;
  return Math.sqrt(sum / Math.max(1, samples.length));
}

/** Gently low-passed Gaussian noise of exactly `level` RMS. */
function floorNoise(length: number, level: number, rng: Rng): Float32Array {
  const noise = new Float32Array(length);
  let state = 0;
  for (let i = 0; i < length; i++) {
    state = FLOOR_NOISE_POLE * state + gaussian(rng);
    noise[i] = state;
  }
  const scale = level / Math.max(rms(noise), 1e-12);
  for (let i = 0; i < length; i++) noise[i] *= scale;
  return noise;
}

/**
 * Turns eSpeak's int16 output into a corpus clip: resample to 16 kHz (band-limited sinc), put
 * `leadS`/`trailS` of silence around the speech (lengthening the tail up to 1 s if needed), add
 * the noise floor `floorDb` below the speech's RMS level (eSpeak's pauses are exact zeros, which
 * log-mel features cannot handle), then apply the gain, limited so the peak stays below full
 * scale. `rng` draws only the floor noise.
 */
export async function renderClip(speech: Int16Array, sourceRate: number, voice: ClipVoice, rng: Rng): Promise<RenderedClip> {
  if (speech.length === 0) throw new Error(`speaker ${voice.speaker.id}: eSpeak returned no audio`);
  const floatSpeech = Float32Array.from(speech, (v) => v / 32768);
  const speech16k = await resample(floatSpeech, sourceRate, CORPUS_SAMPLE_RATE);
  const lead = Math.round(voice.leadS * CORPUS_SAMPLE_RATE);
  const plannedTrail = Math.round(voice.trailS * CORPUS_SAMPLE_RATE);
  const minLength = Math.ceil(MIN_CLIP_S * CORPUS_SAMPLE_RATE);
  const trail = Math.max(plannedTrail, minLength - lead - speech16k.length);
  const out = new Float32Array(lead + speech16k.length + trail);
  out.set(speech16k, lead);
  const noise = floorNoise(out.length, rms(speech16k) * 10 ** (-voice.floorDb / 20), rng);
  let peak = 0;
  for (let i = 0; i < out.length; i++) {
    out[i] += noise[i];
    peak = Math.max(peak, Math.abs(out[i]));
  }
  const planned = 10 ** (voice.gainDb / 20);
  const gain = Math.min(planned, PEAK_LIMIT / Math.max(peak, 1e-12));
  for (let i = 0; i < out.length; i++) out[i] *= gain;
  return { samples: out, gainDb: 20 * Math.log10(gain), padded: trail > plannedTrail, limited: gain < planned };
}
