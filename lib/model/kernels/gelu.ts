/**
 * Exact (erf) GELU as one op with its gradient in closed form, beside its textbook form
 * ({@link textbookGelu}): autodiff of `x · Φ(x)` differentiates through `erf` piece by piece,
 * with more kernels and more saved tensors per call.
 */
import * as tf from '@tensorflow/tfjs';
import { deviceConstant } from './backend-traits.js';
import { customOp, type GradSave } from './custom-op.js';

/** Exact (erf) GELU, `x · Φ(x)`, as MAE's `nn.GELU`; gradient `Φ(x) + x · φ(x)` in closed form. Shape unchanged. */
export function gelu<T extends tf.Tensor>(x: T): T {
  return geluOp(x) as T;
}

/** {@link gelu} as autodiff of `x · ½ (1 + erf(x/√2))`: the reference the fast version is tested against. */
export function textbookGelu<T extends tf.Tensor>(x: T): T {
  return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.div(x, Math.SQRT2)))) as T;
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
