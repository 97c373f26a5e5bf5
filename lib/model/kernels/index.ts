/**
 * The model's fast kernels: ops with hand-written gradients and backend-specific layouts that
 * compute what their textbook forms compute, with fewer and faster kernels on wasm and on GPUs.
 * Each fast op sits beside its textbook form (`textbook*`: plain TF.js ops and autodiff), and
 * the tests hold every pair to the same values and gradients. The model files above this
 * folder say what MAE computes; this folder says how it runs fast. Which layout a backend gets
 * is decided here (`backend-traits.ts`), never by a caller.
 * @packageDocumentation
 */
export { attentionBatched, attentionPerHead, multiHeadAttention, textbookMultiHeadAttention } from './attention.js';
export { cachesConstants, deviceConstant } from './backend-traits.js';
export { broadcastTokens, textbookBroadcastTokens } from './broadcast.js';
export { dense, matMul2d, textbookDense, textbookMatMul2d } from './dense.js';
export type { AffineParams } from './dense.js';
export { FrozenWeights } from './frozen.js';
export type { ForwardContext } from './frozen.js';
export { gelu, textbookGelu } from './gelu.js';
export { layerNorm, textbookLayerNorm } from './layer-norm.js';
export { maskedMse, textbookMaskedMse } from './mae-loss.js';
export { meanOverTokens, textbookMeanOverTokens } from './mean-tokens.js';
export { permuteRows, rowPermutation, textbookPermuteRows } from './permute-rows.js';
export type { RowPermutation } from './permute-rows.js';
export { batchRowIndices, takeRows } from './rows.js';
