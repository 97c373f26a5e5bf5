/**
 * What every adaptation baseline shares: working copies of the parameters it adapts (the
 * model's own variables never change, so a reset is an assignment of the source values and
 * bit-exact), an optimizer, the step loop that writes rows in the TTT results format, and
 * the two modes.
 *
 * - `episodic`: every batch starts from the source weights and a fresh optimizer, and the
 *   source weights are in force again after it (TENT's `episodic` flag, MEMO, SUTA).
 * - `online`: weights and optimizer state carry over from batch to batch (TENT's default,
 *   EATA, SAR, CoTTA), with an optional reset to the source every n batches; SAR adds its
 *   own reset on collapse.
 *
 * Rows: for steps s = 0 … K, `predicted` is what the method outputs with the weights after
 * s updates on this batch, and `loss` is its objective for that clip before update s + 1
 * (at s = K, measured without an update). TENT, EATA, SAR and CoTTA publish the prediction of
 * the forward pass that also computes their loss, which is step 0 here; MEMO and SUTA
 * publish the prediction after their updates, step K.
 */
import * as tf from '@tensorflow/tfjs';
import { forwardClassifier, type MaeModel, type MaeParams } from '../model/index.js';
import { FbankStore } from '../train/index.js';
import {
  AdaptedParameters,
  classification,
  createOptimizer,
  createPassContext,
  resolveTttConfig,
  type ClipTrace,
  type PassContext,
  type StepStatus,
  type StreamMethod,
  type TttClip,
  type TttOptimizer,
} from '../ttt/index.js';

/** Whether adaptation resets after every batch or carries over the stream. */
export type TtaMode = 'episodic' | 'online';

/** The settings every baseline has. */
export interface TtaCommonSettings {
  mode: TtaMode;
  /** Clips per batch. */
  batch: number;
  /** Updates per batch (K). */
  steps: number;
  optimizer: 'sgd' | 'adamw';
  learningRate: number;
  /** SGD momentum (PyTorch convention). */
  momentum: number;
  /** Weight decay (AdamW: decoupled, matrices only). */
  weightDecay: number;
  /** Online only: back to the source weights before every n-th batch (counting from 0); absent: never. */
  resetEvery?: number;
  /** Seeds augmentations and stochastic restores. */
  seed: number;
}

/** What one step of a method reports, for each clip of the batch. */
export interface StepOutput {
  /** `[B, classes]` row-major: what the method predicts with the current weights. */
  logits: Float32Array;
  numClasses: number;
  /** `[B]`: the method's objective per clip. */
  losses: Float32Array;
}

/** Checks the shared settings, naming the bad key. */
export function validateCommon(method: string, settings: TtaCommonSettings): void {
  const fail = (key: string, what: string, value: unknown) => {
    throw new Error(`${method}: ${key} must be ${what}, got ${String(value)}`);
  };
  if (settings.mode !== 'episodic' && settings.mode !== 'online') fail('mode', "'episodic' or 'online'", settings.mode);
  if (!Number.isInteger(settings.batch) || settings.batch < 1) fail('batch', 'a positive integer', settings.batch);
  if (!Number.isInteger(settings.steps) || settings.steps < 1) fail('steps', 'a positive integer', settings.steps);
  if (settings.resetEvery !== undefined && (!Number.isInteger(settings.resetEvery) || settings.resetEvery < 1)) fail('resetEvery', 'a positive integer', settings.resetEvery);
  if (settings.resetEvery !== undefined && settings.mode === 'episodic') throw new Error(`${method}: resetEvery applies to online mode only`);
  if (!Number.isInteger(settings.seed) || settings.seed < 0) fail('seed', 'an integer ≥ 0', settings.seed);
}

/** Maps each variable to its gradient (zeros where the objective does not reach it). */
export type Gradients = Map<string, tf.Tensor>;

/** The shared machinery; a method supplies {@link TtaBase.adaptStep}. */
export abstract class TtaBase implements StreamMethod {
  readonly batch: number;
  readonly steps: number;
  readonly online: boolean;
  /** Working copies of the adapted parameters. */
  readonly state: AdaptedParameters;
  /** Forward and backward passes taken with gradients so far (SAR takes two per update). */
  gradientPasses = 0;
  /** Batches seen so far. */
  batchesSeen = 0;
  protected readonly optimizer: TttOptimizer;
  protected readonly context: PassContext;
  /** Set when the weights went back to the source after a batch, so the next batch's rows say `reset`. */
  protected resetBeforeNext = false;

  constructor(readonly model: MaeModel, trained: ReadonlyMap<string, tf.Variable>, readonly common: TtaCommonSettings, readonly methodName: string) {
    if (!model.params.head) throw new Error(`${methodName} classifies: the model needs a classifier head (attachHead or a checkpoint with one)`);
    validateCommon(methodName, common);
    if (trained.size === 0) throw new Error(`${methodName}: no parameter to adapt`);
    this.batch = common.batch;
    this.steps = common.steps;
    this.online = common.mode === 'online';
    // Settings are checked before any tensor exists, so a bad one leaks nothing.
    const config = resolveTttConfig({ optimizer: common.optimizer, learningRate: common.learningRate, momentum: common.momentum, weightDecay: common.weightDecay, steps: common.steps });
    this.context = createPassContext(model, trained);
    this.state = new AdaptedParameters(trained);
    this.optimizer = createOptimizer(config, this.state.variables, this.state.matrixNames);
  }

