/**
 * What goes into TTT (test clips) and what comes out of it (one record per clip and step).
 */
import type * as tf from '@tensorflow/tfjs';
import type { MaeModel, MaeParams } from '../model/index.js';

/** One test clip: a normalised fbank shaped as the model's input, with its true label. */
export interface TttClip {
  /** Stable id (results join on it; masks are seeded with it). */
  id: string;
  /** Normalised fbank `[inputFrames, melBins]`, as a tensor or row-major values. */
  fbank: tf.Tensor2D | Float32Array;
  /** True class index. */
  label: number;
}

/**
 * `ok`: adapted normally. `diverged`: the clip's loss went non-finite or past the bound; its
 * weights went back to the source weights and its prediction is the step-0 one from then on.
 * `reset`: (online TTT) the carried-over weights were reset to the source weights before
 * this clip, by the reset policy.
 */
export type StepStatus = 'ok' | 'diverged' | 'reset';

/** The state of one clip after `step` updates. */
export interface StepRecord {
  /** Updates taken (0 = the source weights, or the carried-over weights online). */
  step: number;
  /**
   * MAE loss of the weights after `step` updates, on the mask that update `step + 1` uses (a
   * mask these weights were not trained on). At the step where a clip diverges it is the loss
   * that triggered it; after that, the step-0 loss (the weights are the source weights again).
   */
  loss: number;
  /** Arg-max class of the logits. */
  predicted: number;
  /** Class logits of the whole (unmasked) clip. */
  logits: number[];
  /** Milliseconds this step cost the clip: the step's wall time, divided by the clips that shared it. 0 where nothing ran. */
  ms: number;
  status: StepStatus;
}

/** One clip's TTT from step 0 to K. */
export interface ClipTrace {
  clip: string;
  label: number;
  /** Steps 0 … K in order. */
  steps: StepRecord[];
  /** First step whose status is `diverged`, or `null`. */
  divergedAt: number | null;
}

/** Hooks for tests and diagnostics. */
export interface TttHooks {
  /**
   * When it returns true for (clip, step) with step < K, that step's update is made from NaN
   * gradients: the clip's weights become NaN and its next loss is NaN, which exercises the
   * divergence path end to end.
   */
  forceNaN?: (clip: string, step: number) => boolean;
  /**
   * Called after the last step of per-sample or batched TTT, before the source weights come
   * back, with the clips in batch order and the parameters they were classified with at step
   * K (batched: bias copies `[B, 1, d]`); e.g. to measure a loss or draw a reconstruction.
   * The tensors are valid only during the call.
   */
  onAdapted?: (clips: readonly string[], params: MaeParams<tf.Tensor>) => void;
}

/**
 * A method that adapts to a stream of test clips, a batch at a time, in stream order: the
 * label-free adaptation baselines of lib/tta, and TTT wrapped to the same shape. The
 * evaluation loop treats every such method alike.
 */
export interface StreamMethod {
  /** Clips per {@link StreamMethod.adaptBatch} call (a last, smaller batch is allowed). */
  readonly batch: number;
  /** Rows per clip are steps 0 … `steps`. */
  readonly steps: number;
  /** True when what one batch taught carries over to the next, so a clip's result depends on the stream before it. */
  readonly online: boolean;
  /** Adapts to the next batch of the stream and returns one trace per clip, in order. */
  adaptBatch(clips: readonly TttClip[]): ClipTrace[];
  /** Frees everything the method holds (the model is untouched). */
  dispose(): void;
  /** Bytes of state held beyond the model (working copies, optimizer state, teacher, …), float32. */
  memoryBytes?(): number;
}

/** How {@link StreamMethod}s are made for an evaluation, and what its rows record about them. */
export interface StreamMethodFactory {
  /** Builds the method for one test set; `seed` is the run's. */
  create(model: MaeModel, clips: readonly TttClip[], seed: number): StreamMethod;
  /** Parameter group label for the rows (e.g. `layernorm`). */
  group: string;
  /** Optimizer label for the rows (e.g. `sgd`). */
  optimizer: string;
  /** Clips per batch. */
  batch: number;
  /** Rows per clip are steps 0 … `steps`. */
  steps: number;
  /** Every resolved setting, recorded in `config.json` (JSON values only). */
  settings: Record<string, unknown>;
}
