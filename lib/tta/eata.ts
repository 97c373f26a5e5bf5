/**
 * EATA (Niu et al., ICML 2022; mr-eggplant/EATA): entropy minimisation on the samples worth
 * learning from, plus an anti-forgetting penalty, online, adapting the norm layers.
 *
 * - Reliable: a sample counts only when its prediction entropy is under E0 = 0.4·ln C.
 * - Non-redundant: and only when its softmax is not cosine-similar (|cos| ≥ ε) to a moving
 *   average of the softmaxes of the samples used so far (average ← 0.9·average + 0.1·batch
 *   mean of the new ones).
 * - Weighted: each kept sample's entropy H counts 1 / exp(H − E0), so confident ones weigh more;
 *   the loss is the mean over kept samples. No kept sample: no update.
 * - Fisher penalty (EWC): α · Σ F ⊙ (θ − θ₀)², with F the mean squared gradient of the
 *   cross-entropy to the model's own arg-max labels over a set of clips, computed once from
 *   the source weights.
 *
 * Adapted to our model and data: LayerNorm γ, β (see `parameters.ts`); the Fisher set is the
 * first clips of the test stream with their pseudo-labels (EATA draws 2000 clean images; our
 * test sets hold tens of clips). ε: the published 0.05 is for 1000 ImageNet classes, where two
 * unrelated softmaxes are nearly orthogonal; with our 5–20 classes unrelated softmaxes
 * overlap far more, so 0.05 would drop almost every sample. We choose 0.4 instead (no
 * published rule scales ε with the number of classes) and record it with the run.
 */
import * as tf from '@tensorflow/tfjs';
import type { MaeModel } from '../model/index.js';
import { FbankStore } from '../train/index.js';
import type { TttClip } from '../ttt/index.js';
import { TtaBase, readAndDispose, scaledLearningRate, type StepOutput, type TtaCommonSettings } from './base.js';
import { softmaxEntropy } from './losses.js';
import { encoderNormParameters } from './parameters.js';

/** EATA's settings. */
export interface EataSettings extends TtaCommonSettings {
  /** Entropy margin E0 as a fraction of ln C; default 0.4. */
  entropyMarginFactor: number;
  /** Redundancy margin ε on the cosine similarity; default 0.4 (see the module note). */
  redundancyMargin: number;
  /** Weight α of the Fisher penalty; default 2000. */
  fisherAlpha: number;
  /** Clips from the start of the stream that estimate the Fisher information; default 16 (0: no penalty). */
  fisherClips: number;
}

/** EATA's recipe (SGD 2.5e-4, momentum 0.9 at batch 64, scaled to `batch`), online, one step. */
export function eataDefaults(batch: number): EataSettings {
  return {
    mode: 'online', batch, steps: 1, optimizer: 'sgd', learningRate: scaledLearningRate(2.5e-4, 64, batch), momentum: 0.9, weightDecay: 0, seed: 0,
    entropyMarginFactor: 0.4, redundancyMargin: 0.4, fisherAlpha: 2000, fisherClips: 16,
  };
}

/** Which samples of a batch EATA learns from, and with what weight. */
export interface EataSelection {
  /** Sample indices whose entropy is under the margin. */
  reliable: number[];
  /** Of those, the ones that are not redundant: the samples used. */
  kept: number[];
  /** 1 / exp(H − E0) per kept sample. */
  weights: number[];
}

/** Cosine similarity of two vectors. */
function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return dot / Math.max(Math.sqrt(na) * Math.sqrt(nb), 1e-8);
}

/**
 * EATA's sample selection from entropies `[B]`, softmaxes `[B, C]` (row-major) and the moving
 * average of earlier kept softmaxes (`null` before any).
 */
export function selectSamples(entropies: ArrayLike<number>, probs: Float32Array, numClasses: number, average: Float32Array | null, entropyMargin: number, redundancyMargin: number): EataSelection {
  const reliable: number[] = [];
  for (let i = 0; i < entropies.length; i++) if (entropies[i] < entropyMargin) reliable.push(i);
  const kept = average === null ? reliable : reliable.filter((i) => Math.abs(cosine(average, probs.subarray(i * numClasses, (i + 1) * numClasses))) < redundancyMargin);
  return { reliable, kept, weights: kept.map((i) => 1 / Math.exp(entropies[i] - entropyMargin)) };
}

/** EATA on a stream. */
export class Eata extends TtaBase {
  /** E0 = factor · ln C. */
  readonly entropyMargin: number;
  /** Moving average of the kept samples' softmaxes. */
  averageProbs: Float32Array | null = null;
  /** Fisher information per adapted parameter (empty without a Fisher set). */
  readonly fisher = new Map<string, tf.Tensor>();
  /** Samples kept by the last update (for tests and diagnostics). */
  lastSelection: EataSelection | null = null;

