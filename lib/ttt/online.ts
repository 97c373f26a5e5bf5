/**
 * Online TTT: the clips of a stream adapt one set of weights in turn, with no reset between
 * clips, so what one clip taught carries over to the next (optimizer state included). Each
 * clip takes K steps on the mean MAE loss of a sliding window: itself and the `window − 1`
 * clips before it. A reset policy returns to the source weights every n clips, or when a
 * clip's loss on arrival exceeds a threshold (a sign that the stream has moved on).
 *
 * Rows follow per-sample TTT: step 0 is the clip under the weights it arrived to, the loss
 * is the clip's own (not the window's), and divergence restores the source weights, drops
 * the optimizer state and falls back to the clip's step-0 prediction; the stream then goes
 * on from the source weights.
 */
import * as tf from '@tensorflow/tfjs';
import type { MaeModel } from '../model/index.js';
import { FbankStore } from '../train/index.js';
import { isDiverged } from './adapt.js';
import { resolveTttConfig, type TttConfig, type TttConfigInput } from './config.js';
import { encoderGroup, isVectorGroup, type TttGroup } from './groups.js';
import { stackMasks, stepMask } from './masks.js';
import { createOptimizer, type TttOptimizer } from './optimizers.js';
import { classify, createPassContext, lossAndGradients, maeLosses, type PassContext } from './passes.js';
import { AdaptedParameters } from './state.js';
import type { ClipTrace, StepRecord, StepStatus, TttClip, TttHooks } from './types.js';

/** When online TTT goes back to the source weights. */
export interface ResetPolicy {
  /** Before every n-th clip (clips n, 2n, …, counting from 0). */
  every?: number;
  /** When a clip's step-0 loss under the carried-over weights exceeds this value. */
  lossAbove?: number;
}

/** Options of {@link OnlineTtt}. */
export interface OnlineOptions {
  /** What adapts; default `all`. */
  group?: TttGroup;
  config?: TttConfigInput;
  /** Clips in the TTT batch: the current one and up to `window − 1` before it; default 1. */
  window?: number;
  /** Default: never reset (except after a divergence). */
  reset?: ResetPolicy;
  hooks?: TttHooks;
}

/** A copy of a clip's fbank values (the caller may dispose or reuse its own). */
function fbankValues(fbank: TttClip['fbank']): Float32Array {
  return fbank instanceof Float32Array ? fbank.slice() : (fbank.dataSync() as Float32Array).slice();
}

interface WindowClip {
  id: string;
  values: Float32Array;
}

/** A stream adapter: feed clips in order with {@link OnlineTtt.next}. */
export class OnlineTtt {
  readonly config: TttConfig;
  /** Clips seen so far. */
  seen = 0;
  private readonly window: number;
  private readonly context: PassContext;
  private readonly state: AdaptedParameters;
  private readonly optimizer: TttOptimizer;
  private history: WindowClip[] = [];

  constructor(readonly model: MaeModel, private readonly options: OnlineOptions = {}) {
    if (!model.params.head) throw new Error('TTT classifies after every step: the model needs a classifier head (attachHead or a checkpoint with one)');
    this.window = options.window ?? 1;
    if (!Number.isInteger(this.window) || this.window < 1) throw new Error(`online window must be a positive integer, got ${this.window}`);
    const every = options.reset?.every;
    if (every !== undefined && (!Number.isInteger(every) || every < 1)) throw new Error(`reset.every must be a positive integer, got ${every}`);
    const trained = encoderGroup(model, options.group ?? 'all');
    this.config = resolveTttConfig(options.config, { vectorsOnly: isVectorGroup(trained) });
    this.context = createPassContext(model, trained);
    this.state = new AdaptedParameters(trained);
    this.optimizer = createOptimizer(this.config, this.state.variables, this.state.matrixNames);
  }

  /** Back to the source weights and a fresh optimizer; the window keeps its clips. */
  reset(): void {
    this.state.reset();
    this.optimizer.reset();
  }

