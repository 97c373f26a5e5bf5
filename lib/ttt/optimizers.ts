/**
 * The optimizers of a TTT run, behind one small interface so the runners do not care which
 * is in use: SGD with momentum (TTT-MAE's choice) and AdamW (the pre-training optimizer,
 * reused from the training code). Both can be reset to a fresh state between clips, and
 * both act elementwise, so per-clip copies stacked in one `[B, 1, d]` variable are updated
 * exactly as B separate optimizers would update them.
 */
import * as tf from '@tensorflow/tfjs';
import { deviceConstant } from '../model/index.js';
import { AdamW } from '../train/index.js';
import type { TttConfig, TttOptimizerName } from './config.js';

/** An optimizer over a fixed set of named variables. */
export interface TttOptimizer {
  readonly name: TttOptimizerName;
  /** State tensors kept per trained parameter (momentum: 1, AdamW: 2, plain SGD: 0). */
  readonly slotsPerParameter: number;
  /** One update from `grads` (by parameter name; a missing gradient counts as zero). */
  apply(grads: ReadonlyMap<string, tf.Tensor>): void;
  /** Back to the state before any update (zero momentum or moments, step 0). */
  reset(): void;
  /** Frees the state. */
  dispose(): void;
}

/** Which trained parameters weight decay applies to: matrices only, as in MAE (never biases, LayerNorm or tokens). */
export type DecayRule = (name: string) => boolean;

function zeroVariable(like: tf.Tensor): tf.Variable {
  const initial = tf.zerosLike(like);
  const variable = tf.variable(initial, false);
  initial.dispose();
  return variable;
}

/**
 * SGD with momentum in PyTorch's convention (`buf ← μ·buf + g`, `p ← p − lr·buf`, weight decay
 * added to `g`); with momentum 0 it keeps no state.
 */
export class SgdMomentum implements TttOptimizer {
  readonly name = 'sgd' as const;
  readonly slotsPerParameter: number;
  private readonly buffers = new Map<string, tf.Variable>();

  /** Zero momentum buffers for every variable in `params` (none when momentum is 0). */
  constructor(
    readonly params: ReadonlyMap<string, tf.Variable>,
    private readonly learningRate: number,
    private readonly momentum: number,
    private readonly weightDecay: number,
    private readonly decays: DecayRule,
  ) {
    this.slotsPerParameter = momentum > 0 ? 1 : 0;
    if (momentum > 0) for (const [name, variable] of params) this.buffers.set(name, zeroVariable(variable));
  }

  apply(grads: ReadonlyMap<string, tf.Tensor>): void {
    tf.tidy(() => {
      // Cached on a GPU: a number would be uploaded once per parameter tensor and step.
      const weightDecay = deviceConstant(this.weightDecay);
      const momentum = deviceConstant(this.momentum);
      const learningRate = deviceConstant(this.learningRate);
      for (const [name, variable] of this.params) {
        let g: tf.Tensor | undefined = grads.get(name);
        if (this.weightDecay > 0 && this.decays(name)) g = g ? tf.add(g, tf.mul(variable, weightDecay)) : tf.mul(variable, weightDecay);
        const buffer = this.buffers.get(name);
        if (buffer) {
          const next = g ? tf.add(tf.mul(buffer, momentum), g) : tf.mul(buffer, momentum);
          buffer.assign(next);
          g = next;
        }
        if (g) variable.assign(tf.sub(variable, tf.mul(g, learningRate)));
      }
    });
  }

  reset(): void {
    tf.tidy(() => {
      for (const buffer of this.buffers.values()) buffer.assign(tf.zerosLike(buffer));
    });
  }

  dispose(): void {
    for (const buffer of this.buffers.values()) buffer.dispose();
    this.buffers.clear();
  }
}

/** AdamW from the training code, made resettable: a reset starts fresh moments at step 0. */
class ResettableAdamW implements TttOptimizer {
  readonly name = 'adamw' as const;
  readonly slotsPerParameter = 2;
  private inner: AdamW;

  constructor(
    private readonly params: ReadonlyMap<string, tf.Variable>,
    private readonly config: TttConfig,
    private readonly decays: DecayRule,
  ) {
    this.inner = this.create();
  }

  private create(): AdamW {
    return new AdamW(this.params, {
      beta1: this.config.betas[0],
      beta2: this.config.betas[1],
      epsilon: this.config.epsilon,
      weightDecay: this.config.weightDecay,
      decays: (name) => this.decays(name),
    });
  }

  apply(grads: ReadonlyMap<string, tf.Tensor>): void {
    this.inner.apply(grads, this.config.learningRate);
  }

  reset(): void {
    // Fresh moments cost two zero tensors per parameter, once per clip: nothing next to 20 steps.
    this.inner.dispose();
    this.inner = this.create();
  }

  dispose(): void {
    this.inner.dispose();
  }
}

/**
 * The optimizer a config names, over `params` (the working copies TTT trains). `decays`
 * decides which of them weight decay touches; by default those whose name ends in `.weight`
 * and whose source parameter is a matrix, given as `matrixNames`.
 */
export function createOptimizer(config: TttConfig, params: ReadonlyMap<string, tf.Variable>, matrixNames: ReadonlySet<string>): TttOptimizer {
  const decays: DecayRule = (name) => matrixNames.has(name) && name.endsWith('.weight');
  if (config.optimizer === 'adamw') return new ResettableAdamW(params, config, decays);
  return new SgdMomentum(params, config.learningRate, config.momentum, config.weightDecay, decays);
}
