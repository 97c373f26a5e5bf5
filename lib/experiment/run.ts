/**
 * Running an experiment: for every task × shift (a *unit*), build the split, train the
 * classifier head on the clean source clips (a linear probe on the frozen pre-trained
 * encoder, as in the paper's protocol), prepare the target clips (with noise where the shift
 * says), and evaluate every method on them with lib/ttt `evaluate`, which streams rows to
 * `results.csv`. Heads are stored under `heads/` once trained, and `evaluate` skips the
 * clips already in the results, so a run that is stopped and started again carries on where
 * it was and ends with the same rows.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ensureBackend } from '../backend/index.js';
import { buildCorpus, isTaskSpeech } from '../corpus/index.js';
import { readManifestCsv, manifestRoot, type ManifestRow } from '../data/index.js';
import { attachHead, namedParameters, type MaeModel, type ParameterGroupName } from '../model/index.js';
import { loadPretrained, loadRowClip, type Pretrained } from '../pretrained/index.js';
import { GENERATED_NOISES, buildShift, preparedNoiseManifest, openNoiseCorpus, shiftName, parseShift, type ShiftReport, type ShiftSplit } from '../shifts/index.js';
import { fitRidgeHead, trainHead } from '../train/index.js';
import {
  DEFAULT_TTT_CONFIG,
  describeGroup,
  evaluate,
  prepareTestClips,
  resolveTttConfig,
  readResults,
  summarizeAccuracy,
  type AccuracySummary,
  type EvaluateOptions,
  type MethodSpec,
  type NoiseCondition,
  type TttClip,
  type TttConfigInput,
} from '../ttt/index.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/index.js';
import { ttaMethodFactory, type TtaMethodName } from '../tta/index.js';
import { baselineSettings, type ExperimentConfig, type ExperimentMethod, type ExperimentTttSettings } from './config.js';
import { runFolder, withRunFolder, type RunFolderBusyError } from './folder.js';
import { TwinRecorder } from './diagnostics.js';
import { formatStatisticsCsv, summarizeWithIntervals } from './summary.js';

/** One task under one shift: the unit a run is made of and a shard is cut from. */
export interface ExperimentUnit {
  task: 'speaker' | 'label';
  shift: string;
  /** The `condition` of its rows: `<task>/<shift>`, e.g. `speaker/noise:white@0dB`. */
  condition: string;
  maxTest?: number;
  maxTrain?: number;
}

/** Every unit of a config, in order. */
export function experimentUnits(config: ExperimentConfig): ExperimentUnit[] {
  return config.tasks.flatMap((task) =>
    task.shifts.map((shift) => {
      const name = shiftName(parseShift(shift));
      return { task: task.task, shift: name, condition: `${task.task}/${name}`, maxTest: task.maxTest, maxTrain: task.maxTrain };
    }),
  );
}

/** `i/n` (0-based `i`) → which slice of a list a shard takes. */
export interface Shard {
  index: number;
  count: number;
}

/** Parses `--shard i/n` (0 ≤ i < n). */
export function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const shard = match ? { index: Number(match[1]), count: Number(match[2]) } : undefined;
  if (!shard || shard.count < 1 || shard.index >= shard.count) throw new Error(`shard '${text}': expected i/n with 0 ≤ i < n, e.g. 0/4`);
  return shard;
}

/** The items of a list a shard takes: every n-th, starting at i (so shards stay balanced when units differ in cost by task). */
export function shardItems<T>(items: readonly T[], shard?: Shard): T[] {
  return shard ? items.filter((_, i) => i % shard.count === shard.index) : [...items];
}

/** Options of {@link runExperiment}. */
export interface RunOptions {
  /** Results folder; default `runs/<name>` in the working directory. */
  out?: string;
  /** Run only this slice of the units. */
  shard?: Shard;
  /** Run these units instead of all the config's (a sweep's share of them). */
  units?: readonly ExperimentUnit[];
  /** Keep what an earlier run of the same config stored in `out` (default true). */
  resume?: boolean;
  /**
   * Folder of trained heads, keyed by checkpoint, task, training clips, head settings and seed;
   * default `<out>/heads`. A sweep gives all its runs one folder, so variants that differ only in
   * TTT settings train each head once.
   */
  headCache?: string;
  /** Passed to `evaluate` (tests use them to interrupt a run). */
  hooks?: EvaluateOptions['hooks'];
  /** Called when a unit starts, with its split's report. */
  onUnit?: (event: { unit: ExperimentUnit; index: number; total: number; report: ShiftReport }) => void;
}

