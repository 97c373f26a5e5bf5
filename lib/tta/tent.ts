/**
 * TENT (Wang et al., ICLR 2021; DequanWang/tent): minimise the mean Shannon entropy of the
 * batch's predictions, one gradient step per batch, adapting only the normalisation layers'
 * affine parameters; the prediction is the one of the forward pass that computed the loss.
 * Online by default (the weights carry over the stream), `episodic` resets after each batch.
 *
 * Adapted to our model: LayerNorm γ, β of the encoder instead of BatchNorm's (BatchNorm also
 * switches to test-batch statistics in TENT; LayerNorm has no running statistics to switch);
 * the classifier head has no norm layer and stays frozen.
 */
import * as tf from '@tensorflow/tfjs';
import type { MaeModel } from '../model/index.js';
import type { TttClip } from '../ttt/index.js';
import { TtaBase, readAndDispose, scaledLearningRate, type StepOutput, type TtaCommonSettings } from './base.js';
import { softmaxEntropy } from './losses.js';
import { encoderNormParameters } from './parameters.js';

/** TENT's settings: the shared ones only. */
export type TentSettings = TtaCommonSettings;

/**
 * TENT's ImageNet-C recipe (SGD 2.5e-4, momentum 0.9 at batch 64), the rate scaled linearly
 * to `batch`; online, one step.
 */
export function tentDefaults(batch: number): TentSettings {
  return { mode: 'online', batch, steps: 1, optimizer: 'sgd', learningRate: scaledLearningRate(2.5e-4, 64, batch), momentum: 0.9, weightDecay: 0, seed: 0 };
}

/** TENT on a stream. */
export class Tent extends TtaBase {
  constructor(model: MaeModel, readonly settings: TentSettings) {
    super(model, encoderNormParameters(model), settings, 'tent');
  }

  protected adaptStep(fbanks: tf.Tensor3D, _clips: readonly TttClip[], _step: number, training: boolean): StepOutput {
    let logits: tf.Tensor | undefined;
    let entropy: tf.Tensor | undefined;
    const objective = () => {
      const out = this.classifierLogits(fbanks);
      const perClip = softmaxEntropy(out);
      logits = tf.keep(out);
      entropy = tf.keep(perClip);
      return tf.mean(perClip) as tf.Scalar;
    };
    if (training) this.applyAndDispose(this.gradients(objective));
    else tf.tidy(() => void objective());
    const numClasses = (logits as tf.Tensor).shape[1] as number;
    const [logitValues, losses] = readAndDispose(logits as tf.Tensor, entropy as tf.Tensor);
    return { logits: logitValues, numClasses, losses };
  }
}
