/**
 * MAE pre-training: AdamW with a warm-up + cosine schedule, gradient clipping, a seeded
 * data order and seeded masks, progress reports, and periodic checkpoints that a run
 * resumes from with the same result as an uninterrupted run (every random choice of step
 * s is derived from the seed and s alone, and the optimizer state is stored exactly).
 */
import * as tf from '@tensorflow/tfjs';
import { createProgress, createRng, deriveSeed } from '../util/index.js';
import {
  hasCheckpoint,
  loadWeights,
  patchGrid,
  randomMasking,
  readCheckpointConfig,
  readCheckpointTensors,
  saveCheckpointAsync,
  selectParameters,
  type MaeModel,
  type MaskOptions,
} from '../model/index.js';
import { CropStore, epochBatches, FbankStore, type CroppableFbank, type FbankInput } from './data.js';
import { AdamW } from './optim.js';
import { cosineLearningRate } from './schedule.js';
import { maeTrainStepAsync } from './step.js';

/** Settings of a pre-training run. */
export interface PretrainOptions {
  /** Passes over the data. */
  epochs: number;
  /** Clips per step; an incomplete last batch of an epoch is dropped. */
  batchSize: number;
  /** Peak learning rate; default 1.5e-3 (MAE's 1.5e-4 base rate scaled up for small batches of a small model). */
  learningRate?: number;
  /** Learning rate at the end of the cosine; default 0. */
  minLearningRate?: number;
  /** Warm-up updates; default 5 % of all updates. */
  warmupSteps?: number;
  /** AdamW decoupled weight decay on matrices; default 0.05. */
  weightDecay?: number;
  /** AdamW β1, β2; default 0.9, 0.95. */
  betas?: [number, number];
  /** Clip gradients to this global norm; default 1; `null` turns clipping off. */
  gradientClipNorm?: number | null;
  /** How to mask; default random, ratio 0.75. */
  mask?: MaskOptions;
  /** Seed of data order and masks; default 0. */
  seed?: number;
  /** Folder for checkpoints; none are written without it. */
  checkpointDir?: string;
  /** Write a checkpoint every this many steps (default: once per epoch) and at the end. */
  checkpointEvery?: number;
  /** Continue from the checkpoint in `checkpointDir` when there is one. */
  resume?: boolean;
  /** Feature options and normalisation stats to store with every checkpoint. */
  checkpointExtras?: { features?: unknown; normStats?: unknown };
  /** Called after every step. */
  onStep?: (record: PretrainStepRecord) => void;
  /** Label of the progress report; default `pretrain`. */
  progressLabel?: string;
}

/** One step of the loss curve. */
export interface PretrainStepRecord {
  /** 0-based update number. */
  step: number;
  epoch: number;
  loss: number;
  learningRate: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
}

/** The outcome of {@link pretrainMae}. */
export interface PretrainResult {
  /** Updates in the whole run. */
  totalSteps: number;
  /** Every step's record, those before a resume included. */
  history: PretrainStepRecord[];
  /** Mean loss of each epoch. */
  epochLosses: number[];
  /** The step the run resumed at, or `null` when it started fresh. */
  resumedFrom: number | null;
}

/** What a pre-training checkpoint stores in `config.json` under `training`. */
export interface PretrainState {
  kind: 'mae-pretrain';
  /** Updates done. */
  step: number;
  totalSteps: number;
  completed: boolean;
  /** The settings that determine the result; a resume must use the same. */
  settings: PretrainSettings;
  history: PretrainStepRecord[];
}

/** The resolved settings that fix a run's result. */
export interface PretrainSettings {
  epochs: number;
  batchSize: number;
  numClips: number;
  stepsPerEpoch: number;
  learningRate: number;
  minLearningRate: number;
  warmupSteps: number;
  weightDecay: number;
  betas: [number, number];
  gradientClipNorm: number | null;
  mask: Required<MaskOptions>;
  seed: number;
  /** Present (true) when every step sees a random window of each clip (see {@link pretrainMae}). */
  randomCrop?: true;
}