/** What {@link runExperiment} returns. */
export interface RunResult {
  out: string;
  units: ExperimentUnit[];
  /** Accuracy per condition × method × step over every row in `out`. */
  summary: AccuracySummary[];
  newRows: number;
  seconds: number;
}

/** The experiment's data: the manifest rows and where their files are. */
interface ExperimentData {
  manifestPath: string;
  rows: ManifestRow[];
}

async function experimentData(config: ExperimentConfig): Promise<ExperimentData> {
  if ('manifest' in config.corpus) {
    const manifestPath = resolve(config.corpus.manifest);
    return { manifestPath, rows: readManifestCsv(manifestPath) };
  }
  const offline = config.corpus.offline;
  const built = await buildCorpus({ preset: offline.preset as 'full' | undefined, seed: offline.seed, outDir: offline.dir });
  return { manifestPath: built.manifestPath, rows: readManifestCsv(built.manifestPath) };
}

/** Fails, naming the unit and the file, when a noise-corpus shift's prepared manifest is missing. */
function checkNoiseManifests(units: readonly ExperimentUnit[], config: ExperimentConfig): void {
  for (const unit of units) {
    const spec = parseShift(unit.shift);
    if (spec.kind === 'noise' && !GENERATED_NOISES.includes(spec.noise)) preparedNoiseManifest(spec.noise, { manifests: config.noise, where: unit.condition });
  }
}

function tttInput(settings: ExperimentTttSettings | undefined): TttConfigInput {
  return (settings ?? {}) as TttConfigInput;
}

/**
 * A config method as lib/ttt's method spec; a baseline (`method: tent`, …) becomes a stream
 * method with its settings resolved for an encoder of `depth` blocks (SAR's skipped blocks).
 */
export function methodSpec(method: ExperimentMethod, depth = 12): MethodSpec {
  if (method.method) return { name: method.name, stream: ttaMethodFactory(method.method as TtaMethodName, baselineSettings(method), depth, `method ${method.name}`) };
  return {
    name: method.name,
    group: method.group === undefined || method.group === 'none' ? undefined : (method.group as ParameterGroupName),
    batch: method.batch,
    online: method.online,
    config: method.ttt ? tttInput(method.ttt) : undefined,
  };
}

/** Identifies a trained head by everything it depends on. */
function headKey(split: ShiftSplit, config: ExperimentConfig, checkpoint: string): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ checkpoint, task: split.task, labels: split.labels, train: split.train.map((r) => r.path), head: config.head, seed: config.seed }));
  return hash.digest('hex').slice(0, 16);
}

/** Trains the unit's head, or loads the one stored for the same training set. */
async function prepareHead(model: MaeModel, split: ShiftSplit, inputsOf: (rows: readonly ManifestRow[]) => Promise<Float32Array[]>, config: ExperimentConfig, headCache: string, checkpoint: string): Promise<string> {
  const path = join(headCache, `${headKey(split, config, checkpoint)}.json`);
  const numClasses = split.labels.length;
  if (existsSync(path)) {
    const stored = JSON.parse(readFileSync(path, 'utf8')) as { values: Record<string, { shape: number[]; data: number[] }> };
    attachHead(model, { numClasses }, config.seed);
    for (const [name, variable] of namedParameters(model)) {
      if (!name.startsWith('head.')) continue;
      const value = stored.values[name];
      if (!value || value.shape.join(',') !== variable.shape.join(',')) throw new Error(`${path}: head parameter ${name} is missing or has another shape; delete the file to retrain`);
      tf.tidy(() => variable.assign(tf.tensor(value.data, value.shape)));
    }
    return `head loaded from ${path}`;
  }
  const inputs = await inputsOf(split.train);
  const labels = split.train.map((row) => split.labels.indexOf(split.labelOf(row)));
  let fit: Record<string, unknown>;
  let note: string;
  if (config.head.kind === 'ridge') {
    // Label task: λ is judged on held-out speakers, as the test clips come from unseen voices.
    const groups = split.task === 'label' ? split.train.map((row) => row.speaker) : undefined;
    const result = await fitRidgeHead(model, inputs, labels, { numClasses, groups, lambdas: config.head.lambdas });
    fit = { lambda: result.lambda, cvAccuracy: result.cvAccuracy, trainAccuracy: result.trainAccuracy };
    const cv = result.cvAccuracy.find((c) => c.lambda === result.lambda)?.accuracy ?? NaN;
    note = `ridge probe on ${split.train.length} clean clips (λ ${result.lambda}, held-out-group accuracy ${cv.toFixed(3)})`;
  } else {
    const result = await trainHead(model, inputs, labels, {
      mode: 'linear-probe',
      seed: config.seed,
      head: { numClasses },
      epochs: config.head.epochs,
      patience: config.head.patience,
      learningRate: config.head.learningRate,
      validationFraction: config.head.validationFraction,
    });
    fit = { bestValidationAccuracy: result.bestValidationAccuracy, bestEpoch: result.bestEpoch };
    note = `linear probe on ${split.train.length} clean clips (validation accuracy ${result.bestValidationAccuracy.toFixed(3)} at epoch ${result.bestEpoch})`;
  }
  const values: Record<string, { shape: number[]; data: number[] }> = {};
  for (const [name, variable] of namedParameters(model)) {
    // Read asynchronously: the webgpu backend has no synchronous read in Node.
    if (name.startsWith('head.')) values[name] = { shape: variable.shape, data: Array.from(await variable.data()) };
  }
  writeJsonAtomic(path, { task: split.task, labels: split.labels, trainClips: split.train.length, ...fit, values });
  return note;
}

