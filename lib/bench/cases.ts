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
 */
import * as tf from '@tensorflow/tfjs';
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
import { AdamW, maeTrainStep } from '../train/index.js';
import { AdaptedParameters, createOptimizer, createPassContext, encoderGroup, isVectorGroup, lossAndGradients, resolveTttConfig } from '../ttt/index.js';
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
        run() {
          const features = fbank(samples);
          try {
            // Reading the values back is what ends the call on every backend, and what a caller of fbank pays.
            features.dataSync();
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
        run() {
          const logits = tf.tidy(() => forwardClassifier(model, fbanks));
          try {
            checkFinite(logits.dataSync(), 'a logit');
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
 * One TTT step of `group` on one clip (`batch` null: the copies have the parameters' own
 * shapes, as `PerSampleTtt` keeps them) or on `batch` clips with one bias copy per clip
 * (`[B, 1, d]`, as `BatchedBitFit` keeps them).
 */
function tttStepCase(group: 'all' | 'bias', batch: number | null): BenchCase {
  const mode = batch === null ? 'per-sample' : `batched-B${batch}`;
  return {
    name: `ttt-${group}-${mode}`,
    clips: batch ?? 1,
    prepare(setup) {
      const model = loadModel(setup.checkpoint);
      const trained = encoderGroup(model, group);
      const config = resolveTttConfig({}, { vectorsOnly: isVectorGroup(trained) });
      const context = createPassContext(model, trained);
      const state = new AdaptedParameters(trained, batch);
      const optimizer = createOptimizer(config, state.variables, state.matrixNames);
      const clips = batch ?? 1;
      const rng = createRng(deriveSeed(setup.seed, `bench:${group}:${mode}`));
      const fbanks = randomFbanks(model, clips, rng);
      const grid = patchGrid(model.config);
      let kept = 0;
      return {
        get notes() {
          const perClip = state.size / clips;
          return (
            `${plural(perClip, 'parameter')} in ${plural(trained.size, 'tensor')} per clip; ` +
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
        run() {
          const plan = randomMasking(grid, clips, rng, config.mask);
          kept = plan.keepCount;
          // lossAndGradients reads the losses back, so the passes have finished when it returns; the
          // update's kernels run synchronously on the CPU backends this benchmark is for.
          const { losses, grads } = lossAndGradients(context, state, fbanks, plan, 'sum');
          try {
            checkFinite(losses, 'a TTT loss');
            optimizer.apply(grads);
          } finally {
            tf.dispose([...grads.values()]);
          }
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
        run() {
          const plan = randomMasking(grid, batch, rng, { ratio: DEFAULT_MASK_RATIO });
          // maeTrainStep reads loss and gradient norm back; the update runs inside it.
          const result = maeTrainStep(model, optimizer, fbanks, plan, learningRate, { gradientClipNorm });
          checkFinite([result.loss, result.gradNorm], 'the pre-training loss');
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

/** Every case, in the order they run and are reported. */
export function benchCases(): BenchCase[] {
  return [
    fbankCase(),
    forwardCase(),
    tttStepCase('all', null),
    tttStepCase('bias', null),
    ...BATCHED_BITFIT_SIZES.map((b) => tttStepCase('bias', b)),
    pretrainCase(8),
  ];
}

/** The names of every case, in order. */
export function benchCaseNames(): string[] {
  return benchCases().map((c) => c.name);
}

/** True when `pattern` is the case's name or its leading dash-separated parts (`ttt-bias` but not `ttt-bi`, and `…-B1` not `…-B16`). */
function picks(pattern: string, name: string): boolean {
  return name === pattern || name.startsWith(`${pattern}-`);
}

/**
 * The cases a list of names or name prefixes picks (`ttt-bias-batched` picks all four batch
 * sizes), in the standard order; none given: every case. Throws on a name that picks nothing.
 */
export function selectCases(patterns?: readonly string[]): BenchCase[] {
  const all = benchCases();
  if (patterns === undefined || patterns.length === 0) return all;
  for (const pattern of patterns) {
    if (!all.some((c) => picks(pattern, c.name))) {
      throw new Error(`no benchmark case is called or starts with '${pattern}'; cases: ${all.map((c) => c.name).join(', ')}`);
    }
  }
  return all.filter((c) => patterns.some((pattern) => picks(pattern, c.name)));
}
