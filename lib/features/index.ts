/**
 * Features in ttt-speech: the Kaldi-compatible log-mel filterbank (the AudioMAE front end),
 * dataset normalisation, and padding or cropping to a fixed number of frames.
 * @packageDocumentation
 */
export { fbank, fbankBatch, clearFbankCache, fbankCacheTensorCount } from './fbank.js';
export { DEFAULT_FBANK_OPTIONS, WINDOW_TYPES, resolveFbankOptions, frameGeometry, frameCount } from './options.js';
export type { FbankOptions, WindowType, FrameGeometry } from './options.js';
export { melScale, inverseMelScale, melFilterbank } from './mel.js';
export type { MelFilterbank, MelFilterbankSpec } from './mel.js';
export { windowFunction } from './window.js';
export { padOrCrop, floorLevel, computeNormStats, normalizeFbank, AUDIOSET_NORM_STATS, FLOOR_PAD_QUANTILE } from './normalize.js';
export type { PadCropMode, PadValue, NormStats, NormalizeOptions } from './normalize.js';
export { rawFbanks, datasetNormStats, modelInputs, normalizedFbanks } from './pipeline.js';
export type { FeatureRecipe, LongFbank } from './pipeline.js';
