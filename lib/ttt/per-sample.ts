/**
 * Per-sample TTT (TTT-MAE): every test clip starts from the source weights, takes K steps on
 * its own MAE loss (a fresh mask each step), is classified after every step, and the weights
 * go back to the source before the next clip. The head and decoder stay frozen.
 */
import type * as tf from '@tensorflow/tfjs';
import type { MaeModel } from '../model/index.js';
import { FbankStore } from '../train/index.js';
import { adaptClips, adaptClipsAsync, type AdaptRun } from './adapt.js';
import { resolveTttConfig, type TttConfig, type TttConfigInput } from './config.js';
import { encoderGroup, isVectorGroup, type TttGroup } from './groups.js';
import { createOptimizer, type TttOptimizer } from './optimizers.js';
import { createPassContext, type PassContext } from './passes.js';
import { AdaptedParameters } from './state.js';
import type { ClipTrace, TttClip, TttHooks } from './types.js';

/** Options of {@link PerSampleTtt} and {@link tttClip}. */
export interface PerSampleOptions {
  /** What adapts; default `all`. `none` classifies with the source weights only. */
  group?: TttGroup;
  /** TTT settings (partial; see `resolveTttConfig`). */
  config?: TttConfigInput;
  hooks?: TttHooks;
}

/** A model set up for per-sample TTT with one group and config; reuse it for many clips, then dispose it. */
export class PerSampleTtt {
  /** The resolved settings. */
  readonly config: TttConfig;
  private readonly context: PassContext;
  private readonly state: AdaptedParameters;
  private readonly optimizer: TttOptimizer;

  constructor(readonly model: MaeModel, private readonly options: PerSampleOptions = {}) {
    if (!model.params.head) throw new Error('TTT classifies after every step: the model needs a classifier head (attachHead or a checkpoint with one)');
    const trained = encoderGroup(model, options.group ?? 'all');
    this.config = resolveTttConfig(options.config, { vectorsOnly: isVectorGroup(trained) });
    this.context = createPassContext(model, trained);
    this.state = new AdaptedParameters(trained);
    this.optimizer = createOptimizer(this.config, this.state.variables, this.state.matrixNames);
  }

  /** Adapts one clip from the source weights and returns its steps 0 … K; the source weights are in force again afterwards. */
  adapt(clip: TttClip): ClipTrace {
    const fbanks = this.begin(clip);
    try {
      return adaptClips(this.run(), [clip], fbanks)[0];
    } finally {
      this.end(fbanks);
    }
  }

  /** {@link adapt} with asynchronous reads: the way to run it on the webgpu backend. The same trace. */
  async adaptAsync(clip: TttClip): Promise<ClipTrace> {
    const fbanks = this.begin(clip);
    try {
      return (await adaptClipsAsync(this.run(), [clip], fbanks))[0];
    } finally {
      this.end(fbanks);
    }
  }

  private begin(clip: TttClip): tf.Tensor3D {
    const { inputFrames, melBins } = this.model.config;
    const fbanks = new FbankStore([clip.fbank], inputFrames, melBins).batch([0]);
    this.state.reset();
    this.optimizer.reset();
    return fbanks;
  }

  private run(): AdaptRun {
    const config = this.state.size === 0 ? { ...this.config, steps: 0 } : this.config;
    return { context: this.context, config, state: this.state, optimizer: this.optimizer, hooks: this.options.hooks };
  }

  private end(fbanks: tf.Tensor): void {
    fbanks.dispose();
    this.state.reset();
  }

  /** Frees the copies, optimizer state and cached transposes (the model is untouched). */
  dispose(): void {
    this.optimizer.dispose();
    this.state.dispose();
    this.context.frozen.dispose();
  }
}

/** Per-sample TTT of a single clip (sets up, adapts, cleans up). */
export function tttClip(model: MaeModel, clip: TttClip, options: PerSampleOptions = {}): ClipTrace {
  const runner = new PerSampleTtt(model, options);
  try {
    return runner.adapt(clip);
  } finally {
    runner.dispose();
  }
}

/** Per-sample TTT of each clip in turn. */
export function tttPerSample(model: MaeModel, clips: readonly TttClip[], options: PerSampleOptions = {}): ClipTrace[] {
  const runner = new PerSampleTtt(model, options);
  try {
    return clips.map((clip) => runner.adapt(clip));
  } finally {
    runner.dispose();
  }
}
