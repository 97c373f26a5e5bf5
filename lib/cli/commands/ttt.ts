/**
 * `ttt-speech ttt --checkpoint DIR [--noise white@0] [--steps 20] [--group all,bias] [--batch B]
 * [--out runs/NAME]`: test-time training on the offline corpus's test clips (the sentences
 * held out of pre-training), printing accuracy per step for every method. Rows stream to
 * `<out>/results.csv`, so running the same command again after an interruption resumes it.
 *
 * Methods: `no-ttt`, then per-sample TTT of each group given, then (with `--batch`) batched
 * BitFit of each vector group (`bias`, `layernorm`) at that batch size.
 *
 * A checkpoint without a classifier head (a pre-trained MAE) gets a linear probe first,
 * trained on the clean clips of the other sentences, as in the paper's protocol of a head
 * trained on the source domain.
 */
import { basename, join, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import * as tf from '@tensorflow/tfjs';
import { ensureBackend } from '../../backend/index.js';
import { loadClip } from '../../audio/index.js';
import { buildCorpus, readManifest, SPEAKING_STYLE_NAMES, type ManifestRow } from '../../corpus/index.js';
import { modelInputs, type FeatureRecipe, type NormStats } from '../../features/index.js';
import { disposeModel, loadCheckpoint, type MaeModel, type ParameterGroupName } from '../../model/index.js';
import { trainHead } from '../../train/index.js';
import {
  TTT_OPTIMIZERS,
  conditionName,
  describeGroup,
  evaluate,
  isVectorGroup,
  encoderGroup,
  loadTestClips,
  memoryFootprint,
  parseNoiseCondition,
  type AccuracySummary,
  type MethodSpec,
  type NoiseCondition,
  type TttConfigInput,
  type TttOptimizerName,
} from '../../ttt/index.js';
import { nonNegativeInteger, positiveInteger, seedArgument } from '../arguments.js';

/** Flags of the `ttt` sub-command. */
export interface TttCommandFlags {
  checkpoint: string;
  noise?: string;
  steps?: number;
  group: string;
  batch?: number;
  out?: string;
  optimizer?: TttOptimizerName;
  lr?: number;
  maskRatio?: number;
  seed: number;
  task: 'speaker' | 'style';
  testSentences: string;
  data?: string;
  manifest?: string;
  limit?: number;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!(n >= 0) || !Number.isFinite(n)) throw new InvalidArgumentError('expected a number ≥ 0');
  return n;
}

/** `12-19` or `12,14,16` → sentence ids. */
export function parseSentences(text: string): number[] {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const range = /^\s*(\d+)\s*(?:-\s*(\d+))?\s*$/.exec(part);
    if (!range) throw new Error(`sentences '${text}': expected a list like 12-19 or 12,14,16`);
    const first = Number(range[1]);
    const last = range[2] === undefined ? first : Number(range[2]);
    for (let s = first; s <= last; s++) out.add(s);
  }
  return [...out].sort((a, b) => a - b);
}

/** The class names of a task and how a manifest row maps to one. */
function taskLabels(task: TttCommandFlags['task'], rows: readonly ManifestRow[]): { labels: string[]; labelOf: (row: ManifestRow) => string } {
  if (task === 'style') return { labels: [...SPEAKING_STYLE_NAMES], labelOf: (row) => row.label };
  return { labels: [...new Set(rows.map((row) => row.speaker))].sort(), labelOf: (row) => row.speaker };
}

function methodList(groups: readonly string[], batch: number | undefined, model: MaeModel): MethodSpec[] {
  const methods: MethodSpec[] = [{ name: 'no-ttt' }];
  for (const group of groups) methods.push({ name: `ttt-${group}`, group: group as ParameterGroupName });
  if (batch !== undefined) {
    for (const group of groups) {
      if (isVectorGroup(encoderGroup(model, group))) methods.push({ name: `ttt-${group}-batched-B${batch}`, group: group as ParameterGroupName, batch });
    }
  }
  return methods;
}

