/**
 * Settings of a TTT run: optimizer, learning rate, steps, masking, and when a clip counts as
 * diverged. Plain values with defaults that run.
 *
 * Where the defaults come from:
 * - SGD with momentum 0.9, 20 steps, mask ratio 0.75 with random patch masking: TTT-MAE
 *   (Gandelsman et al., 2022), which adapts a ViT-MAE encoder per test image with SGD and
 *   reports that it works better there than AdamW; "Test-Time Training for Speech"
 *   (Dumpala et al., 2023, arXiv 2309.10930) applies that recipe to AudioMAE and studies its
 *   sensitivity to steps and to which parameters change, which is why steps and parameter
 *   group are first-class here.
 * - Learning rate: TTT-MAE used 5e-3 with SGD; that is the default for groups with
 *   matrices. Groups of vectors only (BitFit) and AdamW get their own defaults, see
 *   {@link DEFAULT_LEARNING_RATES} for the values and how they were chosen.
 * - No weight decay: a few steps from trained weights leave nothing for decay to regularise.
 */
import { DEFAULT_MASK_RATIO, MASK_STRATEGIES, maskRatioProblem, type MaskStrategy } from '../model/index.js';

/** The optimizers TTT can use. */
export type TttOptimizerName = 'sgd' | 'adamw';

/** Every {@link TttOptimizerName}, for validation and option lists. */
export const TTT_OPTIMIZERS: readonly TttOptimizerName[] = ['sgd', 'adamw'];

/**
 * Learning rates used when a config names none, per optimizer and per kind of group: groups
 * with matrices (`all`, `lastBlocks:k`) and groups of vectors only (`bias`, `layernorm`),
 * whose few parameters need far larger steps to move the loss (as BitFit's own recipes use
 * larger rates than full fine-tuning).
 *
 * Chosen on the shipped `tiny` checkpoint (speaking-style probe, held-out sentences, 20
 * steps, clean and white noise at 0 dB, 48 test clips):
 * - SGD, matrices: 5e-3, TTT-MAE's own rate. It lowers a clip's MAE loss (fixed mask) by
 *   ~2–4 % over 20 steps; 2e-2 and 5e-2 lower it by ~7 % and ~11 % and gave no better
 *   accuracy; nothing diverged up to 0.1.
 * - SGD, vectors: 0.2 lowers the loss by ~3 % and left clean accuracy unchanged; 1.0 lowered
 *   the loss by ~10 % and cost clean accuracy.
 * - AdamW moves every parameter by about the learning rate per step whatever its gradient:
 *   1e-4 already lowered the loss of `all` by ~24 % (1e-3: ~44 %), so a third of that, 3e-5;
 *   1e-3 lowers BitFit's by ~5 % (1e-2: ~27 %). AdamW's accuracy was not swept.
 */
export const DEFAULT_LEARNING_RATES: Readonly<Record<TttOptimizerName, Readonly<{ matrices: number; vectors: number }>>> = Object.freeze({
  sgd: Object.freeze({ matrices: 5e-3, vectors: 0.2 }),
  adamw: Object.freeze({ matrices: 3e-5, vectors: 1e-3 }),
});

/** The default learning rate of an optimizer for a group with matrices, or of vectors only. */
export function defaultLearningRate(optimizer: TttOptimizerName, vectorsOnly: boolean): number {
  const rates = DEFAULT_LEARNING_RATES[optimizer];
  if (!rates) throw new Error(`TTT optimizer must be one of ${TTT_OPTIMIZERS.join(', ')}, got '${String(optimizer)}'`);
  return vectorsOnly ? rates.vectors : rates.matrices;
}

