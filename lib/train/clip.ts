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
 * Inputs per `addN`: WebGPU's default limit is 8 storage buffers per shader stage, one of
 * which holds the output (a software adapter enforces it; an `addN` of every gradient then fails).
 */
const ADD_N_INPUTS = 7;

/** `Σ_i sum(t_i²)` over all `tensors`, as a scalar tensor; summed in groups that fit any GPU. */
export function sumOfSquares(tensors: readonly tf.Tensor[]): tf.Scalar {
  if (tensors.length === 0) throw new Error('sumOfSquares: no tensors given');
  return tf.tidy(() => {
    let terms: tf.Tensor[] = tensors.map((t) => tf.sum(tf.square(t)));
    while (terms.length > 1) {
      const next: tf.Tensor[] = [];
      for (let i = 0; i < terms.length; i += ADD_N_INPUTS) {
        const group = terms.slice(i, i + ADD_N_INPUTS);
        next.push(group.length === 1 ? group[0] : tf.addN(group));
      }
      terms = next;
    }
    return terms[0] as tf.Scalar;
  });
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
    const total = tf.sqrt(sumOfSquares([...grads.values()])) as tf.Scalar;
    const factor = tf.minimum(1, tf.div(maxNorm, tf.add(total, 1e-6)));
    return [total, ...[...grads.values()].map((g) => tf.mul(g, factor))];
  });
  return { grads: new Map(names.map((name, i) => [name, clipped[i]])), norm: norm as tf.Scalar };
}
