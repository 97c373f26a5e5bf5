/**
 * FLAC decoding (VCTK 0.92 ships FLAC). Decoding is done by `@wasm-audio-decoders/flac`
 * (libFLAC compiled to WebAssembly); this file adds what that decoder leaves to its caller:
 * it decodes through damage and reports problems as a list, so a truncated or corrupt file
 * comes back short rather than failing. Here every such file is refused, naming the file.
 */
import { AudioFileError } from './errors.js';

/** What a FLAC stream's STREAMINFO block declares. */
export interface FlacStreamInfo {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  /** Samples per channel; `null` where the encoder left it open (a stream written live). */
  totalSamples: number | null;
}

/** A decoded FLAC file: one Float32Array per channel, scaled to [-1, 1] as WAV is. */
export interface DecodedFlac {
  /** Where it came from (a path, or a label for in-memory data). */
  source: string;
  sampleRate: number;
  /** Bits per sample of the stream. */
  bitDepth: number;
  /** Samples per channel: integer PCM divided by 2^(bitDepth − 1). */
  channels: Float32Array[];
}

/**
 * Bit depths {@link decodeFlac} reads: those libsndfile (soundfile, torchaudio) reads too.
 * The decoder returns ±Infinity for 12- and 20-bit streams (found by encoding them), and
 * cannot return 32-bit samples exactly in float32, so those are refused rather than guessed.
 */
export const FLAC_BIT_DEPTHS: readonly number[] = [8, 16, 24];

/** Length of the marker and STREAMINFO block: `fLaC`, a 4-byte block header, 34 bytes of info. */
const FLAC_HEADER_BYTES = 42;

/** Bytes of an ID3v2 tag at the start (some taggers put one before the stream), else 0. */
export function id3TagLength(bytes: Uint8Array): number {
  if (bytes.length < 10 || bytes[0] !== 0x49 || bytes[1] !== 0x44 || bytes[2] !== 0x33) return 0; // "ID3"
  // The size is "syncsafe": 7 bits a byte; a footer flag adds 10 bytes.
  const size = ((bytes[6] & 0x7f) << 21) | ((bytes[7] & 0x7f) << 14) | ((bytes[8] & 0x7f) << 7) | (bytes[9] & 0x7f);
  return 10 + size + (bytes[5] & 0x10 ? 10 : 0);
}

function startsWithMarker(bytes: Uint8Array, at: number): boolean {
  return bytes.length >= at + 4 && bytes[at] === 0x66 && bytes[at + 1] === 0x4c && bytes[at + 2] === 0x61 && bytes[at + 3] === 0x43; // "fLaC"
}

/** Whether `bytes` hold a FLAC stream: the `fLaC` marker at the start or after an ID3v2 tag. */
export function isFlac(bytes: Uint8Array): boolean {
  return startsWithMarker(bytes, id3TagLength(bytes));
}

/**
 * Reads STREAMINFO from bytes that start at the `fLaC` marker (42 bytes are enough), or
 * returns `null` when they are not a FLAC header. STREAMINFO is always the first metadata
 * block: 20-bit sample rate, 3-bit channels − 1, 5-bit bits − 1, 36-bit total samples.
 */
export function parseFlacStreamInfo(bytes: Uint8Array): FlacStreamInfo | null {
  if (bytes.length < FLAC_HEADER_BYTES || !startsWithMarker(bytes, 0) || (bytes[4] & 0x7f) !== 0) return null;
  const info = bytes.subarray(8);
  const sampleRate = (info[10] << 12) | (info[11] << 4) | (info[12] >> 4);
  const channels = ((info[12] >> 1) & 0x07) + 1;
  const bitsPerSample = (((info[12] & 0x01) << 4) | (info[13] >> 4)) + 1;
  const totalSamples = (info[13] & 0x0f) * 2 ** 32 + ((info[14] << 24) >>> 0) + (info[15] << 16) + (info[16] << 8) + info[17];
  return { sampleRate, channels, bitsPerSample, totalSamples: totalSamples === 0 ? null : totalSamples };
}

/**
 * What the first frame's header leaves to STREAMINFO ('sample rate' or 'bit depth'), if
 * anything. The decoder is handed the frames without the STREAMINFO block, so it cannot decode
 * such frames. Encoders write them only for rates above 65535 Hz that no header code expresses
 * and for bit depths refused here anyway, so this is looked at only to explain a failure.
 */
function leftToStreamInfo(stream: Uint8Array): 'sample rate' | 'bit depth' | undefined {
  let at = 4; // past "fLaC": metadata blocks, each a 4-byte header (last flag, type, 24-bit length) and its body
  for (let last = false; !last; ) {
    if (at + 4 > stream.length) return undefined;
    last = (stream[at] & 0x80) !== 0;
    at += 4 + ((stream[at + 1] << 16) | (stream[at + 2] << 8) | stream[at + 3]);
  }
  if (at + 4 > stream.length || stream[at] !== 0xff || (stream[at + 1] & 0xfe) !== 0xf8) return undefined;
  if ((stream[at + 2] & 0x0f) === 0) return 'sample rate';
  if (((stream[at + 3] >> 1) & 0x07) === 0) return 'bit depth';
  return undefined;
}

