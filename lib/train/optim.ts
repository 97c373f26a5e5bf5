/**
 * AdamW (Loshchilov & Hutter): Adam moments with weight decay applied to the weights
 * directly (decoupled), not through the gradient. Written here rather than taken from
 * `tf.train.adam` so that its state (moments, step) can be saved in a checkpoint and
 * restored bit for bit, and so that decay can skip biases, norms and tokens by name (as MAE
 * does).
 */
import * as tf from '@tensorflow/tfjs';
import { deviceConstant } from '../model/index.js';

/** AdamW settings. MAE pre-trains with β = (0.9, 0.95) and weight decay 0.05. */
export interface AdamWOptions {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** Decoupled weight decay; default 0.05. */
  weightDecay?: number;
  /** Which parameters decay; default every matrix (`*.weight` of rank ≥ 2), never biases, norms or tokens. */
  decays?: (name: string, variable: tf.Variable) => boolean;
}

/** Default decay rule: matrices decay; vectors (biases, LayerNorm) and learned tokens do not. */
export function decaysMatrices(name: string, variable: tf.Variable): boolean {
  return variable.rank >= 2 && name.endsWith('.weight');
}

function zeroState(size: number): tf.Variable {
  // tf.variable shares the initial tensor's data; dispose the initial tensor so only the variable holds it.
  const initial = tf.zeros([size]);
  const state = tf.variable(initial, false);
  initial.dispose();
  return state;
}

/** AdamW over a fixed, named set of variables. Call {@link AdamW.dispose} when done. */
export class AdamW {
  /** Updates taken so far (bias correction uses it). */
  step = 0;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;
  private readonly weightDecay: number;
  /** Parameter names in the order of the flat state: the decaying ones first, then the rest. */
  private readonly order: string[];
  /** Elements of the decaying parameters (a prefix of the flat state). */
  private readonly decayingSize: number;
  private readonly sizes: number[];
  /** First and second moments of every parameter, concatenated in {@link order}. */
  private m: tf.Variable;
  private v: tf.Variable;

  /** Creates zero moments for every variable in `params`. */
  constructor(readonly params: ReadonlyMap<string, tf.Variable>, options: AdamWOptions = {}) {
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.95;
    this.epsilon = options.epsilon ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0.05;
    const decays = options.decays ?? decaysMatrices;
    const decaying = [...params].filter(([name, v]) => decays(name, v)).map(([name]) => name);
    this.order = [...decaying, ...[...params.keys()].filter((name) => !decaying.includes(name))];
    this.sizes = this.order.map((name) => params.get(name)!.size);
    this.decayingSize = decaying.reduce((sum, name) => sum + params.get(name)!.size, 0);
    if (this.order.length === 0) throw new Error('AdamW needs at least one parameter');
    const total = this.sizes.reduce((a, b) => a + b, 0);
    this.m = zeroState(total);
    this.v = zeroState(total);
  }

  /** One update (see {@link applyClipped}), without clipping and without returning the norm. */
  apply(grads: ReadonlyMap<string, tf.Tensor>, learningRate: number): void {
    this.update(grads, learningRate, null, false);
  }

  /**
   * One update with learning rate `learningRate`; `grads` maps every parameter name to its
   * gradient (a missing one is treated as zero gradient: moments decay, weights still decay).
   * With `clipNorm`, the gradients are first scaled by `min(1, clipNorm / (‖g‖ + 1e-6))`, `‖g‖`
   * their joint L2 norm. Returns that norm (before clipping) as a scalar tensor the caller owns.
   *
   * The whole update runs on one flat vector of every parameter: per element it is the same
   * arithmetic as a loop over the parameters, but a few kernels in all instead of a dozen per
   * parameter, which on a GPU (where each kernel costs a dispatch) was most of a pre-training step.
   */
  applyClipped(grads: ReadonlyMap<string, tf.Tensor>, learningRate: number, clipNorm: number | null | undefined): tf.Scalar {
    return this.update(grads, learningRate, clipNorm, true)!;
  }

