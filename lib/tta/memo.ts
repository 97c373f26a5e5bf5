/**
 * MEMO (Zhang, Levine, Finn, NeurIPS 2022; zhangmarvin/memo): for one test input, make B
 * augmented copies, average their softmax predictions into a marginal, and take one step on
 * the entropy of that marginal, adapting every parameter; then predict on the clean input and
 * go back to the source weights (episodic, one input at a time).
 *
 * Adapted to our model: spectrogram augmentations (`augment.ts`: time and frequency masks,
 * time shift, gain, mild noise) instead of AugMix; "every parameter" is the encoder and the
 * classifier head (the MAE decoder plays no part in classification).
 */
import * as tf from '@tensorflow/tfjs';
import type { MaeModel } from '../model/index.js';
import type { TttClip } from '../ttt/index.js';
import { DEFAULT_AUGMENT, augmentFbanks, type SpectrogramAugmentOptions } from './augment.js';
import { TtaBase, readAndDispose, type StepOutput, type TtaCommonSettings } from './base.js';
import { marginalEntropy } from './losses.js';
import { classifierParameters } from './parameters.js';

/** MEMO's settings. */
export interface MemoSettings extends TtaCommonSettings {
  /** Augmented copies per input (B); default 64. */
  augmentations: number;
  augment: SpectrogramAugmentOptions;
}

/** MEMO's recipe: SGD 2.5e-4 (momentum 0.9: one step from a fresh optimizer makes it irrelevant), 64 augmentations, episodic, one clip per batch. */
export function memoDefaults(): MemoSettings {
  return { mode: 'episodic', batch: 1, steps: 1, optimizer: 'sgd', learningRate: 2.5e-4, momentum: 0.9, weightDecay: 0, seed: 0, augmentations: 64, augment: { ...DEFAULT_AUGMENT } };
}

/** Throws on a setting MEMO cannot run with (before any tensor is made). */
function checkMemo(settings: MemoSettings): MemoSettings {
  if (settings.batch !== 1) throw new Error(`memo: batch must be 1 (its marginal is over the copies of one input), got ${settings.batch}`);
  if (!Number.isInteger(settings.augmentations) || settings.augmentations < 1) throw new Error(`memo: augmentations must be a positive integer, got ${settings.augmentations}`);
  return settings;
}

/** MEMO, one clip at a time. */
export class Memo extends TtaBase {
  constructor(model: MaeModel, readonly settings: MemoSettings) {
    super(model, classifierParameters(model), checkMemo(settings), 'memo');
  }

  /** The marginal entropy of the copies of `fbanks` (one clip) with the current weights: MEMO's loss. */
  marginalLoss(copies: tf.Tensor3D): tf.Scalar {
    return marginalEntropy(this.classifierLogits(copies));
  }

  protected adaptStep(fbanks: tf.Tensor3D, clips: readonly TttClip[], step: number, training: boolean): StepOutput {
    const clean = tf.tidy(() => this.classifierLogits(fbanks));
    const copies = augmentFbanks(fbanks, this.settings.augmentations, this.settings.seed, `memo:${clips[0].id}:${step}`, this.settings.augment);
    try {
      let loss: tf.Tensor | undefined;
      const objective = () => {
        const value = this.marginalLoss(copies);
        loss = tf.keep(tf.reshape(value, [1]));
        return value;
      };
      if (training) this.applyAndDispose(this.gradients(objective));
      else tf.tidy(() => void objective());
      const numClasses = clean.shape[1];
      const [logits, losses] = readAndDispose(clean, loss as tf.Tensor);
      return { logits, numClasses, losses };
    } finally {
      copies.dispose();
    }
  }
}
