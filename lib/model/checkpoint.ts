/**
 * Checkpoints: a folder with `config.json` (model config, head config, feature options,
 * normalisation stats, training state), `manifest.json` (name, shape, byte offset of every
 * tensor) and `weights.bin` (float32, little-endian, concatenated in manifest order).
 * The folder is written under a temporary name and renamed into place, so a reader never
 * sees a half-written checkpoint; values round-trip bit for bit.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { readJsonFile } from '../util/files.js';
import { resolveHeadConfig, validateModelConfig, type HeadConfig, type ModelConfig } from './config.js';
import { namedParameters } from './groups.js';
import { attachHead } from './heads.js';
import { createModel, disposeModel, type MaeModel } from './model.js';

/** Identifies the format in `config.json`. */
export const CHECKPOINT_FORMAT = 'ttt-speech-checkpoint';
/** Version of the format this code writes and reads. */
export const CHECKPOINT_VERSION = 1;

/** Contents of `config.json`. */
export interface CheckpointConfig<Features = unknown, NormStats = unknown, Training = unknown> {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  model: ModelConfig;
  head: HeadConfig | null;
  /** Options of the feature front end the model was trained on (as that front end defines them). */
  features: Features | null;
  /** Dataset normalisation statistics of the fbanks. */
  normStats: NormStats | null;
  /** Training state for resuming (as the trainer defines it). */
  training: Training | null;
  /** When it was written (ISO 8601). */
  createdAt: string;
}

/** One tensor in `weights.bin`. */
export interface ManifestEntry {
  name: string;
  shape: number[];
  /** Byte offset in `weights.bin`. */
  offset: number;
  /** Number of float32 values. */
  length: number;
}

/** Contents of `manifest.json`. */
export interface CheckpointManifest {
  dtype: 'float32';
  byteOrder: 'little-endian';
  byteLength: number;
  tensors: ManifestEntry[];
}

/** What goes into a checkpoint besides the model's own variables. */
export interface CheckpointExtras<Features = unknown, NormStats = unknown, Training = unknown> {
  features?: Features;
  normStats?: NormStats;
  training?: Training;
  /** More tensors to store by name (e.g. optimizer moments); names must not clash with parameters. */
  tensors?: ReadonlyMap<string, tf.Tensor>;
}

/** A loaded checkpoint. */
export interface LoadedCheckpoint<Features = unknown, NormStats = unknown, Training = unknown> {
  model: MaeModel;
  config: CheckpointConfig<Features, NormStats, Training>;
  /** The stored tensors that are not model parameters (the caller disposes them). */
  tensors: Map<string, tf.Tensor>;
}

function checkByteOrder(): void {
  // Float32Array uses the platform's byte order; the format is little-endian.
  if (endianness() !== 'LE') throw new Error('checkpoints need a little-endian platform');
}

const CONFIG_FILE = 'config.json';
const MANIFEST_FILE = 'manifest.json';
const WEIGHTS_FILE = 'weights.bin';

/**
 * Writes the model (encoder, decoder and head when present) and `extras` to folder `dir`,
 * replacing an existing checkpoint there. The previous one stays at `<dir>.previous` until
 * the new one is in place.
 */
export function saveCheckpoint<F, N, T>(dir: string, model: MaeModel, extras: CheckpointExtras<F, N, T> = {}): void {
  const plan = planCheckpoint(model, extras);
  const values = new Float32Array(plan.weights.buffer);
  let index = 0;
  for (const tensor of plan.named.values()) {
    values.set(tensor.dataSync() as Float32Array, index);
    index += tensor.size;
  }
  writeCheckpoint(dir, model, extras, plan);
}

/**
 * {@link saveCheckpoint} that reads the tensors back asynchronously: the only way on the
 * webgpu backend in Node, which has no synchronous read from the GPU. Same files.
 */
export async function saveCheckpointAsync<F, N, T>(dir: string, model: MaeModel, extras: CheckpointExtras<F, N, T> = {}): Promise<void> {
  const plan = planCheckpoint(model, extras);
  const values = new Float32Array(plan.weights.buffer);
  let index = 0;
  for (const tensor of plan.named.values()) {
    values.set((await tensor.data()) as Float32Array, index);
    index += tensor.size;
  }
  writeCheckpoint(dir, model, extras, plan);
}

/** What a checkpoint will hold: its tensors by name, their manifest entries and the buffer for their values. */
interface CheckpointPlan {
  named: Map<string, tf.Tensor>;
  entries: ManifestEntry[];
  weights: Uint8Array;
}

