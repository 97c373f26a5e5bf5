/**
 * Classifier-head training with a train/validation split and early stopping on validation
 * accuracy. `linear-probe` keeps the encoder frozen (its pooled features are computed once,
 * so each epoch costs only the head); `finetune` trains encoder and head together. The
 * parameters of the best validation epoch are restored at the end.
 */
import * as tf from '@tensorflow/tfjs';
import { createProgress, createRng, deriveSeed, shuffled } from '../util/index.js';
import {
  attachHead,
  encodeFeatures,
  forwardClassifier,
  forwardHead,
  selectParameters,
  type HeadConfig,
  type MaeModel,
} from '../model/index.js';
import { epochBatches, FbankStore, type FbankInput } from './data.js';
import { choleskyInPlace } from './linalg.js';
import { AdamW } from './optim.js';
import { cosineLearningRate } from './schedule.js';
import { optimizerStepAsync } from './step.js';

/** Encoder frozen (features computed once) or trained along with the head. */
export type HeadTrainingMode = 'linear-probe' | 'finetune';

/** Settings of {@link trainHead}. */
export interface HeadTrainingOptions {
  /** Default `linear-probe`. */
  mode?: HeadTrainingMode;
  /** Head shape; `numClasses` defaults to 1 + the largest label. A new head is attached unless `keepHead`. */
  head?: Partial<HeadConfig>;
  /** Train the model's current head instead of attaching a new one. */
  keepHead?: boolean;
  /** Most epochs; default 50. */
  epochs?: number;
  /** Default 32. */
  batchSize?: number;
  /** Peak learning rate; default 1e-2 for a probe (on standardised features), 1e-4 for fine-tuning. */
  learningRate?: number;
  /** Warm-up epochs of the cosine schedule; default 0. */
  warmupEpochs?: number;
  /** AdamW decoupled weight decay; default 0 for a probe, 0.05 for fine-tuning. */
  weightDecay?: number;
  /** Clip gradients to this global norm; default none. */
  gradientClipNorm?: number | null;
  /** Fraction of the clips held out for validation (stratified by label); default 0.2. Ignored when `validation` is given. */
  validationFraction?: number;
  /** An explicit validation set. */
  validation?: { clips: readonly FbankInput[]; labels: readonly number[] };
  /** Stop after this many epochs without a better validation accuracy; default 10. */
  patience?: number;
  /**
   * Linear probe only: decorrelate the standardised features (whitening with this shrinkage
   * towards the identity) before the head sees them; `false` keeps per-dimension
   * standardisation alone. Default 1e-2. See {@link whiteningTransform}.
   */
  whiten?: number | false;
  /** Seed of the split, the data order and the head's initialisation; default 0. */
  seed?: number;
  /** Called after every epoch. */
  onEpoch?: (record: HeadEpochRecord) => void;
}

/** One epoch of head training. */
export interface HeadEpochRecord {
  epoch: number;
  /** Mean loss over the epoch's steps. */
  trainLoss: number;
  /** Accuracy of each step's predictions, taken before that step's update. */
  trainAccuracy: number;
  /** `NaN` without a validation set. */
  validationAccuracy: number;
  learningRate: number;
}

/** The outcome of {@link trainHead}. */
export interface HeadTrainingResult {
  history: HeadEpochRecord[];
  /** Epoch whose parameters the model now holds. */
  bestEpoch: number;
  bestValidationAccuracy: number;
  stoppedEarly: boolean;
  /** Indices into `clips` used for training and for validation. */
  trainIndices: number[];
  validationIndices: number[];
}

/** A stratified split: `fraction` of each label's clips (at least one when the label has two or more) go to validation. */
export function stratifiedSplit(labels: readonly number[], fraction: number, seed: number): { train: number[]; validation: number[] } {
  if (!(fraction >= 0 && fraction < 1)) throw new Error(`validationFraction must be in [0, 1), got ${fraction}`);
  const byLabel = new Map<number, number[]>();
  labels.forEach((label, i) => byLabel.set(label, [...(byLabel.get(label) ?? []), i]));
  const train: number[] = [];
  const validation: number[] = [];
  for (const [label, indices] of [...byLabel].sort((a, b) => a[0] - b[0])) {
    const order = shuffled(createRng(deriveSeed(seed, `split:${label}`)), indices);
    const held = fraction === 0 ? 0 : Math.max(order.length > 1 ? 1 : 0, Math.round(order.length * fraction));
    validation.push(...order.slice(0, held));
    train.push(...order.slice(held));
  }
  return { train: train.sort((a, b) => a - b), validation: validation.sort((a, b) => a - b) };
}

