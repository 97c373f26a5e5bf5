/**
 * The TTT step loop shared by per-sample TTT and batched BitFit: for steps 0 … K, measure
 * the MAE loss on a fresh mask, classify the whole clip, check for divergence, update.
 *
 * Divergence: a clip diverges at step s when its loss there is not finite or exceeds
 * `maxLossRatio` × its step-0 loss. Its copies go back to the source weights at once (and,
 * in a batch, after every later update, so its row never drifts again), its optimizer state
 * is dropped, and from step s on its rows are `diverged` and carry its step-0 prediction:
 * restoring the source weights is the same as not adapting, and step 0 is what the source
 * weights predict. The row of step s keeps the loss that triggered the divergence; later
 * rows carry the step-0 loss. The other clips of a batch carry on unaffected.
 */
import * as tf from '@tensorflow/tfjs';
import type { TttConfig } from './config.js';
import { stackMasks, stepMask } from './masks.js';
import type { TttOptimizer } from './optimizers.js';
import { classification, logitTensor, lossAndGradientTensors, maeLossTensor, type PassContext } from './passes.js';
import type { AdaptedParameters } from './state.js';
import type { ClipTrace, StepRecord, TttClip, TttHooks } from './types.js';

/** Everything a loop over steps needs. */
export interface AdaptRun {
  context: PassContext;
  config: TttConfig;
  /** Working copies: shared-shape for one clip, or one row per clip. */
  state: AdaptedParameters;
  optimizer: TttOptimizer;
  hooks?: TttHooks;
}

/** True when `loss` at a step ends a clip's adaptation. */
export function isDiverged(loss: number, step0Loss: number, maxLossRatio: number): boolean {
  return !Number.isFinite(loss) || (Number.isFinite(step0Loss) && loss > maxLossRatio * step0Loss);
}

/**
 * The step loop as a generator that hands out the tensors of a step it needs read (losses and
 * logits, together, so a GPU queues both passes before one read-back) and receives their
 * values: one loop for {@link adaptClips}, which reads synchronously, and
 * {@link adaptClipsAsync}, which reads asynchronously (the webgpu backend in Node can only do
 * that). The driver disposes the tensors once read.
 */
type StepLoop = Generator<tf.Tensor[], ClipTrace[], Float32Array[]>;

/** Runs a {@link StepLoop} with synchronous reads. */
function driveSync(loop: StepLoop): ClipTrace[] {
  let next = loop.next();
  while (!next.done) {
    // Spelt out: the TypeScript inside the notebook kernel does not narrow `next` in this loop.
    const tensors = next.value as tf.Tensor[];
    let values: Float32Array[];
    try {
      values = tensors.map((tensor) => tensor.dataSync() as Float32Array);
    } catch (err) {
      tf.dispose(tensors);
      loop.throw(err); // runs the loop's clean-up, then rethrows
      throw err;
    }
    tf.dispose(tensors);
    next = loop.next(values);
  }
  return next.value as ClipTrace[];
}

/** Runs a {@link StepLoop} with asynchronous reads. */
async function driveAsync(loop: StepLoop): Promise<ClipTrace[]> {
  let next = loop.next();
  while (!next.done) {
    const tensors = next.value as tf.Tensor[];
    let values: Float32Array[];
    try {
      values = (await Promise.all(tensors.map((tensor) => tensor.data()))) as Float32Array[];
    } catch (err) {
      tf.dispose(tensors);
      loop.throw(err);
      throw err;
    }
    tf.dispose(tensors);
    next = loop.next(values);
  }
  return next.value as ClipTrace[];
}

/**
 * Adapts `clips` (whose fbanks are stacked in `fbanks` `[B, frames, mels]`) from the current
 * copies for `config.steps` steps and returns one trace per clip. With shared-shape copies
 * there must be exactly one clip. The caller resets copies and optimizer beforehand.
 */
export function adaptClips(run: AdaptRun, clips: readonly TttClip[], fbanks: tf.Tensor3D): ClipTrace[] {
  return driveSync(stepLoop(run, clips, fbanks));
}

