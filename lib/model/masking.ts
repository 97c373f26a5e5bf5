/**
 * Which patch tokens the encoder sees (MAE `random_masking`, with AudioMAE's structured
 * variants). Masks are drawn on the JavaScript side from a seeded {@link Rng}, not with
 * `tf.random`, so the same seed hides the same patches on every backend.
 */
import type { Rng } from '../util/index.js';
import type { PatchGrid } from './config.js';

/** How tokens are hidden: single patches, whole time columns, whole frequency rows, or both. */
export type MaskStrategy = 'random' | 'time' | 'frequency' | 'time+frequency';

/** Every {@link MaskStrategy}, for validation and option lists. */
export const MASK_STRATEGIES: readonly MaskStrategy[] = ['random', 'time', 'frequency', 'time+frequency'];

/** The mask ratio MAE and AudioMAE pre-train with. */
export const DEFAULT_MASK_RATIO = 0.75;

/** How to mask. */
export interface MaskOptions {
  /** Default `random`. */
  strategy?: MaskStrategy;
  /** Fraction of tokens to hide, in [0, 1); default {@link DEFAULT_MASK_RATIO}. */
  ratio?: number;
}

/**
 * One mask per sample of a batch; every sample keeps the same number of tokens, so visible
 * tokens stack into one `[B, keepCount, D]` tensor. Index arrays are flattened row-major
 * `[B, ·]` with per-sample token indices in `0 … numPatches-1`.
 */
export interface MaskPlan {
  /** Strategy that drew this plan. */
  strategy: MaskStrategy;
  /** Requested ratio. */
  ratio: number;
  /** Samples. */
  batch: number;
  /** Tokens per sample (N). */
  numPatches: number;
  /** Visible tokens per sample (Nk). */
  keepCount: number;
  /** Hidden tokens per sample (N − Nk). */
  maskCount: number;
  /** `[B, Nk]` visible token indices, ascending. */
  idsKeep: Int32Array;
  /** `[B, N−Nk]` hidden token indices, ascending. */
  idsMasked: Int32Array;
  /** `[B, N]` visible then hidden indices: position `j` of the shuffled sequence holds token `idsShuffle[j]`. */
  idsShuffle: Int32Array;
  /** `[B, N]` inverse of `idsShuffle`: token `n` sits at position `idsRestore[n]` of the shuffled sequence. */
  idsRestore: Int32Array;
  /** `[B, N]` 1 where the token is hidden (the loss counts it), 0 where visible. */
  mask: Float32Array;
}

/** Tokens kept by a strategy at a ratio on a grid (the same for every sample). */
export interface KeepShape {
  /** Visible tokens per sample. */
  keepCount: number;
  /** Time columns left visible (all of them for `random` and `frequency`). */
  keptTimeColumns: number;
  /** Frequency rows left visible (all of them for `random` and `time`). */
  keptFreqRows: number;
}

/**
 * What is wrong with a mask ratio for a reconstruction loss (pre-training, TTT), or `undefined`
 * when nothing is: the loss needs some patches hidden and the encoder some visible, so the ratio
 * lies in (0, 1). The one check every config, flag and run uses. (Masking itself also takes 0,
 * nothing hidden, which forward passes without a loss use.)
 */
export function maskRatioProblem(ratio: number): string | undefined {
  return typeof ratio === 'number' && ratio > 0 && ratio < 1 ? undefined : `a mask ratio must be in (0, 1) (some patches hidden, some visible), got ${String(ratio)}`;
}

function checkRatio(ratio: number): void {
  if (!(ratio >= 0 && ratio < 1)) throw new Error(`mask ratio must be in [0, 1), got ${ratio}`);
}

function atLeastOne(n: number): number {
  // An empty encoder input has no meaning; very high ratios on small grids keep one token/column/row.
  return Math.max(1, n);
}

/**
 * How a ratio becomes whole tokens, columns and rows:
 * - `random`: keeps exactly `round(N·(1−r))` tokens (at least one).
 * - `time`: keeps `round(T·(1−r))` whole time columns, hides the rest with all their frequency rows.
 * - `frequency`: keeps `round(F·(1−r))` whole frequency rows.
 * - `time+frequency`: the ratio is split between the axes as AudioMAE's 2-D masking does: a
 *   token is hidden when its column or its row is hidden, so keeping a fraction `√(1−r)` of
 *   columns and of rows keeps `(1−r)` of the tokens: `round(T·√(1−r))` columns ×
 *   `round(F·√(1−r))` rows (r = 0.75 hides half the columns and half the rows).
 */
