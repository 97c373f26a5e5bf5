/**
 * CoTTA (Wang et al., CVPR 2022; qinenergy/cotta): continual adaptation of every parameter
 * with a teacher. Per batch: the teacher (an exponential moving average of the student,
 * α = 0.999) gives pseudo-labels, averaged over N augmented copies when the source model is
 * unsure (its mean top-class probability on the batch under a threshold), else from the clean
 * input; the student takes a step on the cross-entropy to the teacher's soft labels; the
 * teacher moves towards the student; then every weight element goes back to its source value
 * with probability p (stochastic restore, against forgetting). The output is the teacher's.
 *
 * Adapted to our model: spectrogram augmentations (`augment.ts`) for CoTTA's image ones;
 * "every parameter" is the encoder and the head; restore touches the weights and biases, as
 * CoTTA's does. The confidence threshold: 0.92 is the value of the authors' CIFAR-10 setup
 * as we know it (not checked against their code here); it is a setting, recorded per run.
 */
import * as tf from '@tensorflow/tfjs';
import { withOverrides, type MaeModel } from '../model/index.js';
import type { TttClip } from '../ttt/index.js';
import { deriveSeed } from '../util/index.js';
import { DEFAULT_AUGMENT, augmentFbanks, type SpectrogramAugmentOptions } from './augment.js';
import { TtaBase, readAndDispose, scaledLearningRate, type StepOutput, type TtaCommonSettings } from './base.js';
import { softCrossEntropy } from './losses.js';
import { classifierParameters } from './parameters.js';

/** CoTTA's settings. */
export interface CottaSettings extends TtaCommonSettings {
  /** Teacher EMA factor α; default 0.999. */
  teacherMomentum: number;
  /** Probability p that an element is restored to its source value after an update; default 0.01. */
  restoreProbability: number;
  /** Augmented copies the teacher averages when unsure; default 32. */
  augmentations: number;
  /** Mean source top-class probability under which the teacher averages augmentations; default 0.92. */
  confidenceThreshold: number;
  augment: SpectrogramAugmentOptions;
}

/**
 * CoTTA's CIFAR recipe (Adam 1e-3 at batch 200, p = 0.01), online. CoTTA states no rule to
 * rescale its rate; we use the linear rule of TENT, EATA and SAR.
 */
export function cottaDefaults(batch: number): CottaSettings {
  return {
    mode: 'online', batch, steps: 1, optimizer: 'adamw', learningRate: scaledLearningRate(1e-3, 200, batch), momentum: 0, weightDecay: 0, seed: 0,
    teacherMomentum: 0.999, restoreProbability: 0.01, augmentations: 32, confidenceThreshold: 0.92, augment: { ...DEFAULT_AUGMENT },
  };
}

/** Throws on a setting CoTTA cannot run with (before any tensor is made). */
function checkCotta(settings: CottaSettings): CottaSettings {
  if (!(settings.restoreProbability >= 0 && settings.restoreProbability <= 1)) throw new Error(`cotta: restoreProbability must be in [0, 1], got ${settings.restoreProbability}`);
  if (!(settings.teacherMomentum >= 0 && settings.teacherMomentum <= 1)) throw new Error(`cotta: teacherMomentum must be in [0, 1], got ${settings.teacherMomentum}`);
  if (!Number.isInteger(settings.augmentations) || settings.augmentations < 1) throw new Error(`cotta: augmentations must be a positive integer, got ${settings.augmentations}`);
  return settings;
}

/** CoTTA on a stream. */
export class Cotta extends TtaBase {
  /** The teacher's copies of the adapted parameters. */
  readonly teacher = new Map<string, tf.Variable>();
  /** Elements restored by the last update, and elements that could have been. */
  lastRestore = { restored: 0, total: 0 };
  private updates = 0;

  constructor(model: MaeModel, readonly settings: CottaSettings) {
    super(model, classifierParameters(model), checkCotta(settings), 'cotta');
    for (const [name, source] of this.state.sources) this.teacher.set(name, tf.variable(source, false));
  }

