/**
 * The few places where the fastest way to compute the same thing differs between the CPU
 * backends (wasm, cpu) and GPU backends (webgpu, webgl, native TensorFlow), decided here so
 * that callers never look at the backend. The numbers computed are the same up to float
 * rounding either way.
 *
 * - On wasm only non-transposed rank-2 products reach XNNPACK; transpose flags and batched
 *   (rank-3) products fall back to a scalar loop, so gradients transpose explicitly and
 *   attention runs one (sample, head) pair at a time. A GPU runs a transposed or batched
 *   product as one kernel, and a loop over samples would make the kernel count per step
 *   grow with the batch.
 * - A JavaScript number given to an op becomes a new scalar tensor on every call: on a GPU
 *   that is one upload per constant per call, so constants are cached there. On the CPU
 *   backends the scalar costs a few microseconds and caching it would only make the tensor
 *   count depend on which constants happened to be used before.
 */
import * as tf from '@tensorflow/tfjs';

/** True on wasm, where the per-(sample, head) rank-2 layout and explicit transposes are fastest. */
export function prefersRank2Products(): boolean {
  return tf.getBackend() === 'wasm';
}

/** True where a JavaScript constant costs a transfer to the device on every use. */
export function cachesConstants(): boolean {
  const name = tf.getBackend();
  return name !== 'wasm' && name !== 'cpu';
}

const constantsByBackend = new WeakMap<object, Map<number, tf.Scalar>>();

/**
 * `value` as an operand: a cached scalar tensor on backends that would upload it on every
 * call, the plain number elsewhere. The cached tensors live as long as the backend.
 */
export function deviceConstant(value: number): tf.Scalar | number {
  if (!cachesConstants()) return value;
  const backend = tf.backend();
  let cache = constantsByBackend.get(backend);
  if (!cache) constantsByBackend.set(backend, (cache = new Map()));
  let scalar = cache.get(value);
  if (!scalar || scalar.isDisposed) {
    scalar = tf.keep(tf.scalar(value));
    cache.set(value, scalar);
  }
  return scalar;
}

/** `a · bᵀ` for rank-2 (or equally batched) operands. */
export function matMulNT<T extends tf.Tensor>(a: T, b: T): T {
  if (prefersRank2Products() && a.rank === 2) return tf.matMul(a as tf.Tensor2D, tf.transpose(b as tf.Tensor2D)) as tf.Tensor as T;
  return tf.matMul(a, b, false, true) as tf.Tensor as T;
}

/** `aᵀ · b` for rank-2 (or equally batched) operands. */
export function matMulTN<T extends tf.Tensor>(a: T, b: T): T {
  if (prefersRank2Products() && a.rank === 2) return tf.matMul(tf.transpose(a as tf.Tensor2D), b as tf.Tensor2D) as tf.Tensor as T;
  return tf.matMul(a, b, true, false) as tf.Tensor as T;
}
