/**
 * The MAE decoder (MAE `forward_decoder`): a mask token in every hidden place, the tokens put
 * back in time-major order, fixed position embedding, transformer blocks, and a linear map to
 * patch values.
 */
import * as tf from '@tensorflow/tfjs';
import { initBlock, transformerBlock } from './block.js';
import { patchGrid, type ModelConfig } from './config.js';
import type { Initializer } from './init.js';
import { batchRowIndices, broadcastTokens, dense, layerNorm, permuteRows, rowPermutation, type ForwardContext } from './kernels/index.js';
import type { MaskPlan } from './masking.js';
import type { DecoderParams } from './parameters.js';

/**
 * MAE `forward_decoder`: predicts every patch's values from the encoded visible tokens.
 * `latent: [B, (1)+Nk, D]` → `[B, N, p²]`.
 */
export function forwardDecoder(
  params: DecoderParams<tf.Tensor>,
  config: ModelConfig,
  posEmbed: tf.Tensor2D,
  latent: tf.Tensor3D,
  plan: MaskPlan,
  context: ForwardContext = {},
): tf.Tensor3D {
  const clsRows = config.clsToken ? 1 : 0;
  const [batch, length] = latent.shape;
  const width = config.decoderEmbedDim;
  const x = dense(latent, params.embed, context); // [B, (1)+Nk, D] -> [B, (1)+Nk, Dd]
  const tokens = clsRows ? (tf.slice(x, [0, clsRows, 0], [batch, length - clsRows, width]) as tf.Tensor3D) : x; // [B, Nk, Dd]
  let h = restoreTokenOrder(tokens, params.maskToken, plan); // [B, N, Dd]
  if (clsRows) h = tf.concat([tf.slice(x, [0, 0, 0], [batch, clsRows, width]), h], 1); // [B, 1+N, Dd]
  h = tf.add(h, posEmbed);
  for (const block of params.blocks) h = transformerBlock(h, block, config.decoderNumHeads, config.layerNormEps, context);
  const pred = dense(layerNorm(h, params.norm, config.layerNormEps), params.pred, context); // [B, (1)+N, p²]
  if (!clsRows) return pred;
  const [, rows, patchDim] = pred.shape;
  return tf.slice(pred, [0, clsRows, 0], [batch, rows - clsRows, patchDim]); // [B, N, p²]
}

/**
 * Appends a mask token for every hidden place and un-shuffles with `idsRestore`, so every
 * token is back in time-major order (the first step of MAE's decoder).
 * `[B, Nk, Dd] -> [B, N, Dd]`.
 */
export function restoreTokenOrder(visible: tf.Tensor3D, maskToken: tf.Tensor, plan: MaskPlan): tf.Tensor3D {
  const [batch, , width] = visible.shape;
  const N = plan.numPatches;
  if (plan.maskCount === 0) return visible;
  const placeholders = broadcastTokens<tf.Rank.R3>(maskToken, [batch, plan.maskCount, width]); // [B, N−Nk, Dd]
  const shuffled = tf.reshape(tf.concat([visible, placeholders], 1), [batch * N, width]) as tf.Tensor2D; // [B·N, Dd], visible first
  // Un-shuffle: token n of sample b sits at shuffled position idsRestore[b, n].
  const perm = rowPermutation(batchRowIndices(plan.idsRestore, batch, N, N));
  return tf.reshape(permuteRows(shuffled, perm), [batch, N, width]) as tf.Tensor3D;
}

/** Variables of the decoder described by `config` (names relative to `decoder`). */
export function initDecoder(init: Initializer, config: ModelConfig): DecoderParams {
  const { patchDim } = patchGrid(config);
  const width = config.decoderEmbedDim;
  return {
    embed: init.dense('embed', config.embedDim, width),
    maskToken: init.normal('maskToken', [1, 1, width], 0.02),
    blocks: Array.from({ length: config.decoderDepth }, (_, i) => initBlock(init, `blocks.${i}`, width, config.mlpRatio)),
    norm: init.layerNorm(width),
    pred: init.dense('pred', width, patchDim),
  };
}
