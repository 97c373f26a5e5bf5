/**
 * SAR (Niu et al., ICLR 2023; mr-eggplant/SAR): sharpness-aware, reliable entropy
 * minimisation, online, with a reset when the model collapses.
 *
 * One update: (1) entropies of the batch; the reliable samples (H < E0 = 0.4·ln C) give the
 * loss; its gradient g perturbs the weights to θ + ρ·g/‖g‖ (SAM's ascent step, ρ = 0.05);
 * (2) at the perturbed weights, the entropies of those samples again, of which the ones still
 * under E0 give the second loss; the weights go back to θ and the base optimizer (SGD,
 * momentum 0.9) steps with the second gradient. An exponential moving average (0.9) of the
 * second loss tracks collapse: when it falls under 0.2 the weights and optimizer go back to
 * the source (the average itself is kept, as in the authors' code). No reliable sample: no
 * update (the reference would average an empty set).
 *
 * Adapted to our model: LayerNorm γ, β, leaving out the top blocks and the final norm as SAR
 * does for ViT-B (the last 3 of 12 blocks): here the last quarter of the blocks, at least one.
 * The prediction is that of the first forward pass.
 */
import * as tf from '@tensorflow/tfjs';
import type { MaeModel } from '../model/index.js';
import { sumOfSquares } from '../train/index.js';
import type { TttClip } from '../ttt/index.js';
import { TtaBase, readAndDispose, scaledLearningRate, type StepOutput, type TtaCommonSettings } from './base.js';
import { softmaxEntropy } from './losses.js';
import { encoderNormParameters } from './parameters.js';

/** SAR's settings. */
export interface SarSettings extends TtaCommonSettings {
  /** Entropy margin E0 as a fraction of ln C; default 0.4. */
  entropyMarginFactor: number;
  /** SAM neighbourhood radius ρ; default 0.05. */
  rho: number;
  /** Reset when the moving average of the loss falls under this; default 0.2. */
  resetBelow: number;
  /** Top encoder blocks left out (with the final norm); default a quarter of the depth, at least 1. */
  skipLastBlocks: number;
}

/** Blocks SAR leaves out: 3 of ViT-B's 12, scaled to the depth (at least 1, fewer than all). */
export function sarSkippedBlocks(depth: number): number {
  return Math.min(depth - 1, Math.max(1, Math.round((depth * 3) / 12)));
}

/** SAR's ViT recipe: SGD, lr 1e-3 at batch 64 scaled to `batch`, doubled at batch 1; online, one step. */
export function sarDefaults(batch: number, depth: number): SarSettings {
  const rate = scaledLearningRate(1e-3, 64, batch) * (batch === 1 ? 2 : 1);
  return {
    mode: 'online', batch, steps: 1, optimizer: 'sgd', learningRate: rate, momentum: 0.9, weightDecay: 0, seed: 0,
    entropyMarginFactor: 0.4, rho: 0.05, resetBelow: 0.2, skipLastBlocks: sarSkippedBlocks(depth),
  };
}

/** SAR on a stream. */
export class Sar extends TtaBase {
  readonly entropyMargin: number;
  /** Moving average of the second-pass loss; `null` before the first. */
  lossAverage: number | null = null;
  /** Collapse resets so far. */
  collapses = 0;

  constructor(model: MaeModel, readonly settings: SarSettings) {
    super(model, encoderNormParameters(model, settings.skipLastBlocks), settings, 'sar');
    const numClasses = model.params.head?.fc.bias.shape[0] as number;
    this.entropyMargin = settings.entropyMarginFactor * Math.log(numClasses);
  }

  /** Mean entropy of the chosen rows, with weights 1/n on them and 0 elsewhere. */
  private chosenEntropy(fbanks: tf.Tensor3D, rows: readonly number[]): tf.Scalar {
    const weights = new Float32Array(fbanks.shape[0]);
    for (const row of rows) weights[row] = 1 / rows.length;
    return tf.sum(tf.mul(softmaxEntropy(this.classifierLogits(fbanks)), tf.tensor1d(weights)));
  }

  protected adaptStep(fbanks: tf.Tensor3D, _clips: readonly TttClip[], _step: number, training: boolean): StepOutput {
    const [logits, entropies] = tf.tidy(() => {
      const out = this.classifierLogits(fbanks);
      return [out, softmaxEntropy(out)];
    });
    const numClasses = logits.shape[1];
    const [logitValues, losses] = readAndDispose(logits, entropies);
    if (!training) return { logits: logitValues, numClasses, losses };
    const reliable = Array.from(losses.keys()).filter((i) => losses[i] < this.entropyMargin);
    if (reliable.length > 0) this.samStep(fbanks, reliable);
    if (this.lossAverage !== null && this.lossAverage < this.settings.resetBelow) {
      this.reset();
      this.collapses += 1;
      this.resetBeforeNext = true;
    }
    return { logits: logitValues, numClasses, losses };
  }

  /** The sharpness-aware update on the reliable rows. */
  private samStep(fbanks: tf.Tensor3D, reliable: readonly number[]): void {
    const first = this.gradients(() => this.chosenEntropy(fbanks, reliable));
    const saved = new Map([...this.state.variables].map(([name, v]) => [name, tf.clone(v)]));
    try {
      tf.tidy(() => {
        const norm = tf.sqrt(sumOfSquares([...first.values()]));
        const scale = tf.div(this.settings.rho, tf.add(norm, 1e-12));
        for (const [name, variable] of this.state.variables) variable.assign(tf.add(variable, tf.mul(first.get(name) as tf.Tensor, scale)));
      });
      tf.dispose([...first.values()]);
      const perturbed = tf.tidy(() => softmaxEntropy(this.classifierLogits(fbanks)));
      const [secondEntropies] = readAndDispose(perturbed);
      const stillReliable = reliable.filter((i) => secondEntropies[i] < this.entropyMargin);
      let second: Map<string, tf.Tensor> | undefined;
      if (stillReliable.length > 0) {
        const value = stillReliable.reduce((sum, i) => sum + secondEntropies[i], 0) / stillReliable.length;
        this.lossAverage = this.lossAverage === null ? value : 0.9 * this.lossAverage + 0.1 * value;
        second = this.gradients(() => this.chosenEntropy(fbanks, stillReliable));
      }
      // Back to θ exactly, then the base step with the gradient taken at θ + e.
      for (const [name, variable] of this.state.variables) variable.assign(saved.get(name) as tf.Tensor);
      if (second) this.applyAndDispose(second);
    } finally {
      tf.dispose([...saved.values()]);
    }
  }
}