  override reset(): void {
    super.reset();
    tf.tidy(() => {
      for (const [name, variable] of this.teacher) variable.assign(this.state.sources.get(name) as tf.Variable);
    });
  }

  /** The teacher's pseudo-label logits for the batch `[B, C]`. */
  private teacherLogits(fbanks: tf.Tensor3D, key: string): tf.Tensor2D {
    const teacherParams = withOverrides(this.model.params, this.teacher);
    const sourceConfidence = tf.tidy(() => tf.mean(tf.max(tf.softmax(this.classifierLogits(fbanks, this.model.params)), 1)).dataSync()[0]);
    if (sourceConfidence >= this.settings.confidenceThreshold) return tf.tidy(() => this.classifierLogits(fbanks, teacherParams));
    const copies = augmentFbanks(fbanks, this.settings.augmentations, this.settings.seed, key, this.settings.augment);
    try {
      return tf.tidy(() => {
        const [batch] = fbanks.shape;
        const logits = this.classifierLogits(copies, teacherParams); // [B·N, C]
        return tf.mean(tf.reshape(logits, [batch, this.settings.augmentations, logits.shape[1]]), 1) as tf.Tensor2D; // mean of logits, as CoTTA averages them
      });
    } finally {
      copies.dispose();
    }
  }

  protected adaptStep(fbanks: tf.Tensor3D, clips: readonly TttClip[], step: number, training: boolean): StepOutput {
    const target = this.teacherLogits(fbanks, `cotta:${clips[0].id}:${step}`);
    let losses: tf.Tensor | undefined;
    const objective = () => {
      const perClip = softCrossEntropy(this.classifierLogits(fbanks), target);
      losses = tf.keep(perClip);
      return tf.mean(perClip) as tf.Scalar;
    };
    if (training) {
      this.applyAndDispose(this.gradients(objective));
      this.updateTeacher();
      this.restore();
    } else tf.tidy(() => void objective());
    const numClasses = target.shape[1];
    const [logits, lossValues] = readAndDispose(target, losses as tf.Tensor);
    return { logits, numClasses, losses: lossValues };
  }

  /** teacher ← α·teacher + (1 − α)·student. */
  private updateTeacher(): void {
    const alpha = this.settings.teacherMomentum;
    tf.tidy(() => {
      for (const [name, variable] of this.teacher) variable.assign(tf.add(tf.mul(variable, alpha), tf.mul(this.state.variables.get(name) as tf.Variable, 1 - alpha)));
    });
  }

  /** Each weight or bias element back to its source value with probability p (seeded per update). */
  private restore(): void {
    this.updates += 1;
    const p = this.settings.restoreProbability;
    let total = 0;
    // Counted on the device and read once per update, not once per parameter tensor.
    const restored = tf.tidy(() => {
      const counts: tf.Tensor[] = [];
      let index = 0;
      for (const [name, variable] of this.state.variables) {
        index += 1;
        if (!/\.(weight|bias)$/.test(name)) continue;
        const source = this.state.sources.get(name) as tf.Variable;
        const chosen = tf.less(tf.randomUniform(variable.shape, 0, 1, 'float32', deriveSeed(this.settings.seed, `cotta-restore:${this.updates}:${index}`)), p);
        counts.push(tf.sum(tf.cast(chosen, 'int32')));
        total += variable.size;
        // where() picks values: restored elements are bit-identical to the source.
        variable.assign(tf.where(chosen, source, variable));
      }
      return tf.sum(tf.stack(counts));
    });
    this.lastRestore = { restored: restored.dataSync()[0], total };
    restored.dispose();
  }

  protected override extraScalars(): number {
    return [...this.teacher.values()].reduce((sum, v) => sum + v.size, 0);
  }

  override dispose(): void {
    for (const variable of this.teacher.values()) variable.dispose();
    this.teacher.clear();
    super.dispose();
  }
}
