/**
 * Model configuration: plain values with presets that run. `tiny` trains on a 2-core laptop
 * in minutes on the WebAssembly backend; `base` is the paper-scale ViT-B/16 AudioMAE for
 * native backends. A classifier head's shape ({@link HeadConfig}) is plain values too.
 */

/** Sizes and options of the masked-autoencoder ViT. */
export interface ModelConfig {
  /** Preset this config started from (for logs; every value below is authoritative). */
  name: string;
  /** Fbank frames the model sees (time axis); a multiple of `patchSize`. Clips are padded or cropped to it. */
  inputFrames: number;
  /** Mel bins of the fbank (frequency axis); a multiple of `patchSize`. */
  melBins: number;
  /** Side of the square patches (frames × mel bins). */
  patchSize: number;
  /** Encoder token width. */
  embedDim: number;
  /** Encoder transformer blocks. */
  depth: number;
  /** Encoder attention heads; must divide `embedDim`. */
  numHeads: number;
  /** Hidden width of every MLP as a multiple of its block width. */
  mlpRatio: number;
  /** Decoder token width. */
  decoderEmbedDim: number;
  /** Decoder transformer blocks. */
  decoderDepth: number;
  /** Decoder attention heads; must divide `decoderEmbedDim`. */
  decoderNumHeads: number;
  /** Prepend a learned class token to the encoder sequence (AudioMAE does); pooling may then use it. */
  clsToken: boolean;
  /** Normalise each target patch to zero mean, unit variance before the reconstruction loss (MAE `norm_pix_loss`). */
  normPixLoss: boolean;
  /** Epsilon of every LayerNorm. */
  layerNormEps: number;
}

/**
 * `tiny`: ViT with 192-wide tokens, 4 blocks, 3 heads; decoder 128 × 2 blocks, 4 heads
 * (2.28 M parameters, 9.1 MB as float32: small enough to ship in the repository); 128 mel
 * bins × 256 frames, a 16 × 8 grid of 128 patches.
 * 256 frames (2.56 s at a 10 ms hop) hold most of a corpus clip (2.76 s mean, 1.8–3.9 s); the
 * tail of longer clips is cropped, as AudioMAE crops its 10 s clips. Against 416 frames (every
 * clip whole) and 6 blocks, a TTT step is about 2× cheaper, which is what lets a laptop run
 * 20 steps per clip over a test set; `inputFrames: 416, depth: 6` restores the larger model.
 */
export const TINY_CONFIG: Readonly<ModelConfig> = Object.freeze({
  name: 'tiny',
  inputFrames: 256,
  melBins: 128,
  patchSize: 16,
  embedDim: 192,
  depth: 4,
  numHeads: 3,
  mlpRatio: 4,
  decoderEmbedDim: 128,
  decoderDepth: 2,
  decoderNumHeads: 4,
  clsToken: false,
  normPixLoss: false,
  layerNormEps: 1e-6,
});

/**
 * `base`: the AudioMAE/ViT-B/16 scale of the paper (encoder 768 × 12 blocks, 12 heads;
 * decoder 512 × 8 blocks, 16 heads) on 128 mel bins × 1024 frames (10.24 s). About 111 M
 * parameters: meant for the native TensorFlow backend.
 */
export const BASE_CONFIG: Readonly<ModelConfig> = Object.freeze({
  name: 'base',
  inputFrames: 1024,
  melBins: 128,
  patchSize: 16,
  embedDim: 768,
  depth: 12,
  numHeads: 12,
  mlpRatio: 4,
  decoderEmbedDim: 512,
  decoderDepth: 8,
  decoderNumHeads: 16,
  clsToken: true,
  normPixLoss: true,
  layerNormEps: 1e-6,
});

/** The named presets. */
export const MODEL_PRESETS: Readonly<Record<string, Readonly<ModelConfig>>> = Object.freeze({
  tiny: TINY_CONFIG,
  base: BASE_CONFIG,
});

/**
 * A full config from a preset name or a partial config (`preset` names the starting point,
 * default `tiny`); throws on any inconsistent value, so a bad config fails before any tensor
 * is made.
 */
export function resolveModelConfig(spec: string | (Partial<ModelConfig> & { preset?: string }) = 'tiny'): ModelConfig {
  const { preset, ...overrides } = typeof spec === 'string' ? { preset: spec } : spec;
  const presetName = preset ?? overrides.name ?? 'tiny';
  const base = MODEL_PRESETS[presetName];
  if (!base) {
    throw new Error(`unknown model preset '${presetName}'; known presets: ${Object.keys(MODEL_PRESETS).join(', ')}`);
  }
  const config: ModelConfig = { ...base, ...overrides, name: overrides.name ?? presetName };
  validateModelConfig(config);
  return config;
}