function planCheckpoint<F, N, T>(model: MaeModel, extras: CheckpointExtras<F, N, T>): CheckpointPlan {
  checkByteOrder();
  const named = new Map<string, tf.Tensor>(namedParameters(model));
  for (const [name, tensor] of extras.tensors ?? []) {
    if (named.has(name)) throw new Error(`checkpoint tensor '${name}' clashes with a model parameter`);
    named.set(name, tensor);
  }
  const entries: ManifestEntry[] = [];
  let byteLength = 0;
  for (const [name, tensor] of named) {
    if (tensor.dtype !== 'float32') throw new Error(`checkpoint tensor '${name}' is ${tensor.dtype}; only float32 is stored`);
    entries.push({ name, shape: tensor.shape.slice(), offset: byteLength, length: tensor.size });
    byteLength += tensor.size * 4;
  }
  return { named, entries, weights: new Uint8Array(byteLength) };
}

function writeCheckpoint<F, N, T>(dir: string, model: MaeModel, extras: CheckpointExtras<F, N, T>, plan: CheckpointPlan): void {
  const config: CheckpointConfig<F, N, T> = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    model: model.config,
    head: model.headConfig ?? null,
    features: extras.features ?? null,
    normStats: extras.normStats ?? null,
    training: extras.training ?? null,
    createdAt: new Date().toISOString(),
  };
  const manifest: CheckpointManifest = { dtype: 'float32', byteOrder: 'little-endian', byteLength: plan.weights.byteLength, tensors: plan.entries };
  writeFolderAtomic(dir, {
    [CONFIG_FILE]: JSON.stringify(config, null, 2) + '\n',
    [MANIFEST_FILE]: JSON.stringify(manifest, null, 2) + '\n',
    [WEIGHTS_FILE]: plan.weights,
  });
}

function writeFolderAtomic(dir: string, files: Record<string, string | Uint8Array>): void {
  const parent = dirname(dir);
  mkdirSync(parent, { recursive: true });
  const temp = join(parent, `.${basename(dir)}.tmp-${process.pid}-${Date.now()}`);
  const previous = `${dir}.previous`;
  try {
    mkdirSync(temp);
    for (const [name, data] of Object.entries(files)) writeFileSync(join(temp, name), data);
    rmSync(previous, { recursive: true, force: true });
    if (existsSync(dir)) renameSync(dir, previous);
    renameSync(temp, dir);
    rmSync(previous, { recursive: true, force: true });
  } catch (err) {
    rmSync(temp, { recursive: true, force: true });
    throw err;
  }
}

/** The folder to read: `dir`, or `<dir>.previous` when a write was interrupted between its two renames. */
function resolveFolder(dir: string): string {
  if (existsSync(join(dir, CONFIG_FILE))) return dir;
  if (!existsSync(dir) && existsSync(join(`${dir}.previous`, CONFIG_FILE))) return `${dir}.previous`;
  throw new Error(`no checkpoint at ${dir} (expected ${CONFIG_FILE}, ${MANIFEST_FILE} and ${WEIGHTS_FILE})`);
}

/** True when `dir` holds a checkpoint. */
export function hasCheckpoint(dir: string): boolean {
  try {
    resolveFolder(dir);
    return true;
  } catch {
    return false;
  }
}

/** Reads and checks `config.json` of a checkpoint. */
export function readCheckpointConfig<F = unknown, N = unknown, T = unknown>(dir: string): CheckpointConfig<F, N, T> {
  const folder = resolveFolder(dir);
  const config = readJsonFile<CheckpointConfig<F, N, T>>(join(folder, CONFIG_FILE), 'checkpoint config');
  if (config.format !== CHECKPOINT_FORMAT) throw new Error(`${folder}/${CONFIG_FILE} is not a ttt-speech checkpoint`);
  if (config.version !== CHECKPOINT_VERSION) {
    throw new Error(`${folder}: checkpoint format version ${config.version}, this code reads version ${CHECKPOINT_VERSION}`);
  }
  validateModelConfig(config.model);
  return config;
}

interface StoredTensors {
  config: CheckpointConfig;
  manifest: CheckpointManifest;
  values: Float32Array;
  byName: Map<string, ManifestEntry>;
}

function readStored(dir: string): StoredTensors {
  checkByteOrder();
  const folder = resolveFolder(dir);
  const manifest = readJsonFile<CheckpointManifest>(join(folder, MANIFEST_FILE), 'checkpoint manifest');
  const bytes = readFileSync(join(folder, WEIGHTS_FILE));
  if (bytes.byteLength !== manifest.byteLength) {
    throw new Error(`${folder}/${WEIGHTS_FILE} has ${bytes.byteLength} bytes, the manifest says ${manifest.byteLength}`);
  }
  // Copy into a fresh, aligned buffer: a Buffer from the pool may start at an odd offset.
  const values = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(values.buffer).set(bytes);
  return { config: readCheckpointConfig(folder), manifest, values, byName: new Map(manifest.tensors.map((entry) => [entry.name, entry])) };
}

