/**
 * Layer normalisation as one op with its gradient in closed form, beside its textbook form
 * ({@link textbookLayerNorm}). Autodiff of the pieces (mean, centring, variance, rsqrt, affine)
 * issues several times as many kernels, and on a GPU the gradients of `mean` build a tensor
 * of ones on the CPU and upload it every step.
 */
import * as tf from '@tensorflow/tfjs';
import { deviceConstant } from './backend-traits.js';
import { customOp } from './custom-op.js';
import { affineLayout, type AffineParams } from './dense.js';

/**
 * Layer normalisation over the last axis, `γ · (x − μ)/√(σ² + ε) + β`; shape unchanged.
 * `γ, β: [d]`, or `[B, 1, d]` for a `[B, T, d]` input.
 */
export function layerNorm<T extends tf.Tensor>(x: T, params: AffineParams, eps: number): T {
  const width = x.shape[x.rank - 1];
  // γ and β are checked separately: a per-sample β with a shared γ (or the reverse) is fine,
  // each gradient sums over its own axes.
  affineLayout(params.weight, x, width, 'layer norm weight');
  affineLayout(params.bias, x, width, 'layer norm bias');
  let fn = layerNormByEps.get(eps);
  if (!fn) layerNormByEps.set(eps, (fn = layerNormOp(eps)));
  return fn(x, params.weight, params.bias) as T;
}

/** {@link layerNorm} as autodiff of its definition: the reference the fast version is tested against. */
export function textbookLayerNorm<T extends tf.Tensor>(x: T, params: AffineParams, eps: number): T {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), params.weight), params.bias) as T;
}

// One op per ε, made once: a custom op is a closure, and making it per call would cost a closure per layer per step.
const layerNormByEps = new Map<number, (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => tf.Tensor>();

function layerNormOp(eps: number) {
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

/** Axes to sum a `[..., d]` gradient over for an affine vector of the given rank. */
function affineReduction(x: tf.Tensor, paramRank: number): { axes: number[]; keepDims: boolean } {
  if (paramRank === 1) return { axes: Array.from({ length: x.rank - 1 }, (_, i) => i), keepDims: false };
  return { axes: [1], keepDims: true };
}
