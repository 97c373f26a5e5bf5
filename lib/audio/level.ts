/**
 * Signal levels: mean power, peak level, and the power of the active (non-pause) part of speech.
 *
 * SNR for speech is defined on active speech, in the spirit of ITU-T P.56 ("Objective measurement
 * of active speech level"): pauses between words carry no speech, so averaging over them would
 * make a clip with long pauses look quieter and receive less noise at the same nominal SNR.
 * P.56 itself uses an envelope detector with hangover and an iterated threshold; the rule here is
 * a simpler one of our own, described at {@link activeFrames}.
 */

/** Options of the energy-based activity rule (see {@link activeFrames}). */
export interface ActivityOptions {
  /** Frame length in milliseconds; default 20 (a few pitch periods, short enough to follow syllables). */
  frameMs?: number;
  /** A frame is active when its power is within this many dB of the loudest frame; default 30. */
  rangeDb?: number;
}

/** Which frames of a signal hold active speech, as decided by {@link activeFrames}. */
export interface FrameActivity {
  /** Samples per frame (the last frame may be shorter). */
  frameLength: number;
  /** Mean power of each frame. */
  power: Float64Array;
  /** `true` where the frame counts as active speech. */
  active: boolean[];
}

const DEFAULT_FRAME_MS = 20;
const DEFAULT_RANGE_DB = 30;

/** Mean of the squared samples (0 for an empty signal). */
export function meanPower(samples: Float32Array): number {
  if (samples.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += samples[i] * samples[i];
  return sum / samples.length;
}

/** Largest absolute sample value (0 for an empty signal). */
export function peakAbs(samples: Float32Array): number {
  let peak = 0;
  for (let i = 0; i < samples.length; i++) {
    const v = Math.abs(samples[i]);
    if (v > peak) peak = v;
  }
  return peak;
}

/** Peak level in dB relative to full scale (1.0); `-Infinity` for digital silence. */
export function peakLevelDb(samples: Float32Array): number {
  return 20 * Math.log10(peakAbs(samples));
}

/**
 * Marks the active frames of a signal with a plain energy rule: cut it into non-overlapping
 * frames of `frameMs` (default 20 ms), take each frame's mean power, and call a frame active when
 * its power is non-zero and no more than `rangeDb` (default 30 dB) below the loudest frame.
 *
 * The threshold follows the signal's own level, as P.56's does, so the rule needs no calibration;
 * unlike P.56 it has no hangover, so the quiet tails of words drop out a little earlier. It is
 * meant for clean speech: in a noisy recording, noise-only frames within `rangeDb` of the peak
 * count as active.
 */
export function activeFrames(samples: Float32Array, sampleRate: number, options: ActivityOptions = {}): FrameActivity {
  const frameMs = options.frameMs ?? DEFAULT_FRAME_MS;
  const rangeDb = options.rangeDb ?? DEFAULT_RANGE_DB;
  if (!(sampleRate > 0)) throw new Error(`activeFrames: sample rate must be positive, got ${sampleRate}`);
  if (!(frameMs > 0)) throw new Error(`activeFrames: frameMs must be positive, got ${frameMs}`);
  if (!(rangeDb >= 0)) throw new Error(`activeFrames: rangeDb must be 0 or more, got ${rangeDb}`);
  const frameLength = Math.max(1, Math.round((frameMs / 1000) * sampleRate));
  const frameCount = Math.ceil(samples.length / frameLength);
  const power = new Float64Array(frameCount);
  for (let f = 0; f < frameCount; f++) {
    power[f] = meanPower(samples.subarray(f * frameLength, (f + 1) * frameLength));
  }
  const loudest = power.reduce((a, b) => Math.max(a, b), 0);
  const threshold = loudest * 10 ** (-rangeDb / 10);
  const active = Array.from(power, (p) => p > 0 && p >= threshold);
  return { frameLength, power, active };
}

/**
 * Mean power over the active frames only (see {@link activeFrames} for the rule), weighted by
 * frame length so that it equals the mean square of the active samples. Returns 0 when nothing
 * is active (digital silence or an empty signal).
 */
export function activeSpeechPower(samples: Float32Array, sampleRate: number, options: ActivityOptions = {}): number {
  const { frameLength, power, active } = activeFrames(samples, sampleRate, options);
  let energy = 0;
  let count = 0;
  for (let f = 0; f < power.length; f++) {
    if (!active[f]) continue;
    const length = Math.min(frameLength, samples.length - f * frameLength);
    energy += power[f] * length;
    count += length;
  }
  return count === 0 ? 0 : energy / count;
}