  /** One step on the batch: report predictions and losses of the current weights, and update them when `training`. */
  protected abstract adaptStep(fbanks: tf.Tensor3D, clips: readonly TttClip[], step: number, training: boolean): StepOutput;

  /** Back to the source weights and a fresh optimizer (methods with more state extend it). */
  reset(): void {
    this.state.reset();
    this.optimizer.reset();
  }

  /** Adapts to the next batch of the stream; one trace per clip. */
  adaptBatch(clips: readonly TttClip[]): ClipTrace[] {
    if (clips.length === 0 || clips.length > this.batch) throw new Error(`${this.methodName}: ${clips.length} clips for batches of ${this.batch}`);
    const { inputFrames, melBins } = this.model.config;
    const fbanks = new FbankStore(clips.map((clip) => clip.fbank), inputFrames, melBins).batch(clips.map((_, i) => i));
    let status: StepStatus = this.resetBeforeNext ? 'reset' : 'ok';
    this.resetBeforeNext = false;
    const every = this.common.resetEvery;
    if (this.online && every !== undefined && this.batchesSeen > 0 && this.batchesSeen % every === 0) {
      this.reset();
      status = 'reset';
    }
    const traces: ClipTrace[] = clips.map((clip) => ({ clip: clip.id, label: clip.label, steps: [], divergedAt: null }));
    try {
      for (let step = 0; step <= this.steps; step++) {
        const started = performance.now();
        const { logits, numClasses, losses } = this.adaptStep(fbanks, clips, step, step < this.steps);
        const ms = (performance.now() - started) / clips.length;
        const { predicted } = classification(logits, numClasses);
        clips.forEach((_, i) => {
          const row = Array.from(logits.subarray(i * numClasses, (i + 1) * numClasses));
          traces[i].steps.push({ step, loss: losses[i], predicted: predicted[i], logits: row, ms, status });
        });
      }
    } finally {
      fbanks.dispose();
      this.batchesSeen += 1;
      if (!this.online) this.reset();
    }
    return traces;
  }

  /** The model's parameters with the working copies in place. */
  protected parameters(): MaeParams<tf.Tensor> {
    return this.state.parameters(this.model);
  }

  /** Class logits of whole fbanks with the working copies (call inside a tidy). `[B, frames, mels] -> [B, C]`. */
  protected classifierLogits(fbanks: tf.Tensor3D, params: MaeParams<tf.Tensor> = this.parameters()): tf.Tensor2D {
    return forwardClassifier(this.model, fbanks, { encoder: params.encoder, head: params.head, context: { frozen: this.context.frozen } });
  }

  /**
   * Gradients of `objective` with respect to the working copies, from one forward and
   * backward pass. Tensors the objective wants to keep must be `tf.keep`-ed by it.
   */
  protected gradients(objective: () => tf.Scalar): Gradients {
    const names = [...this.state.variables.keys()];
    const variables = [...this.state.variables.values()];
    this.gradientPasses += 1;
    const grads = tf.tidy(() => {
      const { grads: byVariable } = tf.variableGrads(objective, variables);
      return variables.map((variable) => byVariable[variable.name] ?? tf.zerosLike(variable));
    });
    return new Map(names.map((name, i) => [name, grads[i]]));
  }

  /** Applies gradients with the optimizer and frees them. */
  protected applyAndDispose(grads: Gradients): void {
    try {
      this.optimizer.apply(grads);
    } finally {
      tf.dispose([...grads.values()]);
    }
  }

  /** Bytes held beyond the model: working copies, optimizer state and what {@link TtaBase.extraScalars} counts, float32. */
  memoryBytes(): number {
    return 4 * (this.state.size * (1 + this.optimizer.slotsPerParameter) + this.extraScalars());
  }

  /** Scalars a method keeps besides copies and optimizer state (a teacher, a Fisher estimate). */
  protected extraScalars(): number {
    return 0;
  }

  /** Frees copies, optimizer state and cached transposes (the model is untouched). */
  dispose(): void {
    this.optimizer.dispose();
    this.state.dispose();
    this.context.frozen.dispose();
  }
}

/** The values of tensors, then disposes them. */
export function readAndDispose(...tensors: tf.Tensor[]): Float32Array[] {
  try {
    return tensors.map((t) => t.dataSync() as Float32Array);
  } finally {
    tf.dispose(tensors);
  }
}

/** Published learning rates are given for a batch size; TENT, EATA and SAR scale them linearly with the batch. */
export function scaledLearningRate(publishedRate: number, publishedBatch: number, batch: number): number {
  return (publishedRate * batch) / publishedBatch;
}
