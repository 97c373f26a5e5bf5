/**
 * The weights TTT changes live in working copies, never in the model's own variables: the
 * forward passes take the copies as overrides of the model's parameter tree. The source
 * weights therefore cannot drift, and "restore" is a reset of the copies, which shares the
 * source's data (an O(1) assign) and so is bit-identical by construction.
 *
 * With `batch` set, each copy holds one row per clip, `[B, 1, d]` for a source vector `[d]`
 * (the model's dense and LayerNorm layers take per-sample affine vectors), so B clips adapt
 * independently in one pass (batched BitFit).
 */
import * as tf from '@tensorflow/tfjs';
import { withOverrides, type MaeModel, type MaeParams } from '../model/index.js';

/** Working copies of a parameter group, shared-shape or one row per clip. */
export class AdaptedParameters {
  /** The copies TTT trains, by parameter name (the optimizer's variables). */
  readonly variables = new Map<string, tf.Variable>();
  /** Names whose source is a matrix (weight decay applies to those only). */
  readonly matrixNames: ReadonlySet<string>;

  /**
   * Copies of `sources` (the model's variables of the group); `batch` rows per copy when
   * given (every source must then be a vector). Starts equal to the sources.
   */
  constructor(readonly sources: ReadonlyMap<string, tf.Variable>, readonly batch: number | null = null) {
    if (batch !== null) {
      if (!Number.isInteger(batch) || batch < 1) throw new Error(`batch must be a positive integer, got ${batch}`);
      for (const [name, source] of sources) {
        if (source.rank !== 1) throw new Error(`per-clip copies need vector parameters; ${name} is [${source.shape}]`);
      }
    }
    this.matrixNames = new Set([...sources].filter(([, v]) => v.rank >= 2).map(([name]) => name));
    for (const [name, source] of sources) {
      const initial = batch === null ? source : tf.tidy(() => this.tiled(source, batch));
      this.variables.set(name, tf.variable(initial, true));
      if (initial !== source) initial.dispose();
    }
  }

  private tiled(source: tf.Tensor, batch: number): tf.Tensor {
    return tf.tile(tf.reshape(source, [1, 1, source.size]), [batch, 1, 1]); // [d] -> [B, 1, d]
  }

  /** Every copy back to its source values, bit for bit. */
  reset(): void {
    tf.tidy(() => {
      for (const [name, variable] of this.variables) {
        const source = this.sources.get(name) as tf.Variable;
        variable.assign(this.batch === null ? source : this.tiled(source, this.batch));
      }
    });
  }

  /** The rows of the given clips (batch positions) back to their source values; other rows keep theirs. */
  resetRows(rows: readonly number[]): void {
    if (rows.length === 0) return;
    const batch = this.batch;
    if (batch === null) {
      this.reset();
      return;
    }
    tf.tidy(() => {
      const flags = new Array<boolean>(batch).fill(false);
      for (const row of rows) flags[row] = true;
      const chosen = tf.tensor3d(flags.map((f) => (f ? 1 : 0)), [batch, 1, 1], 'bool');
      for (const [name, variable] of this.variables) {
        const source = this.sources.get(name) as tf.Variable;
        // where() picks values, it does no arithmetic: restored rows are bit-identical to the source.
        variable.assign(tf.where(tf.broadcastTo(chosen, variable.shape), this.tiled(source, batch), variable));
      }
    });
  }

  /** The model's parameter tree with the copies in place of their sources. */
  parameters(model: MaeModel): MaeParams<tf.Tensor> {
    return withOverrides(model.params, this.variables);
  }

  /** Scalars held by the copies. */
  get size(): number {
    let total = 0;
    for (const variable of this.variables.values()) total += variable.size;
    return total;
  }

  /** Frees the copies (the sources are untouched). */
  dispose(): void {
    for (const variable of this.variables.values()) variable.dispose();
    this.variables.clear();
  }
}
