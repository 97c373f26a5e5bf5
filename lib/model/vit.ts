/**
 * The ViT encoder: patch embedding plus fixed position embedding, pre-norm transformer
 * blocks, final LayerNorm. For MAE it encodes the visible tokens only; for classification,
 * all tokens.
 */
import * as tf from '@tensorflow/tfjs';
import { takeRows } from './blocks.js';
import { broadcastTokens } from './broadcast.js';
import type { ModelConfig } from './config.js';
import { patchGrid } from './config.js';
import { selfAttention } from './attention.js';
import type { Initializer } from './init.js';
import { dense, gelu, layerNorm, type ForwardContext } from './layers.js';
import type { MaskPlan } from './masking.js';
import type { BlockParams, EncoderParams, MlpParams } from './params.js';

/** Variables of one transformer block of width `width`. */
export function initBlock(init: Initializer, name: string, width: number, mlpRatio: number): BlockParams {
  const hidden = Math.round(width * mlpRatio);
  return {
    norm1: init.layerNorm(width),
    attn: { qkv: init.dense(`${name}.attn.qkv`, width, 3 * width), proj: init.dense(`${name}.attn.proj`, width, width) },
    norm2: init.layerNorm(width),
    mlp: { fc1: init.dense(`${name}.mlp.fc1`, width, hidden), fc2: init.dense(`${name}.mlp.fc2`, hidden, width) },
  };
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

/** GELU MLP. `[B, T, D] -> [B, T, D]`. */
export function mlp(x: tf.Tensor3D, params: MlpParams<tf.Tensor>, context: ForwardContext = {}): tf.Tensor3D {
  return dense(gelu(dense(x, params.fc1, context)), params.fc2, context);
}

/** Pre-norm transformer block: `x + attn(LN(x))`, then `+ mlp(LN(·))`. `[B, T, D] -> [B, T, D]`. */
export function transformerBlock(
  x: tf.Tensor3D,
  params: BlockParams<tf.Tensor>,
  numHeads: number,
  eps: number,
  context: ForwardContext = {},
): tf.Tensor3D {
  const attended: tf.Tensor3D = tf.add(x, selfAttention(layerNorm(x, params.norm1, eps), params.attn, numHeads, context));
  return tf.add(attended, mlp(layerNorm(attended, params.norm2, eps), params.mlp, context));
}

/** Global row indices `b·N + ids[b, j]` of a flattened `[B, ·]` index array. */
export function batchRowIndices(ids: Int32Array, batch: number, perSample: number, rowsPerSample: number): Int32Array {
  const out = new Int32Array(ids.length);
  for (let b = 0; b < batch; b++) {
    for (let j = 0; j < perSample; j++) out[b * perSample + j] = b * rowsPerSample + ids[b * perSample + j];
  }
  return out;
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

/** Runs the blocks and the final norm. `[B, T, D] -> [B, T, D]`. */
function encodeTokens(x: tf.Tensor3D, params: EncoderParams<tf.Tensor>, config: ModelConfig, context: ForwardContext): tf.Tensor3D {
  let h = x;
  for (const block of params.blocks) h = transformerBlock(h, block, config.numHeads, config.layerNormEps, context);
  return layerNorm(h, params.norm, config.layerNormEps);
}

/** Prepends the class token (plus its position row) to every sample. `[B, T, D] -> [B, 1+T, D]`. */
function prependClassToken(x: tf.Tensor3D, clsToken: tf.Tensor, posEmbed: tf.Tensor2D): tf.Tensor3D {
  const [batch, , width] = x.shape;
  const token = tf.add(clsToken, tf.reshape(tf.slice(posEmbed, [0, 0], [1, width]), [1, 1, width])); // [1, 1, D]
  return tf.concat([broadcastTokens<tf.Rank.R3>(token, [batch, 1, width]), x], 1);
}

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
  let x = embedPatches(params, posEmbed, patches, plan, clsRows, context); // [B, Nk, D]
  if (config.clsToken) x = prependClassToken(x, params.clsToken as tf.Tensor, posEmbed); // [B, 1+Nk, D]
  return encodeTokens(x, params, config, context);
}