function positiveInteger(config: ModelConfig, key: keyof ModelConfig): void {
  const value = config[key];
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new Error(`model config ${key} must be a positive integer, got ${String(value)}`);
  }
}

/** Throws with the offending key when a config cannot build a model. */
export function validateModelConfig(config: ModelConfig): void {
  const integers: (keyof ModelConfig)[] = [
    'inputFrames', 'melBins', 'patchSize', 'embedDim', 'depth', 'numHeads',
    'decoderEmbedDim', 'decoderDepth', 'decoderNumHeads',
  ];
  for (const key of integers) positiveInteger(config, key);
  for (const key of ['inputFrames', 'melBins'] as const) {
    if (config[key] % config.patchSize !== 0) {
      throw new Error(`model config ${key}=${config[key]} must be a multiple of patchSize=${config.patchSize}`);
    }
  }
  if (config.embedDim % config.numHeads !== 0) {
    throw new Error(`model config embedDim=${config.embedDim} must be divisible by numHeads=${config.numHeads}`);
  }
  if (config.decoderEmbedDim % config.decoderNumHeads !== 0) {
    throw new Error(
      `model config decoderEmbedDim=${config.decoderEmbedDim} must be divisible by decoderNumHeads=${config.decoderNumHeads}`,
    );
  }
  // Sin-cos position embeddings give half the width to each grid axis and a sin/cos pair per frequency.
  for (const key of ['embedDim', 'decoderEmbedDim'] as const) {
    if (config[key] % 4 !== 0) throw new Error(`model config ${key}=${config[key]} must be a multiple of 4`);
  }
  if (!(config.mlpRatio > 0)) throw new Error(`model config mlpRatio must be positive, got ${config.mlpRatio}`);
  if (!(config.layerNormEps > 0)) throw new Error(`model config layerNormEps must be positive, got ${config.layerNormEps}`);
  if (typeof config.clsToken !== 'boolean') throw new Error('model config clsToken must be true or false');
  if (typeof config.normPixLoss !== 'boolean') throw new Error('model config normPixLoss must be true or false');
}

/** The patch grid of a config: time columns × frequency rows, tokens in time-major order. */
export interface PatchGrid {
  /** Patch columns along time (`inputFrames / patchSize`). */
  timePatches: number;
  /** Patch rows along frequency (`melBins / patchSize`). */
  freqPatches: number;
  /** Tokens per clip (`timePatches × freqPatches`). */
  numPatches: number;
  /** Values per patch (`patchSize²`). */
  patchDim: number;
}

/** The patch grid that a config implies. */
export function patchGrid(config: Pick<ModelConfig, 'inputFrames' | 'melBins' | 'patchSize'>): PatchGrid {
  const timePatches = config.inputFrames / config.patchSize;
  const freqPatches = config.melBins / config.patchSize;
  return { timePatches, freqPatches, numPatches: timePatches * freqPatches, patchDim: config.patchSize ** 2 };
}

/** `linear`: one affine map; `mlp`: affine, GELU, affine. */
export type HeadKind = 'linear' | 'mlp';

/** How encoder tokens become one vector: the mean of the patch tokens, or the class token. */
export type Pooling = 'mean' | 'cls';

/** Shape of a classifier head. */
export interface HeadConfig {
  kind: HeadKind;
  /** Output classes. */
  numClasses: number;
  /** Hidden width of the `mlp` head. */
  hiddenDim: number;
  pool: Pooling;
}

/** A full head config from a partial one: `linear`, mean pooling, 256 hidden units unless said otherwise. */
export function resolveHeadConfig(spec: Partial<HeadConfig> & { numClasses: number }): HeadConfig {
  const config: HeadConfig = { kind: 'linear', hiddenDim: 256, pool: 'mean', ...spec };
  if (!Number.isInteger(config.numClasses) || config.numClasses < 2) {
    throw new Error(`head numClasses must be an integer ≥ 2, got ${config.numClasses}`);
  }
  if (config.kind !== 'linear' && config.kind !== 'mlp') throw new Error(`head kind must be 'linear' or 'mlp', got '${String(config.kind)}'`);
  if (config.pool !== 'mean' && config.pool !== 'cls') throw new Error(`head pool must be 'mean' or 'cls', got '${String(config.pool)}'`);
  if (!Number.isInteger(config.hiddenDim) || config.hiddenDim <= 0) throw new Error(`head hiddenDim must be a positive integer, got ${config.hiddenDim}`);
  return config;
}
