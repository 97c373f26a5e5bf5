/**
 * The masked-autoencoder half: decoder (MAE `forward_decoder`), reconstruction loss
 * (`forward_loss`), and the whole pass from fbanks to loss.
 */
import * as tf from '@tensorflow/tfjs';
import { deviceConstant } from './backend-traits.js';
import { broadcastTokens } from './broadcast.js';
import { customOp } from './custom-op.js';
import type { ModelConfig } from './config.js';
import { patchGrid } from './config.js';
import { permuteRows, rowPermutation } from './gather.js';
import type { Initializer } from './init.js';
import { dense, layerNorm, type ForwardContext } from './layers.js';
import type { MaskPlan } from './masking.js';
import type { MaeModel } from './model.js';
import { patchify } from './patch.js';
import type { DecoderParams, MaeParams } from './params.js';
import { batchRowIndices, forwardEncoder, initBlock, transformerBlock } from './vit.js';

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
  const x = dense(latent, params.embed, context); // [B, (1)+Nk, Dd]
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

/** Options of {@link forwardLoss}. */
export interface LossOptions {
  /** Normalise each target patch to zero mean, unit variance (MAE `norm_pix_loss`). */
  normPixLoss?: boolean;
  /** Return one loss per sample (`[B]`) instead of the batch mean; summing them gives each sample its own gradient. */
  perSample?: boolean;
}

/**
 * MAE `forward_loss`: mean squared error over the hidden patches only.
 * `target, pred: [B, N, p²]`, `mask: [B, N]` (1 = hidden) → scalar, or `[B]` with `perSample`.
 * With no hidden patch the loss is 0. Only `pred` gets a gradient.
 *
 * The loss is one op with its gradient in closed form, `∂L/∂pred = 2 (pred − goal) · w`
 * with `w = mask / (p² · hidden count)`: autodiff of `mean` and `sum` would build a tensor
 * of ones of the input's shape on the CPU and upload it every step.
 */
export function forwardLoss(target: tf.Tensor3D, pred: tf.Tensor3D, mask: tf.Tensor2D, options: LossOptions = {}): tf.Tensor {
  let goal: tf.Tensor = target;
  if (options.normPixLoss) {
    const { mean, variance } = tf.moments(target, -1, true);
    goal = tf.div(tf.sub(target, mean), tf.sqrt(tf.add(variance, deviceConstant(1e-6))));
  }
  const [batch, numPatches, patchDim] = pred.shape;
  const perSample = options.perSample ?? false;
  const op = customOp<[tf.Tensor3D], tf.Tensor>((input, save) => {
    const hidden = perSample ? tf.sum(mask, 1, true) : tf.sum(mask); // [B, 1] or scalar
    const weights = tf.div(mask, tf.mul(tf.maximum(hidden, deviceConstant(1)), deviceConstant(patchDim))); // [B, N]
    const diff = tf.sub(input, goal);
    const perPatch = tf.sum(tf.square(diff), -1); // [B, N]
    save([diff, weights]);
    return {
      value: perSample ? tf.sum(tf.mul(perPatch, weights), 1) : tf.sum(tf.mul(perPatch, weights)),
      gradFunc: (dy, [sDiff, sWeights]) => {
        const scaled = tf.mul(perSample ? tf.reshape(dy, [batch, 1]) : dy, deviceConstant(2)); // [B, 1] or scalar
        return tf.mul(sDiff, tf.reshape(tf.mul(sWeights, scaled), [batch, numPatches, 1]));
      },
    };
  });
  return op(pred);
}

/** What one MAE pass produces. */
export interface MaeOutput {
  /** Reconstruction loss: scalar, or `[B]` with `perSample`. */
  loss: tf.Tensor;
  /** Predicted patch values `[B, N, p²]` (all tokens; only hidden ones are trained). */
  pred: tf.Tensor3D;
  /** `[B, N]` 1 where hidden. */
  mask: tf.Tensor2D;
}

/** Options of {@link forwardMae}. */
export interface MaeForwardOptions {
  /** Parameters to use instead of the model's own (e.g. with per-sample overrides). */
  params?: MaeParams<tf.Tensor>;
  /** See {@link ForwardContext}. */
  context?: ForwardContext;
  /** One loss per sample. */
  perSample?: boolean;
}

/**
 * The whole MAE pass: patchify, encode visible tokens, decode, loss.
 * `fbanks: [B, frames, mels]` (normalised, shaped as the config says).
 */
export function forwardMae(model: MaeModel, fbanks: tf.Tensor3D, plan: MaskPlan, options: MaeForwardOptions = {}): MaeOutput {
  const { config } = model;
  const params = options.params ?? model.params;
  const context = options.context ?? {};
  const [batch, frames, mels] = fbanks.shape;
  if (frames !== config.inputFrames || mels !== config.melBins) {
    throw new Error(`forwardMae: fbanks [${fbanks.shape}] do not match the model input [B, ${config.inputFrames}, ${config.melBins}]`);
  }
  if (plan.batch !== batch || plan.numPatches !== patchGrid(config).numPatches) {
    throw new Error(`forwardMae: mask plan for ${plan.batch} × ${plan.numPatches} tokens does not fit a batch of ${batch}`);
  }
  const patches = patchify(fbanks, config.patchSize); // [B, N, p²]
  const latent = forwardEncoder(params.encoder, config, model.posEmbed.encoder, patches, plan, context); // [B, (1)+Nk, D]
  const pred = forwardDecoder(params.decoder, config, model.posEmbed.decoder, latent, plan, context); // [B, N, p²]
  const mask = tf.tensor2d(plan.mask, [batch, plan.numPatches]);
  const loss = forwardLoss(patches, pred, mask, { normPixLoss: config.normPixLoss, perSample: options.perSample });
  return { loss, pred, mask };
}
