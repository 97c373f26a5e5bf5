/**
 * Which parameters each baseline adapts. The originals adapt BatchNorm's affine parameters;
 * our ViT has LayerNorm instead, whose γ and β play the same part (a per-channel scale and
 * shift of normalised features), and LayerNorm statistics come from each token alone, so,
 * unlike BatchNorm, nothing depends on the batch size (a batch of 1 works).
 */
import type * as tf from '@tensorflow/tfjs';
import { parameterGroup, selectParameters, type MaeModel } from '../model/index.js';

/** The encoder's LayerNorm γ and β, by name; `skipLastBlocks` > 0 leaves out that many top blocks and the final norm (SAR). */
export function encoderNormParameters(model: MaeModel, skipLastBlocks = 0): Map<string, tf.Variable> {
  const depth = model.config.depth;
  if (!Number.isInteger(skipLastBlocks) || skipLastBlocks < 0 || skipLastBlocks >= depth) {
    throw new Error(`skipLastBlocks must be an integer in 0…${depth - 1} for an encoder of ${depth} blocks, got ${skipLastBlocks}`);
  }
  const isNorm = parameterGroup('layernorm', depth);
  // `lastBlocks:k` is the top k blocks plus the final norm: exactly what SAR leaves alone.
  const isSkipped = skipLastBlocks > 0 ? parameterGroup(`lastBlocks:${skipLastBlocks}`, depth) : () => false;
  return selectParameters(model, (name) => name.startsWith('encoder.') && isNorm(name) && !isSkipped(name));
}

/** Every parameter the classifier uses: encoder and head (MEMO, CoTTA adapt the whole network). The decoder plays no part in classification. */
export function classifierParameters(model: MaeModel): Map<string, tf.Variable> {
  if (!model.params.head) throw new Error('adaptation classifies: the model needs a classifier head (attachHead or a checkpoint with one)');
  return selectParameters(model, (name) => name.startsWith('encoder.') || name.startsWith('head.'));
}

/**
 * SUTA's choice for wav2vec 2.0, LayerNorm plus the feature extractor, on our model: the
 * encoder's LayerNorms and the patch embedding (the layer that turns the input into tokens,
 * as wav2vec's convolutional feature extractor does).
 */
export function normAndEmbeddingParameters(model: MaeModel): Map<string, tf.Variable> {
  const isNorm = parameterGroup('layernorm', model.config.depth);
  return selectParameters(model, (name) => name.startsWith('encoder.patchEmbed.') || (name.startsWith('encoder.') && isNorm(name)));
}
