/**
 * Classifier heads on pooled encoder tokens: a linear probe or a small GELU MLP, on the mean
 * of the patch tokens or on the class token.
 */
import * as tf from '@tensorflow/tfjs';
import { resolveHeadConfig, type HeadConfig, type Pooling } from './config.js';
import { forwardEncoder } from './encoder.js';
import { createInitializer } from './init.js';
import { dense, gelu, meanOverTokens, type ForwardContext } from './kernels/index.js';
import type { MaeModel } from './model.js';
import { patchify } from './patch.js';
import { disposeParameters, type EncoderParams, type HeadParams } from './parameters.js';

/** Options of {@link encodeFeatures} and {@link forwardClassifier}. */
export interface ClassifierForwardOptions {
  /** Encoder parameters to use instead of the model's own. */
  encoder?: EncoderParams<tf.Tensor>;
  /** Head parameters to use instead of the model's own. */
  head?: HeadParams<tf.Tensor>;
  /** See {@link ForwardContext}. */
  context?: ForwardContext;
  /** Pooling when the model has no head yet; default `mean`. */
  pool?: Pooling;
}

/** Class logits of whole fbanks through encoder, pooling and head. `[B, frames, mels] -> [B, classes]`. */
export function forwardClassifier(model: MaeModel, fbanks: tf.Tensor3D, options: ClassifierForwardOptions = {}): tf.Tensor2D {
  const head = options.head ?? model.params.head;
  if (!head) throw new Error('forwardClassifier: the model has no head; call attachHead first');
  return forwardHead(head, encodeFeatures(model, fbanks, options), options.context);
}

/** Pooled encoder features of whole (unmasked) fbanks. `[B, frames, mels] -> [B, D]`. */
export function encodeFeatures(model: MaeModel, fbanks: tf.Tensor3D, options: ClassifierForwardOptions = {}): tf.Tensor2D {
  const { config } = model;
  const [, frames, mels] = fbanks.shape;
  if (frames !== config.inputFrames || mels !== config.melBins) {
    throw new Error(`encodeFeatures: fbanks [${fbanks.shape}] do not match the model input [B, ${config.inputFrames}, ${config.melBins}]`);
  }
  const patches = patchify(fbanks, config.patchSize); // [B, N, p²]
  const tokens = forwardEncoder(options.encoder ?? model.params.encoder, config, model.posEmbed.encoder, patches, undefined, options.context); // [B, (1)+N, D]
  return poolTokens(tokens, options.pool ?? model.headConfig?.pool ?? 'mean', config.clsToken);
}

/** Pools encoder output to one vector per sample. `[B, (1)+N, D] -> [B, D]`. */
export function poolTokens(tokens: tf.Tensor3D, pool: Pooling, hasClsToken: boolean): tf.Tensor2D {
  const [batch, length, width] = tokens.shape;
  if (pool === 'cls') {
    if (!hasClsToken) throw new Error("poolTokens: 'cls' pooling needs a class token");
    return tf.reshape(tf.slice(tokens, [0, 0, 0], [batch, 1, width]), [batch, width]);
  }
  const patchTokens = hasClsToken ? tf.slice(tokens, [0, 1, 0], [batch, length - 1, width]) : tokens;
  return meanOverTokens(patchTokens as tf.Tensor3D);
}

/** The head alone. `[B, D] -> [B, classes]` logits. */
export function forwardHead(params: HeadParams<tf.Tensor>, pooled: tf.Tensor2D, context: ForwardContext = {}): tf.Tensor2D {
  const hidden = params.hidden ? gelu(dense(pooled, params.hidden, context)) : pooled;
  return dense(hidden, params.fc, context);
}

/**
 * Gives the model a new head (replacing and disposing any previous one) and returns its
 * variables. Weights start at N(0, 0.01²) for the output layer (small logits at first, as
 * MAE's linear probe), Xavier for the hidden layer; biases at zero.
 */
export function attachHead(model: MaeModel, spec: Partial<HeadConfig> & { numClasses: number }, seed = 0): HeadParams {
  const config = resolveHeadConfig(spec);
  if (config.pool === 'cls' && !model.config.clsToken) throw new Error("head pool 'cls' needs a model config with clsToken: true");
  const init = createInitializer(seed, 'head');
  const width = model.config.embedDim;
  const inDim = config.kind === 'mlp' ? config.hiddenDim : width;
  const fc = { weight: init.normal('fc.weight', [inDim, config.numClasses], 0.01), bias: init.constant([config.numClasses], 0) };
  const params: HeadParams = config.kind === 'mlp' ? { hidden: init.dense('hidden', width, config.hiddenDim), fc } : { fc };
  if (model.params.head) disposeParameters(model.params.head);
  model.params.head = params;
  model.headConfig = config;
  return params;
}
