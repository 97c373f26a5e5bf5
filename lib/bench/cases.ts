/**
 * The benchmark cases, named `<what>-<group>-<mode>[-B<n>]` as DESIGN.md fixes them. Each
 * case loads its own copy of the checkpoint, so a case that trains (pre-training) cannot
 * change what a later case measures, and feeds it random inputs of the model's shape: the
 * cost of these passes does not depend on the values.
 *
 * TTT cases time exactly one step (MAE loss on a fresh mask, gradients, optimizer update),
 * built from the same pieces `PerSampleTtt` and `BatchedBitFit` compose
 * (`createPassContext`, `AdaptedParameters`, `createOptimizer`, `lossAndGradients`): those
 * runners also classify the clip and check for divergence after every step, which a
 * per-step figure should not include.
 *
 * Every call reads its result back asynchronously and, on a GPU, waits for the kernels it
 * queued (the optimizer update runs after the read-back of the losses), so a figure covers
 * all of the call's work on every backend. The large-batch cases ({@link LARGE_BATCH_CASES})
 * are where a GPU pays; they run by default on the webgpu backend only.
 */
import * as tf from '@tensorflow/tfjs';
import { finishQueuedWork } from '../backend/index.js';
import { fbank, DEFAULT_FBANK_OPTIONS } from '../features/index.js';
import {
  attachHead,
  DEFAULT_MASK_RATIO,
  disposeModel,
  forwardClassifier,
  loadCheckpoint,
  patchGrid,
  randomMasking,
  selectParameters,
  type MaeModel,
} from '../model/index.js';
import { AdamW, maeTrainStepAsync } from '../train/index.js';
import { AdaptedParameters, createOptimizer, createPassContext, encoderGroup, isVectorGroup, lossAndGradientsAsync, resolveTttConfig } from '../ttt/index.js';
import { createRng, deriveSeed, gaussian, type Rng } from '../util/index.js';
import type { TimedWork } from './timing.js';

/** Classes of the head the classifier case attaches (the speaking-style task's 4). */
export const BENCH_HEAD_CLASSES = 4;

/** Length of the clip of the `fbank-4s` case, in seconds. */
export const FBANK_CLIP_SECONDS = 4;

/**
 * Pre-training settings of the `pretrain-step` case: `pretrainMae`'s defaults, which made
 * `models/mae-tiny` (its `config.json` records them).
 */
export const PRETRAIN_BENCH_SETTINGS = Object.freeze({ learningRate: 1.5e-3, betas: [0.9, 0.95] as const, weightDecay: 0.05, gradientClipNorm: 1 });

/** What every case is prepared from. */
export interface CaseSetup {
  /** Checkpoint folder of the model. */
  checkpoint: string;
  /** Seed of the random inputs and masks. */
  seed: number;
}

/** A case ready to be timed; dispose it afterwards. */
export interface PreparedCase extends TimedWork {
  /** What one call does, for the report's `notes`. */
  notes: string;
  /** Frees the model copy, inputs and optimizer state. */
  dispose(): void;
}

/** One benchmark case. */
export interface BenchCase {
  /** `<what>-<group>-<mode>[-B<n>]`. */
  name: string;
  /** Clips one call handles; a batched case's time covers all of them. */
  clips: number;
  /** Loads the model and builds the inputs (untimed). */
  prepare(setup: CaseSetup): PreparedCase;
}

/** The checkpoint's model alone; stored non-parameter tensors (none in a finished checkpoint) are freed at once. */
function loadModel(dir: string): MaeModel {
  const { model, tensors } = loadCheckpoint(dir);
  tf.dispose([...tensors.values()]);
  return model;
}

/** `[batch, frames, mels]` of N(0, 1) values: the scale of normalised fbanks. */
function randomFbanks(model: MaeModel, batch: number, rng: Rng): tf.Tensor3D {
  const { inputFrames, melBins } = model.config;
  const values = new Float32Array(batch * inputFrames * melBins);
  for (let i = 0; i < values.length; i++) values[i] = gaussian(rng);
  return tf.tensor3d(values, [batch, inputFrames, melBins]);
}

