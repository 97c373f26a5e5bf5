/**
 * One entry for every audio format ttt-speech reads. The format is taken from the bytes, not
 * the name: corpora and conversion scripts mislabel files (a FLAC saved as `.wav`), and the
 * content is what the decoder has to understand.
 */
import { AudioFileError, readAudioBytes } from './errors.js';
import { decodeFlac, isFlac } from './flac.js';
import { decodeWav } from './wav.js';

/** Audio formats ttt-speech decodes. */
export type AudioFormat = 'wav' | 'flac';

/** A decoded file in any format: one Float32Array per channel, integer PCM scaled to [-1, 1). */
export interface DecodedAudio {
  /** Where it came from (a path, or a label for in-memory data). */
  source: string;
  /** The format found in the bytes. */
  format: AudioFormat;
  sampleRate: number;
  channels: Float32Array[];
}

/** The format of audio bytes by their content (RIFF/WAVE header, `fLaC` marker), or `undefined`. */
export function sniffAudioFormat(bytes: Uint8Array): AudioFormat | undefined {
  if (bytes.length >= 12) {
    const tag = String.fromCharCode(bytes[0], bytes[1], bytes[2], bytes[3]);
    const form = String.fromCharCode(bytes[8], bytes[9], bytes[10], bytes[11]);
    if (['RIFF', 'RIFX', 'RF64'].includes(tag) && form === 'WAVE') return 'wav';
  }
  return isFlac(bytes) ? 'flac' : undefined;
}

function describeStart(bytes: Uint8Array): string {
  if (bytes.length < 4) return `only ${bytes.length} bytes`;
  const start = Array.from(bytes.subarray(0, 4), (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
  return `it starts with "${start}"`;
}

/**
 * Decodes WAV or FLAC bytes, whichever they hold (see {@link decodeWav}, {@link decodeFlac}
 * for the checks each makes). Anything else is an {@link AudioFileError} naming `source`.
 */
export async function decodeAudio(bytes: Uint8Array, source: string): Promise<DecodedAudio> {
  const format = sniffAudioFormat(bytes);
  if (format === 'wav') return { format, ...decodeWav(bytes, source) };
  if (format === 'flac') return { format, ...(await decodeFlac(bytes, source)) };
  throw new AudioFileError(
    source,
    `not a WAV or FLAC file (no RIFF/WAVE header or fLaC marker; ${describeStart(bytes)}); ` +
      'convert other formats first, e.g. `ffmpeg -i in.mp3 out.wav`',
  );
}

/** Reads and decodes a WAV or FLAC file, detected by content (see {@link decodeAudio}). */
export async function readAudio(path: string): Promise<DecodedAudio> {
  return decodeAudio(readAudioBytes(path), path);
}