function resolveSettings(options: PretrainOptions, numClips: number, randomCrop: boolean): PretrainSettings {
  if (!Number.isInteger(options.epochs) || options.epochs <= 0) throw new Error(`epochs must be a positive integer, got ${options.epochs}`);
  if (!Number.isInteger(options.batchSize) || options.batchSize <= 0) {
    throw new Error(`batchSize must be a positive integer, got ${options.batchSize}`);
  }
  if (numClips === 0) throw new Error('pretraining needs at least one clip');
  const batchSize = Math.min(options.batchSize, numClips);
  const stepsPerEpoch = Math.floor(numClips / batchSize);
  const totalSteps = stepsPerEpoch * options.epochs;
  return {
    epochs: options.epochs,
    batchSize,
    numClips,
    stepsPerEpoch,
    learningRate: options.learningRate ?? 1.5e-3,
    minLearningRate: options.minLearningRate ?? 0,
    warmupSteps: options.warmupSteps ?? Math.round(0.05 * totalSteps),
    weightDecay: options.weightDecay ?? 0.05,
    betas: options.betas ?? [0.9, 0.95],
    gradientClipNorm: options.gradientClipNorm === undefined ? 1 : options.gradientClipNorm,
    mask: { strategy: options.mask?.strategy ?? 'random', ratio: options.mask?.ratio ?? 0.75 },
    seed: options.seed ?? 0,
    // Absent rather than false, so checkpoints written before crops existed still resume.
    ...(randomCrop ? { randomCrop: true as const } : {}),
  };
}

function firstDifference(a: unknown, b: unknown, path = ''): string | undefined {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) {
    return a === b ? undefined : `${path || 'settings'}: checkpoint has ${JSON.stringify(a)}, this run has ${JSON.stringify(b)}`;
  }
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) {
    const diff = firstDifference((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], path ? `${path}.${key}` : key);
    if (diff) return diff;
  }
  return undefined;
}

/** The variables MAE pre-training changes: encoder and decoder, never a head. */
function pretrainedParameters(model: MaeModel): Map<string, tf.Variable> {
  return selectParameters(model, (name) => name.startsWith('encoder.') || name.startsWith('decoder.'));
}

function isCroppable(clips: readonly FbankInput[] | readonly CroppableFbank[]): clips is readonly CroppableFbank[] {
  const first = clips[0] as FbankInput | CroppableFbank | undefined;
  return first !== undefined && !(first instanceof Float32Array) && !(first instanceof tf.Tensor);
}

/**
 * Pre-trains the model's encoder and decoder on `clips` with the MAE loss. `clips` are
 * normalised fbanks, either each exactly `[inputFrames, melBins]` of the model config (every
 * epoch sees the same window of each clip), or {@link CroppableFbank}s at their own length,
 * of which every step takes a window at a seeded random start (see {@link CropStore}).
 * Losses are read back asynchronously, so this runs on every backend, webgpu included.
 */
