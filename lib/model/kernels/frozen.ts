/**
 * Frozen weight matrices for training that changes only some parameters (BitFit changes
 * biases only). A frozen weight's transpose is computed once and reused by every backward
 * pass, and the dense layer then skips the weight gradient altogether.
 */
import * as tf from '@tensorflow/tfjs';

/** Options that change how a forward pass is computed, never what it computes. */
export interface ForwardContext {
  /** Weights whose gradients are not wanted; their cached transposes speed up the backward pass. */
  frozen?: FrozenWeights;
}

/**
 * Cached transposes of weight matrices that a training run will not change, keyed by the
 * weight tensor. The cache is a snapshot: if a cached weight is later assigned new values,
 * dispose the cache and build a new one. Dispose it when the run ends.
 */
export class FrozenWeights {
  private readonly transposed = new Map<number, tf.Tensor2D>();

  /** Caches the transpose of every rank-2 tensor in `weights` (other ranks are ignored). */
  constructor(weights: Iterable<tf.Tensor>) {
    for (const weight of weights) {
      if (weight.rank !== 2 || this.transposed.has(weight.id)) continue;
      // Kept: the transposes outlive any tidy scope the cache is created in.
      this.transposed.set(weight.id, tf.keep(tf.tidy(() => tf.transpose(weight as tf.Tensor2D))));
    }
  }

  /** The cached transpose of `weight`, or `undefined` when it is not frozen. */
  transposeOf(weight: tf.Tensor): tf.Tensor2D | undefined {
    return this.transposed.get(weight.id);
  }

  /** How many weights are frozen. */
  get size(): number {
    return this.transposed.size;
  }

  /** Frees the cached transposes. Safe to call twice. */
  dispose(): void {
    for (const t of this.transposed.values()) t.dispose();
    this.transposed.clear();
  }
}
