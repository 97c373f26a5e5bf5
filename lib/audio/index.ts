/**
 * Audio in ttt-speech: WAV and FLAC in, WAV out, mono 16 kHz clips, noise (generated or drawn
 * from noise files) at a chosen SNR, and a simulated recording chain (room, microphone, background).
 * @packageDocumentation
 */
export { AudioFileError } from './errors.js';
export { decodeWav, readWav, encodeWav, writeWav, FLOAT_WAV_LIMIT } from './wav.js';
export type { DecodedWav, WavBitDepth } from './wav.js';
export { decodeFlac, isFlac, parseFlacStreamInfo, id3TagLength, FLAC_BIT_DEPTHS } from './flac.js';
export type { DecodedFlac, FlacStreamInfo } from './flac.js';
export { decodeAudio, readAudio, sniffAudioFormat } from './decode.js';
export type { AudioFormat, DecodedAudio } from './decode.js';
export { resample } from './resample.js';
export type { ResampleQuality } from './resample.js';
export { DEFAULT_SAMPLE_RATE, loadClip, clipFromSamples, toMono, validateClip, assertSampleRate } from './clip.js';
export type { Clip, ClipChecks, LoadClipOptions } from './clip.js';
export { meanPower, peakAbs, peakLevelDb, activeFrames, activeSpeechPower } from './level.js';
export type { ActivityOptions, FrameActivity } from './level.js';
export { generateNoise, makeBabble, loopFrom } from './noise.js';
export type { NoiseType, BabbleOptions } from './noise.js';
export { scaleNoiseToSnr, mixAtSnr, measureSnrDb, addNoise } from './mix.js';
export type { MixOptions, NoiseSpec } from './mix.js';
export { NoiseFiles } from './noise-files.js';
export type { NoiseFile, NoiseFilesOptions } from './noise-files.js';
export { DEFAULT_RECORDING_RANGES, drawEqualiser, recordClip, roomImpulseResponse } from './recording.js';
export type { RecordOptions, RecordedClip, RecordingInfo, RecordingRanges } from './recording.js';
