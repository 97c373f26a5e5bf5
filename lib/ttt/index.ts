/**
 * Test-time training (TTT-MAE, Gandelsman et al. 2022; for speech, Dumpala et al. 2023):
 * before classifying a test clip, take a few gradient steps on the masked-autoencoder loss
 * of that clip alone, then classify with the adapted encoder.
 *
 * - {@link PerSampleTtt} / {@link tttClip}: each clip from the source weights, K steps,
 *   classified after every step, source weights restored bit for bit.
 * - {@link BatchedBitFit}: B clips at once, each with its own bias copies `[B, 1, d]`, all
 *   matrices frozen; the same results as per-sample BitFit.
 * - {@link OnlineTtt}: a stream adapting one set of weights, with a sliding window and a
 *   reset policy.
 * - {@link evaluate}: several methods over a test set, rows streamed to a resumable CSV,
 *   accuracy per step ({@link summarizeAccuracy}).
 * @packageDocumentation
 */
export { DEFAULT_LEARNING_RATES, DEFAULT_TTT_CONFIG, TTT_OPTIMIZERS, defaultLearningRate, resolveTttConfig, validateTttConfig } from './config.js';
export type { TttConfig, TttConfigInput, TttOptimizerName } from './config.js';
export { describeGroup, encoderGroup, groupLabel, isVectorGroup } from './groups.js';
export type { GroupDescription, TttGroup } from './groups.js';
export type { ClipTrace, StepRecord, StepStatus, StreamMethod, StreamMethodFactory, TttClip, TttHooks } from './types.js';
export { SgdMomentum, createOptimizer } from './optimizers.js';
export type { DecayRule, TttOptimizer } from './optimizers.js';
export { AdaptedParameters } from './state.js';
export { maskSeed, stackMasks, stepMask } from './masks.js';
export { classification, classify, createPassContext, lossAndGradients, lossAndGradientsAsync, maeLosses } from './passes.js';
export type { Classification, LossAndGradients, LossReduction, PassContext } from './passes.js';
export { adaptClips, adaptClipsAsync, isDiverged } from './adapt.js';
export type { AdaptRun } from './adapt.js';
export { PerSampleTtt, tttClip, tttPerSample } from './per-sample.js';
export type { PerSampleOptions } from './per-sample.js';
export { BatchedBitFit, tttBatchedBitFit } from './batched-bitfit.js';
export type { BatchedBitFitOptions } from './batched-bitfit.js';
export { OnlineTtt, tttOnline } from './online.js';
export type { OnlineOptions, ResetPolicy } from './online.js';
export { RESULT_COLUMNS, formatRows, formatSummary, parseRows, resultsHeader, rowsFromTrace, summarizeAccuracy } from './results.js';
export type { AccuracySummary, RowContext, TttRow } from './results.js';
export { ResultsFile, clipKey, readResults } from './results-file.js';
export { conditionName, loadTestClips, parseNoiseCondition, prepareTestClips } from './clips.js';
export type { ManifestClipSpec, NoiseCondition, PrepareClipsOptions } from './clips.js';
export { evaluate } from './evaluate.js';
export type { EvaluateOptions, EvaluateResult, MethodSpec } from './evaluate.js';
export { memoryFootprint } from './memory.js';
export type { MemoryFootprint } from './memory.js';
