/**
 * "Is the premise true here?" TTT on the MAE loss helps only where the shift makes that loss
 * worse and lowering it moves the features back towards the clean clip's. For every noisy
 * test clip the offline corpus has its clean twin (the same recording without the noise), so
 * both can be measured directly: before TTT (the source weights) and after the last step of
 * each adapting method, the MAE loss of the noisy clip and of its clean twin under one and the
 * same mask, and the cosine distance between their mean-pooled encoder features.
 *
 * Rows go to `diagnostics.csv` next to `results.csv` (rewritten atomically after every clip,
 * so a resumed run keeps what it had). The measurement rides on lib/ttt's `onAdapted` hook,
 * which hands over the adapted parameters of a clip (or a batch of them, with per-clip bias
 * copies) before the source weights return.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { encodeFeatures, forwardMae, type MaeModel, type MaeParams } from '../model/index.js';
import { bootstrapMean, pairedBootstrapGain } from '../stats/index.js';
import { FbankStore } from '../train/index.js';
import { stackMasks, stepMask, type TttClip, type TttConfig } from '../ttt/index.js';
import { writeFileAtomic } from '../util/index.js';

/** One clip's clean-twin measurement under one method at one step. */
export interface TwinDiagnostic {
  condition: string;
  /** The adapting method; the source weights' rows (step 0) repeat for each adapting method, so each can be read alone. */
  method: string;
  clip: string;
  /** 0: the source weights; K: after the method's last step. */
  step: number;
  /** MAE loss of the noisy clip. */
  lossShifted: number;
  /** MAE loss of its clean twin, under the same mask and weights. */
  lossClean: number;
  /** Cosine distance (1 − cosine similarity) between the two clips' mean-pooled encoder features. */
  featureDistance: number;
}

/** The file's columns, in order. */
export const DIAGNOSTIC_COLUMNS = ['condition', 'method', 'clip', 'step', 'loss_shifted', 'loss_clean', 'feature_distance'] as const;

/** Where a run keeps its diagnostics. */
export function diagnosticsPath(out: string): string {
  return join(out, 'diagnostics.csv');
}

function rowKey(row: Pick<TwinDiagnostic, 'condition' | 'method' | 'clip' | 'step'>): string {
  return JSON.stringify([row.condition, row.method, row.clip, row.step]);
}

/** Reads `diagnostics.csv`; throws naming the file and row when one is malformed. */
export function readDiagnostics(path: string): TwinDiagnostic[] {
  const records = parse(readFileSync(path, 'utf8'), { columns: true, skip_empty_lines: true }) as Record<string, string>[];
  return records.map((record, i) => {
    const number = (key: string) => {
      const value = Number(record[key]);
      if (record[key] === undefined || (Number.isNaN(value) && record[key] !== 'NaN')) throw new Error(`${path}: row ${i + 1}: ${key} '${record[key]}' is not a number`);
      return value;
    };
    return {
      condition: record.condition,
      method: record.method,
      clip: record.clip,
      step: number('step'),
      lossShifted: number('loss_shifted'),
      lossClean: number('loss_clean'),
      featureDistance: number('feature_distance'),
    };
  });
}

/** `diagnostics.csv` text. */
export function formatDiagnostics(rows: readonly TwinDiagnostic[]): string {
  return stringify(
    rows.map((row) => [row.condition, row.method, row.clip, row.step, String(row.lossShifted), String(row.lossClean), String(row.featureDistance)]),
    { header: true, columns: [...DIAGNOSTIC_COLUMNS] },
  );
}

/** Clean and noisy measurements of a batch of clips under one set of parameters. */
interface TwinMeasures {
  lossShifted: Float32Array;
  lossClean: Float32Array;
  featureDistance: Float32Array;
}

/**
 * Measures noisy clips against their clean twins with `params` (the model's own when absent;
 * per-clip bias copies `[B, 1, d]` when the batch was adapted together). The mask of each
 * clip is the one its id and the run seed give for step 0, which TTT never trains on (its
 * updates use steps 1 … K), so before and after are measured on the same unseen mask.
 */