export async function pretrainMae(
  model: MaeModel,
  clips: readonly FbankInput[] | readonly CroppableFbank[],
  options: PretrainOptions,
): Promise<PretrainResult> {
  const croppable = isCroppable(clips);
  const settings = resolveSettings(options, clips.length, croppable);
  const { stepsPerEpoch, batchSize, seed } = settings;
  const totalSteps = stepsPerEpoch * settings.epochs;
  const { inputFrames, melBins } = model.config;
  const store = croppable ? new CropStore(clips, inputFrames, melBins) : new FbankStore(clips as readonly FbankInput[], inputFrames, melBins);
  const batchOf = (indices: number[], step: number): tf.Tensor3D =>
    store instanceof CropStore ? store.batch(indices, store.starts(indices, createRng(deriveSeed(seed, `crop:${step}`)))) : store.batch(indices);
  const grid = patchGrid(model.config);
  const optimizer = new AdamW(pretrainedParameters(model), {
    beta1: settings.betas[0],
    beta2: settings.betas[1],
    weightDecay: settings.weightDecay,
  });
  const dir = options.checkpointDir;
  const checkpointEvery = options.checkpointEvery ?? stepsPerEpoch;
  let history: PretrainStepRecord[] = [];
  let startStep = 0;
  let resumedFrom: number | null = null;
  try {
    if (dir && options.resume && hasCheckpoint(dir)) {
      const state = readCheckpointConfig<unknown, unknown, PretrainState>(dir).training;
      if (!state || state.kind !== 'mae-pretrain') throw new Error(`${dir} is not a pre-training checkpoint; cannot resume from it`);
      const diff = firstDifference(state.settings, settings);
      if (diff) throw new Error(`cannot resume from ${dir} with different settings (${diff})`);
      loadWeights(model, dir, { parts: ['encoder', 'decoder'] });
      if (!state.completed) {
        const stored = readCheckpointTensors(dir, (name) => name.startsWith('optimizer.'));
        try {
          optimizer.loadState(stored, state.step);
        } finally {
          tf.dispose([...stored.values()]);
        }
      }
      history = state.history;
      startStep = state.step;
      resumedFrom = state.step;
    }

    const save = async (step: number, completed: boolean) => {
      if (!dir) return;
      const training: PretrainState = { kind: 'mae-pretrain', step, totalSteps, completed, settings, history };
      // A finished run needs no optimizer state: the checkpoint is then the model alone.
      const state = completed ? undefined : optimizer.stateTensors();
      try {
        await saveCheckpointAsync(dir, model, { ...options.checkpointExtras, training, tensors: state });
      } finally {
        if (state) tf.dispose([...state.values()]);
      }
    };

    const progress = createProgress({ label: options.progressLabel ?? 'pretrain', total: totalSteps });
    if (startStep > 0) progress.tick(startStep, 'resumed');
    try {
      for (let step = startStep; step < totalSteps; step++) {
        const epoch = Math.floor(step / stepsPerEpoch);
        const indices = epochBatches(store.size, batchSize, seed, epoch, true)[step % stepsPerEpoch];
        const plan = randomMasking(grid, indices.length, createRng(deriveSeed(seed, `mask:${step}`)), settings.mask);
        const learningRate = cosineLearningRate(step, { ...settings, totalSteps });
        const fbanks = batchOf(indices, step);
        let result;
        try {
          result = await maeTrainStepAsync(model, optimizer, fbanks, plan, learningRate, { gradientClipNorm: settings.gradientClipNorm });
        } finally {
          fbanks.dispose();
        }
        if (!Number.isFinite(result.loss)) throw new Error(`pre-training diverged at step ${step}: loss ${result.loss}`);
        const record: PretrainStepRecord = { step, epoch, loss: result.loss, learningRate, gradNorm: result.gradNorm };
        history.push(record);
        options.onStep?.(record);
        progress.tick(1, `loss ${result.loss.toFixed(4)}`);
        const done = step + 1;
        if (done < totalSteps && done % checkpointEvery === 0) await save(done, false);
        // Let timers and signals run between steps.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      progress.stop();
    }
    if (startStep < totalSteps || resumedFrom === null) await save(totalSteps, true);
    return { totalSteps, history, epochLosses: epochMeans(history, settings.epochs), resumedFrom };
  } finally {
    optimizer.dispose();
  }
}

function epochMeans(history: readonly PretrainStepRecord[], epochs: number): number[] {
  const sums = new Array<number>(epochs).fill(0);
  const counts = new Array<number>(epochs).fill(0);
  for (const record of history) {
    sums[record.epoch] += record.loss;
    counts[record.epoch] += 1;
  }
  return sums.map((sum, e) => sum / counts[e]);
}