/** How TTT adapts one clip (or one batch of clips). */
export interface TttConfig {
  /** Default `sgd` (TTT-MAE). */
  optimizer: TttOptimizerName;
  /** Step size; default from {@link DEFAULT_LEARNING_RATES} for the optimizer and the kind of group. */
  learningRate: number;
  /** SGD momentum (PyTorch convention, no dampening); default 0.9 (TTT-MAE). */
  momentum: number;
  /** AdamW β1, β2; default (0.9, 0.999). */
  betas: [number, number];
  /** AdamW ε; default 1e-8. */
  epsilon: number;
  /** Weight decay on trained matrices (never on biases or LayerNorm); default 0. SGD adds it to the gradient, AdamW decouples it. */
  weightDecay: number;
  /** Gradient steps per clip (K); rows are written for steps 0 … K. Default 20 (TTT-MAE). */
  steps: number;
  /** How each step masks the clip; default random patches, ratio 0.75 (MAE, TTT-MAE). */
  mask: { strategy: MaskStrategy; ratio: number };
  /**
   * A clip diverges when its loss is not finite or exceeds this multiple of its step-0 loss;
   * default 10. Its weights then go back to the source weights (see the divergence note in
   * `per-sample.ts`).
   */
  maxLossRatio: number;
  /** Seeds every mask (with the clip id and the step); default 0. */
  seed: number;
}

/** A config as a caller may give it: any subset, masks partly. */
export type TttConfigInput = Partial<Omit<TttConfig, 'mask'>> & { mask?: Partial<TttConfig['mask']> };

/** The defaults (the learning rate shown is SGD's for groups with matrices). */
export const DEFAULT_TTT_CONFIG: Readonly<TttConfig> = Object.freeze({
  optimizer: 'sgd',
  learningRate: DEFAULT_LEARNING_RATES.sgd.matrices,
  momentum: 0.9,
  betas: [0.9, 0.999] as [number, number],
  epsilon: 1e-8,
  weightDecay: 0,
  steps: 20,
  mask: { strategy: 'random' as MaskStrategy, ratio: DEFAULT_MASK_RATIO },
  maxLossRatio: 10,
  seed: 0,
});

/**
 * A full config from a partial one; the learning rate defaults to the chosen optimizer's for
 * the kind of group (`vectorsOnly`: every trained parameter is a vector, as in BitFit).
 * Throws on any value that cannot run, naming it.
 */
export function resolveTttConfig(input: TttConfigInput = {}, group: { vectorsOnly?: boolean } = {}): TttConfig {
  const optimizer = input.optimizer ?? DEFAULT_TTT_CONFIG.optimizer;
  const config: TttConfig = {
    ...DEFAULT_TTT_CONFIG,
    ...stripUndefined(input),
    optimizer,
    learningRate: input.learningRate ?? defaultLearningRate(optimizer, group.vectorsOnly ?? false),
    betas: input.betas ?? [...DEFAULT_TTT_CONFIG.betas],
    mask: { ...DEFAULT_TTT_CONFIG.mask, ...stripUndefined(input.mask ?? {}) },
  };
  validateTttConfig(config);
  return config;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Throws with the offending key when a config cannot run. */
export function validateTttConfig(config: TttConfig): void {
  if (!TTT_OPTIMIZERS.includes(config.optimizer)) {
    throw new Error(`TTT optimizer must be one of ${TTT_OPTIMIZERS.join(', ')}, got '${String(config.optimizer)}'`);
  }
  const nonNegative: (keyof TttConfig)[] = ['learningRate', 'weightDecay', 'epsilon'];
  for (const key of nonNegative) {
    const value = config[key];
    if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) throw new Error(`TTT config ${key} must be a finite number ≥ 0, got ${String(value)}`);
  }
  if (!(config.momentum >= 0 && config.momentum < 1)) throw new Error(`TTT config momentum must be in [0, 1), got ${config.momentum}`);
  const [beta1, beta2] = config.betas;
  if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1)) throw new Error(`TTT config betas must be in [0, 1), got [${config.betas}]`);
  if (!Number.isInteger(config.steps) || config.steps < 0) throw new Error(`TTT config steps must be an integer ≥ 0, got ${config.steps}`);
  if (!MASK_STRATEGIES.includes(config.mask.strategy)) {
    throw new Error(`TTT config mask.strategy must be one of ${MASK_STRATEGIES.join(', ')}, got '${String(config.mask.strategy)}'`);
  }
  const ratioProblem = maskRatioProblem(config.mask.ratio);
  if (ratioProblem) throw new Error(`TTT config mask.ratio: ${ratioProblem}`);
  if (!(config.maxLossRatio > 1)) throw new Error(`TTT config maxLossRatio must be > 1, got ${config.maxLossRatio}`);
  if (!Number.isInteger(config.seed) || config.seed < 0) throw new Error(`TTT config seed must be an integer ≥ 0, got ${config.seed}`);
}
