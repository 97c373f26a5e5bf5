// The micro model's MAE loss and gradients, one batched-BitFit TTT step and its per-sample
// equivalent, kernel counts and a long run's tensor count, computed on whatever backend is set.
// Only asynchronous reads: the webgpu backend in Node cannot read a tensor synchronously.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  attachHead,
  createModel,
  disposeModel,
  forwardMae,
  loadCheckpoint,
  namedParameters,
  patchGrid,
  randomMasking,
  saveCheckpointAsync,
  selectParameters,
  type MaeModel,
} from '../../lib/model/index.js';
import {
  AdaptedParameters,
  BatchedBitFit,
  PerSampleTtt,
  createOptimizer,
  createPassContext,
  encoderGroup,
  lossAndGradientsAsync,
  resolveTttConfig,
  type PassContext,
  type TttOptimizer,
} from '../../lib/ttt/index.js';
import { createRng } from '../../lib/util/index.js';
import { MICRO } from './models.js';

/** What {@link parityProbe} measured, as plain numbers (it crosses a process boundary as JSON). */
export interface ParityResult {
  backend: string;
  /** MAE loss (batch mean) of the whole model at B = 2. */
  loss: number;
  /** Gradient of that loss for every encoder and decoder parameter, by name. */
  grads: Record<string, number[]>;
  /** Batched BitFit at B = 3: losses of the step and the biases after it, `[B·d]` per name. */
  bitfitBatched: { losses: number[]; biases: Record<string, number[]> };
  /** The same step made clip by clip with per-clip copies (`batch` null), rows concatenated. */
  bitfitPerSample: { losses: number[]; biases: Record<string, number[]> };
  /** Kernels `tf.profile` counts in one batched-BitFit step, by batch size. */
  kernels: Record<string, number>;
  /** Tensors uploaded from the CPU to the GPU in that step, by batch size; empty off WebGPU. */
  uploads: Record<string, number>;
  /** Checkpoint saved (asynchronous reads) and loaded back: parameters stored, and those not equal bit for bit. */
  checkpoint: { tensors: number; mismatched: string[] };
  /** Tensor count around `steps` batched-BitFit steps (after one warm-up step). */
  leak: { steps: number; before: number; after: number };
  /**
   * The TTT runners with asynchronous reads: batched BitFit of 3 clips for 3 steps and per-sample
   * TTT of all parameters on one clip for 2 steps; losses and logits of every step, per clip.
   */
  runners: { bitfit: { loss: number; logits: number[] }[][]; perSample: { loss: number; logits: number[] }[] };
  /** Milliseconds per batched-BitFit step at B = 2 over the leak run (for the report, not checked). */
  msPerStep: number;
}

const SEED = 7;
const FRAMES = MICRO.inputFrames;
const MELS = MICRO.melBins;

function seededFbanks(batch: number, seed: number): tf.Tensor3D {
  const rng = createRng(seed);
  return tf.tensor3d(Float32Array.from({ length: batch * FRAMES * MELS }, () => 2 * rng() - 1), [batch, FRAMES, MELS]);
}

async function lossAndAllGrads(model: MaeModel): Promise<{ loss: number; grads: Record<string, number[]> }> {
  const params = selectParameters(model, (name) => name.startsWith('encoder.') || name.startsWith('decoder.'));
  const plan = randomMasking(patchGrid(MICRO), 2, createRng(SEED));
  const fbanks = seededFbanks(2, SEED);
  const { value, grads } = tf.variableGrads(() => forwardMae(model, fbanks, plan).loss as tf.Scalar, [...params.values()]);
  const out: Record<string, number[]> = {};
  for (const [name, variable] of params) out[name] = Array.from(await grads[variable.name].data());
  const loss = (await value.data())[0];
  tf.dispose([value, fbanks, ...Object.values(grads)]);
  return { loss, grads: out };
}

/** One BitFit step (SGD, the TTT default) on `fbanks` with copies of `batch` rows (null: shared shape). */
/** Applies one update, reads every bias back and frees the state: the end of both BitFit checks. */
async function applyAndReadBiases(optimizer: TttOptimizer, state: AdaptedParameters, losses: Float32Array, grads: Map<string, tf.Tensor>) {
  optimizer.apply(grads);
  tf.dispose([...grads.values()]);
  const biases: Record<string, number[]> = {};
  for (const [name, variable] of state.variables) biases[name] = Array.from(await variable.data());
  optimizer.dispose();
  state.dispose();
  return { losses: Array.from(losses), biases };
}

async function bitfitStep(context: PassContext, model: MaeModel, fbanks: tf.Tensor3D, batch: number | null, planSeed: number, clips: number) {
  const trained = encoderGroup(model, 'bias');
  const config = resolveTttConfig({}, { vectorsOnly: true });
  const state = new AdaptedParameters(trained, batch);
  const optimizer = createOptimizer(config, state.variables, state.matrixNames);
  const plan = randomMasking(patchGrid(MICRO), clips, createRng(planSeed), config.mask);
  const { losses, grads } = await lossAndGradientsAsync(context, state, fbanks, plan, 'sum');
  return applyAndReadBiases(optimizer, state, losses, grads);
}