/** {@link adaptClips} with asynchronous reads of losses and logits (for the webgpu backend); the same traces. */
export function adaptClipsAsync(run: AdaptRun, clips: readonly TttClip[], fbanks: tf.Tensor3D): Promise<ClipTrace[]> {
  return driveAsync(stepLoop(run, clips, fbanks));
}

function* stepLoop(run: AdaptRun, clips: readonly TttClip[], fbanks: tf.Tensor3D): StepLoop {
  const { context, config, state, optimizer, hooks } = run;
  const n = clips.length;
  if (state.batch === null ? n !== 1 : n !== state.batch) {
    throw new Error(`adaptClips: ${n} clips for copies of batch ${state.batch ?? 'shared (1 clip)'}`);
  }
  const K = config.steps;
  const traces: ClipTrace[] = clips.map((clip) => ({ clip: clip.id, label: clip.label, steps: [], divergedAt: null }));
  const diverged = new Array<boolean>(n).fill(false);
  const step0: StepRecord[] = [];
  const fallback = (i: number, step: number, loss: number, ms: number): StepRecord => ({
    ...step0[i],
    step,
    loss,
    ms,
    status: 'diverged',
  });

  for (let step = 0; step <= K; step++) {
    if (step > 0 && diverged.every(Boolean)) {
      // Nothing left to adapt: the remaining rows are the step-0 state, at no cost.
      for (let i = 0; i < n; i++) traces[i].steps.push(fallback(i, step, step0[i].loss, 0));
      continue;
    }
    const started = performance.now();
    // The mask of the update that starts from these weights: the loss is measured on a mask they were not trained on.
    const plan = stackMasks(clips.map((clip) => stepMask(context.model, config, clip.id, step + 1)));
    const training = step < K;
    const nanRows = training && hooks?.forceNaN ? clips.flatMap((clip, i) => (hooks.forceNaN?.(clip.id, step) ? [i] : [])) : [];
    const pass = training ? lossAndGradientTensors(context, state, fbanks, plan, 'sum', nanRows) : undefined;
    try {
      const lossTensor = pass ? pass.losses : maeLossTensor(context, state, fbanks, plan);
      let logitsTensor: tf.Tensor2D;
      try {
        logitsTensor = logitTensor(context, state, fbanks);
      } catch (err) {
        lossTensor.dispose();
        throw err;
      }
      const numClasses = logitsTensor.shape[1];
      const [losses, logitValues] = yield [lossTensor, logitsTensor];
      const { logits, predicted } = classification(logitValues, numClasses);
      const newlyDiverged: number[] = [];
      const records: StepRecord[] = clips.map((_, i) => {
        const loss = losses[i];
        const record: StepRecord = {
          step,
          loss,
          predicted: predicted[i],
          logits: Array.from(logits.subarray(i * numClasses, (i + 1) * numClasses)),
          ms: 0,
          status: 'ok',
        };
        if (step === 0) step0[i] = record;
        if (diverged[i]) return fallback(i, step, step0[i].loss, 0);
        if (isDiverged(loss, step0[i].loss, config.maxLossRatio)) {
          diverged[i] = true;
          newlyDiverged.push(i);
          traces[i].divergedAt = step;
          return fallback(i, step, loss, 0);
        }
        return record;
      });
      if (newlyDiverged.length > 0) restore(run, newlyDiverged);
      if (pass && !diverged.every(Boolean)) {
        optimizer.apply(pass.grads);
        // Diverged rows ride along in the batch; put them back after every update so they never move.
        if (state.batch !== null && diverged.some(Boolean)) state.resetRows(diverged.flatMap((d, i) => (d ? [i] : [])));
      }
      const ms = (performance.now() - started) / n;
      records.forEach((record, i) => traces[i].steps.push({ ...record, ms }));
    } finally {
      if (pass) tf.dispose([...pass.grads.values()]);
    }
  }
  hooks?.onAdapted?.(clips.map((clip) => clip.id), state.parameters(context.model));
  return traces;
}

/** Source weights for the given rows (all of them for shared copies, then the optimizer state too). */
function restore(run: AdaptRun, rows: readonly number[]): void {
  if (run.state.batch === null) {
    run.state.reset();
    run.optimizer.reset();
    return;
  }
  run.state.resetRows(rows);
}