  /** Adapts to the next clip of the stream and returns its steps 0 … K. */
  next(clip: TttClip): ClipTrace {
    const { inputFrames, melBins } = this.model.config;
    const store = new FbankStore([...this.history.map((c) => c.values), clip.fbank], inputFrames, melBins);
    const members = [...this.history.map((c) => c.id), clip.id];
    const current = members.length - 1;
    const windowFbanks = store.batch(members.map((_, i) => i));
    const clipFbanks = store.batch([current]);
    let status: StepStatus = 'ok';
    const every = this.options.reset?.every;
    if (every !== undefined && this.seen > 0 && this.seen % every === 0) {
      this.reset();
      status = 'reset';
    }
    try {
      return this.run(clip, members, windowFbanks, clipFbanks, status);
    } finally {
      windowFbanks.dispose();
      clipFbanks.dispose();
      this.seen += 1;
      if (this.window > 1) this.history = [...this.history, { id: clip.id, values: fbankValues(clip.fbank) }].slice(-(this.window - 1));
    }
  }

  private maskKey(clipId: string, memberId: string, isCurrent: boolean): string {
    // The current clip uses its per-sample masks; earlier window members get masks of their own for this clip.
    return isCurrent ? clipId : `${clipId}<${memberId}`;
  }

  private run(clip: TttClip, members: string[], windowFbanks: tf.Tensor3D, clipFbanks: tf.Tensor3D, arrival: StepStatus): ClipTrace {
    const K = this.config.steps;
    const current = members.length - 1;
    const trace: ClipTrace = { clip: clip.id, label: clip.label, steps: [], divergedAt: null };
    let step0: StepRecord | undefined;
    for (let step = 0; step <= K; step++) {
      if (trace.divergedAt !== null) {
        trace.steps.push({ ...(step0 as StepRecord), step, ms: 0, status: 'diverged' });
        continue;
      }
      const started = performance.now();
      const plan = stackMasks(members.map((id, i) => stepMask(this.model, this.config, this.maskKey(clip.id, id, i === current), step + 1)));
      const training = step < K && this.state.size > 0;
      const poisoned = training && this.options.hooks?.forceNaN?.(clip.id, step) ? [0] : [];
      const pass = training ? lossAndGradients(this.context, this.state, windowFbanks, plan, 'mean', poisoned) : undefined;
      try {
        const loss = (pass ? pass.losses : maeLosses(this.context, this.state, windowFbanks, plan))[current];
        const { logits, predicted } = classify(this.context, this.state, clipFbanks);
        const lossAbove = this.options.reset?.lossAbove;
        if (step === 0 && arrival !== 'reset' && this.seen > 0 && lossAbove !== undefined && loss > lossAbove) {
          // Nothing of this clip has been applied yet: reset, and measure step 0 again from the source weights.
          this.reset();
          arrival = 'reset';
          step = -1;
          continue;
        }
        const record: StepRecord = { step, loss, predicted: predicted[0], logits: Array.from(logits), ms: 0, status: arrival };
        if (step === 0) step0 = record;
        if (isDiverged(loss, (step0 as StepRecord).loss, this.config.maxLossRatio)) {
          trace.divergedAt = step;
          this.reset();
          trace.steps.push({ ...(step0 as StepRecord), step, loss, ms: performance.now() - started, status: 'diverged' });
          continue;
        }
        if (pass) this.optimizer.apply(pass.grads);
        trace.steps.push({ ...record, ms: performance.now() - started });
      } finally {
        if (pass) tf.dispose([...pass.grads.values()]);
      }
    }
    return trace;
  }

  /** Frees copies, optimizer state and cached transposes (the model is untouched). */
  dispose(): void {
    this.optimizer.dispose();
    this.state.dispose();
    this.context.frozen.dispose();
  }
}

/** Online TTT over a stream of clips, in order (sets up, adapts, cleans up). */
export function tttOnline(model: MaeModel, clips: readonly TttClip[], options: OnlineOptions = {}): ClipTrace[] {
  const runner = new OnlineTtt(model, options);
  try {
    return clips.map((clip) => runner.next(clip));
  } finally {
    runner.dispose();
  }
}