function entryValues(stored: StoredTensors, entry: ManifestEntry): Float32Array {
  return stored.values.subarray(entry.offset / 4, entry.offset / 4 + entry.length);
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((v, i) => v === b[i]);

/** Which parts of a model {@link loadWeights} fills. */
export type ModelPart = 'encoder' | 'decoder' | 'head';

/** Options of {@link loadWeights}. */
export interface LoadWeightsOptions {
  /** Parts to load; default every part the model has. */
  parts?: readonly ModelPart[];
}

/**
 * Copies a checkpoint's values into an existing model's variables. Every parameter of the
 * chosen parts must be present with the same shape; the error names the first one that is
 * not (e.g. `encoder.blocks.0.attn.qkv.weight: checkpoint has [192,576], model expects [256,768]`);
 * head counts must agree too.
 * Nothing is assigned unless everything matches. A head stored in the checkpoint is skipped
 * when the model has none (attach one first to load it); to put pre-trained encoder and
 * decoder weights under a new head, pass `parts: ['encoder', 'decoder']`.
 */
export function loadWeights(model: MaeModel, dir: string, options: LoadWeightsOptions = {}): void {
  assignStored(model, readStored(dir), dir, options);
}

function assignStored(model: MaeModel, stored: StoredTensors, dir: string, options: LoadWeightsOptions): void {
  const parts = options.parts ?? (['encoder', 'decoder', 'head'] as const);
  const wanted = [...namedParameters(model)].filter(([name]) => parts.some((part) => name.startsWith(`${part}.`)));
  for (const [name, variable] of wanted) {
    const entry = stored.byName.get(name);
    if (!entry) throw new Error(`${name}: not in checkpoint ${dir}, model expects [${variable.shape}]`);
    if (!sameShape(entry.shape, variable.shape)) {
      throw new Error(`${name}: checkpoint has [${entry.shape}], model expects [${variable.shape}]`);
    }
  }
  for (const part of parts) {
    const prefix = `${part}.`;
    const modelHas = wanted.some(([name]) => name.startsWith(prefix));
    const extra = stored.manifest.tensors.find((e) => e.name.startsWith(prefix) && !wanted.some(([name]) => name === e.name));
    if (extra && (modelHas || part !== 'head')) {
      throw new Error(`${extra.name}: in checkpoint ${dir} with shape [${extra.shape}], but the model has no such parameter`);
    }
  }
  checkHeads(model.config, stored.config.model, parts);
  for (const [name, variable] of wanted) {
    const entry = stored.byName.get(name) as ManifestEntry;
    tf.tidy(() => variable.assign(tf.tensor(entryValues(stored, entry), entry.shape, 'float32')));
  }
}

/**
 * Head counts do not change any shape, yet weights trained with one count mean something else
 * under another; other config differences (input frames, loss options) leave the weights usable.
 */
function checkHeads(model: ModelConfig, stored: ModelConfig, parts: readonly ModelPart[]): void {
  const keys: (keyof ModelConfig)[] = [];
  if (parts.includes('encoder')) keys.push('numHeads');
  if (parts.includes('decoder')) keys.push('decoderNumHeads');
  for (const key of keys) {
    if (model[key] !== stored[key]) {
      throw new Error(`model config ${key}: checkpoint has ${stored[key]}, model expects ${model[key]} (same shapes, split into different heads)`);
    }
  }
}

/**
 * Rebuilds a model from a checkpoint: config, head (when stored), every variable; plus the
 * stored tensors that are not parameters.
 */
export function loadCheckpoint<F = unknown, N = unknown, T = unknown>(dir: string): LoadedCheckpoint<F, N, T> {
  const config = readCheckpointConfig<F, N, T>(dir);
  const model = createModel(config.model);
  if (config.head) attachHead(model, resolveHeadConfig(config.head));
  const stored = readStored(dir);
  try {
    assignStored(model, stored, dir, {});
  } catch (err) {
    disposeModel(model);
    throw err;
  }
  const parameterNames = new Set(namedParameters(model).keys());
  const tensors = new Map<string, tf.Tensor>();
  for (const entry of stored.manifest.tensors) {
    if (!parameterNames.has(entry.name)) tensors.set(entry.name, tf.tensor(entryValues(stored, entry).slice(), entry.shape, 'float32'));
  }
  return { model, config, tensors };
}

/** Stored tensors whose names satisfy `select` (e.g. optimizer state), as new tensors the caller disposes. */
export function readCheckpointTensors(dir: string, select: (name: string) => boolean): Map<string, tf.Tensor> {
  const stored = readStored(dir);
  const out = new Map<string, tf.Tensor>();
  for (const entry of stored.manifest.tensors) {
    if (select(entry.name)) out.set(entry.name, tf.tensor(entryValues(stored, entry).slice(), entry.shape, 'float32'));
  }
  return out;
}