async function batchedVersusPerSample(model: MaeModel, context: PassContext) {
  const batch = 3;
  const fbanks = seededFbanks(batch, SEED + 1);
  const batched = await bitfitStep(context, model, fbanks, batch, SEED, batch);
  const perSample = { losses: [] as number[], biases: {} as Record<string, number[]> };
  // The batched step draws the masks of all clips from one generator; the same plan cut into rows gives each clip its own.
  const plan = randomMasking(patchGrid(MICRO), batch, createRng(SEED), resolveTttConfig({}, { vectorsOnly: true }).mask);
  for (let b = 0; b < batch; b++) {
    const clip = tf.slice(fbanks, [b, 0, 0], [1, FRAMES, MELS]);
    const one = await stepOnRow(context, model, clip, plan, b);
    perSample.losses.push(...one.losses);
    for (const [name, values] of Object.entries(one.biases)) (perSample.biases[name] ??= []).push(...values);
    clip.dispose();
  }
  fbanks.dispose();
  return { batched, perSample };
}

/** A per-clip BitFit step on one clip with row `row` of a batch's mask plan. */
async function stepOnRow(context: PassContext, model: MaeModel, clip: tf.Tensor3D, plan: ReturnType<typeof randomMasking>, row: number) {
  const trained = encoderGroup(model, 'bias');
  const config = resolveTttConfig({}, { vectorsOnly: true });
  const state = new AdaptedParameters(trained, null);
  const optimizer = createOptimizer(config, state.variables, state.matrixNames);
  const N = plan.numPatches;
  const cut = <T extends Int32Array | Float32Array>(a: T, per: number): T => a.slice(row * per, (row + 1) * per) as T;
  const single = {
    ...plan,
    batch: 1,
    idsKeep: cut(plan.idsKeep, plan.keepCount),
    idsMasked: cut(plan.idsMasked, plan.maskCount),
    idsShuffle: cut(plan.idsShuffle, N),
    idsRestore: cut(plan.idsRestore, N),
    mask: cut(plan.mask, N),
  };
  const { losses, grads } = await lossAndGradientsAsync(context, state, clip, single, 'sum');
  return applyAndReadBiases(optimizer, state, losses, grads);
}

/** Tensors copied from host memory to the GPU (TF.js's `uploadToGPU` with values on the CPU) while `work` runs; `null` off WebGPU. */
async function countUploads(work: () => Promise<unknown>): Promise<number | null> {
  type Entry = { values?: unknown; resource?: unknown };
  const backend = tf.backend() as unknown as { uploadToGPU?: (dataId: object) => void; tensorMap?: { get(dataId: object): Entry | undefined } };
  const upload = backend.uploadToGPU;
  if (tf.getBackend() !== 'webgpu' || !upload || !backend.tensorMap) {
    await work();
    return null;
  }
  const tensorMap = backend.tensorMap;
  let count = 0;
  backend.uploadToGPU = (dataId: object) => {
    const entry = tensorMap.get(dataId);
    if (entry && entry.resource == null && entry.values != null) count++;
    upload.call(backend, dataId);
  };
  try {
    await work();
  } finally {
    backend.uploadToGPU = upload;
  }
  return count;
}

/** Kernels (and uploads, on WebGPU) of one batched-BitFit step (passes and update) at `batch`. */
export async function kernelsPerStep(model: MaeModel, context: PassContext, batch: number): Promise<number> {
  return (await stepCounts(model, context, batch)).kernels;
}

async function stepCounts(model: MaeModel, context: PassContext, batch: number): Promise<{ kernels: number; uploads: number | null }> {
  const state = new AdaptedParameters(encoderGroup(model, 'bias'), batch);
  const config = resolveTttConfig({}, { vectorsOnly: true });
  const optimizer = createOptimizer(config, state.variables, state.matrixNames);
  const fbanks = seededFbanks(batch, SEED + 2);
  const rng = createRng(SEED);
  const step = async () => {
    const { grads } = await lossAndGradientsAsync(context, state, fbanks, randomMasking(patchGrid(MICRO), batch, rng, config.mask), 'sum');
    optimizer.apply(grads);
    tf.dispose([...grads.values()]);
  };
  await step(); // first use creates optimizer slots and cached constants
  const profile = await tf.profile(step);
  const uploads = await countUploads(step);
  optimizer.dispose();
  state.dispose();
  fbanks.dispose();
  return { kernels: profile.kernels.length, uploads };
}

