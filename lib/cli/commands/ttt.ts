/**
 * `ttt-speech ttt [--checkpoint DIR] [--task label|speaker] [--noise white@0] [--steps 20]
 * [--group all,bias] [--batch B] [--out runs/NAME]`: test-time training of one task under one
 * condition, printing accuracy per step for every method. It is a one-unit experiment handed
 * to the experiment runner (the same split, head protocol and results layout as
 * `ttt-speech run`, so one checkpoint gives one answer); rows stream to `<out>/results.csv`,
 * and the same command after an interruption resumes.
 *
 * Methods: `no-ttt`, then per-sample TTT of each group given, then (with `--batch`) batched
 * BitFit of each vector group (`bias`, `layernorm`) at that batch size.
 */
import { readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { currentBackend } from '../../backend/index.js';
import { resolveExperimentConfig, runExperiment, type ExperimentConfig, type ExperimentMethod } from '../../experiment/index.js';
import { DEFAULT_MASK_RATIO, hasCheckpoint } from '../../model/index.js';
import { resolveCheckpointDir, SHIPPED_CHECKPOINT } from '../../pretrained/index.js';
import { parseShift, shiftName } from '../../shifts/index.js';
import {
  DEFAULT_LEARNING_RATES,
  DEFAULT_TTT_CONFIG,
  TTT_OPTIMIZERS,
  type AccuracySummary,
  type TttOptimizerName,
} from '../../ttt/index.js';
import { positiveInteger, seedArgument } from '../arguments.js';

/** The tasks a run can test: speaker ID, or the corpus's label column (speaking style, emotion). */
export const TASKS = ['label', 'speaker'] as const;

/** Groups of vectors only, the ones batched BitFit can run. */
const VECTOR_GROUPS: readonly string[] = ['bias', 'layernorm'];

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
  task: (typeof TASKS)[number];
  data?: string;
  manifest?: string;
  limit?: number;
}

/** A number as commander hands it over; range checks are the config schema's, not the flag's. */
function numberArgument(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`'${value}' is not a number`);
  return n;
}

/** The shift of `--noise`: `white@0` or `noise:white@0dB` → `noise:white@0dB`; none → `clean`. */
export function noiseShift(noise: string | undefined): string {
  if (noise === undefined) return 'clean';
  const text = noise.trim().startsWith('noise:') ? noise.trim() : `noise:${noise.trim()}`;
  const problem = `--noise ${noise}: expected <noise>@<SNR dB>, e.g. white@0, babble@5 or a noise corpus's name`;
  let spec;
  try {
    spec = parseShift(text);
  } catch {
    throw new Error(problem);
  }
  if (spec.kind !== 'noise') throw new Error(problem);
  return shiftName(spec);
}