export function measureTwins(model: MaeModel, config: Pick<TttConfig, 'seed' | 'mask'>, noisy: readonly TttClip[], clean: readonly TttClip[], params?: MaeParams<tf.Tensor>): TwinMeasures {
  if (noisy.length !== clean.length || noisy.some((clip, i) => clip.id !== clean[i].id)) throw new Error('measureTwins: the clean twins must be the noisy clips\' own, in the same order');
  const plan = stackMasks(noisy.map((clip) => stepMask(model, config, clip.id, 0)));
  const stack = (clips: readonly TttClip[]) =>
    new FbankStore(clips.map((clip) => clip.fbank), model.config.inputFrames, model.config.melBins).batch(clips.map((_, i) => i));
  const [lossShifted, lossClean, distance] = tf.tidy(() => {
    const noisyBatch = stack(noisy);
    const cleanBatch = stack(clean);
    const options = { params, perSample: true };
    const shifted = forwardMae(model, noisyBatch, plan, options).loss;
    const twin = forwardMae(model, cleanBatch, plan, options).loss;
    const encoder = params?.encoder;
    const a = encodeFeatures(model, noisyBatch, { encoder }); // [B, D]
    const b = encodeFeatures(model, cleanBatch, { encoder });
    const cosine = tf.div(tf.sum(tf.mul(a, b), 1), tf.mul(tf.norm(a, 2, 1), tf.norm(b, 2, 1)).add(1e-12));
    return [shifted, twin, tf.sub(1, cosine)];
  });
  try {
    return { lossShifted: lossShifted.dataSync() as Float32Array, lossClean: lossClean.dataSync() as Float32Array, featureDistance: distance.dataSync() as Float32Array };
  } finally {
    tf.dispose([lossShifted, lossClean, distance]);
  }
}

/** Options of {@link TwinRecorder}. */
export interface TwinRecorderOptions {
  model: MaeModel;
  /** The run's TTT settings (seed and mask of the diagnostic masks). */
  config: Pick<TttConfig, 'seed' | 'mask'>;
  condition: string;
  /** The noisy test clips and their clean twins (same ids). */
  noisy: readonly TttClip[];
  clean: readonly TttClip[];
  /** The adapting methods and their last step. */
  steps: ReadonlyMap<string, number>;
  /** The run folder. */
  out: string;
}

/**
 * Collects the clean-twin diagnostic of one condition while `evaluate` runs: `onAdapted`
 * measures each adapted clip (the method is not known there), `afterClip` files the
 * measurement under the method whose rows were just stored and rewrites the file.
 */
export class TwinRecorder {
  private readonly rows = new Map<string, TwinDiagnostic>();
  private readonly pending = new Map<string, { lossShifted: number; lossClean: number; featureDistance: number }>();
  private readonly noisyById: Map<string, TttClip>;
  private readonly cleanById: Map<string, TttClip>;
  private readonly before = new Map<string, { lossShifted: number; lossClean: number; featureDistance: number }>();

  /** Measures every clip with the model's weights as they are now: create it before `evaluate` runs, with the source weights. */
  constructor(private readonly options: TwinRecorderOptions) {
    this.noisyById = new Map(options.noisy.map((clip) => [clip.id, clip]));
    this.cleanById = new Map(options.clean.map((clip) => [clip.id, clip]));
    const path = diagnosticsPath(options.out);
    if (existsSync(path)) for (const row of readDiagnostics(path)) this.rows.set(rowKey(row), row);
    const { noisy, clean, model, config } = options;
    // Batches of 8 bound the memory of the forward passes.
    for (let start = 0; start < noisy.length; start += 8) {
      const measured = measureTwins(model, config, noisy.slice(start, start + 8), clean.slice(start, start + 8));
      noisy.slice(start, start + 8).forEach((clip, i) => this.before.set(clip.id, { lossShifted: measured.lossShifted[i], lossClean: measured.lossClean[i], featureDistance: measured.featureDistance[i] }));
    }
  }

  /** lib/ttt `onAdapted`: measures the clips with the parameters they were classified with at their last step. */
  readonly onAdapted = (clips: readonly string[], params: MaeParams<tf.Tensor>): void => {
    const noisy = clips.map((id) => this.noisyById.get(id));
    const clean = clips.map((id) => this.cleanById.get(id));
    if (noisy.some((clip) => !clip) || clean.some((clip) => !clip)) return;
    const measured = measureTwins(this.options.model, this.options.config, noisy as TttClip[], clean as TttClip[], params);
    clips.forEach((id, i) => this.pending.set(id, { lossShifted: measured.lossShifted[i], lossClean: measured.lossClean[i], featureDistance: measured.featureDistance[i] }));
  };