/**
 * Runs the experiment (or one shard of it) into `out` and returns the summary of every row
 * stored there. Writes `config.json` (the resolved config, backend, versions, seed, each
 * unit's split report), `results.csv` and `summary.csv`; `report` turns them into
 * `report.html`. Throws a {@link RunFolderBusyError} when another process is running into
 * the same folder.
 */
export async function runExperiment(config: ExperimentConfig, options: RunOptions = {}): Promise<RunResult> {
  const out = runFolder(config, options.out, options.shard);
  return withRunFolder(out, () => runInFolder(config, { ...options, out }));
}

async function runInFolder(config: ExperimentConfig, options: RunOptions & { out: string }): Promise<RunResult> {
  const started = Date.now();
  await ensureBackend();
  const { out } = options;
  const headCache = resolve(options.headCache ?? join(out, 'heads'));
  if (options.resume === false) {
    // Start afresh once for the whole run: evaluate's own `resume: false` would empty the results of the units before it.
    for (const name of ['results.csv', 'summary.csv', 'diagnostics.csv', 'config.json', 'report.html']) rmSync(join(out, name), { recursive: true, force: true });
    // A shared head folder (a sweep's) holds other runs' heads too; only this run's own is emptied.
    if (headCache === join(out, 'heads')) rmSync(headCache, { recursive: true, force: true });
  }
  mkdirSync(out, { recursive: true });
  const units = shardItems(options.units ?? experimentUnits(config), options.shard);
  // What can be checked in a moment is checked before a corpus is built: the checkpoint, and the
  // prepared manifests of the noise corpora the shifts draw from.
  checkNoiseManifests(units, config);
  const pretrained = loadPretrained(config.checkpoint);
  const { model, dir: checkpoint } = pretrained;
  let data: ExperimentData;
  try {
    // A group the schema allows may still not fit this model (lastBlocks:k beyond its depth).
    for (const method of config.methods) {
      if (method.group !== undefined && method.group !== 'none') {
        try {
          describeGroup(model, method.group);
        } catch (error) {
          throw new Error(`method ${method.name}: ${(error as Error).message}`);
        }
      }
    }
    data = await experimentData(config);
  } catch (error) {
    pretrained.dispose();
    throw error;
  }
  const root = manifestRoot(data.manifestPath);
  // The clean-twin diagnostic reads tensors inside TTT's synchronous hooks, which webgpu cannot do in Node.
  const diagnosticsSkipped = tf.getBackend() === 'webgpu' && config.diagnostics !== false;
  const babbleRows = data.rows.filter((row) => row.extra.role === 'babble');
  let babbleTalkers: Float32Array[] | undefined;
  const samplesOf = async (row: ManifestRow) => (await loadRowClip(row, root)).samples;
  const inputsOf = (rows: readonly ManifestRow[]) => pretrained.inputsOf(rows, { root });
  const reports: Record<string, ShiftReport> = {};
  let newRows = 0;
  try {
    for (const [index, unit] of units.entries()) {
      const split = buildShift(data.rows, parseShift(unit.shift), { task: unit.task, seed: config.seed, maxTest: unit.maxTest, maxTrain: unit.maxTrain, filter: isTaskSpeech });
      reports[unit.condition] = split.report;
      options.onUnit?.({ unit, index, total: units.length, report: split.report });
      const headNote = await prepareHead(model, split, inputsOf, config, headCache, checkpoint);
      const noise = split.noise;
      const noiseFiles = noise && !GENERATED_NOISES.includes(noise.type) ? openNoiseCorpus(noise.type, { manifests: config.noise, report: split.report, where: unit.condition }) : undefined;
      if (noise?.type === 'babble' && !babbleTalkers) {
        // Babble is made of talkers who are never tested: the corpus's babble-only speakers, else the training clips.
        babbleTalkers = await Promise.all((babbleRows.length > 0 ? babbleRows : split.train).map(samplesOf));
      }
      const clips = await prepareTestClips(split.test, {
        pretrained,
        root,
        classOf: (row) => split.labels.indexOf(split.labelOf(row)),
        noise: noise ? { type: noise.type as NoiseCondition['type'], snrDb: noise.snrDb, seed: config.seed, files: noiseFiles } : undefined,
        babbleTalkers,
      });
      const twins = noise && config.diagnostics !== false && !diagnosticsSkipped ? await twinRecorder(clips, split.test, { root, pretrained, config, condition: unit.condition, out }) : undefined;
      const result = await evaluate(clips, config.methods.map((method) => methodSpec(method, model.config.depth)), {
        model,
        config: { ...tttInput(config.ttt), seed: config.ttt.seed ?? config.seed },
        condition: unit.condition,
        out,
        resume: true,
        writeSummary: false,
        progressLabel: unit.condition,
        hooks: withTwinHooks(options.hooks, twins),
        info: { ...(diagnosticsSkipped ? { diagnostics: 'not recorded: the clean-twin diagnostic reads tensors synchronously, which the webgpu backend cannot do in Node' } : {}), experiment: config, checkpoint: config.checkpoint, checkpointPath: checkpoint, manifest: data.manifestPath, seed: config.seed, shard: options.shard ?? null, splits: reports, heads: { ...headNotes(out), [unit.condition]: headNote } },
      });
      newRows += result.newRows;
    }
  } finally {
    pretrained.dispose();
  }
  const resultsPath = join(out, 'results.csv');
  const rows = existsSync(resultsPath) ? readResults(resultsPath) : [];
  const summary = summarizeAccuracy(rows);
  // The same summary.csv as a report writes (intervals, top-class shares, gains), not only lib/ttt's accuracy columns.
  if (rows.length > 0) writeFileAtomic(join(out, 'summary.csv'), formatStatisticsCsv(summarizeWithIntervals(rows)));
  return { out, units, summary, newRows, seconds: (Date.now() - started) / 1000 };
}

