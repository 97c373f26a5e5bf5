/**
 * Options of the log-mel filterbank and the frame geometry they imply. Defaults are the
 * AudioMAE front end: torchaudio's Kaldi-compatible fbank at 16 kHz with 128 bins and no dither.
 */

/** Analysis windows Kaldi offers. `povey` is a Hann window raised to the power 0.85. */
export type WindowType = 'povey' | 'hanning' | 'hamming' | 'rectangular' | 'blackman';

/** The window types, for validation and CLI help. */
export const WINDOW_TYPES: readonly WindowType[] = ['povey', 'hanning', 'hamming', 'rectangular', 'blackman'];

/**
 * Settings of {@link fbank}. Names follow Kaldi's `compute-fbank-feats` options; each field says
 * which one it mirrors.
 */
export interface FbankOptions {
  /** Sample rate of the input in Hz (Kaldi `--sample-frequency`). Default 16000. */
  sampleRate: number;
  /** Number of triangular mel filters, i.e. columns of the output (`--num-mel-bins`). Default 128; more than 3. */
  melBins: number;
  /** Analysis window length in milliseconds (`--frame-length`). Default 25 (400 samples at 16 kHz). */
  frameLengthMs: number;
  /** Hop between frame starts in milliseconds (`--frame-shift`). Default 10 (160 samples at 16 kHz). */
  frameShiftMs: number;
  /** Analysis window (`--window-type`). Default `'povey'`. */
  windowType: WindowType;
  /** Pre-emphasis coefficient in [0, 1]; 0 turns it off (`--preemphasis-coefficient`). Default 0.97. */
  preemphasis: number;
  /** Subtract each frame's mean before pre-emphasis (`--remove-dc-offset`). Default true. */
  removeDcOffset: boolean;
  /** Zero-pad each frame to the next power of two before the DFT (`--round-to-power-of-two`). Default true. */
  roundToPowerOfTwo: boolean;
  /** Lower edge of the lowest mel filter in Hz (`--low-freq`). Default 20. */
  lowFreq: number;
  /**
   * Upper edge of the highest mel filter in Hz (`--high-freq`); 0 or a negative value counts
   * from the Nyquist frequency (0 = Nyquist, −400 = Nyquist − 400 Hz). Default 0.
   */
  highFreq: number;
  /**
   * Keep only frames that fit entirely inside the clip (`--snip-edges`). When false, the
   * number of frames depends only on the shift and the clip is mirrored at both ends. Default true.
   */
  snipEdges: boolean;
  /**
   * Standard deviation of Gaussian noise added to every frame sample, in the units of the
   * scaled input (`--dither`). Default 0: features are then deterministic. Kaldi's own default
   * is 1 on int16-scale input.
   */
  dither: number;
  /** Seed of the dither noise (drawn with `createRng` from lib/util). Default 0. */
  seed: number;
  /**
   * Factor applied to the samples before anything else. Clips in ttt-speech are floats in
   * [-1, 1], as torchaudio loads them, so the default is 1 and the output matches
   * `torchaudio.compliance.kaldi.fbank` on those floats. Kaldi's command-line tools read int16
   * values: use 32768 to match `compute-fbank-feats` (the log energies then shift by
   * log(32768²) ≈ 20.79 wherever they are above the floor).
   */
  inputScale: number;
  /** A name for the input (a file path, a clip id) used in error messages. Default `'samples'`. */
  source: string;
}

/** The AudioMAE front end: Kaldi-compatible fbank, 16 kHz, 128 mel bins, 25 ms / 10 ms, no dither. */
export const DEFAULT_FBANK_OPTIONS: Readonly<FbankOptions> = Object.freeze({
  sampleRate: 16000,
  melBins: 128,
  frameLengthMs: 25,
  frameShiftMs: 10,
  windowType: 'povey',
  preemphasis: 0.97,
  removeDcOffset: true,
  roundToPowerOfTwo: true,
  lowFreq: 20,
  highFreq: 0,
  snipEdges: true,
  dither: 0,
  seed: 0,
  inputScale: 1,
  source: 'samples',
});

