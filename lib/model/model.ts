/**
 * A model: its config, its variables (encoder, decoder, optional classifier head) and its
 * fixed position embeddings.
 */
import * as tf from '@tensorflow/tfjs';
import { patchGrid, resolveModelConfig, validateModelConfig, type HeadConfig, type ModelConfig } from './config.js';
import { initDecoder } from './decoder.js';
import { initEncoder } from './encoder.js';
import { createInitializer } from './init.js';
import { disposeParameters, type MaeParams } from './parameters.js';
import { sinCosPositionEmbedding } from './positions.js';

/** A masked-autoencoder ViT with an optional classifier head. */
export interface MaeModel {
  /** Sizes and options (resolved, validated). */
  config: ModelConfig;
  /** The trainable variables. `params.head` is set by `attachHead`. */
  params: MaeParams;
  /** Config of `params.head`, when there is one. */
  headConfig?: HeadConfig;
  /** Fixed sin-cos position embeddings: encoder `[(1)+N, D]`, decoder `[(1)+N, Dd]`. */
  posEmbed: { encoder: tf.Tensor2D; decoder: tf.Tensor2D };
}

/** Builds a model with freshly initialised variables from a preset name or a full config (seed default 0). */
export function createModel(config: ModelConfig | string = 'tiny', seed = 0): MaeModel {
  const resolved = typeof config === 'string' ? resolveModelConfig(config) : { ...config };
  validateModelConfig(resolved);
  const { timePatches, freqPatches } = patchGrid(resolved);
  return {
    config: resolved,
    params: {
      encoder: initEncoder(createInitializer(seed, 'encoder'), resolved),
      decoder: initDecoder(createInitializer(seed, 'decoder'), resolved),
    },
    posEmbed: {
      encoder: sinCosPositionEmbedding(resolved.embedDim, timePatches, freqPatches, resolved.clsToken),
      decoder: sinCosPositionEmbedding(resolved.decoderEmbedDim, timePatches, freqPatches, resolved.clsToken),
    },
  };
}

/** Frees every tensor of the model. */
export function disposeModel(model: MaeModel): void {
  disposeParameters(model.params);
  model.posEmbed.encoder.dispose();
  model.posEmbed.decoder.dispose();
}
