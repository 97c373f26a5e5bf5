/**
 * `ttt-speech fbank <file.wav>`: the log-mel fbank of one file, for debugging and for checking
 * parity with other toolkits (Kaldi's `compute-fbank-feats`, torchaudio).
 */
import { InvalidArgumentError, type Command } from 'commander';
import * as tf from '@tensorflow/tfjs';
import { loadClip } from '../../audio/index.js';
import { ensureBackend } from '../../backend/index.js';
import { DEFAULT_FBANK_OPTIONS, WINDOW_TYPES, fbank, resolveFbankOptions, type FbankOptions, type WindowType } from '../../features/index.js';

/** Parsed flags of the `fbank` sub-command. */
export interface FbankCommandFlags {
  /** Print `{ options, frames, bins, data }` as JSON instead of a summary. */
  json?: boolean;
  /** Number of mel bins. */
  bins: number;
  /** Window length in milliseconds. */
  frameLength: number;
  /** Hop in milliseconds. */
  frameShift: number;
  /** Analysis window type. */
  window: WindowType;
}

/** What `fbank --json` prints. */
export interface FbankJson {
  /** Every option the fbank was computed with, defaults included. */
  options: FbankOptions;
  /** Number of frames (rows of `data`). */
  frames: number;
  /** Number of mel bins (columns of `data`). */
  bins: number;
  /** The fbank, `[frames][bins]`. */
  data: number[][];
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError('expected a positive number');
  return n;
}

function windowType(value: string): WindowType {
  if (!(WINDOW_TYPES as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected one of ${WINDOW_TYPES.join(', ')}`);
  return value as WindowType;
}

/** Range and mean of the values, for the human-readable summary. */
function summarize(values: Float32Array): { min: number; mean: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  return { min, mean: sum / values.length, max };
}

/**
 * Reads `file` (WAV or FLAC; stereo is averaged to mono, other rates are resampled to 16 kHz),
 * computes its fbank and returns the text to print.
 */
export async function fbankCommandOutput(file: string, flags: FbankCommandFlags): Promise<string> {
  await ensureBackend();
  const options = resolveFbankOptions({
    melBins: flags.bins,
    frameLengthMs: flags.frameLength,
    frameShiftMs: flags.frameShift,
    windowType: flags.window,
    source: file,
  });
  // Silence and short clips are still well defined here: fbank's own check reports a clip
  // shorter than one frame in terms of the chosen frame length.
  const clip = await loadClip(file, { sampleRate: options.sampleRate, minDurationS: 0, silenceThresholdDb: -Infinity });
  const features = fbank(clip.samples, options);
  try {
    const [frames, bins] = features.shape;
    if (flags.json) {
      const result: FbankJson = { options, frames, bins, data: features.arraySync() };
      return JSON.stringify(result) + '\n';
    }
    const { min, mean, max } = summarize(features.dataSync() as Float32Array);
    return (
      `${file}: ${frames} frames × ${bins} mel bins ` +
      `(${options.frameLengthMs} ms ${options.windowType} window, ${options.frameShiftMs} ms hop, ${(clip.samples.length / clip.sampleRate).toFixed(3)} s at ${clip.sampleRate} Hz)\n` +
      `log-mel min ${min.toFixed(3)}, mean ${mean.toFixed(3)}, max ${max.toFixed(3)}\n`
    );
  } finally {
    tf.dispose(features);
  }
}

/** Registers `fbank <file.wav> [--json] [--bins N] [--frame-length ms] [--frame-shift ms] [--window TYPE]`. */
export function registerFbankCommand(program: Command): void {
  program
    .command('fbank')
    .description(
      `Print the Kaldi-compatible log-mel fbank of a WAV or FLAC file (AudioMAE defaults: ${DEFAULT_FBANK_OPTIONS.melBins} bins, ` +
        `${DEFAULT_FBANK_OPTIONS.frameLengthMs} ms ${DEFAULT_FBANK_OPTIONS.windowType} window, ${DEFAULT_FBANK_OPTIONS.frameShiftMs} ms hop).`,
    )
    .argument('<file.wav>', 'audio file, WAV or FLAC; stereo is averaged to mono, other sample rates are resampled to 16 kHz')
    .option('--json', 'print { "options", "frames", "bins", "data": [frames][bins] } as JSON')
    .option('--bins <n>', 'number of mel bins', positiveInteger, DEFAULT_FBANK_OPTIONS.melBins)
    .option('--frame-length <ms>', 'window length in milliseconds', positiveNumber, DEFAULT_FBANK_OPTIONS.frameLengthMs)
    .option('--frame-shift <ms>', 'hop between frames in milliseconds', positiveNumber, DEFAULT_FBANK_OPTIONS.frameShiftMs)
    .option('--window <type>', `window: ${WINDOW_TYPES.join(', ')}`, windowType, DEFAULT_FBANK_OPTIONS.windowType)
    .action(async (file: string, flags: FbankCommandFlags) => {
      process.stdout.write(await fbankCommandOutput(file, flags));
    });
}