async function checkpointRoundTrip(model: MaeModel): Promise<{ tensors: number; mismatched: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'ttt-parity-ckpt-'));
  try {
    await saveCheckpointAsync(join(dir, 'ckpt'), model);
    const loaded = loadCheckpoint(join(dir, 'ckpt'));
    tf.dispose([...loaded.tensors.values()]);
    const restored = namedParameters(loaded.model);
    const mismatched: string[] = [];
    let tensors = 0;
    for (const [name, variable] of namedParameters(model)) {
      tensors++;
      const a = new Uint32Array(((await variable.data()) as Float32Array).slice().buffer);
      const other = restored.get(name);
      const b = other ? new Uint32Array(((await other.data()) as Float32Array).slice().buffer) : new Uint32Array(0);
      if (a.length !== b.length || a.some((v, i) => v !== b[i])) mismatched.push(name);
    }
    disposeModel(loaded.model);
    return { tensors, mismatched };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function leakRun(model: MaeModel, context: PassContext, steps: number) {
  const batch = 2; // small: the count is what matters, and Mesa's renderer is slow
  const state = new AdaptedParameters(encoderGroup(model, 'bias'), batch);
  const config = resolveTttConfig({}, { vectorsOnly: true });
  const optimizer = createOptimizer(config, state.variables, state.matrixNames);
  const fbanks = seededFbanks(batch, SEED + 3);
  const rng = createRng(SEED);
  const step = async () => {
    const { losses, grads } = await lossAndGradientsAsync(context, state, fbanks, randomMasking(patchGrid(MICRO), batch, rng, config.mask), 'sum');
    optimizer.apply(grads);
    tf.dispose([...grads.values()]);
    if (!losses.every(Number.isFinite)) throw new Error('a BitFit loss is not finite');
  };
  await step();
  const before = tf.memory().numTensors;
  const started = performance.now();
  for (let i = 0; i < steps; i++) await step();
  const msPerStep = (performance.now() - started) / steps;
  const after = tf.memory().numTensors;
  optimizer.dispose();
  state.dispose();
  fbanks.dispose();
  return { leak: { steps, before, after }, msPerStep };
}

function runnerSetup() {
  const model = createModel(MICRO, SEED + 4);
  attachHead(model, { numClasses: 3 }, SEED);
  const rng = createRng(SEED + 5);
  const clips = Array.from({ length: 3 }, (_, i) => ({
    id: `clip-${i}`,
    label: i,
    fbank: Float32Array.from({ length: FRAMES * MELS }, () => 2 * rng() - 1),
  }));
  const bitfit = new BatchedBitFit(model, { batch: 3, config: { steps: 3 } });
  const perSample = new PerSampleTtt(model, { group: 'all', config: { steps: 2 } });
  const dispose = () => {
    bitfit.dispose();
    perSample.dispose();
    disposeModel(model);
  };
  return { clips, bitfit, perSample, dispose };
}

const stepsOf = (trace: { steps: { loss: number; logits: number[] }[] }) => trace.steps.map(({ loss, logits }) => ({ loss, logits }));

async function runnerTraces(): Promise<ParityResult['runners']> {
  const { clips, bitfit, perSample, dispose } = runnerSetup();
  try {
    return { bitfit: (await bitfit.adaptBatchAsync(clips)).map(stepsOf), perSample: stepsOf(await perSample.adaptAsync(clips[0])) };
  } finally {
    dispose();
  }
}

/** The runner traces of {@link ParityResult} made with the synchronous runners (CPU backends only). */
export function syncRunnerTraces(): ParityResult['runners'] {
  const { clips, bitfit, perSample, dispose } = runnerSetup();
  try {
    return { bitfit: bitfit.adaptBatch(clips).map(stepsOf), perSample: stepsOf(perSample.adapt(clips[0])) };
  } finally {
    dispose();
  }
}

/** Everything {@link ParityResult} holds, on the current backend; `leakSteps` BitFit steps for the tensor count. */
export async function parityProbe(leakSteps: number): Promise<ParityResult> {
  const model = createModel(MICRO, SEED);
  const context = createPassContext(model, encoderGroup(model, 'bias'));
  try {
    const { loss, grads } = await lossAndAllGrads(model);
    const { batched, perSample } = await batchedVersusPerSample(model, context);
    const one = await stepCounts(model, context, 1);
    const eight = await stepCounts(model, context, 8);
    const kernels = { B1: one.kernels, B8: eight.kernels };
    const uploads: Record<string, number> = one.uploads === null || eight.uploads === null ? {} : { B1: one.uploads, B8: eight.uploads };
    const checkpoint = await checkpointRoundTrip(model);
    const runners = await runnerTraces();
    const { leak, msPerStep } = await leakRun(model, context, leakSteps);
    return { backend: tf.getBackend(), loss, grads, bitfitBatched: batched, bitfitPerSample: perSample, kernels, uploads, checkpoint, runners, leak, msPerStep };
  } finally {
    context.frozen.dispose();
    disposeModel(model);
  }
}
