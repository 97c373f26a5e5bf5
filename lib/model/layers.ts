/**
 * The building blocks of the ViT, written for speed on the WebAssembly backend and on GPUs:
 * - Matrix products go only through rank-2 `matMul`. On wasm their gradients transpose
 *   explicitly (transpose flags fall back to a scalar loop there); on a GPU they use the
 *   flags, one kernel each (see `backend-traits.ts`).
 * - Constants go through {@link deviceConstant}, so a GPU does not upload them on every call.
 * - Dense, LayerNorm and GELU carry hand-written gradients (fewer, larger kernels than
 *   autodiff of their pieces; checked against autodiff in the tests).
 * - Every bias or LayerNorm affine vector may be shared (`[d]`) or per sample (`[B, 1, d]`),
 *   so a batch can hold one independent set of biases per clip (batched BitFit).
 */
import * as tf from '@tensorflow/tfjs';
import { deviceConstant, matMulNT, matMulTN } from './backend-traits.js';
import { customOp, type GradSave } from './custom-op.js';
import type { FrozenWeights } from './frozen.js';
import type { DenseParams, LayerNormParams } from './params.js';

/** Options that change how a forward pass is computed, never what it computes. */
export interface ForwardContext {
  /** Weights whose gradients are not wanted; their cached transposes speed up the backward pass. */
  frozen?: FrozenWeights;
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

function checkBias(bias: tf.Tensor, x: tf.Tensor, width: number, what: string): 'shared' | 'per-sample' {
  if (bias.rank === 1 && bias.shape[0] === width) return 'shared';
  if (bias.rank === 3 && bias.shape[0] === x.shape[0] && bias.shape[1] === 1 && bias.shape[2] === width && x.rank === 3) {
    return 'per-sample';
  }
  throw new Error(`${what} has shape [${bias.shape}]; expected [${width}] or, for input [${x.shape}], [${x.shape[0]},1,${width}]`);
}

/**
 * Affine map `x · W + b` on the last axis. `[..., in] -> [..., out]`; `W: [in, out]`,
 * `b: [out]` or `[B, 1, out]` (then `x` must be `[B, T, in]`).
 */
export function dense<T extends tf.Tensor>(x: T, params: DenseParams<tf.Tensor>, context: ForwardContext = {}): T {
  const w = params.weight as tf.Tensor2D;
  const [inDim, outDim] = w.shape;
  if (x.shape[x.rank - 1] !== inDim) throw new Error(`dense: input [${x.shape}] does not match weight [${w.shape}]`);
  const biasKind = checkBias(params.bias, x, outDim, 'dense bias');
  const outShape = [...x.shape.slice(0, -1), outDim];
  const rows = tf.reshape(x, [-1, inDim]) as tf.Tensor2D;
  const wT = context.frozen?.transposeOf(w);
  if (biasKind === 'shared') {
    const b = params.bias as tf.Tensor1D;
    const y = wT ? affineFrozen(w, wT)(rows, b) : affineTrainable(rows, w, b);
    return tf.reshape(y, outShape) as T;
  }
  const y = wT ? linearFrozen(w, wT)(rows) : linearTrainable(rows, w);
  return tf.add(tf.reshape(y, outShape), params.bias) as T;
}

/** Axes to sum a `[..., d]` gradient over for an affine vector of the given rank. */
function affineReduction(x: tf.Tensor, paramRank: number): { axes: number[]; keepDims: boolean } {
  if (paramRank === 1) return { axes: Array.from({ length: x.rank - 1 }, (_, i) => i), keepDims: false };
  return { axes: [1], keepDims: true };
}

function layerNormGrad(eps: number) {
  return customOp<[tf.Tensor, tf.Tensor, tf.Tensor]>((x, gamma, beta, save) => {
    const last = x.rank - 1;
    const betaRank = beta.rank;
    const mean = tf.mean(x, last, true);
    const centred = tf.sub(x, mean);
    const variance = tf.mean(tf.square(centred), last, true);
    const invStd = tf.rsqrt(tf.add(variance, deviceConstant(eps)));
    const normed = tf.mul(centred, invStd);
    save([normed, invStd, gamma]);
    return {
      value: tf.add(tf.mul(normed, gamma), beta),
      gradFunc: (dy, [sNormed, sInvStd, sGamma]) => {
        // dx = (g − mean(g) − x̂·mean(g·x̂)) / σ with g = dy·γ: the mean and variance terms of the chain rule in closed form.
        const g = tf.mul(dy, sGamma);
        const meanG = tf.mean(g, last, true);
        const meanGNormed = tf.mean(tf.mul(g, sNormed), last, true);
        const dx = tf.mul(tf.sub(tf.sub(g, meanG), tf.mul(sNormed, meanGNormed)), sInvStd);
        const gammaAxes = affineReduction(dy, sGamma.rank);
        const betaAxes = affineReduction(dy, betaRank);
        const dGamma = tf.sum(tf.mul(dy, sNormed), gammaAxes.axes, gammaAxes.keepDims);
        const dBeta = tf.sum(dy, betaAxes.axes, betaAxes.keepDims);
        return [dx, dGamma, dBeta];
      },
    };
  });
}

const layerNormByEps = new Map<number, (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => tf.Tensor>();

/**
 * Layer normalisation over the last axis, `γ · (x − μ)/√(σ² + ε) + β`; shape unchanged.
 * `γ, β: [d]`, or `[B, 1, d]` for a `[B, T, d]` input.
 */
export function layerNorm<T extends tf.Tensor>(x: T, params: LayerNormParams<tf.Tensor>, eps: number): T {
  const width = x.shape[x.rank - 1];
  // γ and β are checked separately: a per-sample β with a shared γ (or the reverse) is fine,
  // each gradient sums over its own axes.
  checkBias(params.weight, x, width, 'layer norm weight');
  checkBias(params.bias, x, width, 'layer norm bias');
  let fn = layerNormByEps.get(eps);
  if (!fn) layerNormByEps.set(eps, (fn = layerNormGrad(eps)));
  return fn(x, params.weight, params.bias) as T;
}

const INV_SQRT2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

const geluOp = customOp<[tf.Tensor]>((x, save: GradSave) => {
  const half = deviceConstant(0.5);
  const cdf = tf.add(half, tf.mul(half, tf.erf(tf.mul(x, deviceConstant(INV_SQRT2)))));
  save([x, cdf]);
  return {
    value: tf.mul(x, cdf),
    gradFunc: (dy, [sx, sCdf]) => {
      const pdf = tf.mul(tf.exp(tf.mul(tf.square(sx), deviceConstant(-0.5))), deviceConstant(INV_SQRT_2PI));
      return tf.mul(dy, tf.add(sCdf, tf.mul(sx, pdf)));
    },
  };
});

/** Exact (erf) GELU, `x · Φ(x)`, as MAE's `nn.GELU`; gradient `Φ(x) + x · φ(x)` in closed form. Shape unchanged. */
export function gelu<T extends tf.Tensor>(x: T): T {
  return geluOp(x) as T;
}
