/**
 * WAV decoding and encoding. Parsing is done by `wavefile` (a maintained RIFF/WAVE reader and
 * writer); this file adds the checks a training pipeline needs — truncated data, empty files,
 * channel layouts we refuse to guess, non-finite samples — each reported with the file's name.
 */
import * as wavefileModule from 'wavefile';
import { AudioFileError, readAudioBytes } from './errors.js';
import { writeFileAtomic } from '../util/atomic.js';

// wavefile is CommonJS and marks itself `__esModule`: Node's ESM loader exposes its exports only
// as `default`, while CommonJS compilers (the tslab kernel) expose them directly. Take either.
const { WaveFile } = (wavefileModule as unknown as { default?: typeof wavefileModule }).default ?? wavefileModule;

/** PCM layouts ttt-speech reads and writes. `'32f'` is IEEE float. */
export type WavBitDepth = '8' | '16' | '24' | '32' | '32f' | '64';

/** A decoded WAV file: one Float32Array per channel, scaled to [-1, 1]. */
export interface DecodedWav {
  /** Where it came from (a path, or a label for in-memory data). */
  source: string;
  sampleRate: number;
  bitDepth: WavBitDepth;
  /** Samples per channel in [-1, 1]. */
  channels: Float32Array[];
}

const FULL_SCALE: Record<string, number> = { '8': 128, '16': 32768, '24': 8388608, '32': 2147483648 };

/**
 * The largest magnitude accepted in a float WAV: 16, i.e. +24 dBFS. Float audio may pass full
 * scale a little (inter-sample peaks, gain after mastering, resampling overshoot: a few dB), so
 * ±1 would refuse real files. Far beyond that lie two kinds of broken file: integer PCM values
 * stored as float (peaks near 32768, +90 dBFS) and garbage bytes (1e19, 1e30), whose squares
 * overflow float32 in the fbank and turn features into Infinity and NaN.
 */
export const FLOAT_WAV_LIMIT = 16;

// A refusal rather than a warning: the clip's features would be NaN or off by tens of dB, and a
// warning among thousands of clips scrolls away while the run goes on with them.
function implausibleFloatSample(source: string, value: number, index: number, channel: number): AudioFileError {
  const hint =
    Math.abs(value) > 32768
      ? 'the file is probably damaged'
      : 'if it holds integer PCM values stored as float, divide them by 32768; if it is just loud, normalise it, e.g. `sox in.wav out.wav gain -n`';
  return new AudioFileError(
    source,
    `implausible sample ${value} at index ${index} of channel ${channel}: float samples must lie within ±${FLOAT_WAV_LIMIT} ` +
      `(+${(20 * Math.log10(FLOAT_WAV_LIMIT)).toFixed(0)} dBFS); ${hint}`,
  );
}

/**
 * Decodes WAV bytes (PCM 8/16/24/32-bit integer, 32/64-bit float) to float channels.
 * Throws {@link AudioFileError} naming `source` for anything that is not a complete, finite WAV,
 * and for float samples beyond ±{@link FLOAT_WAV_LIMIT} (naming the sample's index).
 */