type FlacModule = typeof import('@wasm-audio-decoders/flac');
let flacModule: Promise<FlacModule> | undefined;

// Loaded on first use: WAV-only work never compiles the decoder's WebAssembly.
function loadFlacModule(): Promise<FlacModule> {
  flacModule ??= import('@wasm-audio-decoders/flac');
  return flacModule;
}

/**
 * Decodes FLAC bytes (8-, 16- or 24-bit, 1 to 8 channels) to float channels scaled like WAV
 * (integer PCM ÷ 2^(bits − 1)), so a clip reads the same from either format. Throws
 * {@link AudioFileError} naming `source` for anything that is not a complete, undamaged FLAC
 * stream: no `fLaC` marker, an unsupported bit depth, a decoding error, fewer or more samples
 * than STREAMINFO declares, or no samples at all.
 */
export async function decodeFlac(bytes: Uint8Array, source: string): Promise<DecodedFlac> {
  const start = id3TagLength(bytes);
  if (!startsWithMarker(bytes, start)) {
    throw new AudioFileError(source, bytes.length < start + 4 ? `not a FLAC file (only ${bytes.length} bytes)` : 'not a FLAC file (no fLaC marker)');
  }
  const stream = bytes.subarray(start);
  const info = parseFlacStreamInfo(stream);
  if (!info) throw new AudioFileError(source, 'not a FLAC file (no STREAMINFO block after the fLaC marker)');
  if (!(info.sampleRate > 0)) throw new AudioFileError(source, `invalid sample rate ${info.sampleRate}`);
  if (!FLAC_BIT_DEPTHS.includes(info.bitsPerSample)) {
    throw new AudioFileError(
      source,
      `unsupported sample format: ${info.bitsPerSample}-bit FLAC; ttt-speech reads ${FLAC_BIT_DEPTHS.join('-, ')}-bit FLAC. ` +
        'Convert it first, e.g. with sox: `sox in.flac -b 16 out.flac`',
    );
  }

  const { FLACDecoder } = await loadFlacModule();
  const decoder = new FLACDecoder();
  let decoded: Awaited<ReturnType<InstanceType<FlacModule['FLACDecoder']>['decodeFile']>>;
  try {
    await decoder.ready;
    decoded = await decoder.decodeFile(stream);
  } catch (err) {
    throw new AudioFileError(source, `unreadable FLAC: ${(err as Error).message}`);
  } finally {
    decoder.free();
  }

  if (decoded.errors.length > 0 || decoded.samplesDecoded === 0) {
    const deferred = leftToStreamInfo(stream);
    if (deferred) {
      throw new AudioFileError(
        source,
        `its frames take their ${deferred} from STREAMINFO, which the FLAC decoder cannot follow; ` +
          're-encode it at a common rate (encoders then write the rate into every frame), e.g. `sox in.flac -r 48000 out.flac`',
      );
    }
  }
  if (decoded.errors.length > 0) {
    const first = decoded.errors[0];
    throw new AudioFileError(source, `corrupt FLAC data at frame ${first.frameNumber} (byte ${first.inputBytes}): ${first.message}`);
  }
  const declared = info.totalSamples;
  if (declared !== null && decoded.samplesDecoded < declared) {
    throw new AudioFileError(
      source,
      `truncated or corrupt: STREAMINFO declares ${declared} samples per channel but only ${decoded.samplesDecoded} could be decoded`,
    );
  }
  if (declared !== null && decoded.samplesDecoded > declared) {
    throw new AudioFileError(source, `corrupt: STREAMINFO declares ${declared} samples per channel but ${decoded.samplesDecoded} were decoded`);
  }
  if (decoded.samplesDecoded === 0) throw new AudioFileError(source, 'contains 0 samples');
  if (decoded.channelData.length !== info.channels) {
    throw new AudioFileError(source, `STREAMINFO declares ${info.channels} channels but ${decoded.channelData.length} were decoded`);
  }

  // The decoder divides each integer sample by 2^(bits − 1) − 1; WAV decoding here, soundfile
  // and torchaudio divide by 2^(bits − 1). Recover the integer (float32 holds 24 bits, so the
  // rounding is exact for every depth read here) and rescale, so FLAC and WAV of the same PCM
  // give identical clips.
  const decoderScale = 2 ** (info.bitsPerSample - 1) - 1;
  const fullScale = 2 ** (info.bitsPerSample - 1);
  const channels = decoded.channelData.map((channel) => {
    const out = new Float32Array(decoded.samplesDecoded);
    for (let i = 0; i < out.length; i++) out[i] = Math.round(channel[i] * decoderScale) / fullScale;
    return out;
  });
  return { source, sampleRate: info.sampleRate, bitDepth: info.bitsPerSample, channels };
}
