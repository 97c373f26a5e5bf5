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
import { loadClip } from '../audio/index.js';
import { ensureBackend } from '../backend/index.js';
import { buildCorpus } from '../corpus/index.js';
import { readManifestCsv, resolveClipPath, manifestRoot, type ManifestRow } from '../data/index.js';
import { modelInputs, type FeatureRecipe, type NormStats } from '../features/index.js';
import { attachHead, disposeModel, loadCheckpoint, namedParameters, type MaeModel, type ParameterGroupName } from '../model/index.js';
import { GENERATED_NOISES, buildShift, shiftName, parseShift, type ShiftReport, type ShiftSplit } from '../shifts/index.js';
import { trainHead } from '../train/index.js';
import {
  DEFAULT_TTT_CONFIG,
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
import { packageRoot, writeFileAtomic, writeJsonAtomic } from '../util/index.js';
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

/** Clips that are not the task's speech (the offline corpus's babble-only talkers) stay out of splits. */
function isTaskRow(row: ManifestRow): boolean {
  return (row.extra.role ?? 'task') === 'task';
}

function resolveCheckpoint(path: string): string {
  if (existsSync(path)) return resolve(path);
  // The shipped model is found from anywhere, e.g. a notebook's folder.
  const inPackage = join(packageRoot(), path);
  return existsSync(inPackage) ? inPackage : resolve(path);
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
async function prepareHead(model: MaeModel, split: ShiftSplit, inputsOf: (rows: readonly ManifestRow[]) => Promise<Float32Array[]>, config: ExperimentConfig, out: string, checkpoint: string): Promise<string> {
  const path = join(out, 'heads', `${headKey(split, config, checkpoint)}.json`);
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
  const result = await trainHead(model, inputs, labels, {
    mode: 'linear-probe',
    seed: config.seed,
    head: { numClasses },
    epochs: config.head.epochs,
    patience: config.head.patience,
    learningRate: config.head.learningRate,
    validationFraction: config.head.validationFraction,
  });
  const values: Record<string, { shape: number[]; data: number[] }> = {};
  for (const [name, variable] of namedParameters(model)) {
    if (name.startsWith('head.')) values[name] = { shape: variable.shape, data: Array.from(variable.dataSync()) };
  }
  writeJsonAtomic(path, { task: split.task, labels: split.labels, trainClips: split.train.length, bestValidationAccuracy: result.bestValidationAccuracy, bestEpoch: result.bestEpoch, values });
  return `linear probe on ${split.train.length} clean clips (validation accuracy ${result.bestValidationAccuracy.toFixed(3)} at epoch ${result.bestEpoch})`;
}

/**
 * Runs the experiment (or one shard of it) into `out` and returns the summary of every row
 * stored there. Writes `config.json` (the resolved config, backend, versions, seed, each
 * unit's split report), `results.csv` and `summary.csv`; `report` turns them into
 * `report.html`. Throws a {@link RunFolderBusyError} when another process is running into
 * the same folder.
 */
export async function runExperiment(config: ExperimentConfig, options: RunOptions = {}): Promise<RunResult> {
  const out = runFolder(config, options.out);
  return withRunFolder(out, () => runInFolder(config, { ...options, out }));
}

async function runInFolder(config: ExperimentConfig, options: RunOptions & { out: string }): Promise<RunResult> {
  const started = Date.now();
  await ensureBackend();
  const { out } = options;
  if (options.resume === false) {
    // Start afresh once for the whole run: evaluate's own `resume: false` would empty the results of the units before it.
    for (const name of ['results.csv', 'summary.csv', 'diagnostics.csv', 'config.json', 'report.html', 'heads']) rmSync(join(out, name), { recursive: true, force: true });
  }
  mkdirSync(out, { recursive: true });
  const units = shardItems(options.units ?? experimentUnits(config), options.shard);
  const data = await experimentData(config);
  const root = manifestRoot(data.manifestPath);
  const checkpoint = resolveCheckpoint(config.checkpoint);
  const { model, config: stored, tensors } = loadCheckpoint<FeatureRecipe, NormStats>(checkpoint);
  tf.dispose([...tensors.values()]);
  if (!stored.features || !stored.normStats) {
    disposeModel(model);
    throw new Error(`${checkpoint}: the checkpoint has no feature recipe or normalisation statistics; it cannot prepare inputs`);
  }
  const recipe = stored.features;
  const normStats = stored.normStats;
  const babbleRows = data.rows.filter((row) => row.extra.role === 'babble');
  let babbleTalkers: Float32Array[] | undefined;
  const samplesOf = async (row: ManifestRow) => (await loadClip(resolveClipPath(row, root))).samples;
  const inputsOf = async (rows: readonly ManifestRow[]) =>
    modelInputs(await Promise.all(rows.map(samplesOf)), recipe, normStats, model.config.inputFrames, rows.map((row) => row.path));
  const reports: Record<string, ShiftReport> = {};
  let newRows = 0;
  try {
    for (const [index, unit] of units.entries()) {
      const split = buildShift(data.rows, parseShift(unit.shift), { task: unit.task, seed: config.seed, maxTest: unit.maxTest, maxTrain: unit.maxTrain, filter: isTaskRow });
      reports[unit.condition] = split.report;
      options.onUnit?.({ unit, index, total: units.length, report: split.report });
      const headNote = await prepareHead(model, split, inputsOf, config, out, checkpoint);
      const noise = split.noise;
      if (noise && !(GENERATED_NOISES as readonly string[]).includes(noise.type)) {
        throw new Error(`${unit.condition}: noise '${noise.type}' is not generated here (${GENERATED_NOISES.join(', ')}); mix a noise corpus into the clips first`);
      }
      if (noise?.type === 'babble' && !babbleTalkers) {
        // Babble is made of talkers who are never tested: the corpus's babble-only speakers, else the training clips.
        babbleTalkers = await Promise.all((babbleRows.length > 0 ? babbleRows : split.train).map(samplesOf));
      }
      const clips = await prepareTestClips(split.test, {
        root,
        classOf: (row) => split.labels.indexOf(split.labelOf(row as ManifestRow)),
        recipe,
        normStats,
        inputFrames: model.config.inputFrames,
        noise: noise ? { type: noise.type as NoiseCondition['type'], snrDb: noise.snrDb, seed: config.seed } : undefined,
        babbleTalkers,
      });
      const twins = noise && config.diagnostics !== false ? await twinRecorder(clips, split.test, { root, recipe, normStats, model, config, condition: unit.condition, out }) : undefined;
      const result = await evaluate(clips, config.methods.map((method) => methodSpec(method, model.config.depth)), {
        model,
        config: { ...tttInput(config.ttt), seed: config.ttt.seed ?? config.seed },
        condition: unit.condition,
        out,
        resume: true,
        progressLabel: unit.condition,
        hooks: withTwinHooks(options.hooks, twins),
        info: { experiment: config, checkpoint: config.checkpoint, checkpointPath: checkpoint, manifest: data.manifestPath, seed: config.seed, shard: options.shard ?? null, splits: reports, heads: { ...headNotes(out), [unit.condition]: headNote } },
      });
      newRows += result.newRows;
    }
  } finally {
    disposeModel(model);
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
  where: { root: string; recipe: FeatureRecipe; normStats: NormStats; model: MaeModel; config: ExperimentConfig; condition: string; out: string },
): Promise<TwinRecorder> {
  const { model, config } = where;
  const clean = await prepareTestClips(rows, { root: where.root, classOf: (_, i) => noisy[i].label, recipe: where.recipe, normStats: where.normStats, inputFrames: model.config.inputFrames });
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