  /** `evaluate`'s `afterClip`: files the clip's measurements under `method` and writes the file. */
  readonly afterClip = (event: { method: string; clip: string }): void => {
    const steps = this.options.steps.get(event.method);
    const after = this.pending.get(event.clip);
    if (steps === undefined || !after) return;
    this.pending.delete(event.clip);
    const base = { condition: this.options.condition, method: event.method, clip: event.clip };
    for (const [step, measured] of [[0, this.before.get(event.clip)], [steps, after]] as const) {
      if (!measured) continue;
      const row: TwinDiagnostic = { ...base, step, ...measured };
      this.rows.set(rowKey(row), row);
    }
    writeFileAtomic(diagnosticsPath(this.options.out), formatDiagnostics([...this.rows.values()]));
  };
}

/** The diagnostic of one condition × method, summarised. */
export interface DiagnosticSummary {
  condition: string;
  method: string;
  clips: number;
  /** The method's last step. */
  step: number;
  /** Mean MAE loss of the noisy clips and of their clean twins, with the source weights. */
  lossShiftedBefore: number;
  lossCleanBefore: number;
  /** Share of clips whose noisy loss exceeds the clean twin's (the premise, clip by clip), with the source weights. */
  premiseHolds: number;
  /** Mean noisy − clean loss with its bootstrap 95 % interval (> 0: the shift raises the loss, as TTT-MAE assumes). */
  lossGap: { estimate: number; low: number; high: number };
  lossShiftedAfter: number;
  lossCleanAfter: number;
  /** Mean feature distance to the clean twin before and after TTT. */
  distanceBefore: number;
  distanceAfter: number;
  /** Mean change in distance (after − before, paired over clips) with its bootstrap 95 % interval (< 0: TTT moved the features towards the clean twin's). */
  distanceChange: { estimate: number; low: number; high: number };
}

function mean(values: readonly number[]): number {
  return values.reduce((sum, x) => sum + x, 0) / values.length;
}

/** Per condition × method: the premise (noisy loss above clean) and whether TTT moved the features towards the clean twin. */
export function summarizeDiagnostics(rows: readonly TwinDiagnostic[], seed = 0): DiagnosticSummary[] {
  const keys = [...new Set(rows.map((row) => JSON.stringify([row.condition, row.method])))];
  const out: DiagnosticSummary[] = [];
  keys.forEach((key, k) => {
    const [condition, method] = JSON.parse(key) as [string, string];
    const own = rows.filter((row) => row.condition === condition && row.method === method);
    const step = Math.max(...own.map((row) => row.step));
    const before = new Map(own.filter((row) => row.step === 0).map((row) => [row.clip, row]));
    const after = new Map(own.filter((row) => row.step === step && step > 0).map((row) => [row.clip, row]));
    const clips = [...after.keys()].filter((clip) => before.has(clip));
    if (clips.length === 0) return;
    const b = clips.map((clip) => before.get(clip) as TwinDiagnostic);
    const a = clips.map((clip) => after.get(clip) as TwinDiagnostic);
    const gap = bootstrapMean(b.map((row) => row.lossShifted - row.lossClean), { seed: seed + 2 * k });
    const change = pairedBootstrapGain(b.map((row) => row.featureDistance), a.map((row) => row.featureDistance), { seed: seed + 2 * k + 1 });
    out.push({
      condition,
      method,
      clips: clips.length,
      step,
      lossShiftedBefore: mean(b.map((row) => row.lossShifted)),
      lossCleanBefore: mean(b.map((row) => row.lossClean)),
      premiseHolds: b.filter((row) => row.lossShifted > row.lossClean).length / b.length,
      lossGap: { estimate: gap.estimate, low: gap.low, high: gap.high },
      lossShiftedAfter: mean(a.map((row) => row.lossShifted)),
      lossCleanAfter: mean(a.map((row) => row.lossClean)),
      distanceBefore: mean(b.map((row) => row.featureDistance)),
      distanceAfter: mean(a.map((row) => row.featureDistance)),
      distanceChange: { estimate: change.estimate, low: change.low, high: change.high },
    });
  });
  return out;
}
