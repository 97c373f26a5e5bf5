/**
 * SUTA (Lin et al., SLT 2022; DanielLin94144/Test-time-adaptation-ASR-SUTA), the speech
 * baseline: each utterance alone, several steps on
 *   0.3 · entropy + 0.7 · minimum class confusion,
 * both over the frames' predictions divided by a temperature T = 2.5, the entropy leaving out
 * frames that carry no speech (CTC blank frames in the original); then predict, then reset.
 * Adapts LayerNorm and the feature extractor, with AdamW.
 *
 * Adapted to our model: a clip has one label, not a transcript, so the "frames" are the
 * time steps of the patch grid: the head applied to each time column's mean token (with
 * the usual mean-pooling, linear head the clip's logits are the mean of these). Silent
 * frames stand in for blank ones: a time column is silent when its mean input energy is
 * below min + `silenceFraction` · (max − min) of the clip's columns (none is left out when
 * that would leave nothing). The feature extractor is the patch embedding. The clip's
 * prediction is the ordinary pooled one.
 */
import * as tf from '@tensorflow/tfjs';
import { forwardEncoder, forwardHead, patchGrid, patchify, poolTokens, type MaeModel } from '../model/index.js';
import type { TttClip } from '../ttt/index.js';
import { TtaBase, readAndDispose, type StepOutput, type TtaCommonSettings } from './base.js';
import { minimumClassConfusion, softmaxEntropy } from './losses.js';
import { normAndEmbeddingParameters } from './parameters.js';

/** SUTA's settings. */
export interface SutaSettings extends TtaCommonSettings {
  /** Weight of the entropy term (the MCC term gets 1 − this); default 0.3. */
  entropyWeight: number;
  /** Temperature dividing the frame logits; default 2.5. */
  temperature: number;
  /** Where silence ends between the quietest and loudest column; default 0.1 (0: no frame is left out). */
  silenceFraction: number;
}

/** SUTA's recipe: AdamW 2e-5, 10 steps, one utterance at a time, episodic; no weight decay. */
export function sutaDefaults(): SutaSettings {
  return {
    mode: 'episodic', batch: 1, steps: 10, optimizer: 'adamw', learningRate: 2e-5, momentum: 0, weightDecay: 0, seed: 0,
    entropyWeight: 0.3, temperature: 2.5, silenceFraction: 0.1,
  };
}

/** Which time columns of the patch grid carry speech, from the mean energy of each column of a `[frames, mels]` fbank. */
export function voicedColumns(fbank: Float32Array, frames: number, mels: number, patchSize: number, silenceFraction: number): boolean[] {
  const columns = frames / patchSize;
  const energy = Array.from({ length: columns }, (_, t) => {
    let sum = 0;
    for (let i = t * patchSize * mels; i < (t + 1) * patchSize * mels; i++) sum += fbank[i];
    return sum / (patchSize * mels);
  });
  const low = Math.min(...energy);
  const high = Math.max(...energy);
  const voiced = energy.map((e) => e >= low + silenceFraction * (high - low));
  return voiced.some(Boolean) ? voiced : voiced.map(() => true);
}

/** SUTA's objective on one clip's frame logits `[T, C]` (already divided by the temperature): entropy over voiced frames and MCC over all. */
export function sutaLoss(scaledFrameLogits: tf.Tensor2D, voiced: readonly boolean[], entropyWeight: number): tf.Scalar {
  return tf.tidy(() => {
    const weights: number[] = voiced.map((v) => (v ? 1 : 0));
    const count = weights.reduce((a, b) => a + b, 0);
    const entropy = tf.div(tf.sum(tf.mul(softmaxEntropy(scaledFrameLogits), tf.tensor1d(weights))), count);
    return tf.add(tf.mul(entropy, entropyWeight), tf.mul(minimumClassConfusion(scaledFrameLogits), 1 - entropyWeight)) as tf.Scalar;
  });
}

/** Throws on a setting SUTA cannot run with (before any tensor is made). */
function checkSuta(settings: SutaSettings): SutaSettings {
  if (settings.batch !== 1) throw new Error(`suta: batch must be 1 (it adapts per utterance), got ${settings.batch}`);
  if (!(settings.temperature > 0)) throw new Error(`suta: temperature must be > 0, got ${settings.temperature}`);
  if (!(settings.entropyWeight >= 0 && settings.entropyWeight <= 1)) throw new Error(`suta: entropyWeight must be in [0, 1], got ${settings.entropyWeight}`);
  if (!(settings.silenceFraction >= 0 && settings.silenceFraction < 1)) throw new Error(`suta: silenceFraction must be in [0, 1), got ${settings.silenceFraction}`);
  return settings;
}

/** SUTA, one clip at a time. */
export class Suta extends TtaBase {
  constructor(model: MaeModel, readonly settings: SutaSettings) {
    super(model, normAndEmbeddingParameters(model), checkSuta(settings), 'suta');
  }

  /** Clip logits `[1, C]` and frame logits `[T, C]` from one encoder pass (call inside a tidy). */
  frameAndClipLogits(fbanks: tf.Tensor3D): { clip: tf.Tensor2D; frames: tf.Tensor2D } {
    const { config } = this.model;
    const params = this.parameters();
    const head = params.head as NonNullable<typeof params.head>;
    const context = { frozen: this.context.frozen };
    const tokens = forwardEncoder(params.encoder, config, this.model.posEmbed.encoder, patchify(fbanks, config.patchSize), undefined, context); // [1, (1)+N, D]
    const clip = forwardHead(head, poolTokens(tokens, this.model.headConfig?.pool ?? 'mean', config.clsToken), context);
    const { timePatches, freqPatches } = patchGrid(config);
    const patchTokens = config.clsToken ? tf.slice(tokens, [0, 1, 0], [1, timePatches * freqPatches, config.embedDim]) : tokens;
    const columns = tf.mean(tf.reshape(patchTokens, [timePatches, freqPatches, config.embedDim]), 1) as tf.Tensor2D; // [T, D]: tokens are time-major
    return { clip, frames: forwardHead(head, columns, context) };
  }

  protected adaptStep(fbanks: tf.Tensor3D, _clips: readonly TttClip[], _step: number, training: boolean): StepOutput {
    const { inputFrames, melBins, patchSize } = this.model.config;
    const voiced = voicedColumns(fbanks.dataSync() as Float32Array, inputFrames, melBins, patchSize, this.settings.silenceFraction);
    let logits: tf.Tensor | undefined;
    let loss: tf.Tensor | undefined;
    const objective = () => {
      const { clip, frames } = this.frameAndClipLogits(fbanks);
      const value = sutaLoss(tf.div(frames, this.settings.temperature), voiced, this.settings.entropyWeight);
      logits = tf.keep(clip);
      loss = tf.keep(tf.reshape(value, [1]));
      return value;
    };
    if (training) this.applyAndDispose(this.gradients(objective));
    else tf.tidy(() => void objective());
    const numClasses = (logits as tf.Tensor).shape[1] as number;
    const [logitValues, losses] = readAndDispose(logits as tf.Tensor, loss as tf.Tensor);
    return { logits: logitValues, numClasses, losses };
  }
}