/** Frame sizes in samples, derived from the options the way Kaldi derives them. */
export interface FrameGeometry {
  /** Samples per analysis window. */
  windowSize: number;
  /** Samples between frame starts. */
  windowShift: number;
  /** DFT length: `windowSize`, or the next power of two when `roundToPowerOfTwo`. */
  paddedSize: number;
  /** Upper edge of the filterbank in Hz, with `highFreq <= 0` resolved against Nyquist. */
  highFreqHz: number;
}

function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** Merges `options` over the defaults and checks every value, throwing an Error that names the bad one. */
export function resolveFbankOptions(options: Partial<FbankOptions> = {}): FbankOptions {
  const merged: FbankOptions = { ...DEFAULT_FBANK_OPTIONS };
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined) (merged as unknown as Record<string, unknown>)[key] = value;
  }
  const fail = (what: string): never => {
    throw new Error(`fbank options: ${what}`);
  };
  if (!(merged.sampleRate > 0)) fail(`sampleRate must be positive, got ${merged.sampleRate}`);
  if (!Number.isInteger(merged.melBins) || merged.melBins <= 3) fail(`melBins must be an integer above 3, got ${merged.melBins}`);
  if (!(merged.frameLengthMs > 0)) fail(`frameLengthMs must be positive, got ${merged.frameLengthMs}`);
  if (!(merged.frameShiftMs > 0)) fail(`frameShiftMs must be positive, got ${merged.frameShiftMs}`);
  if (!WINDOW_TYPES.includes(merged.windowType)) fail(`windowType must be one of ${WINDOW_TYPES.join(', ')}, got '${merged.windowType}'`);
  if (!(merged.preemphasis >= 0 && merged.preemphasis <= 1)) fail(`preemphasis must be in [0, 1], got ${merged.preemphasis}`);
  if (!(merged.dither >= 0) || !Number.isFinite(merged.dither)) fail(`dither must be a finite value >= 0, got ${merged.dither}`);
  if (!Number.isFinite(merged.seed)) fail(`seed must be finite, got ${merged.seed}`);
  if (!(merged.inputScale > 0) || !Number.isFinite(merged.inputScale)) fail(`inputScale must be finite and positive, got ${merged.inputScale}`);
  frameGeometry(merged);
  return merged;
}

/**
 * Window, hop and DFT sizes in samples. Kaldi truncates `rate × ms × 0.001` toward zero, in
 * that order of operations; doing the same keeps frame counts identical for odd rates.
 */
export function frameGeometry(options: FbankOptions): FrameGeometry {
  const windowSize = Math.trunc(options.sampleRate * options.frameLengthMs * 0.001);
  const windowShift = Math.trunc(options.sampleRate * options.frameShiftMs * 0.001);
  if (windowSize < 2) throw new Error(`fbank options: a ${options.frameLengthMs} ms window is ${windowSize} samples; at least 2 are needed`);
  if (windowShift < 1) throw new Error(`fbank options: a ${options.frameShiftMs} ms shift is under one sample`);
  const paddedSize = options.roundToPowerOfTwo ? nextPowerOfTwo(windowSize) : windowSize;
  if (paddedSize % 2 !== 0) {
    throw new Error(`fbank options: the DFT length ${paddedSize} is odd; set roundToPowerOfTwo or pick a frame length with an even number of samples`);
  }
  const nyquist = options.sampleRate / 2;
  const highFreqHz = options.highFreq <= 0 ? options.highFreq + nyquist : options.highFreq;
  if (!(options.lowFreq >= 0 && options.lowFreq < nyquist && highFreqHz > 0 && highFreqHz <= nyquist && options.lowFreq < highFreqHz)) {
    throw new Error(
      `fbank options: need 0 <= lowFreq < highFreq <= Nyquist (${nyquist} Hz); got lowFreq ${options.lowFreq}, highFreq ${options.highFreq} (= ${highFreqHz} Hz)`,
    );
  }
  return { windowSize, windowShift, paddedSize, highFreqHz };
}

/** Number of frames a clip of `numSamples` samples yields (0 when it is shorter than one window). */
export function frameCount(numSamples: number, geometry: FrameGeometry, snipEdges: boolean): number {
  const { windowSize, windowShift } = geometry;
  if (numSamples < windowSize) return 0;
  if (snipEdges) return 1 + Math.floor((numSamples - windowSize) / windowShift);
  return Math.floor((numSamples + Math.floor(windowShift / 2)) / windowShift);
}
