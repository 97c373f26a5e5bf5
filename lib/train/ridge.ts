/**
 * A closed-form ridge probe: the linear head that minimises squared error to one-hot labels plus
 * λ‖W‖², on standardised mean-pooled features of the frozen encoder, with λ chosen by
 * leave-one-group-out accuracy on the training clips. A gradient-trained probe with early stopping
 * picks its epoch on a few dozen held-out clips and moves by several points between fits; the
 * closed form has no epochs and no validation split, so the same features always give the same
 * head. It is a few dense solves of the feature width (192 for `tiny`), done in float64 here.
 */
import * as tf from '@tensorflow/tfjs';
import { attachHead, encodeFeatures, type MaeModel } from '../model/index.js';
import { FbankStore, type FbankInput } from './data.js';
import { choleskyInPlace } from './linalg.js';

/** Settings of {@link fitRidgeHead}. */
export interface RidgeHeadOptions {
  /** Candidate penalties; default 1, 10, 100, 1000 (on standardised features). */
  lambdas?: readonly number[];
  /**
   * Group of each training clip (a sentence, a speaker): λ is chosen by leaving out one group at
   * a time, so no clip is judged by a head that saw another take of the same group. Default: five
   * folds by position.
   */
  groups?: readonly (number | string)[];
  /** Output classes; default 1 + the largest label. */
  numClasses?: number;
  /** Clips per encoder pass; default 32. */
  batchSize?: number;
}

/** What {@link fitRidgeHead} chose and how it scored. */
export interface RidgeHeadResult {
  /** The penalty used for the final head. */
  lambda: number;
  /** Held-out-group accuracy of each candidate penalty, in the order given. */
  cvAccuracy: { lambda: number; accuracy: number }[];
  /** Accuracy of the final head on its own training clips. */
  trainAccuracy: number;
}

/**
 * Solves `A X = B` for symmetric positive definite `A` (`d × d`) and `B` (`d × c`), both
 * row-major float64, by Cholesky factorisation. Throws when `A` is not positive definite.
 */
export function solveSymmetric(A: Float64Array, B: Float64Array, d: number, c: number): Float64Array {
  const L = Float64Array.from(A);
  const failed = choleskyInPlace(L, d);
  if (failed >= 0) throw new Error(`solveSymmetric: the matrix is not positive definite at row ${failed}`);
  const X = new Float64Array(d * c);
  const y = new Float64Array(d);
  for (let col = 0; col < c; col++) {
    // L y = b, then Lᵀ x = y.
    for (let i = 0; i < d; i++) {
      let v = B[i * c + col];
      for (let k = 0; k < i; k++) v -= L[i * d + k] * y[k];
      y[i] = v / L[i * d + i];
    }
    for (let i = d - 1; i >= 0; i--) {
      let v = y[i];
      for (let k = i + 1; k < d; k++) v -= L[k * d + i] * X[k * c + col];
      X[i * c + col] = v / L[i * d + i];
    }
  }
  return X;
}

/** A linear map `x · W + b` (`W` row-major `d × c`). */
export interface LinearMap {
  W: Float64Array;
  b: Float64Array;
}

/**
 * Ridge regression of one-hot `labels` on the rows of `Z` (`n × d`, row-major, already
 * standardised) over the clips `rows`: `W = (ZᵀZ + λI)⁻¹ Zᵀ(Y − Ȳ)`, `b = Ȳ − Z̄ W`.
 */
export function ridgeFit(Z: Float64Array, d: number, labels: readonly number[], numClasses: number, lambda: number, rows: readonly number[]): LinearMap {
  if (!(lambda > 0)) throw new Error(`ridge: lambda must be > 0, got ${lambda}`);
  const n = rows.length;
  const zMean = new Float64Array(d);
  const yMean = new Float64Array(numClasses);
  for (const r of rows) {
    for (let i = 0; i < d; i++) zMean[i] += Z[r * d + i] / n;
    yMean[labels[r]] += 1 / n;
  }
  const A = new Float64Array(d * d);
  const B = new Float64Array(d * numClasses);
  const z = new Float64Array(d);
  for (const r of rows) {
    for (let i = 0; i < d; i++) z[i] = Z[r * d + i] - zMean[i];
    for (let i = 0; i < d; i++) {
      const zi = z[i];
      for (let j = 0; j <= i; j++) A[i * d + j] += zi * z[j];
      for (let k = 0; k < numClasses; k++) B[i * numClasses + k] += zi * ((labels[r] === k ? 1 : 0) - yMean[k]);
    }
  }
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < i; j++) A[j * d + i] = A[i * d + j];
    A[i * d + i] += lambda;
  }
  const W = solveSymmetric(A, B, d, numClasses);
  const b = Float64Array.from(yMean);
  for (let k = 0; k < numClasses; k++) for (let i = 0; i < d; i++) b[k] -= zMean[i] * W[i * numClasses + k];
  return { W, b };
}