/** The clean-twin recorder of a noise unit: the same test rows prepared without noise, measured with the source weights now. */
async function twinRecorder(
  noisy: readonly TttClip[],
  rows: readonly ManifestRow[],
  where: { root: string; pretrained: Pretrained; config: ExperimentConfig; condition: string; out: string },
): Promise<TwinRecorder> {
  const { pretrained, config } = where;
  const { model } = pretrained;
  const clean = await prepareTestClips(rows, { pretrained, root: where.root, classOf: (_, i) => noisy[i].label });
  const steps = new Map<string, number>();
  for (const method of config.methods) {
    if (method.group === undefined || method.group === 'none') continue;
    steps.set(method.name, method.ttt?.steps ?? config.ttt.steps ?? DEFAULT_TTT_CONFIG.steps);
  }
  const ttt = resolveTttConfig({ ...tttInput(config.ttt), seed: config.ttt.seed ?? config.seed });
  return new TwinRecorder({ model, config: ttt, condition: where.condition, noisy, clean, steps, out: where.out });
}

/** The caller's hooks with the recorder's added (each called in turn). */
function withTwinHooks(hooks: RunOptions['hooks'], twins: TwinRecorder | undefined): RunOptions['hooks'] {
  if (!twins) return hooks;
  return {
    ...hooks,
    onAdapted: (clips, params) => {
      twins.onAdapted(clips, params);
      hooks?.onAdapted?.(clips, params);
    },
    afterClip: (event) => {
      twins.afterClip(event);
      hooks?.afterClip?.(event);
    },
  };
}

/** The head notes of earlier units, kept in `config.json` across units and resumed runs. */
function headNotes(out: string): Record<string, string> {
  const path = join(out, 'config.json');
  if (!existsSync(path)) return {};
  try {
    return ((JSON.parse(readFileSync(path, 'utf8')) as { heads?: Record<string, string> }).heads ?? {});
  } catch {
    return {};
  }
}
