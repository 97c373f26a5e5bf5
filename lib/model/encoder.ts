/**
 * The ViT encoder (MAE `forward_encoder`): patch embedding plus fixed position embedding,
 * pre-norm transformer blocks, final LayerNorm. For MAE it encodes the visible tokens only;
 * for classification, all tokens.
 */
import * as tf from '@tensorflow/tfjs';
import { initBlock, transformerBlock } from './block.js';
import { patchGrid, type ModelConfig } from './config.js';
import type { Initializer } from './init.js';
import { batchRowIndices, broadcastTokens, dense, layerNorm, takeRows, type ForwardContext } from './kernels/index.js';
import type { MaskPlan } from './masking.js';
import type { EncoderParams } from './parameters.js';

/**
 * MAE `forward_encoder`: embeds and encodes the visible tokens of each sample.
 * `patches: [B, N, p²]` → `[B, (1)+Nk, D]` (the class token first when the config has one).
 * Without a plan every token is visible (classification).
 */
export function forwardEncoder(
  params: EncoderParams<tf.Tensor>,
  config: ModelConfig,
  posEmbed: tf.Tensor2D,
  patches: tf.Tensor3D,
  plan?: MaskPlan,
  context: ForwardContext = {},
): tf.Tensor3D {
  const clsRows = config.clsToken ? 1 : 0;
  if (config.clsToken && !params.clsToken) throw new Error('forwardEncoder: the config has a class token but the parameters do not');
  let x = embedPatches(params, posEmbed, patches, plan, clsRows, context); // [B, N, p²] -> [B, Nk, D]
  if (config.clsToken) x = prependClassToken(x, params.clsToken as tf.Tensor, posEmbed); // [B, 1+Nk, D]
  return encodeTokens(x, params, config, context);
}

/** Patch embedding plus the fixed position embedding of each token; `plan` picks the visible tokens. `[B, N, p²] -> [B, Nk, D]`. */
function embedPatches(
  params: EncoderParams<tf.Tensor>,
  posEmbed: tf.Tensor2D,
  patches: tf.Tensor3D,
  plan: MaskPlan | undefined,
  clsRows: number,
  context: ForwardContext,
): tf.Tensor3D {
  const [batch, numPatches, patchDim] = patches.shape;
  const width = posEmbed.shape[1];
  const tokenPos = clsRows ? tf.slice(posEmbed, [clsRows, 0], [numPatches, width]) : posEmbed; // [N, D]
  if (!plan || plan.keepCount === numPatches) {
    return tf.add(dense(patches, params.patchEmbed, context), tokenPos); // [B, N, D]
  }
  // Selecting visible patches before embedding is the same as embedding all and masking after, at the visible fraction of the cost;
  // the selection acts on data and fixed embeddings only, so it needs no gradient.
  const keep = plan.keepCount;
  const rows = batchRowIndices(plan.idsKeep, batch, keep, numPatches);
  const visible = tf.reshape(takeRows(tf.reshape(patches, [batch * numPatches, patchDim]), rows), [batch, keep, patchDim]); // [B, Nk, p²]
  const pos = tf.reshape(takeRows(tokenPos as tf.Tensor2D, plan.idsKeep), [batch, keep, width]); // [B, Nk, D]
  return tf.add(dense(visible as tf.Tensor3D, params.patchEmbed, context), pos);
}

/** Prepends the class token (plus its position row) to every sample. `[B, T, D] -> [B, 1+T, D]`. */
function prependClassToken(x: tf.Tensor3D, clsToken: tf.Tensor, posEmbed: tf.Tensor2D): tf.Tensor3D {
  const [batch, , width] = x.shape;
  const token = tf.add(clsToken, tf.reshape(tf.slice(posEmbed, [0, 0], [1, width]), [1, 1, width])); // [1, 1, D]
  return tf.concat([broadcastTokens<tf.Rank.R3>(token, [batch, 1, width]), x], 1);
}

/** Runs the blocks and the final norm. `[B, T, D] -> [B, T, D]`. */
function encodeTokens(x: tf.Tensor3D, params: EncoderParams<tf.Tensor>, config: ModelConfig, context: ForwardContext): tf.Tensor3D {
  let h = x;
  for (const block of params.blocks) h = transformerBlock(h, block, config.numHeads, config.layerNormEps, context);
  return layerNorm(h, params.norm, config.layerNormEps);
}

/** Variables of the encoder described by `config` (names relative to `encoder`). */
export function initEncoder(init: Initializer, config: ModelConfig): EncoderParams {
  const { patchDim } = patchGrid(config);
  const params: EncoderParams = {
    patchEmbed: init.dense('patchEmbed', patchDim, config.embedDim),
    blocks: Array.from({ length: config.depth }, (_, i) => initBlock(init, `blocks.${i}`, config.embedDim, config.mlpRatio)),
    norm: init.layerNorm(config.embedDim),
  };
  if (config.clsToken) {
    // Inserted second so parameter order matches the token order (class token, then blocks).
    return { patchEmbed: params.patchEmbed, clsToken: init.normal('clsToken', [1, 1, config.embedDim], 0.02), blocks: params.blocks, norm: params.norm };
  }
  return params;
}