export function decodeWav(bytes: Uint8Array, source: string): DecodedWav {
  if (bytes.length < 12) throw new AudioFileError(source, `not a WAV file (only ${bytes.length} bytes)`);
  const tag = String.fromCharCode(bytes[0], bytes[1], bytes[2], bytes[3]);
  const form = String.fromCharCode(bytes[8], bytes[9], bytes[10], bytes[11]);
  if (!['RIFF', 'RIFX', 'RF64'].includes(tag) || form !== 'WAVE') {
    throw new AudioFileError(source, 'not a WAV file (no RIFF/WAVE header)');
  }
  let wav: InstanceType<typeof WaveFile>;
  try {
    wav = new WaveFile(bytes);
  } catch (err) {
    throw new AudioFileError(source, `unreadable WAV: ${(err as Error).message}`);
  }
  const fmt = wav.fmt as { numChannels: number; sampleRate: number; audioFormat: number; blockAlign: number };
  const data = wav.data as { chunkSize: number; samples: Uint8Array };
  const bitDepth = String(wav.bitDepth) as WavBitDepth;
  if (!['8', '16', '24', '32', '32f', '64'].includes(bitDepth)) {
    throw new AudioFileError(source, `unsupported sample format '${bitDepth}' (audio format ${fmt.audioFormat}); use PCM 8/16/24/32-bit or float`);
  }
  if (!(fmt.sampleRate > 0)) throw new AudioFileError(source, `invalid sample rate ${fmt.sampleRate}`);
  if (fmt.numChannels < 1) throw new AudioFileError(source, 'the header declares 0 channels');
  if (data.samples.length < data.chunkSize) {
    throw new AudioFileError(
      source,
      `truncated: the data chunk declares ${data.chunkSize} bytes but only ${data.samples.length} are present`,
    );
  }
  if (data.chunkSize === 0 || data.samples.length < fmt.blockAlign) {
    throw new AudioFileError(source, 'contains 0 samples');
  }
  const raw = wav.getSamples(false, Float64Array) as unknown as Float64Array | Float64Array[];
  const perChannel = fmt.numChannels === 1 ? [raw as Float64Array] : (raw as Float64Array[]);
  // 8-bit WAV is unsigned with a 128 offset; float formats are already in [-1, 1].
  const scale = FULL_SCALE[bitDepth];
  const offset = bitDepth === '8' ? 128 : 0;
  const channels = perChannel.map((ch, c) => {
    const out = new Float32Array(ch.length);
    for (let i = 0; i < ch.length; i++) {
      const v = scale ? (ch[i] - offset) / scale : ch[i];
      if (!Number.isFinite(v)) {
        throw new AudioFileError(source, `non-finite sample (${ch[i]}) at index ${i} of channel ${c}`);
      }
      if (Math.abs(v) > FLOAT_WAV_LIMIT) throw implausibleFloatSample(source, v, i, c);
      out[i] = v;
    }
    return out;
  });
  return { source, sampleRate: fmt.sampleRate, bitDepth, channels };
}

/** Reads and decodes a WAV file from disk (see {@link decodeWav}). */
export function readWav(path: string): DecodedWav {
  return decodeWav(readAudioBytes(path), path);
}

/**
 * Encodes float channels (each in [-1, 1]; values outside are clipped for integer formats) as
 * WAV bytes. 16-bit encoding rounds to the nearest step, so decode→encode of 16-bit PCM is
 * bit-exact.
 */
export function encodeWav(channels: Float32Array | Float32Array[], sampleRate: number, bitDepth: WavBitDepth = '16'): Uint8Array {
  const list = Array.isArray(channels) ? channels : [channels];
  if (list.length === 0) throw new Error('encodeWav: no channels');
  if (!Number.isInteger(sampleRate) || sampleRate <= 0) throw new Error(`encodeWav: invalid sample rate ${sampleRate}`);
  const scale = FULL_SCALE[bitDepth];
  const data = list.map((ch) => {
    if (!scale) return Float64Array.from(ch);
    const offset = bitDepth === '8' ? 128 : 0;
    const out = new Float64Array(ch.length);
    for (let i = 0; i < ch.length; i++) {
      const v = Math.round(ch[i] * scale);
      out[i] = Math.max(-scale, Math.min(scale - 1, v)) + offset;
    }
    return out;
  });
  const wav = new WaveFile();
  wav.fromScratch(list.length, sampleRate, bitDepth, data as unknown as number[][]);
  return wav.toBuffer();
}

/** Encodes and writes a WAV file atomically (write to a temporary file, then rename). */
export function writeWav(path: string, channels: Float32Array | Float32Array[], sampleRate: number, bitDepth: WavBitDepth = '16'): void {
  writeFileAtomic(path, encodeWav(channels, sampleRate, bitDepth));
}