function checkLabels(labels: readonly number[], count: number, numClasses: number, what: string): void {
  if (labels.length !== count) throw new Error(`${what}: ${count} clips but ${labels.length} labels`);
  labels.forEach((label, i) => {
    if (!Number.isInteger(label) || label < 0 || label >= numClasses) {
      throw new Error(`${what}: label ${label} of clip ${i} is not an integer in 0…${numClasses - 1}`);
    }
  });
}

/** Something that turns a batch of clip indices into logits `[B, classes]`. */
interface LogitSource {
  logits(indices: readonly number[]): tf.Tensor2D;
  /** Makes the head's parameters act on raw encoder features (a no-op where they already do). */
  finish(): void;
  dispose(): void;
}

/**
 * Features of every clip computed once with the frozen encoder; the head alone runs per step.
 * The head trains on features standardised per dimension with the training clips' mean and SD
 * (MAE's linear probe puts a parameter-free BatchNorm before the head for the same reason:
 * encoder features have small, uneven scales, and a probe on them raw learns slowly and stops
 * early near chance), then, unless `whiten` is false, decorrelated: a pre-trained encoder
 * keeps much of what separates speakers in directions of small variance, which gradient
 * descent on correlated inputs barely moves along in the epochs a probe gets (measured on
 * the shipped tiny model: 24-way speaker probe 0.20 standardised, 0.37 whitened; a closed-form
 * least-squares probe reaches 0.39). Both transforms followed by a dense layer are a dense
 * layer, so `finish` folds them into the head's first layer and the model keeps its plain head.
 */
async function probeSource(model: MaeModel, store: FbankStore, batchSize: number, trainIndices: readonly number[], whiten: number | false): Promise<LogitSource> {
  const chunks: tf.Tensor2D[] = [];
  for (let start = 0; start < store.size; start += batchSize) {
    const indices = Array.from({ length: Math.min(batchSize, store.size - start) }, (_, i) => start + i);
    chunks.push(tf.tidy(() => encodeFeatures(model, store.batch(indices))));
  }
  const raw = tf.concat(chunks);
  tf.dispose(chunks);
  const [mean, scale] = tf.tidy(() => {
    const { mean, variance } = tf.moments(tf.gather(raw, tf.tensor1d(trainIndices as number[], 'int32')), 0);
    return [mean, tf.sqrt(tf.add(variance, 1e-6))];
  });
  const standardised = tf.tidy(() => tf.div(tf.sub(raw, mean), scale) as tf.Tensor2D);
  raw.dispose();
  let rotation: tf.Tensor2D | undefined;
  if (whiten !== false) {
    const train = tf.tidy(() => tf.gather(standardised, tf.tensor1d(trainIndices as number[], 'int32')));
    const width = train.shape[1];
    const values = (await train.data()) as Float32Array;
    train.dispose();
    rotation = tf.tensor2d(whiteningTransform(values, trainIndices.length, width, whiten), [width, width]);
  }
  const features: tf.Tensor2D = rotation ? tf.tidy(() => tf.matMul(standardised, rotation!) as tf.Tensor2D) : standardised;
  if (rotation) standardised.dispose();
  return {
    logits: (indices) => forwardHead(model.params.head!, tf.gather(features, tf.tensor1d(indices as number[], 'int32'))),
    finish: () => {
      // ((x − μ)/σ · R) · W + b = x · (R W / σ) + (b − (μ/σ) · R W)
      const first = model.params.head!.hidden ?? model.params.head!.fc;
      tf.tidy(() => {
        const rotated = rotation ? tf.matMul(rotation, first.weight) : first.weight;
        const weight = tf.div(rotated, tf.reshape(scale, [-1, 1]));
        const bias = tf.sub(first.bias, tf.squeeze(tf.matMul(tf.reshape(mean, [1, -1]), weight), [0]));
        first.weight.assign(weight);
        first.bias.assign(bias);
      });
    },
    dispose: () => tf.dispose([features, mean, scale, ...(rotation ? [rotation] : [])]),
  };
}