export function keepShape(grid: PatchGrid, strategy: MaskStrategy, ratio: number): KeepShape {
  checkRatio(ratio);
  const { timePatches: T, freqPatches: F } = grid;
  switch (strategy) {
    case 'random': {
      const keepCount = atLeastOne(Math.round(grid.numPatches * (1 - ratio)));
      return { keepCount, keptTimeColumns: T, keptFreqRows: F };
    }
    case 'time': {
      const keptTimeColumns = atLeastOne(Math.round(T * (1 - ratio)));
      return { keepCount: keptTimeColumns * F, keptTimeColumns, keptFreqRows: F };
    }
    case 'frequency': {
      const keptFreqRows = atLeastOne(Math.round(F * (1 - ratio)));
      return { keepCount: T * keptFreqRows, keptTimeColumns: T, keptFreqRows };
    }
    case 'time+frequency': {
      const axisKeep = Math.sqrt(1 - ratio);
      const keptTimeColumns = atLeastOne(Math.round(T * axisKeep));
      const keptFreqRows = atLeastOne(Math.round(F * axisKeep));
      return { keepCount: keptTimeColumns * keptFreqRows, keptTimeColumns, keptFreqRows };
    }
    default:
      throw new Error(`unknown mask strategy '${String(strategy)}'; use one of: ${MASK_STRATEGIES.join(', ')}`);
  }
}

/** `count` distinct values of `0 … size-1`, drawn uniformly (partial Fisher–Yates). */
function chooseSubset(rng: Rng, size: number, count: number): Set<number> {
  const pool = Array.from({ length: size }, (_, i) => i);
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(rng() * (size - i));
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  return new Set(pool.slice(0, count));
}

/** The visible/hidden flag of every token of one sample (1 = hidden). */
function drawSampleMask(rng: Rng, grid: PatchGrid, strategy: MaskStrategy, shape: KeepShape): Uint8Array {
  const { timePatches: T, freqPatches: F, numPatches: N } = grid;
  const hidden = new Uint8Array(N);
  if (strategy === 'random') {
    const kept = chooseSubset(rng, N, shape.keepCount);
    for (let n = 0; n < N; n++) hidden[n] = kept.has(n) ? 0 : 1;
    return hidden;
  }
  const keptColumns = chooseSubset(rng, T, shape.keptTimeColumns);
  const keptRows = chooseSubset(rng, F, shape.keptFreqRows);
  for (let t = 0; t < T; t++) {
    for (let f = 0; f < F; f++) hidden[t * F + f] = keptColumns.has(t) && keptRows.has(f) ? 0 : 1;
  }
  return hidden;
}

/**
 * Draws a mask for each of `batch` samples (MAE `random_masking`). The visible tokens keep
 * their time-major order: attention does not depend on token order, and an ordered visible
 * sequence is easier to inspect.
 */
export function randomMasking(grid: PatchGrid, batch: number, rng: Rng, options: MaskOptions = {}): MaskPlan {
  const strategy = options.strategy ?? 'random';
  const ratio = options.ratio ?? DEFAULT_MASK_RATIO;
  if (!Number.isInteger(batch) || batch <= 0) throw new Error(`batch must be a positive integer, got ${batch}`);
  const shape = keepShape(grid, strategy, ratio);
  const N = grid.numPatches;
  const keepCount = shape.keepCount;
  const maskCount = N - keepCount;
  const plan: MaskPlan = {
    strategy,
    ratio,
    batch,
    numPatches: N,
    keepCount,
    maskCount,
    idsKeep: new Int32Array(batch * keepCount),
    idsMasked: new Int32Array(batch * maskCount),
    idsShuffle: new Int32Array(batch * N),
    idsRestore: new Int32Array(batch * N),
    mask: new Float32Array(batch * N),
  };
  for (let b = 0; b < batch; b++) {
    const hidden = drawSampleMask(rng, grid, strategy, shape);
    let kept = 0;
    let masked = 0;
    for (let n = 0; n < N; n++) {
      plan.mask[b * N + n] = hidden[n];
      if (hidden[n]) plan.idsMasked[b * maskCount + masked++] = n;
      else plan.idsKeep[b * keepCount + kept++] = n;
    }
    for (let j = 0; j < N; j++) {
      const token = j < keepCount ? plan.idsKeep[b * keepCount + j] : plan.idsMasked[b * maskCount + j - keepCount];
      plan.idsShuffle[b * N + j] = token;
      plan.idsRestore[b * N + token] = j;
    }
  }
  return plan;
}

/** A plan that hides nothing (every token visible), for classification and 0-ratio checks. */
export function noMasking(grid: PatchGrid, batch: number): MaskPlan {
  const N = grid.numPatches;
  const ids = new Int32Array(batch * N);
  for (let b = 0; b < batch; b++) for (let n = 0; n < N; n++) ids[b * N + n] = n;
  return {
    strategy: 'random',
    ratio: 0,
    batch,
    numPatches: N,
    keepCount: N,
    maskCount: 0,
    idsKeep: ids,
    idsMasked: new Int32Array(0),
    idsShuffle: ids.slice(),
    idsRestore: ids.slice(),
    mask: new Float32Array(batch * N),
  };
}
