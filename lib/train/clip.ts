/**
 * Gradient clipping by global norm: if the norm of all gradients together exceeds a limit,
 * every gradient is scaled by the same factor, so the update keeps its direction.
 */
import * as tf from '@tensorflow/tfjs';

/** The clipped gradients (new tensors) and the global norm before clipping (a scalar tensor). */
export interface ClippedGradients {
  grads: Map<string, tf.Tensor>;
  norm: tf.Scalar;
}

/**
 * `g · min(1, maxNorm / (‖g‖ + 1e-6))` for every gradient, with `‖g‖` the L2 norm over all
 * of them. Stays on the device (no read back), so the caller decides when to look at the norm.
 */
export function clipByGlobalNorm(grads: ReadonlyMap<string, tf.Tensor>, maxNorm: number): ClippedGradients {
  if (!(maxNorm > 0)) throw new Error(`maxNorm must be positive, got ${maxNorm}`);
  const names = [...grads.keys()];
  // tf.tidy keeps tensors returned in arrays and plain objects, not in Maps.
  const [norm, ...clipped] = tf.tidy(() => {
    const squares = [...grads.values()].map((g) => tf.sum(tf.square(g)));
    const total = tf.sqrt(squares.length === 1 ? squares[0] : tf.addN(squares)) as tf.Scalar;
    const factor = tf.minimum(1, tf.div(maxNorm, tf.add(total, 1e-6)));
    return [total, ...[...grads.values()].map((g) => tf.mul(g, factor))];
  });
  return { grads: new Map(names.map((name, i) => [name, clipped[i]])), norm: norm as tf.Scalar };
}
