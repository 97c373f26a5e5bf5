/**
 * Dense layers and rank-2 matrix products with hand-written gradients, beside their textbook
 * forms ({@link textbookDense}, {@link textbookMatMul2d}).
 * - Matrix products go only through rank-2 `matMul`. On wasm their gradients transpose
 *   explicitly (transpose flags fall back to a scalar loop there); on a GPU they use the
 *   flags, one kernel each (see `backend-traits.ts`).
 * - A frozen weight (see {@link FrozenWeights}) is closed over instead of being an input, so
 *   no weight gradient is ever computed, and its cached transpose keeps XNNPACK's packed copy.
 * - A bias may be shared (`[d]`) or per sample (`[B, 1, d]`), so a batch can hold one
 *   independent set of biases per clip (batched BitFit).
 */
import * as tf from '@tensorflow/tfjs';
import { matMulNT, matMulTN } from './backend-traits.js';
import { customOp } from './custom-op.js';
import type { ForwardContext, FrozenWeights } from './frozen.js';

/**
 * A weight and a bias: a dense layer's `weight: [in, out]` and `bias: [out]`, or a LayerNorm's
 * γ and β. Either vector may also be `[B, 1, d]`, one row per sample.
 */
export interface AffineParams {
  /** The matrix of a dense layer, or γ of a LayerNorm. */
  weight: tf.Tensor;
  /** The bias of a dense layer, or β of a LayerNorm. */
  bias: tf.Tensor;
}

/**
 * Affine map `x · W + b` on the last axis. `[..., in] -> [..., out]`; `W: [in, out]`,
 * `b: [out]` or `[B, 1, out]` (then `x` must be `[B, T, in]`).
 */
export function dense<T extends tf.Tensor>(x: T, params: AffineParams, context: ForwardContext = {}): T {
  const w = params.weight as tf.Tensor2D;
  const [inDim, outDim] = w.shape;
  if (x.shape[x.rank - 1] !== inDim) throw new Error(`dense: input [${x.shape}] does not match weight [${w.shape}]`);
  const biasLayout = affineLayout(params.bias, x, outDim, 'dense bias');
  const outShape = [...x.shape.slice(0, -1), outDim];
  const rows = tf.reshape(x, [-1, inDim]) as tf.Tensor2D; // [..., in] -> [R, in]
  const wT = context.frozen?.transposeOf(w);
  if (biasLayout === 'shared') {
    const b = params.bias as tf.Tensor1D;
    const y = wT ? affineFrozen(w, wT)(rows, b) : affineTrainable(rows, w, b); // [R, out]
    return tf.reshape(y, outShape) as T;
  }
  const y = wT ? linearFrozen(w, wT)(rows) : linearTrainable(rows, w); // [R, out]
  return tf.add(tf.reshape(y, outShape), params.bias) as T;
}

/** {@link dense} as autodiff of its definition: the reference the fast version is tested against. */
export function textbookDense<T extends tf.Tensor>(x: T, params: AffineParams): T {
  const w = params.weight as tf.Tensor2D;
  const [inDim, outDim] = w.shape;
  const y = tf.matMul(tf.reshape(x, [-1, inDim]) as tf.Tensor2D, w);
  return tf.add(tf.reshape(y, [...x.shape.slice(0, -1), outDim]), params.bias) as T;
}

/**
 * A variable outlives the forward pass, so a gradient may use it directly; saving it would
 * copy the whole weight matrix every step (saved tensors are cloned, and a clone is a copy on wasm).
 */
function persistent(t: tf.Tensor): boolean {
  return t instanceof tf.Variable;
}

/**
 * `a · b` for rank-2 operands, with a gradient made of non-transposed products only:
 * `da = dy · bᵀ`, `db = aᵀ · dy`.
 */
export const matMul2d = customOp<[tf.Tensor2D, tf.Tensor2D], tf.Tensor2D>((a, b, save) => {
  const keepB = persistent(b);
  save(keepB ? [a] : [a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy, [sa, sb]) => [matMulNT(dy as tf.Tensor2D, (keepB ? b : sb) as tf.Tensor2D), matMulTN(sa as tf.Tensor2D, dy as tf.Tensor2D)],
  };
});

/** {@link matMul2d} as autodiff of `tf.matMul`. */
export function textbookMatMul2d(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return tf.matMul(a, b);
}

// x·W + b with W and b trained: dx = dy·Wᵀ, dW = xᵀ·dy, db = Σ_rows dy.
const affineTrainable = customOp<[tf.Tensor2D, tf.Tensor2D, tf.Tensor1D], tf.Tensor2D>((x, w, b, save) => {
  const keepW = persistent(w);
  save(keepW ? [x] : [x, w]);
  return {
    value: tf.fused.matMul({ a: x, b: w, bias: b }),
    gradFunc: (dy, [sx, sw]) => [
      matMulNT(dy as tf.Tensor2D, (keepW ? w : sw) as tf.Tensor2D),
      matMulTN(sx as tf.Tensor2D, dy as tf.Tensor2D),
      tf.sum(dy, 0),
    ],
  };
});

// x·W with W trained and the bias added outside (per-sample biases).
const linearTrainable = matMul2d;

// x·W + b with W frozen: W is closed over, so no dW is ever computed.
function affineFrozen(w: tf.Tensor2D, wT: tf.Tensor2D): (x: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D {
  return customOp<[tf.Tensor2D, tf.Tensor1D], tf.Tensor2D>((x, b) => ({
    value: tf.fused.matMul({ a: x, b: w, bias: b }),
    gradFunc: (dy) => [tf.matMul(dy as tf.Tensor2D, wT), tf.sum(dy, 0)],
  }));
}

function linearFrozen(w: tf.Tensor2D, wT: tf.Tensor2D): (x: tf.Tensor2D) => tf.Tensor2D {
  return customOp<[tf.Tensor2D], tf.Tensor2D>((x) => ({
    value: tf.matMul(x, w),
    gradFunc: (dy) => tf.matMul(dy as tf.Tensor2D, wT),
  }));
}

/**
 * Whether an affine vector is shared by the batch (`[width]`) or one row per sample
 * (`[B, 1, width]` for a `[B, T, ·]` input); throws on any other shape, since broadcasting
 * would silently accept some wrong ones.
 */
export function affineLayout(vector: tf.Tensor, x: tf.Tensor, width: number, what: string): 'shared' | 'per-sample' {
  if (vector.rank === 1 && vector.shape[0] === width) return 'shared';
  if (vector.rank === 3 && vector.shape[0] === x.shape[0] && vector.shape[1] === 1 && vector.shape[2] === width && x.rank === 3) {
    return 'per-sample';
  }
  throw new Error(`${what} has shape [${vector.shape}]; expected [${width}] or, for input [${x.shape}], [${x.shape[0]},1,${width}]`);
}