function plural(n: number, word: string): string {
  return `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
}

function checkFinite(values: ArrayLike<number>, what: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) throw new Error(`${what} is not finite (${values[i]}): the benchmark would time a broken pass`);
  }
}

/** The log-mel fbank of one clip of {@link FBANK_CLIP_SECONDS} of noise, with the AudioMAE defaults. */
function fbankCase(): BenchCase {
  return {
    name: `fbank-${FBANK_CLIP_SECONDS}s`,
    clips: 1,
    prepare(setup) {
      const rng = createRng(deriveSeed(setup.seed, 'bench:fbank'));
      const samples = new Float32Array(FBANK_CLIP_SECONDS * DEFAULT_FBANK_OPTIONS.sampleRate);
      for (let i = 0; i < samples.length; i++) samples[i] = 0.1 * gaussian(rng);
      let shape = '';
      return {
        get notes() {
          return `${FBANK_CLIP_SECONDS} s at ${DEFAULT_FBANK_OPTIONS.sampleRate / 1000} kHz -> ${shape} log-mel (25 ms povey, 10 ms hop), read back`;
        },
        async run() {
          const features = fbank(samples);
          try {
            // Reading the values back is what ends the call on every backend, and what a caller of fbank pays.
            await features.data();
            shape = features.shape.join('x');
          } finally {
            features.dispose();
          }
        },
        dispose() {},
      };
    },
  };
}

/** Classification of one whole clip: encoder on every patch, mean pooling, a linear head. */
function forwardCase(): BenchCase {
  return {
    name: 'forward-per-sample',
    clips: 1,
    prepare(setup) {
      const model = loadModel(setup.checkpoint);
      attachHead(model, { numClasses: BENCH_HEAD_CLASSES }, setup.seed);
      const fbanks = randomFbanks(model, 1, createRng(deriveSeed(setup.seed, 'bench:forward')));
      const { numPatches } = patchGrid(model.config);
      return {
        notes: `B=1, all ${numPatches} patches through the encoder, mean pooling, linear head (${BENCH_HEAD_CLASSES} classes), no gradient`,
        async run() {
          const logits = tf.tidy(() => forwardClassifier(model, fbanks));
          try {
            checkFinite(await logits.data(), 'a logit');
          } finally {
            logits.dispose();
          }
        },
        dispose() {
          fbanks.dispose();
          disposeModel(model);
        },
      };
    },
  };
}

/**
 * How the copies of a TTT step are laid out: `per-sample` one clip with copies of the
 * parameters' own shapes (as `PerSampleTtt` keeps them); `per-clip` `batch` clips with one
 * bias copy per clip (`[B, 1, d]`, as `BatchedBitFit` keeps them, losses summed);
 * `shared` `batch` clips (or masked views) adapting one copy on their mean loss (as the
 * online runner's window does).
 */
type CopyLayout = 'per-sample' | 'per-clip' | 'shared';

/** One TTT step of `group` (see {@link CopyLayout}). */
function tttStepCase(group: 'all' | 'bias', layout: CopyLayout, batch = 1): BenchCase {
  const mode = layout === 'per-sample' ? 'per-sample' : `batched-B${batch}`;
  return {
    name: `ttt-${group}-${mode}`,
    clips: batch,
    prepare(setup) {
      const model = loadModel(setup.checkpoint);
      const trained = encoderGroup(model, group);
      const config = resolveTttConfig({}, { vectorsOnly: isVectorGroup(trained) });
      const context = createPassContext(model, trained);
      const state = new AdaptedParameters(trained, layout === 'per-clip' ? batch : null);
      const optimizer = createOptimizer(config, state.variables, state.matrixNames);
      const rng = createRng(deriveSeed(setup.seed, `bench:${group}:${mode}`));
      const fbanks = randomFbanks(model, batch, rng);
      const grid = patchGrid(model.config);
      let kept = 0;
      return {
        get notes() {
          const copies = layout === 'per-clip' ? batch : 1;
          return (
            `${plural(state.size / copies, 'parameter')} in ${plural(trained.size, 'tensor')} per ${layout === 'shared' ? 'step, shared by the clips' : 'clip'}; ` +
            `${config.optimizer.toUpperCase()} momentum ${config.momentum}, lr ${config.learningRate}; ` +
            `mask ${config.mask.ratio} (${kept} of ${grid.numPatches} patches visible)`
          );
        },
        // Every step starts from the source weights with fresh optimizer state, as the first step of a clip does;
        // the work of a step does not depend on how far the copies have moved.
        reset() {
          state.reset();
          optimizer.reset();
        },
        async run() {
          const plan = randomMasking(grid, batch, rng, config.mask);
          kept = plan.keepCount;
          const { losses, grads } = await lossAndGradientsAsync(context, state, fbanks, plan, layout === 'shared' ? 'mean' : 'sum');
          try {
            checkFinite(losses, 'a TTT loss');
            optimizer.apply(grads);
          } finally {
            tf.dispose([...grads.values()]);
          }
          await finishQueuedWork();
        },
        dispose() {
          optimizer.dispose();
          state.dispose();
          context.frozen.dispose();
          fbanks.dispose();
          disposeModel(model);
        },
      };
    },
  };
}

/** One MAE pre-training step on `batch` clips: loss, gradients of encoder and decoder, clipping, AdamW. */
function pretrainCase(batch: number): BenchCase {
  return {
    name: `pretrain-step-B${batch}`,
    clips: batch,
    prepare(setup) {
      const model = loadModel(setup.checkpoint);
      // What pretrainMae trains: encoder and decoder, never a head.
      const params = selectParameters(model, (name) => name.startsWith('encoder.') || name.startsWith('decoder.'));
      const { learningRate, betas, weightDecay, gradientClipNorm } = PRETRAIN_BENCH_SETTINGS;
      const optimizer = new AdamW(params, { beta1: betas[0], beta2: betas[1], weightDecay });
      const rng = createRng(deriveSeed(setup.seed, `bench:pretrain:${batch}`));
      const fbanks = randomFbanks(model, batch, rng);
      const grid = patchGrid(model.config);
      let count = 0;
      for (const variable of params.values()) count += variable.size;
      return {
        notes:
          `B=${batch}, ${plural(count, 'parameter')} in ${plural(params.size, 'tensor')}; AdamW lr ${learningRate}, ` +
          `betas ${betas.join('/')}, weight decay ${weightDecay}, clip ${gradientClipNorm}; mask ${DEFAULT_MASK_RATIO}`,
        async run() {
          const plan = randomMasking(grid, batch, rng, { ratio: DEFAULT_MASK_RATIO });
          // The step reads loss and gradient norm back after the update.
          const result = await maeTrainStepAsync(model, optimizer, fbanks, plan, learningRate, { gradientClipNorm });
          checkFinite([result.loss, result.gradNorm], 'the pre-training loss');
          await finishQueuedWork();
        },
        dispose() {
          optimizer.dispose();
          fbanks.dispose();
          disposeModel(model);
        },
      };
    },
  };
}

/** Batch sizes of the batched BitFit cases. */
export const BATCHED_BITFIT_SIZES: readonly number[] = [1, 4, 8, 16];

/**
 * Cases at the batch sizes where a GPU pays (a step costs about the same at any batch up to
 * 64 there), far too slow for the CPU backends' default run: all-parameter TTT of 8 and 64
 * clips (or masked views) sharing one copy, batched BitFit of 64 clips, a pre-training step
 * of 64 clips.
 */
export const LARGE_BATCH_CASES: readonly string[] = ['ttt-all-batched-B8', 'ttt-all-batched-B64', 'ttt-bias-batched-B64', 'pretrain-step-B64'];

/** Every case, in the order they run and are reported; `largeBatches` adds {@link LARGE_BATCH_CASES}. */
export function benchCases(options: { largeBatches?: boolean } = {}): BenchCase[] {
  const large = options.largeBatches === true;
  return [
    fbankCase(),
    forwardCase(),
    tttStepCase('all', 'per-sample'),
    ...(large ? [8, 64].map((b) => tttStepCase('all', 'shared', b)) : []),
    tttStepCase('bias', 'per-sample'),
    ...[...BATCHED_BITFIT_SIZES, ...(large ? [64] : [])].map((b) => tttStepCase('bias', 'per-clip', b)),
    pretrainCase(8),
    ...(large ? [pretrainCase(64)] : []),
  ];
}

/** The names of every case, in order (see {@link benchCases}). */
export function benchCaseNames(options: { largeBatches?: boolean } = {}): string[] {
  return benchCases(options).map((c) => c.name);
}

/** True when `pattern` is the case's name or its leading dash-separated parts (`ttt-bias` but not `ttt-bi`, and `…-B1` not `…-B16`). */
function picks(pattern: string, name: string): boolean {
  return name === pattern || name.startsWith(`${pattern}-`);
}

/**
 * The cases a list of names or name prefixes picks (`ttt-bias-batched` picks all four batch
 * sizes), in the standard order; none given: every case. A large-batch case is picked only
 * by its full name, or with `largeBatches`. Throws on a name that picks nothing.
 */
export function selectCases(patterns?: readonly string[], options: { largeBatches?: boolean } = {}): BenchCase[] {
  if (patterns === undefined || patterns.length === 0) return benchCases(options);
  const named = patterns.some((p) => LARGE_BATCH_CASES.includes(p));
  const all = benchCases({ largeBatches: options.largeBatches === true || named });
  if (named && options.largeBatches !== true) {
    // Only the large cases named in full join the standard ones.
    const keep = (name: string) => !LARGE_BATCH_CASES.includes(name) || patterns.includes(name);
    return selectFrom(all.filter((c) => keep(c.name)), patterns);
  }
  return selectFrom(all, patterns);
}

function selectFrom(all: BenchCase[], patterns: readonly string[]): BenchCase[] {
  for (const pattern of patterns) {
    if (!all.some((c) => picks(pattern, c.name))) {
      throw new Error(`no benchmark case is called or starts with '${pattern}'; cases: ${all.map((c) => c.name).join(', ')}`);
    }
  }
  return all.filter((c) => patterns.some((pattern) => picks(pattern, c.name)));
}
