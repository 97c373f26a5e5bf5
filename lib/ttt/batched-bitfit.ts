/**
 * Batched BitFit: B different test clips adapt at once, each with its own copy of the
 * encoder biases (`[B, 1, d]` per bias), in one forward and backward pass per step, while
 * every weight matrix stays frozen (its transpose cached once for all backward passes).
 * The objective is the sum of the per-clip losses, so each copy receives exactly the
 * gradient of its own clip's loss, and the optimizers act elementwise: the result is B
 * independent per-sample BitFit runs, computed together.
 */
import type * as tf from '@tensorflow/tfjs';
import type { MaeModel } from '../model/index.js';
import { FbankStore } from '../train/index.js';
import { adaptClips, adaptClipsAsync, type AdaptRun } from './adapt.js';
import { resolveTttConfig, type TttConfig, type TttConfigInput } from './config.js';
import { encoderGroup, groupLabel, isVectorGroup, type TttGroup } from './groups.js';
import { createOptimizer } from './optimizers.js';
import { createPassContext, type PassContext } from './passes.js';
import { AdaptedParameters } from './state.js';
import type { ClipTrace, TttClip, TttHooks } from './types.js';

/** Options of {@link BatchedBitFit}. */
export interface BatchedBitFitOptions {
  /** Clips adapted together (B); a last, smaller batch is run at its own size. */
  batch: number;
  /** What adapts; default `bias`. Any group of vectors works (`layernorm` too), never matrices. */
  group?: TttGroup;
  config?: TttConfigInput;
  hooks?: TttHooks;
}

/** A model set up for batched per-clip adaptation of its bias vectors. */
export class BatchedBitFit {
  readonly config: TttConfig;
  /** Clips per batch. */
  readonly batch: number;
  private readonly context: PassContext;
  private readonly trained: ReturnType<typeof encoderGroup>;

  constructor(readonly model: MaeModel, private readonly options: BatchedBitFitOptions) {
    if (!model.params.head) throw new Error('TTT classifies after every step: the model needs a classifier head (attachHead or a checkpoint with one)');
    if (!Number.isInteger(options.batch) || options.batch < 1) throw new Error(`batch must be a positive integer, got ${options.batch}`);
    this.config = resolveTttConfig(options.config, { vectorsOnly: true });
    this.batch = options.batch;
    const group = options.group ?? 'bias';
    this.trained = encoderGroup(model, group);
    if (!isVectorGroup(this.trained)) {
      throw new Error(`batched TTT keeps one copy per clip of vector parameters only; group ${groupLabel(group)} holds matrices`);
    }
    this.context = createPassContext(model, this.trained);
  }

  /** Adapts up to `batch` clips together from the source weights; one trace per clip, in order. */
  adaptBatch(clips: readonly TttClip[]): ClipTrace[] {
    const { run, fbanks } = this.begin(clips);
    try {
      return adaptClips(run, clips, fbanks);
    } finally {
      this.end(run, fbanks);
    }
  }

  /** {@link adaptBatch} with asynchronous reads: the way to run it on the webgpu backend. The same traces. */
  async adaptBatchAsync(clips: readonly TttClip[]): Promise<ClipTrace[]> {
    const { run, fbanks } = this.begin(clips);
    try {
      return await adaptClipsAsync(run, clips, fbanks);
    } finally {
      this.end(run, fbanks);
    }
  }

  /** Adapts every clip, `batch` at a time. */
  adaptAll(clips: readonly TttClip[]): ClipTrace[] {
    const traces: ClipTrace[] = [];
    for (let start = 0; start < clips.length; start += this.batch) traces.push(...this.adaptBatch(clips.slice(start, start + this.batch)));
    return traces;
  }

  private begin(clips: readonly TttClip[]): { run: AdaptRun; fbanks: tf.Tensor3D } {
    if (clips.length === 0 || clips.length > this.batch) throw new Error(`adaptBatch: ${clips.length} clips for batches of ${this.batch}`);
    const { inputFrames, melBins } = this.model.config;
    const fbanks = new FbankStore(clips.map((clip) => clip.fbank), inputFrames, melBins).batch(clips.map((_, i) => i));
    // Fresh copies per batch: their starting values are the source, and a smaller last batch needs its own shape.
    const state = new AdaptedParameters(this.trained, clips.length);
    const optimizer = createOptimizer(this.config, state.variables, state.matrixNames);
    return { run: { context: this.context, config: this.config, state, optimizer, hooks: this.options.hooks }, fbanks };
  }

  private end(run: AdaptRun, fbanks: tf.Tensor): void {
    run.optimizer.dispose();
    run.state.dispose();
    fbanks.dispose();
  }

  /** Frees the cached transposes (the model is untouched). */
  dispose(): void {
    this.context.frozen.dispose();
  }
}

/** Batched BitFit over `clips` (sets up, adapts, cleans up). */
export function tttBatchedBitFit(model: MaeModel, clips: readonly TttClip[], options: BatchedBitFitOptions): ClipTrace[] {
  const runner = new BatchedBitFit(model, options);
  try {
    return runner.adaptAll(clips);
  } finally {
    runner.dispose();
  }
}
