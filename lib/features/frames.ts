/**
 * Cutting a clip into overlapping frames, Kaldi's way. This is index arithmetic, so it runs in
 * plain JavaScript straight into one buffer: a single upload then feeds every tensor op, where
 * slicing frame by frame would cost one op per frame.
 */
import { createRng, deriveSeed, gaussian } from '../util/index.js';
import { frameCount, type FbankOptions, type FrameGeometry } from './options.js';

/** Throws an Error naming `source` if the clip is too short for one frame or holds NaN/Infinity. */
export function checkClip(samples: Float32Array, geometry: FrameGeometry, options: FbankOptions, source: string): void {
  if (!(samples instanceof Float32Array)) {
    throw new Error(`fbank: ${source}: samples must be a Float32Array, got ${Object.prototype.toString.call(samples)}`);
  }
  const rate = options.sampleRate;
  if (samples.length < geometry.windowSize) {
    throw new Error(
      `fbank: ${source} is too short: ${samples.length} samples (${((1000 * samples.length) / rate).toFixed(1)} ms at ${rate} Hz); ` +
        `one ${options.frameLengthMs} ms frame needs ${geometry.windowSize}`,
    );
  }
  for (let i = 0; i < samples.length; i++) {
    if (!Number.isFinite(samples[i])) {
      throw new Error(`fbank: ${source} has a non-finite sample (${samples[i]}) at index ${i} (${(i / rate).toFixed(4)} s)`);
    }
  }
}

/**
 * Position in `samples` that padded position `p` reads when edges are not snipped. Kaldi
 * mirrors the clip at both ends with the edge sample repeated (…, x1, x0 | x0, x1, …), and
 * shifts frames so that they are centred on multiples of the hop.
 */
function mirroredIndex(p: number, length: number, offset: number): number {
  const q = p - offset;
  if (q < 0) return -q - 1;
  if (q < length) return q;
  return 2 * length - 1 - q;
}

/**
 * Writes the frames of one clip into `out` (row-major `[frames, windowSize]`) starting at row
 * `firstRow`, scaled by `inputScale`, with dither noise drawn from `deriveSeed(seed, clipIndex)`.
 * Returns the number of frames written.
 */
export function writeFrames(
  samples: Float32Array,
  geometry: FrameGeometry,
  options: FbankOptions,
  clipIndex: number,
  out: Float32Array,
  firstRow: number,
): number {
  const { windowSize, windowShift } = geometry;
  const frames = frameCount(samples.length, geometry, options.snipEdges);
  const scale = options.inputScale;
  const offset = options.snipEdges ? 0 : Math.floor(windowSize / 2) - Math.floor(windowShift / 2);
  let at = firstRow * windowSize;
  for (let f = 0; f < frames; f++) {
    const start = f * windowShift;
    for (let j = 0; j < windowSize; j++) {
      const index = options.snipEdges ? start + j : mirroredIndex(start + j, samples.length, offset);
      out[at++] = samples[index] * scale;
    }
  }
  if (options.dither > 0) {
    // Noise goes on each frame, not the clip, so overlapping frames get independent draws (as in Kaldi).
    const rng = createRng(deriveSeed(options.seed, clipIndex));
    const end = (firstRow + frames) * windowSize;
    for (let i = firstRow * windowSize; i < end; i++) out[i] += options.dither * gaussian(rng);
  }
  return frames;
}
