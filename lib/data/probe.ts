/**
 * Clip length and format from file headers alone. Building a manifest for a real corpus touches
 * tens of thousands of files; reading a few dozen bytes of each is fast, decoding them is not.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { extname } from 'node:path';
import { id3TagLength, parseFlacStreamInfo } from '../audio/flac.js';

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

// STREAMINFO comes right after the marker, which an ID3v2 tag may precede.
function probeFlac(fd: number): AudioHeader | null {
  const info = parseFlacStreamInfo(readAt(fd, id3TagLength(readAt(fd, 0, 10)), 42));
  if (!info || info.sampleRate === 0) return null;
  return header('flac', info.sampleRate, info.channels, info.totalSamples);
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