/**
 * A whitening matrix `R` (`[d, d]`, row-major) for centred rows `x` (`[n, d]`): `x · R` has
 * identity covariance when `shrinkage` is 0. The covariance is shrunk towards its mean
 * variance times the identity (`(1 − s)·C + s·v̄·I`) so that a probe on fewer clips than
 * dimensions stays well posed. `R = L⁻ᵀ` from the Cholesky factor `C = L Lᵀ`, in float64:
 * a `d`-sized factorisation, done once per probe, where float32 loses the small directions
 * whitening exists to recover.
 */
export function whiteningTransform(rows: Float32Array, n: number, d: number, shrinkage: number): Float32Array {
  if (!(shrinkage >= 0 && shrinkage <= 1)) throw new Error(`whitening shrinkage ${shrinkage} is not in [0, 1]`);
  const cov = new Float64Array(d * d);
  for (let r = 0; r < n; r++) {
    const offset = r * d;
    for (let i = 0; i < d; i++) {
      const xi = rows[offset + i];
      if (xi === 0) continue;
      for (let j = 0; j <= i; j++) cov[i * d + j] += xi * rows[offset + j];
    }
  }
  let meanVariance = 0;
  for (let i = 0; i < d; i++) meanVariance += cov[i * d + i] / Math.max(1, n) / d;
  const floor = Math.max(meanVariance, 1e-12);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      const c = ((1 - shrinkage) * cov[i * d + j]) / Math.max(1, n) + (i === j ? shrinkage * floor + 1e-9 * floor : 0);
      cov[i * d + j] = c;
    }
  }
  const failed = choleskyInPlace(cov, d);
  if (failed >= 0) throw new Error(`whitening: the feature covariance is not positive definite at dimension ${failed}; use a larger shrinkage`);
  // R = L⁻ᵀ is upper triangular: solve L · Y = I for Y = L⁻¹ column by column, then transpose.
  const out = new Float32Array(d * d);
  const y = new Float64Array(d);
  for (let c = 0; c < d; c++) {
    for (let i = 0; i < d; i++) {
      let v = i === c ? 1 : 0;
      for (let k = c; k < i; k++) v -= cov[i * d + k] * y[k];
      y[i] = i < c ? 0 : v / cov[i * d + i];
    }
    // Column c of L⁻¹ is row c of R.
    for (let i = 0; i < d; i++) out[c * d + i] = y[i];
  }
  return out;
}

function finetuneSource(model: MaeModel, store: FbankStore): LogitSource {
  return { logits: (indices) => forwardClassifier(model, store.batch(indices)), finish: () => {}, dispose: () => {} };
}

/** Accuracy on `indices`; predictions are read back asynchronously, which every backend can do. */
async function accuracy(source: LogitSource, labels: readonly number[], indices: readonly number[], batchSize: number): Promise<number> {
  if (indices.length === 0) return NaN;
  let correct = 0;
  for (let start = 0; start < indices.length; start += batchSize) {
    const batch = indices.slice(start, start + batchSize);
    const argMax = tf.tidy(() => tf.argMax(source.logits(batch), 1));
    const predicted = await argMax.data();
    argMax.dispose();
    batch.forEach((index, i) => (correct += predicted[i] === labels[index] ? 1 : 0));
  }
  return correct / indices.length;
}

/**
 * Trains a classifier head on normalised fbanks (`[inputFrames, melBins]` each) and integer
 * labels, holding out a validation set and stopping early on its accuracy.
 */
