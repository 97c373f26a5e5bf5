/**
 * `ttt-speech pretrain --config <file> [--out <dir>] [--seed N] [--resume]`: MAE pre-training
 * as a config file says (JSON or YAML; the schema and the run are lib/train's
 * `pretrainConfigSchema` and `pretrainFromConfig`). Leaves a checkpoint (model, feature recipe,
 * normalisation statistics) in the output folder; with `--resume` an interrupted run continues
 * from its last checkpoint.
 *
 * Config file (every field optional):
 * ```json
 * {
 *   "model": "tiny",                       // a preset name, or { "preset": "tiny", "depth": 4, ... }
 *   "data": { "corpus": { "preset": "full", "seed": 1, "dir": "data/offline", "parallel": 2 },
 *             "manifest": "path/to/manifest.csv",   // instead of "corpus"
 *             "roles": ["task"], "genders": ["F"], "ageGroups": ["young"],
 *             "heldOutSentences": [12, 13, 14, 15, 16, 17, 18, 19] },   // never pre-trained on
 *   "features": { "padMode": "end", "padValue": "floor", "stdScale": 2, "fbank": { "melBins": 128 } },
 *   "train": { "epochs": 5, "batchSize": 8, "learningRate": 0.0015, "warmupSteps": 10,
 *              "weightDecay": 0.05, "gradientClipNorm": 1, "mask": { "strategy": "random", "ratio": 0.75 },
 *              "checkpointEvery": 20, "randomCrop": false },   // randomCrop: a random window of each clip per step
 *   "seed": 0,
 *   "out": "checkpoints/tiny-mae"
 * }
 * ```
 */
import type { Command } from 'commander';
import { PRETRAIN_DEFAULTS, pretrainFromConfig, readPretrainConfig } from '../../train/index.js';
import { seedArgument } from '../arguments.js';

/** Flags of the `pretrain` sub-command. */
export interface PretrainCommandFlags {
  config: string;
  out?: string;
  seed?: number;
  resume?: boolean;
}

/** Runs the whole command; returns the text it prints. */
export async function runPretrain(flags: PretrainCommandFlags): Promise<string> {
  const run = await pretrainFromConfig(readPretrainConfig(flags.config), { out: flags.out, seed: flags.seed, resume: flags.resume });
  if (run.status === 'complete') return `pre-training in ${run.out} is already complete (${run.totalSteps} steps)`;
  const result = run.result!;
  const last = result.history[result.history.length - 1];
  return [
    `pre-trained ${run.modelName} (${run.parameters.toLocaleString('en-US')} parameters) on ${run.clips} clips`,
    `steps           ${result.totalSteps}${result.resumedFrom !== null ? ` (resumed at ${result.resumedFrom})` : ''} in ${run.seconds.toFixed(1)} s`,
    `loss by epoch   ${result.epochLosses.map((l) => l.toFixed(4)).join(' ')}`,
    `final loss      ${last ? last.loss.toFixed(4) : 'n/a'}`,
    `norm stats      mean ${run.normStats!.mean.toFixed(4)}, std ${run.normStats!.std.toFixed(4)}`,
    `checkpoint      ${run.out}`,
  ].join('\n');
}

/** Adds `pretrain` to the program. */
export function registerPretrainCommand(program: Command): void {
  program
    .command('pretrain')
    .description('pre-train the masked autoencoder on the offline corpus (or a manifest) and save a checkpoint')
    .requiredOption('--config <file>', 'config file, JSON or YAML (model, data, features, train, seed, out)')
    .option('--out <dir>', `checkpoint folder (default: the config's "out", else ${PRETRAIN_DEFAULTS.out})`)
    .option('--seed <n>', `seed of initialisation, data order and masks (overrides the config; default ${PRETRAIN_DEFAULTS.seed})`, seedArgument)
    .option('--resume', 'continue the run whose checkpoint is in the output folder')
    .action(async (flags: PretrainCommandFlags) => {
      process.stdout.write((await runPretrain(flags)) + '\n');
    });
}
