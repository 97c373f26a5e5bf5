/**
 * Label-free test-time adaptation baselines, in the same harness as TTT: TENT, MEMO, EATA,
 * SAR, CoTTA and SUTA. Each sees the test clips in stream order, a batch at a time, and
 * returns per-clip traces in the TTT results format ({@link TtaBase}); `episodic` resets after
 * every batch, `online` carries the weights over the stream (with an optional reset every n
 * batches). TTT itself fits the same interface ({@link tttStreamMethod}). Each method's
 * module says what it optimises, which parameters, its published defaults and how it was
 * adapted to a LayerNorm ViT on spectrograms.
 * @packageDocumentation
 */
export { DEFAULT_AUGMENT, augmentFbanks, validateAugment } from './augment.js';
export type { SpectrogramAugmentOptions } from './augment.js';
export { TtaBase, scaledLearningRate, validateCommon } from './base.js';
export type { Gradients, StepOutput, TtaCommonSettings, TtaMode } from './base.js';
export { marginalEntropy, minimumClassConfusion, softCrossEntropy, softmaxEntropy } from './losses.js';
export { classifierParameters, encoderNormParameters, normAndEmbeddingParameters } from './parameters.js';
export { Tent, tentDefaults } from './tent.js';
export type { TentSettings } from './tent.js';
export { Memo, memoDefaults } from './memo.js';
export type { MemoSettings } from './memo.js';
export { Eata, eataDefaults, selectSamples } from './eata.js';
export type { EataSelection, EataSettings } from './eata.js';
export { Sar, sarDefaults, sarSkippedBlocks } from './sar.js';
export type { SarSettings } from './sar.js';
export { Cotta, cottaDefaults } from './cotta.js';
export type { CottaSettings } from './cotta.js';
export { Suta, sutaDefaults, sutaLoss, voicedColumns } from './suta.js';
export type { SutaSettings } from './suta.js';
export { DEFAULT_TTA_BATCH, LEARNING_RATE_RULES, TTA_METHODS, createTtaMethod, resolveTtaSettings, ttaDefaults, ttaMethodFactory } from './methods.js';
export type { TtaMethodName, TtaSettings, TtaSettingsByMethod, TtaSettingsInput } from './methods.js';
export { tttStreamMethod } from './ttt-methods.js';
export type { TttStreamOptions } from './ttt-methods.js';
export { runStream } from './stream.js';