  /** `fisherSet`: clips to estimate the Fisher information from (the first `settings.fisherClips` are used). */
  constructor(model: MaeModel, readonly settings: EataSettings, fisherSet: readonly TttClip[] = []) {
    super(model, encoderNormParameters(model), settings, 'eata');
    const numClasses = model.params.head?.fc.bias.shape[0] as number;
    this.entropyMargin = settings.entropyMarginFactor * Math.log(numClasses);
    const used = fisherSet.slice(0, settings.fisherClips);
    if (used.length > 0 && settings.fisherAlpha > 0) this.estimateFisher(used);
  }

  /** F = mean over batches of the squared gradient of the cross-entropy to the source model's arg-max labels. */
  private estimateFisher(clips: readonly TttClip[]): void {
    const { inputFrames, melBins } = this.model.config;
    const store = new FbankStore(clips.map((clip) => clip.fbank), inputFrames, melBins);
    let batches = 0;
    for (let start = 0; start < clips.length; start += this.batch) {
      const fbanks = store.batch(clips.slice(start, start + this.batch).map((_, i) => start + i));
      const grads = this.gradients(() => {
        const logits = this.classifierLogits(fbanks);
        const pseudo = tf.oneHot(tf.argMax(logits, 1), logits.shape[1]);
        return tf.losses.softmaxCrossEntropy(pseudo, logits) as tf.Scalar;
      });
      this.gradientPasses -= 1; // not an adaptation pass
      fbanks.dispose();
      for (const [name, g] of grads) {
        const previous = this.fisher.get(name);
        this.fisher.set(name, tf.tidy(() => (previous ? tf.add(previous, tf.square(g)) : tf.square(g))));
        previous?.dispose();
      }
      tf.dispose([...grads.values()]);
      batches += 1;
    }
    for (const [name, sum] of this.fisher) {
      this.fisher.set(name, tf.tidy(() => tf.div(sum, batches)));
      sum.dispose();
    }
  }

  /** α · Σ F ⊙ (θ − θ₀)² over the working copies (call inside a tidy). */
  fisherPenalty(): tf.Scalar {
    let total: tf.Scalar = tf.scalar(0);
    for (const [name, fisher] of this.fisher) {
      const variable = this.state.variables.get(name) as tf.Variable;
      const source = this.state.sources.get(name) as tf.Variable;
      total = tf.add(total, tf.sum(tf.mul(fisher, tf.square(tf.sub(variable, source)))));
    }
    return tf.mul(total, this.settings.fisherAlpha);
  }

  override reset(): void {
    super.reset();
    this.averageProbs = null;
  }

  protected adaptStep(fbanks: tf.Tensor3D, _clips: readonly TttClip[], _step: number, training: boolean): StepOutput {
    const [logits, entropies, probs] = tf.tidy(() => {
      const out = this.classifierLogits(fbanks);
      return [out, softmaxEntropy(out), tf.softmax(out)];
    });
    const numClasses = logits.shape[1];
    const [logitValues, losses, probValues] = readAndDispose(logits, entropies, probs);
    if (!training) return { logits: logitValues, numClasses, losses };
    const selection = selectSamples(losses, probValues, numClasses, this.averageProbs, this.entropyMargin, this.settings.redundancyMargin);
    this.lastSelection = selection;
    if (selection.kept.length > 0) {
      const batch = fbanks.shape[0];
      const weights = new Float32Array(batch);
      selection.kept.forEach((i, k) => (weights[i] = selection.weights[k] / selection.kept.length));
      this.applyAndDispose(this.gradients(() => {
        const weighted = tf.sum(tf.mul(softmaxEntropy(this.classifierLogits(fbanks)), tf.tensor1d(weights)));
        return (this.fisher.size > 0 ? tf.add(weighted, this.fisherPenalty()) : weighted) as tf.Scalar;
      }));
      this.updateAverage(selection.kept.map((i) => probValues.subarray(i * numClasses, (i + 1) * numClasses)));
    }
    return { logits: logitValues, numClasses, losses };
  }

  private updateAverage(kept: Float32Array[]): void {
    const mean = new Float32Array(kept[0].length);
    for (const p of kept) for (let c = 0; c < mean.length; c++) mean[c] += p[c] / kept.length;
    if (this.averageProbs === null) this.averageProbs = mean;
    else for (let c = 0; c < mean.length; c++) this.averageProbs[c] = 0.9 * this.averageProbs[c] + 0.1 * mean[c];
  }

  protected override extraScalars(): number {
    return [...this.fisher.values()].reduce((sum, f) => sum + f.size, 0);
  }

  override dispose(): void {
    tf.dispose([...this.fisher.values()]);
    this.fisher.clear();
    super.dispose();
  }
}
