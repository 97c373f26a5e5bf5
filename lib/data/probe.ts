/**
 * Clip length and format from file headers alone. Building a manifest for a real corpus touches
 * tens of thousands of files; reading a few dozen bytes of each is fast, decoding them is not.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { extname } from 'node:path';

/** What a header says about a clip. */
export interface AudioHeader {
  format: 'wav' | 'flac';
  sampleRate: number;
  channels: number;
  /** Samples per channel; `null` where the header leaves it open (streamed FLAC). */
  frames: number | null;
  /** `frames / sampleRate`, or `null` when `frames` is. */
  durationS: number | null;
}

function readAt(fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  const got = readSync(fd, buffer, 0, length, position);
  return buffer.subarray(0, got);
}

function tag(bytes: Buffer, at: number): string {
  return bytes.toString('latin1', at, at + 4);
}

function header(format: AudioHeader['format'], sampleRate: number, channels: number, frames: number | null): AudioHeader {
  return { format, sampleRate, channels, frames, durationS: frames === null ? null : frames / sampleRate };
}

// Walks the RIFF chunks up to `data`; metadata chunks (LIST, bext, …) may come first.
function probeWav(fd: number): AudioHeader | null {
  const fileSize = fstatSync(fd).size;
  const riff = readAt(fd, 0, 12);
  if (riff.length < 12 || tag(riff, 0) !== 'RIFF' || tag(riff, 8) !== 'WAVE') return null;
  let position = 12;
  let fmt: { channels: number; sampleRate: number; blockAlign: number } | undefined;
  while (position + 8 <= fileSize) {
    const chunk = readAt(fd, position, 8);
    const id = tag(chunk, 0);
    const size = chunk.readUInt32LE(4);
    if (id === 'fmt ') {
      const body = readAt(fd, position + 8, 16);
      if (body.length < 16) return null;
      fmt = { channels: body.readUInt16LE(2), sampleRate: body.readUInt32LE(4), blockAlign: body.readUInt16LE(12) };
    } else if (id === 'data') {
      if (!fmt || fmt.blockAlign === 0 || fmt.sampleRate === 0) return null;
      // A truncated download declares more data than it holds: count what is there.
      const present = Math.min(size, fileSize - position - 8);
      return header('wav', fmt.sampleRate, fmt.channels, Math.floor(present / fmt.blockAlign));
    }
    position += 8 + size + (size % 2); // chunks are padded to even sizes
  }
  return null;
}

// An ID3v2 tag, when present, precedes the FLAC stream; its size is "syncsafe" (7 bits a byte).
function id3Length(bytes: Buffer): number {
  if (bytes.length < 10 || bytes.toString('latin1', 0, 3) !== 'ID3') return 0;
  const size = ((bytes[6] & 0x7f) << 21) | ((bytes[7] & 0x7f) << 14) | ((bytes[8] & 0x7f) << 7) | (bytes[9] & 0x7f);
  return 10 + size + (bytes[5] & 0x10 ? 10 : 0);
}

// STREAMINFO is always the first metadata block: 20-bit rate, 3-bit channels-1, 5-bit bits-1, 36-bit total samples.
function probeFlac(fd: number): AudioHeader | null {
  const start = id3Length(readAt(fd, 0, 10));
  const bytes = readAt(fd, start, 42);
  if (bytes.length < 42 || tag(bytes, 0) !== 'fLaC' || (bytes[4] & 0x7f) !== 0) return null;
  const info = bytes.subarray(8);
  const sampleRate = (info[10] << 12) | (info[11] << 4) | (info[12] >> 4);
  const channels = ((info[12] >> 1) & 0x07) + 1;
  const totalSamples = (info[13] & 0x0f) * 2 ** 32 + info.readUInt32BE(14);
  if (sampleRate === 0) return null;
  return header('flac', sampleRate, channels, totalSamples === 0 ? null : totalSamples);
}

/**
 * Reads the header of a WAV or FLAC file. Returns `null` for other formats or a header that
 * cannot be read (the clip may still decode; its duration is then simply unknown).
 */
export function probeAudio(path: string): AudioHeader | null {
  const ext = extname(path).toLowerCase();
  if (ext !== '.wav' && ext !== '.flac') return null;
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    return ext === '.wav' ? probeWav(fd) : probeFlac(fd);
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

/** A clip's duration in seconds from its header, rounded to milliseconds, or `null` if unknown. */
export function probeDuration(path: string): number | null {
  const found = probeAudio(path)?.durationS;
  return found === undefined || found === null ? null : Math.round(found * 1000) / 1000;
}