/** A linear probe on the frozen encoder, trained on the clean clips of the training sentences. */
async function probeHead(model: MaeModel, rows: readonly ManifestRow[], root: string, recipe: FeatureRecipe, normStats: NormStats, labels: string[], labelOf: (row: ManifestRow) => string, seed: number): Promise<string> {
  const samples = await Promise.all(rows.map(async (row) => (await loadClip(join(root, row.path))).samples));
  const inputs = modelInputs(samples, recipe, normStats, model.config.inputFrames, rows.map((row) => row.path));
  const result = await trainHead(model, inputs, rows.map((row) => labels.indexOf(labelOf(row))), { mode: 'linear-probe', seed, head: { numClasses: labels.length } });
  return `linear probe on ${rows.length} clean training clips (best validation accuracy ${result.bestValidationAccuracy.toFixed(3)} at epoch ${result.bestEpoch})`;
}

/** Accuracy per step (rows) and method (columns), with the cost per step and the divergences below. */
export function formatAccuracyTable(summary: readonly AccuracySummary[], methods: readonly string[]): string {
  const steps = [...new Set(summary.map((s) => s.step))].sort((a, b) => a - b);
  const of = (method: string) => summary.filter((s) => s.method === method);
  const width = Math.max(8, ...methods.map((m) => m.length + 2));
  const line = (label: string, cells: (method: string) => string) => label.padEnd(14) + methods.map((m) => cells(m).padStart(width)).join('');
  const lines = [line('step', (m) => m)];
  for (const step of steps) lines.push(line(String(step), (m) => of(m).find((s) => s.step === step)?.accuracy.toFixed(3) ?? ''));
  lines.push(
    line('ms/step/clip', (m) => {
      // Rows 0 … K−1 each include one update; row K (and a method without steps) is forward passes only.
      const last = Math.max(...of(m).map((s) => s.step));
      const timed = of(m).filter((s) => last === 0 || s.step < last);
      return timed.length === 0 ? '' : (timed.reduce((sum, s) => sum + s.meanMs, 0) / timed.length).toFixed(1);
    }),
  );
  lines.push(line('diverged', (m) => String(Math.max(0, ...of(m).map((s) => s.diverged)))));
  return lines.join('\n');
}

/** Runs the whole command; returns the text it prints. */
export async function runTtt(flags: TttCommandFlags): Promise<string> {
  const backend = await ensureBackend();
  const manifestPath = flags.manifest ? resolve(flags.manifest) : (await buildCorpus({ outDir: flags.data })).manifestPath;
  const root = resolve(manifestPath, '..');
  const testSentences = parseSentences(flags.testSentences);
  const task = readManifest(manifestPath).filter((row) => row.role === 'task');
  const testRows = task.filter((row) => testSentences.includes(row.sentence)).slice(0, flags.limit);
  const trainRows = task.filter((row) => !testSentences.includes(row.sentence));
  if (testRows.length === 0) throw new Error(`no task clips of ${manifestPath} have sentences ${flags.testSentences}`);
  const { labels, labelOf } = taskLabels(flags.task, task);

  const checkpoint = resolve(flags.checkpoint);
  const { model, config, tensors } = loadCheckpoint<FeatureRecipe, NormStats>(checkpoint);
  tf.dispose([...tensors.values()]);
  try {
    if (!config.features || !config.normStats) throw new Error(`${checkpoint} does not record its feature recipe and normalisation statistics`);
    let head = `head from ${checkpoint}`;
    if (!model.params.head) {
      head = await probeHead(model, trainRows, root, config.features, config.normStats, labels, labelOf, flags.seed);
    } else if (model.headConfig?.numClasses !== labels.length) {
      throw new Error(`the checkpoint's head has ${model.headConfig?.numClasses} classes; task ${flags.task} has ${labels.length}`);
    }
    const noise: NoiseCondition | undefined = flags.noise ? parseNoiseCondition(flags.noise, flags.seed) : undefined;
    const condition = conditionName(noise);
    const testIds = new Set(testRows.map((row) => row.path));
    const clips = await loadTestClips({
      manifest: manifestPath,
      labels,
      labelOf,
      filter: (row) => testIds.has(row.path),
      recipe: config.features,
      normStats: config.normStats,
      inputFrames: model.config.inputFrames,
      noise,
    });
    const groups = flags.group.split(',').map((g) => g.trim()).filter(Boolean);
    for (const group of groups) describeGroup(model, group); // fails early on an unknown group
    const methods = methodList(groups, flags.batch, model);
    const tttConfig: TttConfigInput = {
      steps: flags.steps,
      optimizer: flags.optimizer,
      learningRate: flags.lr,
      mask: flags.maskRatio === undefined ? undefined : { ratio: flags.maskRatio },
      seed: flags.seed,
    };
    const out = resolve(flags.out ?? join('runs', `ttt-${basename(checkpoint)}-${flags.task}`));
    const started = performance.now();
    const result = await evaluate(clips, methods, {
      model,
      config: tttConfig,
      condition,
      out,
      info: {
        checkpoint,
        head,
        task: flags.task,
        classes: labels,
        testSentences,
        backendPackage: { name: backend.package, version: backend.packageVersion },
      },
    });
    const seconds = (performance.now() - started) / 1000;
    const memory = groups.map((group) => {
      const f = memoryFootprint(model, group as ParameterGroupName, tttConfig);
      return `${group}: ${f.trainedParameters.toLocaleString('en-US')} parameters, ${(f.totalBytes / 1024).toFixed(0)} KiB with ${f.optimizer} state`;
    });
    return [
      `condition   ${condition} · ${clips.length} test clips (sentences ${flags.testSentences}) · task ${flags.task} (${labels.length} classes, chance ${(1 / labels.length).toFixed(3)})`,
      `model       ${model.config.name} from ${checkpoint}; ${head}`,
      `backend     ${backend.name}; ${result.newRows} rows computed in ${seconds.toFixed(1)} s${result.resumedClips > 0 ? `, ${result.resumedClips} clip runs resumed from ${out}` : ''}`,
      `trains      ${memory.join('; ')}`,
      `results     ${result.resultsPath}`,
      '',
      formatAccuracyTable(result.summary, methods.map((m) => m.name)),
    ].join('\n');
  } finally {
    disposeModel(model);
  }
}

