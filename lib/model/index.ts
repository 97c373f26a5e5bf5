/**
 * The model: a ViT masked autoencoder on log-mel patches (AudioMAE front end) with
 * classifier heads, named parameters and checkpoints. Names follow MAE's `models_mae.py`:
 * `patchify`, `unpatchify`, `randomMasking` (`random_masking`), `forwardEncoder`,
 * `forwardDecoder`, `forwardLoss`.
 * @packageDocumentation
 */
export { BASE_CONFIG, MODEL_PRESETS, TINY_CONFIG, patchGrid, resolveModelConfig, validateModelConfig } from './config.js';
export type { ModelConfig, PatchGrid } from './config.js';
export { patchify, unpatchify } from './patch.js';
export { sinCosPositionEmbedding } from './posembed.js';
export { DEFAULT_MASK_RATIO, MASK_STRATEGIES, keepShape, maskRatioProblem, noMasking, randomMasking } from './masking.js';
export { cachesConstants, deviceConstant } from './backend-traits.js';
export type { KeepShape, MaskOptions, MaskPlan, MaskStrategy } from './masking.js';
export { dense, gelu, layerNorm, matMul2d } from './layers.js';
export type { ForwardContext } from './layers.js';
export { FrozenWeights } from './frozen.js';
export { permuteRows, rowPermutation } from './gather.js';
export type { RowPermutation } from './gather.js';
export { broadcastTokens } from './broadcast.js';
export { multiHeadAttention, selfAttention } from './attention.js';
export { forwardEncoder, mlp, transformerBlock } from './vit.js';
export { forwardDecoder, forwardLoss, forwardMae, restoreTokenOrder } from './mae.js';
export type { LossOptions, MaeForwardOptions, MaeOutput } from './mae.js';
export { createModel, disposeModel } from './model.js';
export type { MaeModel } from './model.js';
export { attachHead, encodeFeatures, forwardClassifier, forwardHead, poolTokens, resolveHeadConfig } from './heads.js';
export type { ClassifierForwardOptions, HeadConfig, HeadKind, Pooling } from './heads.js';
export {
  countParameters,
  disposeParameters,
  flattenParameters,
  forEachParameter,
  mapParameters,
  withOverrides,
} from './params.js';
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
} from './params.js';
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
