/**
 * Audio in ttt-speech: WAV in and out, mono 16 kHz clips, and noise at a chosen SNR.
 * @packageDocumentation
 */
export { AudioFileError } from './errors.js';
export { decodeWav, readWav, encodeWav, writeWav } from './wav.js';
export type { DecodedWav, WavBitDepth } from './wav.js';
export { resample } from './resample.js';
export type { ResampleQuality } from './resample.js';