function predict(map: LinearMap, Z: Float64Array, d: number, numClasses: number, row: number): number {
  let best = 0;
  let bestScore = -Infinity;
  for (let k = 0; k < numClasses; k++) {
    let score = map.b[k];
    for (let i = 0; i < d; i++) score += Z[row * d + i] * map.W[i * numClasses + k];
    if (score > bestScore) {
      bestScore = score;
      best = k;
    }
  }
  return best;
}

/** Mean-pooled encoder features of every clip, read back asynchronously (so this runs on webgpu too). */
async function pooledFeatures(model: MaeModel, clips: readonly FbankInput[], batchSize: number): Promise<Float64Array> {
  const store = new FbankStore(clips, model.config.inputFrames, model.config.melBins);
  const width = model.config.embedDim;
  const out = new Float64Array(clips.length * width);
  for (let start = 0; start < store.size; start += batchSize) {
    const indices = Array.from({ length: Math.min(batchSize, store.size - start) }, (_, i) => start + i);
    const features = tf.tidy(() => encodeFeatures(model, store.batch(indices), { pool: 'mean' }));
    try {
      out.set(await features.data(), start * width);
    } finally {
      features.dispose();
    }
  }
  return out;
}

/**
 * Attaches a linear head fitted in closed form (see the file note) to `model` and returns the
 * penalty it chose. Features are read back asynchronously, so it runs on every backend. The standardisation is folded into the head's weights, so the model keeps a
 * plain linear head: `((x − μ)/σ) W + b = x (W/σ) + (b − (μ/σ) W)`.
 */
export async function fitRidgeHead(model: MaeModel, clips: readonly FbankInput[], labels: readonly number[], options: RidgeHeadOptions = {}): Promise<RidgeHeadResult> {
  const n = clips.length;
  if (n === 0 || labels.length !== n) throw new Error(`ridge head: ${n} clips and ${labels.length} labels; need the same number, at least one`);
  const numClasses = options.numClasses ?? Math.max(...labels) + 1;
  if (labels.some((label) => !Number.isInteger(label) || label < 0 || label >= numClasses)) {
    throw new Error(`ridge head: labels must be integers in [0, ${numClasses})`);
  }
  const lambdas = options.lambdas ?? [1, 10, 100, 1000];
  const groups = options.groups ?? labels.map((_, i) => i % 5);
  if (groups.length !== n) throw new Error(`ridge head: ${groups.length} groups for ${n} clips`);
  const d = model.config.embedDim;
  const Z = await pooledFeatures(model, clips, options.batchSize ?? 32);
  const mean = new Float64Array(d);
  const sd = new Float64Array(d);
  for (let r = 0; r < n; r++) for (let i = 0; i < d; i++) mean[i] += Z[r * d + i] / n;
  for (let r = 0; r < n; r++) for (let i = 0; i < d; i++) sd[i] += (Z[r * d + i] - mean[i]) ** 2 / n;
  for (let i = 0; i < d; i++) sd[i] = Math.sqrt(sd[i] + 1e-6);
  for (let r = 0; r < n; r++) for (let i = 0; i < d; i++) Z[r * d + i] = (Z[r * d + i] - mean[i]) / sd[i];

  const distinct = [...new Set(groups)];
  const all = labels.map((_, i) => i);
  const cvAccuracy = lambdas.map((lambda) => {
    if (distinct.length < 2) return { lambda, accuracy: NaN };
    let correct = 0;
    for (const group of distinct) {
      const held = all.filter((i) => groups[i] === group);
      const map = ridgeFit(Z, d, labels, numClasses, lambda, all.filter((i) => groups[i] !== group));
      for (const r of held) correct += predict(map, Z, d, numClasses, r) === labels[r] ? 1 : 0;
    }
    return { lambda, accuracy: correct / n };
  });
  // The first of the best keeps the choice stable under ties.
  const chosen = cvAccuracy.reduce((best, next) => (next.accuracy > best.accuracy ? next : best), cvAccuracy[0]);
  const map = ridgeFit(Z, d, labels, numClasses, chosen.lambda, all);
  let trainCorrect = 0;
  for (const r of all) trainCorrect += predict(map, Z, d, numClasses, r) === labels[r] ? 1 : 0;

  const weight = new Float32Array(d * numClasses);
  const bias = new Float32Array(numClasses);
  for (let k = 0; k < numClasses; k++) {
    let shift = map.b[k];
    for (let i = 0; i < d; i++) {
      const w = map.W[i * numClasses + k] / sd[i];
      weight[i * numClasses + k] = w;
      shift -= mean[i] * w;
    }
    bias[k] = shift;
  }
  const head = attachHead(model, { kind: 'linear', pool: 'mean', numClasses });
  tf.tidy(() => {
    head.fc.weight.assign(tf.tensor2d(weight, [d, numClasses]));
    head.fc.bias.assign(tf.tensor1d(bias));
  });
  return { lambda: chosen.lambda, cvAccuracy, trainAccuracy: trainCorrect / n };
}
