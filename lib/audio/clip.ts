/**
 * Clips: mono audio at one sample rate (16 kHz by default), checked to be usable. Every path
 * into the pipeline goes through here, so a bad file fails early with its name and the reason
 * rather than as a NaN loss hours later.
 */
import { AudioFileError } from './errors.js';
import { peakLevelDb } from './level.js';
import { resample } from './resample.js';
import { readAudio } from './decode.js';

/** One mono clip ready for feature extraction. */
export interface Clip {
  /** Mono samples, nominally in [-1, 1]. */
  samples: Float32Array;
  /** Sample rate of `samples` in Hz. */
  sampleRate: number;
  /** Where it came from: a file path, or a label for in-memory data. */
  source: string;
  /** Sample rate of the file before resampling. */
  originalSampleRate: number;
  /** Channels of the file before the mono downmix. */
  originalChannels: number;
}

/** The checks every clip must pass (see {@link validateClip}). */
export interface ClipChecks {
  /** Shortest accepted duration in seconds; default 0.025 (one 25 ms fbank window). */
  minDurationS?: number;
  /** A clip whose peak is below this level in dBFS counts as silent; default −90. */
  silenceThresholdDb?: number;
}

/** Options of {@link loadClip}. */
export interface LoadClipOptions extends ClipChecks {
  /** Target sample rate in Hz; default 16000, what the features expect. */
  sampleRate?: number;
}

/** The sample rate the fbank front end and the models expect. */
export const DEFAULT_SAMPLE_RATE = 16000;
const DEFAULT_MIN_DURATION_S = 0.025;
/** Level (dBFS) below which a whole clip counts as silent, and the edges of a noise file as digital silence. */
export const DEFAULT_SILENCE_THRESHOLD_DB = -90;

/**
 * Downmixes decoded channels to mono: one channel is returned as is (same array), two are
 * averaged. Three or more are refused, because without a channel map (which is front, which
 * is surround or LFE?) any downmix is a guess that changes what the model hears.
 */
export function toMono(channels: Float32Array[], source: string): Float32Array {
  if (channels.length === 0) throw new AudioFileError(source, 'has no channels');
  if (channels.length === 1) return channels[0];
  if (channels.length > 2) {
    throw new AudioFileError(
      source,
      `has ${channels.length} channels; the channel layout is ambiguous, so it is not downmixed automatically. ` +
        'Convert it to mono first, e.g. with sox: `sox in.wav out.wav remix 1` (keep channel 1) or ' +
        '`sox in.wav out.wav remix 1,2` (mix channels 1 and 2)',
    );
  }
  const [left, right] = channels;
  if (left.length !== right.length) {
    throw new AudioFileError(source, `stereo channels differ in length (${left.length} and ${right.length} samples)`);
  }
  const mono = new Float32Array(left.length);
  for (let i = 0; i < mono.length; i++) mono[i] = 0.5 * (left[i] + right[i]);
  return mono;
}

/**
 * Checks that mono samples make a usable clip: finite values, at least `minDurationS` long, and
 * not silent (peak at or above `silenceThresholdDb`). Throws {@link AudioFileError} naming
 * `source` otherwise.
 */
export function validateClip(samples: Float32Array, sampleRate: number, source: string, checks: ClipChecks = {}): void {
  const minDurationS = checks.minDurationS ?? DEFAULT_MIN_DURATION_S;
  const silenceThresholdDb = checks.silenceThresholdDb ?? DEFAULT_SILENCE_THRESHOLD_DB;
  if (!(sampleRate > 0)) throw new AudioFileError(source, `invalid sample rate ${sampleRate}`);
  for (let i = 0; i < samples.length; i++) {
    if (!Number.isFinite(samples[i])) throw new AudioFileError(source, `non-finite sample (${samples[i]}) at index ${i}`);
  }
  const durationS = samples.length / sampleRate;
  if (durationS < minDurationS) {
    throw new AudioFileError(
      source,
      `too short: ${durationS.toFixed(4)} s (${samples.length} samples at ${sampleRate} Hz); at least ${minDurationS} s is needed`,
    );
  }
  const peakDb = peakLevelDb(samples);
  if (!(peakDb >= silenceThresholdDb)) {
    const found = peakDb === -Infinity ? 'digital silence (every sample is 0)' : `peak level ${peakDb.toFixed(1)} dBFS`;
    throw new AudioFileError(source, `silent: ${found}, below the ${silenceThresholdDb} dBFS threshold`);
  }
}

/**
 * Wraps in-memory mono samples as a {@link Clip} after the same checks {@link loadClip} makes.
 * The samples are not copied and not resampled.
 */
export function clipFromSamples(samples: Float32Array, sampleRate: number, source: string, checks: ClipChecks = {}): Clip {
  validateClip(samples, sampleRate, source, checks);
  return { samples, sampleRate, source, originalSampleRate: sampleRate, originalChannels: 1 };
}

/**
 * Reads a WAV or FLAC file (told apart by content, see {@link readAudio}) as a mono clip at
 * `options.sampleRate` (default 16 kHz): decode, downmix (mono or stereo only, see
 * {@link toMono}), resample with libsamplerate, then check duration and level (see
 * {@link validateClip}). Every failure is an {@link AudioFileError} naming `path`.
 */
export async function loadClip(path: string, options: LoadClipOptions = {}): Promise<Clip> {
  const sampleRate = options.sampleRate ?? DEFAULT_SAMPLE_RATE;
  const decoded = await readAudio(path);
  const mono = toMono(decoded.channels, path);
  const samples = await resample(mono, decoded.sampleRate, sampleRate);
  validateClip(samples, sampleRate, path, options);
  return {
    samples,
    sampleRate,
    source: path,
    originalSampleRate: decoded.sampleRate,
    originalChannels: decoded.channels.length,
  };
}

/**
 * Throws an {@link AudioFileError} unless `clip` is at exactly `sampleRate` Hz. For code that
 * depends on one rate (the fbank's mel bands, a model trained at 16 kHz) and must not silently
 * read audio at another.
 */
export function assertSampleRate(clip: Pick<Clip, 'sampleRate' | 'source'>, sampleRate: number): void {
  if (clip.sampleRate === sampleRate) return;
  throw new AudioFileError(
    clip.source,
    `sample rate is ${clip.sampleRate} Hz but ${sampleRate} Hz is needed here; ` +
      `load it with loadClip(path, { sampleRate: ${sampleRate} }) or resample it first`,
  );
}
