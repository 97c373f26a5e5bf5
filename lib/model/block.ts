/**
 * The transformer block that MAE's encoder and decoder both stack (timm's `Block`): pre-norm
 * multi-head self-attention and a GELU MLP, each added back to its input.
 */
import * as tf from '@tensorflow/tfjs';
import type { Initializer } from './init.js';
import { dense, gelu, layerNorm, multiHeadAttention, type ForwardContext } from './kernels/index.js';
import type { AttentionParams, BlockParams, MlpParams } from './parameters.js';

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

/**
 * Self-attention layer: fused qkv projection, {@link multiHeadAttention}, output projection.
 * `[B, T, D] -> [B, T, D]`.
 */
export function selfAttention(x: tf.Tensor3D, params: AttentionParams<tf.Tensor>, numHeads: number, context: ForwardContext = {}): tf.Tensor3D {
  const [batch, tokens, width] = x.shape;
  const qkv = tf.reshape(dense(x, params.qkv, context), [batch * tokens, 3 * width]) as tf.Tensor2D; // [B·T, 3D]
  const attended = multiHeadAttention(qkv, batch, tokens, numHeads); // [B·T, D]
  return dense(tf.reshape(attended, [batch, tokens, width]) as tf.Tensor3D, params.proj, context);
}

/** GELU MLP. `[B, T, D] -> [B, T, mlpRatio·D] -> [B, T, D]`. */
export function mlp(x: tf.Tensor3D, params: MlpParams<tf.Tensor>, context: ForwardContext = {}): tf.Tensor3D {
  return dense(gelu(dense(x, params.fc1, context)), params.fc2, context);
}

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
