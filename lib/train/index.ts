/**
 * Training: MAE pre-training with resumable checkpoints, classifier-head training with early
 * stopping, and the pieces they share (AdamW, warm-up + cosine schedule, clipping by global
 * norm). Inputs are normalised fbanks and labels; where they come from is not this folder's
 * concern.
 * @packageDocumentation
 */
export { AdamW, decaysMatrices } from './optim.js';
export type { AdamWOptions } from './optim.js';
export { cosineLearningRate } from './schedule.js';
export type { CosineSchedule } from './schedule.js';
export { clipByGlobalNorm, sumOfSquares } from './clip.js';
export type { ClippedGradients } from './clip.js';
export { CropStore, FbankStore, epochBatches } from './data.js';
export type { CroppableFbank, FbankInput } from './data.js';
export { maeTrainStep, maeTrainStepAsync, optimizerStep, optimizerStepAsync } from './step.js';
export type { MaeStepOptions, StepResult } from './step.js';
export { pretrainMae } from './pretrain.js';
export type { PretrainOptions, PretrainResult, PretrainSettings, PretrainState, PretrainStepRecord } from './pretrain.js';
export { stratifiedSplit, trainHead, whiteningTransform } from './head.js';
export type { HeadEpochRecord, HeadTrainingMode, HeadTrainingOptions, HeadTrainingResult } from './head.js';
export { fitRidgeHead, ridgeFit, solveSymmetric } from './ridge.js';
export type { LinearMap, RidgeHeadOptions, RidgeHeadResult } from './ridge.js';
export { PRETRAIN_DEFAULTS, maskSchema, pretrainConfigSchema, pretrainFromConfig, readPretrainConfig, resolvePretrainConfig } from './recipe.js';
export type { PretrainConfig, PretrainRun, PretrainRunOptions } from './recipe.js';
