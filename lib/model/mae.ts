/**
 * The whole masked-autoencoder pass (MAE `forward`): patchify, encode the visible tokens,
 * decode every patch, reconstruction loss on the hidden ones.
 */
import * as tf from '@tensorflow/tfjs';
import { patchGrid } from './config.js';
import { forwardDecoder } from './decoder.js';
import { forwardEncoder } from './encoder.js';
import type { ForwardContext } from './kernels/index.js';
import { forwardLoss } from './loss.js';
import type { MaskPlan } from './masking.js';
import type { MaeModel } from './model.js';
import { patchify } from './patch.js';
import type { MaeParams } from './parameters.js';

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
