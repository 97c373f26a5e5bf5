// FLAC files for tests. encodeFlac uses libFLAC's own encoder (libflacjs: libFLAC compiled to
// JavaScript), so the decoder under test reads real encoder output — LPC and fixed
// predictors, Rice-coded residuals, stereo decorrelation — not bytes this project wrote.
// verbatimFlac writes the simplest valid stream by hand, for header readers and for the one
// header variant the encoder never writes.
import { createRequire } from 'node:module';

// The few members used here, typed locally: libflacjs ships different declarations for
// different TypeScript versions, and this helper must compile under each.
interface FlacLibrary {
  isReady(): boolean;
  on(event: 'ready', listener: () => void): void;
}
interface FlacStreamMetadata {
  total_samples: number;
}
interface FlacEncoder {
  encode(channels?: Int32Array[]): boolean;
  getState(): number;
  destroy(): void;
  readonly rawData: Uint8Array[];
  readonly metadata: FlacStreamMetadata | undefined;
}
interface EncoderOptions {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  compression: number;
  verify: boolean;
}

const require = createRequire(import.meta.url);
// The asm.js build: the WebAssembly build loads its .wasm file with fetch(), which Node cannot
// do for a file path.
const flac = (require('libflacjs') as (variant?: string) => FlacLibrary)();
const { Encoder } = require('libflacjs/lib/encoder') as { Encoder: new (library: FlacLibrary, options: EncoderOptions) => FlacEncoder };
const { exportFlacData } = require('libflacjs/lib/utils') as {
  exportFlacData: (chunks: Uint8Array[], metadata: FlacStreamMetadata, isOgg: boolean) => Promise<Uint8Array>;
};

const ready: Promise<void> = new Promise((resolve) => {
  if (flac.isReady()) resolve();
  else flac.on('ready', () => resolve());
});

/** What {@link encodeFlac} makes. */
export interface FlacSpec {
  sampleRate: number;
  bitsPerSample: number;
  /** Compression level 0–8 (libFLAC's presets); default 5, the `flac` tool's default. */
  compression?: number;
}

/**
 * Encodes integer PCM (one Int32Array per channel, values within `bitsPerSample`) as a FLAC
 * file with a complete STREAMINFO block (total samples, MD5), as the `flac` tool writes it.
 */
export async function encodeFlac(channels: Int32Array[], spec: FlacSpec): Promise<Uint8Array> {
  await ready;
  const encoder = new Encoder(flac, {
    sampleRate: spec.sampleRate,
    channels: channels.length,
    bitsPerSample: spec.bitsPerSample,
    compression: spec.compression ?? 5,
    verify: true,
  });
  try {
    if (!encoder.encode(channels) || !encoder.encode()) {
      throw new Error(`libFLAC could not encode ${spec.bitsPerSample}-bit audio (state ${encoder.getState()})`);
    }
    // The encoder streams its output, so STREAMINFO was written before the totals were known;
    // exportFlacData fills them in from the final metadata.
    if (!encoder.metadata) throw new Error('libFLAC reported no stream metadata');
    return await exportFlacData(encoder.rawData, encoder.metadata, false);
  } finally {
    encoder.destroy();
  }
}

function crc8(bytes: number[]): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let i = 0; i < 8; i++) crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
  }
  return crc;
}

function crc16(bytes: number[]): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x8005) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/**
 * A valid mono 16-bit FLAC stream: STREAMINFO and one frame with a VERBATIM subframe (no
 * compression), at most 65535 samples at a rate of at most 65535 Hz. Its frame header carries
 * the sample rate in hertz, as encoders write rates without a code of their own; with
 * `rateFromStreamInfo` it leaves the rate to STREAMINFO instead (legal, but libFLAC does so
 * only for rates no header code can express).
 */
export function verbatimFlac(samples: Float32Array, sampleRate: number, options: { rateFromStreamInfo?: boolean } = {}): Buffer {
  const n = samples.length;
  const info = Buffer.alloc(34);
  info.writeUInt16BE(n, 0);
  info.writeUInt16BE(n, 2);
  // bytes 10..17: 20-bit rate, 3-bit channels-1 (0), 5-bit bits-1 (15), 36-bit total samples
  info[10] = (sampleRate >> 12) & 0xff;
  info[11] = (sampleRate >> 4) & 0xff;
  info[12] = ((sampleRate & 0x0f) << 4) | (0 << 1) | (15 >> 4);
  info[13] = ((15 & 0x0f) << 4) | Math.floor(n / 2 ** 32);
  info.writeUInt32BE(n >>> 0, 14);
  // Block size code 7 (16-bit size − 1 follows); rate code 0 (STREAMINFO) or 13 (16-bit Hz follows);
  // mono, 16-bit; frame number 0.
  const rateCode = options.rateFromStreamInfo ? 0x0 : 0xd;
  const header = [0xff, 0xf8, 0x70 | rateCode, 0x08, 0x00, ((n - 1) >> 8) & 0xff, (n - 1) & 0xff];
  if (!options.rateFromStreamInfo) header.push((sampleRate >> 8) & 0xff, sampleRate & 0xff);
  const frame = [...header, crc8(header), 0x02];
  for (const s of samples) {
    const v = Math.max(-32768, Math.min(32767, Math.round(s * 32768))) & 0xffff;
    frame.push(v >> 8, v & 0xff);
  }
  const crc = crc16(frame);
  frame.push(crc >> 8, crc & 0xff);
  return Buffer.concat([Buffer.from('fLaC', 'latin1'), Buffer.from([0x80, 0, 0, 34]), info, Buffer.from(frame)]);
}