  /** The update; the global norm is computed only when clipping or the caller needs it (TTT steps do not). */
  private update(grads: ReadonlyMap<string, tf.Tensor>, learningRate: number, clipNorm: number | null | undefined, wantNorm: boolean): tf.Scalar | undefined {
    this.step += 1;
    const t = this.step;
    const correction1 = 1 - this.beta1 ** t;
    const correction2 = 1 - this.beta2 ** t;
    // lr·m̂/(√v̂ + ε) = (lr·√c2/c1) · m/(√v + ε·√c2): bias correction folded into two scalars.
    const stepSize = (learningRate * Math.sqrt(correction2)) / correction1;
    const epsHat = this.epsilon * Math.sqrt(correction2);
    return tf.tidy(() => {
      // One scalar per step for each changing factor, cached ones for the fixed factors: on a GPU a
      // number is an upload per use. Same float32 values as the numbers.
      const beta1 = deviceConstant(this.beta1);
      const beta2 = deviceConstant(this.beta2);
      const oneMinusBeta1 = deviceConstant(1 - this.beta1);
      const oneMinusBeta2 = deviceConstant(1 - this.beta2);
      const flat = (tensors: tf.Tensor[]) => (tensors.length === 1 ? tf.reshape(tensors[0], [-1]) : tf.concat(tensors.map((x) => tf.reshape(x, [-1]))));
      let g = flat(this.order.map((name, i) => grads.get(name) ?? tf.zeros([this.sizes[i]])));
      const clip = clipNorm != null && clipNorm > 0;
      const norm = clip || wantNorm ? (tf.sqrt(tf.sum(tf.square(g))) as tf.Scalar) : undefined;
      if (clip) g = tf.mul(g, tf.minimum(deviceConstant(1), tf.div(deviceConstant(clipNorm), tf.add(norm!, deviceConstant(1e-6)))));
      const mNext = tf.add(tf.mul(this.m, beta1), tf.mul(g, oneMinusBeta1));
      const vNext = tf.add(tf.mul(this.v, beta2), tf.mul(tf.square(g), oneMinusBeta2));
      this.m.assign(mNext);
      this.v.assign(vNext);
      const update = tf.mul(tf.div(mNext, tf.add(tf.sqrt(vNext), tf.scalar(epsHat))), tf.scalar(stepSize));
      const weights = flat(this.order.map((name) => this.params.get(name)!));
      // Decay multiplies the decaying prefix by (1 − lr·wd) and leaves the rest as it is.
      const total = weights.size;
      const decayed =
        this.decayingSize === 0
          ? weights
          : this.decayingSize === total
            ? tf.mul(weights, tf.scalar(1 - learningRate * this.weightDecay))
            : tf.concat([tf.mul(tf.slice(weights, 0, this.decayingSize), tf.scalar(1 - learningRate * this.weightDecay)), tf.slice(weights, this.decayingSize)]);
      const next = tf.sub(decayed, update);
      const parts = this.order.length === 1 ? [next] : tf.split(next, this.sizes);
      this.order.forEach((name, i) => {
        const variable = this.params.get(name)!;
        variable.assign(tf.reshape(parts[i], variable.shape));
      });
      return norm;
    });
  }

  /**
   * The moments as named tensors (`optimizer.m.<name>`, `optimizer.v.<name>`, each of its
   * parameter's shape), for checkpoints. New tensors: the caller disposes them.
   */
  stateTensors(): Map<string, tf.Tensor> {
    const out = new Map<string, tf.Tensor>();
    tf.tidy(() => {
      for (const [key, flat] of [['m', this.m], ['v', this.v]] as const) {
        const parts = this.order.length === 1 ? [flat] : tf.split(flat, this.sizes);
        this.order.forEach((name, i) => out.set(`optimizer.${key}.${name}`, tf.keep(tf.reshape(parts[i], this.params.get(name)!.shape))));
      }
    });
    return out;
  }

  /** Restores moments saved by {@link stateTensors} and the step count. */
  loadState(tensors: ReadonlyMap<string, tf.Tensor>, step: number): void {
    for (const key of ['m', 'v'] as const) {
      const parts = this.order.map((name) => {
        const stored = tensors.get(`optimizer.${key}.${name}`);
        if (!stored) throw new Error(`optimizer state lacks optimizer.${key}.${name}`);
        const shape = this.params.get(name)!.shape;
        if (stored.shape.join() !== shape.join()) throw new Error(`optimizer.${key}.${name}: checkpoint has [${stored.shape}], optimizer expects [${shape}]`);
        return stored;
      });
      tf.tidy(() => (key === 'm' ? this.m : this.v).assign(tf.concat(parts.map((p) => tf.reshape(p, [-1])))));
    }
    this.step = step;
  }

  /** Frees the moments. */
  dispose(): void {
    this.m.dispose();
    this.v.dispose();
  }
}
