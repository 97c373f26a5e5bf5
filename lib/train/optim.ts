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

function zeroState(like: tf.Tensor): tf.Variable {
  // tf.variable shares the initial tensor's data; dispose the initial tensor so only the variable holds it.
  const initial = tf.zerosLike(like);
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
  private readonly decaying: Set<string>;
  private readonly moments = new Map<string, { m: tf.Variable; v: tf.Variable }>();

  /** Creates zero moments for every variable in `params`. */
  constructor(readonly params: ReadonlyMap<string, tf.Variable>, options: AdamWOptions = {}) {
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.95;
    this.epsilon = options.epsilon ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0.05;
    const decays = options.decays ?? decaysMatrices;
    this.decaying = new Set([...params].filter(([name, v]) => decays(name, v)).map(([name]) => name));
    for (const [name, variable] of params) {
      this.moments.set(name, { m: zeroState(variable), v: zeroState(variable) });
    }
  }

  /**
   * One update with learning rate `learningRate`; `grads` maps every parameter name to its
   * gradient (a missing one is treated as zero gradient: moments decay, weights still decay).
   */
  apply(grads: ReadonlyMap<string, tf.Tensor>, learningRate: number): void {
    this.step += 1;
    const t = this.step;
    const correction1 = 1 - this.beta1 ** t;
    const correction2 = 1 - this.beta2 ** t;
    // lr·m̂/(√v̂ + ε) = (lr·√c2/c1) · m/(√v + ε·√c2): bias correction folded into two scalars.
    const stepSize = (learningRate * Math.sqrt(correction2)) / correction1;
    const epsHat = this.epsilon * Math.sqrt(correction2);
    tf.tidy(() => {
      // One scalar per step for each changing factor, cached ones for the fixed factors: on a GPU a
      // number is an upload per use, i.e. per parameter tensor. Same float32 values as the numbers.
      const beta1 = deviceConstant(this.beta1);
      const beta2 = deviceConstant(this.beta2);
      const oneMinusBeta1 = deviceConstant(1 - this.beta1);
      const oneMinusBeta2 = deviceConstant(1 - this.beta2);
      const stepScalar = tf.scalar(stepSize);
      const epsScalar = tf.scalar(epsHat);
      const decayFactor = tf.scalar(1 - learningRate * this.weightDecay);
      for (const [name, variable] of this.params) {
        const { m, v } = this.moments.get(name)!;
        const g = grads.get(name);
        const mNext = g ? tf.add(tf.mul(m, beta1), tf.mul(g, oneMinusBeta1)) : tf.mul(m, beta1);
        const vNext = g ? tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), oneMinusBeta2)) : tf.mul(v, beta2);
        m.assign(mNext);
        v.assign(vNext);
        const update = tf.mul(tf.div(mNext, tf.add(tf.sqrt(vNext), epsScalar)), stepScalar);
        const decayed = this.decaying.has(name) ? tf.mul(variable, decayFactor) : variable;
        variable.assign(tf.sub(decayed, update));
      }
    });
  }

  /** The moments as named tensors (`optimizer.m.<name>`, `optimizer.v.<name>`), for checkpoints. */
  stateTensors(): Map<string, tf.Tensor> {
    const out = new Map<string, tf.Tensor>();
    for (const [name, { m, v }] of this.moments) {
      out.set(`optimizer.m.${name}`, m);
      out.set(`optimizer.v.${name}`, v);
    }
    return out;
  }

  /** Restores moments saved by {@link stateTensors} and the step count. */
  loadState(tensors: ReadonlyMap<string, tf.Tensor>, step: number): void {
    for (const [name, { m, v }] of this.moments) {
      for (const [key, target] of [[`optimizer.m.${name}`, m], [`optimizer.v.${name}`, v]] as const) {
        const stored = tensors.get(key);
        if (!stored) throw new Error(`optimizer state lacks ${key}`);
        if (stored.shape.join() !== target.shape.join()) {
          throw new Error(`${key}: checkpoint has [${stored.shape}], optimizer expects [${target.shape}]`);
        }
        target.assign(stored);
      }
    }
    this.step = step;
  }

  /** Frees the moments. */
  dispose(): void {
    for (const { m, v } of this.moments.values()) {
      m.dispose();
      v.dispose();
    }
    this.moments.clear();
  }
}