/** The experiment `ttt` runs: one task, one shift, `no-ttt` and a method per group (and batch). */
export function tttExperiment(flags: TttCommandFlags): ExperimentConfig {
  const groups = flags.group.split(',').map((g) => g.trim()).filter(Boolean);
  const methods: ExperimentMethod[] = [{ name: 'no-ttt' }, ...groups.map((group) => ({ name: `ttt-${group}`, group }))];
  if (flags.batch !== undefined) {
    // Only groups of vectors can give each clip of a batch its own copy.
    for (const group of groups) if (VECTOR_GROUPS.includes(group)) methods.push({ name: `ttt-${group}-batched-B${flags.batch}`, group, batch: flags.batch });
  }
  const shift = noiseShift(flags.noise);
  const checkpoint = flags.checkpoint;
  return resolveExperimentConfig(
    {
      name: `ttt-${basename(resolveCheckpointDir(checkpoint))}-${flags.task}`,
      corpus: flags.manifest ? { manifest: flags.manifest } : { offline: flags.data ? { dir: flags.data } : {} },
      checkpoint,
      tasks: [{ task: flags.task, shifts: [shift], ...(flags.limit !== undefined ? { maxTest: flags.limit } : {}) }],
      methods,
      ttt: {
        ...(flags.steps !== undefined ? { steps: flags.steps } : {}),
        ...(flags.optimizer !== undefined ? { optimizer: flags.optimizer } : {}),
        ...(flags.lr !== undefined ? { learningRate: flags.lr } : {}),
        ...(flags.maskRatio !== undefined ? { mask: { ratio: flags.maskRatio } } : {}),
      },
      seed: flags.seed,
    },
    'ttt-speech ttt',
  );
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

/** Runs the whole command; returns the text it prints. Every flag is checked before any corpus is built or model run. */
export async function runTtt(flags: TttCommandFlags): Promise<string> {
  const config = tttExperiment(flags);
  const checkpoint = resolveCheckpointDir(config.checkpoint);
  if (!hasCheckpoint(checkpoint)) throw new Error(`--checkpoint ${flags.checkpoint}: no checkpoint there (${checkpoint} has no config.json, manifest.json and weights.bin)`);
  const out = resolve(flags.out ?? join('runs', config.name));
  let testClips = 0;
  const result = await runExperiment(config, { out, onUnit: ({ report }) => (testClips = report.test.clips) });
  const unit = result.units[0];
  const summary = result.summary.filter((s) => s.condition === unit.condition);
  const backend = currentBackend();
  // What each method held while adapting, as the runner measured and recorded it.
  const recorded = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { memoryBytes?: Record<string, Record<string, number>> };
  const memory = Object.entries(recorded.memoryBytes?.[unit.condition] ?? {}).map(([method, bytes]) => `${method} ${(bytes / 1024).toFixed(0)} KiB`);
  return [
    `condition   ${unit.condition} · ${testClips} test clips · task ${flags.task}`,
    `model       ${basename(checkpoint)} from ${checkpoint}`,
    `backend     ${backend?.name ?? 'unknown'}; ${result.newRows} rows computed in ${result.seconds.toFixed(1)} s`,
    `memory      ${memory.join('; ')} (model copies and optimizer state while adapting)`,
    `results     ${join(out, 'results.csv')}`,
    '',
    formatAccuracyTable(summary, config.methods.map((m) => m.name)),
  ].join('\n');
}

/** Adds `ttt` to the program. */
export function registerTttCommand(program: Command): void {
  const rates = DEFAULT_LEARNING_RATES;
  program
    .command('ttt')
    .description('test-time training of one task under one condition (a one-unit experiment); prints accuracy per TTT step')
    .option('--checkpoint <dir>', 'a pre-trained checkpoint folder', SHIPPED_CHECKPOINT)
    .option('--task <name>', `${TASKS.join(' or ')}: the corpus label column (speaking style, emotion) or speaker ID`, (v: string) => {
      if (!(TASKS as readonly string[]).includes(v)) throw new InvalidArgumentError(`expected ${TASKS.join(' or ')}`);
      return v;
    }, 'label')
    .option('--noise <type@snr>', 'noise added to every test clip, e.g. white@0, babble@5 (default: clean)')
    .option('--steps <n>', `TTT steps per clip (default ${DEFAULT_TTT_CONFIG.steps})`, numberArgument)
    .option('--group <names>', 'parameter groups, comma-separated: all, bias, layernorm, lastBlocks:k', 'all,bias')
    .option('--batch <n>', 'also run batched BitFit of the vector groups with n clips per batch', positiveInteger)
    .option('--optimizer <name>', `${TTT_OPTIMIZERS.join(' or ')} (default ${DEFAULT_TTT_CONFIG.optimizer})`)
    .option(
      '--lr <rate>',
      `learning rate (default per optimizer and kind of group: ${TTT_OPTIMIZERS.map((o) => `${o} ${rates[o].matrices} with matrices, ${rates[o].vectors} for vectors only`).join('; ')})`,
      numberArgument,
    )
    .option('--mask-ratio <r>', `fraction of patches hidden per step (default ${DEFAULT_MASK_RATIO})`, numberArgument)
    .option('--seed <n>', 'seed of the split, the head, noise and masks', seedArgument, 0)
    .option('--data <dir>', 'offline corpus folder (default: $TTT_SPEECH_DATA/offline or ./data/offline)')
    .option('--manifest <csv>', 'a prepared manifest (ttt-speech data prepare, or the offline corpus format), instead of the offline corpus')
    .option('--limit <n>', 'at most n test clips (stratified by class, seeded)', positiveInteger)
    .option('--out <dir>', 'results folder (default runs/ttt-<checkpoint>-<task>); an interrupted run resumes there')
    .action(async (flags: TttCommandFlags) => {
      process.stdout.write((await runTtt(flags)) + '\n');
    });
}
