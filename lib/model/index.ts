/**
 * The model: a ViT masked autoencoder on log-mel patches (AudioMAE front end) with
 * classifier heads, named parameters and checkpoints. Names follow MAE's `models_mae.py`:
 * `patchify`, `unpatchify`, `randomMasking` (`random_masking`), `forwardEncoder`,
 * `forwardDecoder`, `forwardLoss`. One concept per file, in the order of `models_mae.py`:
 * `config`, `patch`, `masking`, `positions`, `block`, `encoder`, `decoder`, `loss`, `mae`
 * (the whole pass), `model`, `heads`, `parameters` (with `init` and `groups`), `checkpoint`.
 * The hand-written gradients and backend-specific layouts that make it fast live in
 * `kernels/`, each beside its textbook form; which layout a backend gets is decided there.
 * @packageDocumentation
 */
export { BASE_CONFIG, MODEL_PRESETS, TINY_CONFIG, patchGrid, resolveHeadConfig, resolveModelConfig, validateModelConfig } from './config.js';
export type { HeadConfig, HeadKind, ModelConfig, PatchGrid, Pooling } from './config.js';
export { patchify, unpatchify } from './patch.js';
export { DEFAULT_MASK_RATIO, MASK_STRATEGIES, keepShape, maskRatioProblem, noMasking, randomMasking } from './masking.js';
export type { KeepShape, MaskOptions, MaskPlan, MaskStrategy } from './masking.js';
export { sinCosPositionEmbedding } from './positions.js';
export { mlp, selfAttention, transformerBlock } from './block.js';
export { forwardEncoder } from './encoder.js';
export { forwardDecoder, restoreTokenOrder } from './decoder.js';
export { forwardLoss } from './loss.js';
export type { LossOptions } from './loss.js';
export { forwardMae } from './mae.js';
export type { MaeForwardOptions, MaeOutput } from './mae.js';
export { createModel, disposeModel } from './model.js';
export type { MaeModel } from './model.js';
export { attachHead, encodeFeatures, forwardClassifier, forwardHead, poolTokens } from './heads.js';
export type { ClassifierForwardOptions } from './heads.js';
export {
  countParameters,
  disposeParameters,
  flattenParameters,
  forEachParameter,
  mapParameters,
  withOverrides,
} from './parameters.js';
export type {
  AttentionParams,
  BlockParams,
  DecoderParams,
  DenseParams,
  EncoderParams,
  HeadParams,
  LayerNormParams,
  MaeParams,
  MlpParams,
  ParamTree,
} from './parameters.js';
export { namedParameters, parameterGroup, selectParameters } from './groups.js';
export type { ParameterGroupName, ParameterPredicate } from './groups.js';
export {
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  hasCheckpoint,
  loadCheckpoint,
  loadWeights,
  readCheckpointConfig,
  readCheckpointTensors,
  saveCheckpoint,
  saveCheckpointAsync,
} from './checkpoint.js';
export type {
  CheckpointConfig,
  CheckpointExtras,
  CheckpointManifest,
  LoadedCheckpoint,
  LoadWeightsOptions,
  ManifestEntry,
  ModelPart,
} from './checkpoint.js';
// The fast kernels that callers use directly (training and TTT pass a ForwardContext; optimizers cache constants).
export {
  FrozenWeights,
  broadcastTokens,
  cachesConstants,
  dense,
  deviceConstant,
  gelu,
  layerNorm,
  matMul2d,
  multiHeadAttention,
  permuteRows,
  rowPermutation,
} from './kernels/index.js';
export type { ForwardContext, RowPermutation } from './kernels/index.js';