/** Adds `ttt` to the program. */
export function registerTttCommand(program: Command): void {
  program
    .command('ttt')
    .description('test-time training on the offline corpus test clips; prints accuracy per TTT step')
    .requiredOption('--checkpoint <dir>', 'a checkpoint folder (pre-trained MAE, with or without a classifier head)')
    .option('--noise <type@snr>', 'noise added to every test clip, e.g. white@0, babble@5 (default: clean)')
    .option('--steps <n>', 'TTT steps per clip (default 20)', nonNegativeInteger)
    .option('--group <names>', 'parameter groups, comma-separated: all, bias, layernorm, lastBlocks:k', 'all,bias')
    .option('--batch <n>', 'also run batched BitFit of the vector groups with n clips per batch', positiveInteger)
    .option('--optimizer <name>', `${TTT_OPTIMIZERS.join(' or ')} (default sgd)`, (v: string) => {
      if (!TTT_OPTIMIZERS.includes(v as TttOptimizerName)) throw new InvalidArgumentError(`expected ${TTT_OPTIMIZERS.join(' or ')}`);
      return v as TttOptimizerName;
    })
    .option('--lr <rate>', 'learning rate (default: the optimizer\'s for the kind of group, e.g. SGD 5e-3 for all, 0.2 for bias)', positiveNumber)
    .option('--mask-ratio <r>', 'fraction of patches hidden per step (default 0.75)', positiveNumber)
    .option('--seed <n>', 'seed of masks, noise and the probe', seedArgument, 0)
    .option('--task <name>', 'style (speaking style, 4 classes) or speaker (speaker ID, 24 classes)', (v: string) => {
      if (v !== 'speaker' && v !== 'style') throw new InvalidArgumentError('expected style or speaker');
      return v;
    }, 'style')
    .option('--test-sentences <list>', 'sentences whose clips are the test set (held out of pre-training)', '12-19')
    .option('--data <dir>', 'corpus folder (default: $TTT_SPEECH_DATA/offline or ./data/offline)')
    .option('--manifest <csv>', 'a manifest in the offline corpus format, instead of the corpus')
    .option('--limit <n>', 'only the first n test clips', positiveInteger)
    .option('--out <dir>', 'results folder (default runs/ttt-<checkpoint>-<task>); an interrupted run resumes there')
    .action(async (flags: TttCommandFlags) => {
      process.stdout.write((await runTtt(flags)) + '\n');
    });
}