export async function trainHead(
  model: MaeModel,
  clips: readonly FbankInput[],
  labels: readonly number[],
  options: HeadTrainingOptions = {},
): Promise<HeadTrainingResult> {
  const mode = options.mode ?? 'linear-probe';
  const seed = options.seed ?? 0;
  const batchSize = options.batchSize ?? 32;
  const epochs = options.epochs ?? 50;
  const patience = options.patience ?? 10;
  const allLabels = [...labels, ...(options.validation?.labels ?? [])];
  const numClasses = options.head?.numClasses ?? (options.keepHead && model.headConfig ? model.headConfig.numClasses : Math.max(...allLabels) + 1);
  checkLabels(labels, clips.length, numClasses, 'training set');
  if (options.validation) checkLabels(options.validation.labels, options.validation.clips.length, numClasses, 'validation set');
  if (!options.keepHead || !model.params.head) attachHead(model, { ...options.head, numClasses }, seed);

  // One store for training and validation clips; validation indices follow the training ones when given explicitly.
  const store = new FbankStore([...clips, ...(options.validation?.clips ?? [])], model.config.inputFrames, model.config.melBins);
  const split = options.validation
    ? { train: clips.map((_, i) => i), validation: options.validation.clips.map((_, i) => clips.length + i) }
    : stratifiedSplit(labels, options.validationFraction ?? 0.2, seed);
  if (split.train.length === 0) throw new Error('head training needs at least one training clip');

  const trained = selectParameters(model, (name) => name.startsWith('head.') || (mode === 'finetune' && name.startsWith('encoder.')));
  const optimizer = new AdamW(trained, { weightDecay: options.weightDecay ?? (mode === 'finetune' ? 0.05 : 0) });
  const source = mode === 'finetune' ? finetuneSource(model, store) : await probeSource(model, store, batchSize, split.train, options.whiten ?? 1e-2);
  const stepsPerEpoch = Math.ceil(split.train.length / batchSize);
  const schedule = {
    learningRate: options.learningRate ?? (mode === 'finetune' ? 1e-4 : 1e-2),
    warmupSteps: (options.warmupEpochs ?? 0) * stepsPerEpoch,
    totalSteps: epochs * stepsPerEpoch,
  };
  let best: { epoch: number; accuracy: number; snapshot: Map<string, tf.Tensor> } | undefined;
  const history: HeadEpochRecord[] = [];
  let stoppedEarly = false;
  const progress = createProgress({ label: mode === 'finetune' ? 'finetune' : 'probe', total: epochs });
  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      let lossSum = 0;
      let trainCorrect = 0;
      let step = epoch * stepsPerEpoch;
      let learningRate = 0;
      for (const batch of epochBatches(split.train.length, batchSize, seed, epoch, false)) {
        const indices = batch.map((i) => split.train[i]);
        const oneHot = tf.tidy(() => tf.oneHot(tf.tensor1d(indices.map((i) => allLabels[i]), 'int32'), numClasses));
        learningRate = cosineLearningRate(step++, schedule);
        let predictions: tf.Tensor | undefined;
        try {
          const { loss } = await optimizerStepAsync(
            optimizer,
            () => {
              const logits = source.logits(indices);
              // Accuracy of the step's own predictions (before its update): no second pass over the
              // training set. Kept out of the step's tidy and read after it, asynchronously.
              predictions = tf.keep(tf.argMax(logits, 1));
              return tf.losses.softmaxCrossEntropy(oneHot, logits) as tf.Scalar;
            },
            learningRate,
            options.gradientClipNorm,
          );
          lossSum += loss * indices.length;
          const predicted = await predictions!.data();
          indices.forEach((index, i) => (trainCorrect += predicted[i] === allLabels[index] ? 1 : 0));
        } finally {
          oneHot.dispose();
          predictions?.dispose();
        }
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      const record: HeadEpochRecord = {
        epoch,
        trainLoss: lossSum / split.train.length,
        trainAccuracy: trainCorrect / split.train.length,
        validationAccuracy: await accuracy(source, allLabels, split.validation, batchSize),
        learningRate,
      };
      history.push(record);
      options.onEpoch?.(record);
      progress.tick(1, `val acc ${record.validationAccuracy.toFixed(3)}`);
      if (split.validation.length === 0) continue;
      if (!best || record.validationAccuracy > best.accuracy) {
        if (best) tf.dispose([...best.snapshot.values()]);
        best = { epoch, accuracy: record.validationAccuracy, snapshot: new Map([...trained].map(([n, v]) => [n, tf.keep(v.clone())])) };
      } else if (epoch - best.epoch >= patience) {
        stoppedEarly = true;
        break;
      }
    }
    if (best) for (const [name, value] of best.snapshot) trained.get(name)!.assign(value);
    source.finish();
  } finally {
    if (best) tf.dispose([...best.snapshot.values()]);
    progress.stop();
    source.dispose();
    optimizer.dispose();
  }
  const last = history[history.length - 1];
  return {
    history,
    bestEpoch: best?.epoch ?? last.epoch,
    bestValidationAccuracy: best?.accuracy ?? NaN,
    stoppedEarly,
    trainIndices: split.train,
    validationIndices: split.validation,
  };
}
