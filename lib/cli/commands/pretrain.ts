/**
 * `ttt-speech pretrain --config <json> [--out <dir>] [--seed N] [--resume]`: MAE pre-training
 * on the offline corpus (or any manifest in its format). Reads the clips, computes 128-bin
 * fbanks, dataset normalisation statistics over the raw fbanks, pads or crops to the model's
 * frames, normalises, pre-trains, and leaves a checkpoint (model, feature options, statistics)
 * in the output folder. With `--resume` an interrupted run continues from its last checkpoint.
 *
 * Config file (every field optional):
 * ```json
 * {
 *   "model": "tiny",                       // a preset name, or { "preset": "tiny", "depth": 4, ... }
 *   "data": { "corpus": { "preset": "full", "seed": 1, "dir": "data/offline", "parallel": 2 },
 *             "manifest": "path/to/manifest.csv",   // instead of "corpus"
 *             "roles": ["task"], "genders": ["F"], "ageGroups": ["young"],
 *             "heldOutSentences": [12, 13, 14, 15, 16, 17, 18, 19] },   // never pre-trained on
 *   "features": { "padMode": "end", "stdScale": 2, "fbank": { "melBins": 128 } },
 *   "train": { "epochs": 5, "batchSize": 8, "learningRate": 0.0015, "warmupSteps": 10,
 *              "weightDecay": 0.05, "gradientClipNorm": 1, "mask": { "strategy": "random", "ratio": 0.75 },
 *              "checkpointEvery": 20, "randomCrop": false },   // randomCrop: a random window of each clip per step
 *   "seed": 0,
 *   "out": "checkpoints/tiny-mae"
 * }
 * ```
 */
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { seedArgument } from '../arguments.js';
import { z } from 'zod';
import { ensureBackend, withSyncReads } from '../../backend/index.js';
import { loadClip } from '../../audio/index.js';
import { buildCorpus, readManifest, type ManifestRow } from '../../corpus/index.js';
import { datasetNormStats, modelInputs, normalizedFbanks, resolveFbankOptions, type FeatureRecipe, type LongFbank, type NormStats } from '../../features/index.js';
import {
  countParameters,
  createModel,
  disposeModel,
  hasCheckpoint,
  readCheckpointConfig,
  resolveModelConfig,
  type MaskStrategy,
  type ModelConfig,
} from '../../model/index.js';
import { pretrainMae, type PretrainState } from '../../train/index.js';
import { maskSchema } from '../../experiment/index.js';
import { readConfigFile } from '../../util/index.js';


/** The config file of `pretrain`. */
export const pretrainConfigSchema = z.strictObject({
  model: z.union([z.string(), z.looseObject({ preset: z.string().optional() })]).optional(),
  data: z
    .strictObject({
      corpus: z
        .strictObject({
          preset: z.enum(['full', 'ci', 'pretrain']).optional(),
          seed: z.number().int().nonnegative().optional(),
          dir: z.string().optional(),
          parallel: z.number().int().positive().optional(),
        })
        .optional(),
      manifest: z.string().optional(),
      roles: z.array(z.enum(['task', 'babble', 'pool'])).optional(),
      genders: z.array(z.string()).optional(),
      ageGroups: z.array(z.string()).optional(),
      heldOutSentences: z.array(z.number().int().nonnegative()).optional(),
    })
    .optional(),
  features: z
    .strictObject({
      padMode: z.enum(['end', 'center']).optional(),
      padValue: z.enum(['zero', 'floor']).optional(),
      stdScale: z.number().positive().optional(),
      fbank: z.record(z.string(), z.unknown()).optional(),
    })
    .optional(),
  train: z
    .strictObject({
      epochs: z.number().int().positive().optional(),
      batchSize: z.number().int().positive().optional(),
      learningRate: z.number().positive().optional(),
      minLearningRate: z.number().nonnegative().optional(),
      warmupSteps: z.number().int().nonnegative().optional(),
      weightDecay: z.number().nonnegative().optional(),
      betas: z.tuple([z.number(), z.number()]).optional(),
      gradientClipNorm: z.number().positive().nullable().optional(),
      mask: maskSchema.optional(),
      checkpointEvery: z.number().int().positive().optional(),
      randomCrop: z.boolean().optional(),
    })
    .optional(),
  seed: z.number().int().nonnegative().optional(),
  out: z.string().optional(),
});

/** A parsed `pretrain` config file. */
export type PretrainConfig = z.infer<typeof pretrainConfigSchema>;

/** Flags of the `pretrain` sub-command. */
export interface PretrainCommandFlags {
  config: string;
  out?: string;
  seed?: number;
  resume?: boolean;
}

/** What the checkpoint stores under `features`: how to turn a clip into the model's input. */
export type PretrainFeatureRecord = FeatureRecipe;

/**
 * Reads and checks a config file (JSON, or YAML by name or content: see `readConfigFile` in
 * lib/util); errors name the file and the offending field.
 */
export function readPretrainConfig(path: string): PretrainConfig {
  const parsed = pretrainConfigSchema.safeParse(readConfigFile(path, 'pretrain config'));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${path}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  return parsed.data;
}

function resolveModel(spec: PretrainConfig['model']): ModelConfig {
  if (spec === undefined || typeof spec === 'string') return resolveModelConfig(spec ?? 'tiny');
  return resolveModelConfig(spec as Partial<ModelConfig> & { preset?: string });
}

/** The clips to pre-train on: manifest rows (filtered) and the folder their paths are relative to. */
async function selectClips(data: PretrainConfig['data'] = {}): Promise<{ rows: ManifestRow[]; root: string }> {
  let manifestPath: string;
  if (data.manifest) {
    manifestPath = resolve(data.manifest);
  } else {
    const corpus = await buildCorpus({ preset: data.corpus?.preset, seed: data.corpus?.seed, outDir: data.corpus?.dir, parallel: data.corpus?.parallel });
    manifestPath = corpus.manifestPath;
  }
  const roles = data.roles ?? ['task'];
  const rows = readManifest(manifestPath).filter(
    (row) =>
      roles.includes(row.role) &&
      (!data.genders || data.genders.includes(row.gender)) &&
      (!data.ageGroups || data.ageGroups.includes(row.ageGroup)) &&
      // Sentences kept for testing stay unseen, even unlabelled, so test-time training later
      // adapts to audio the encoder has never reconstructed.
      !(data.heldOutSentences ?? []).includes(row.sentence),
  );
  if (rows.length === 0) throw new Error(`no clips in ${manifestPath} match the data filter of the config`);
  return { rows, root: dirname(manifestPath) };
}

/**
 * Normalised fbanks of every clip, plus the statistics used (computed over the raw fbanks):
 * padded or cropped to the model's frames, or at full length when training crops its own
 * windows (`randomCrop`).
 */
async function prepareInputs(
  rows: ManifestRow[],
  root: string,
  model: ModelConfig,
  features: FeatureRecipe,
  randomCrop: boolean,
): Promise<{ inputs: Float32Array[] | LongFbank[]; normStats: NormStats }> {
  const clips: Float32Array[] = [];
  const sources: string[] = [];
  for (const row of rows) {
    const clip = await loadClip(join(root, row.path));
    clips.push(clip.samples);
    sources.push(clip.source);
  }
  // The feature pipeline reads tensors synchronously: on webgpu it runs on wasm, once, before training.
  return withSyncReads(() => {
    const normStats = datasetNormStats(clips, features);
    const inputs = randomCrop ? normalizedFbanks(clips, features, normStats, sources) : modelInputs(clips, features, normStats, model.inputFrames, sources);
    return { inputs, normStats };
  });
}

/** Runs the whole command; returns the text it prints. */
export async function runPretrain(flags: PretrainCommandFlags): Promise<string> {
  const config = readPretrainConfig(flags.config);
  const seed = flags.seed ?? config.seed ?? 0;
  const out = resolve(flags.out ?? config.out ?? 'checkpoints/mae');
  const modelConfig = resolveModel(config.model);
  const { source: _source, ...fbankOptions } = resolveFbankOptions({ melBins: modelConfig.melBins, ...(config.features?.fbank ?? {}) });
  if (fbankOptions.melBins !== modelConfig.melBins) {
    throw new Error(`features.fbank.melBins=${fbankOptions.melBins} differs from the model's melBins=${modelConfig.melBins}`);
  }
  const features: PretrainFeatureRecord = {
    fbank: fbankOptions,
    padMode: config.features?.padMode ?? 'end',
    ...(config.features?.padValue ? { padValue: config.features.padValue } : {}),
    stdScale: config.features?.stdScale ?? 2,
  };
  if (hasCheckpoint(out)) {
    if (!flags.resume) throw new Error(`a checkpoint exists at ${out}; pass --resume to continue it, or choose another --out`);
    const state = readCheckpointConfig<unknown, unknown, PretrainState>(out).training;
    if (state?.completed) return `pre-training in ${out} is already complete (${state.totalSteps} steps)`;
  }
  // Pre-training reads every result asynchronously, so a GPU found through WebGPU is used by itself.
  await ensureBackend({ readsAsync: true });
  const { rows, root } = await selectClips(config.data);
  const { inputs, normStats } = await prepareInputs(rows, root, modelConfig, features, config.train?.randomCrop ?? false);
  const model = createModel(modelConfig, seed);
  const started = performance.now();
  try {
    const train = config.train ?? {};
    const result = await pretrainMae(model, inputs, {
      epochs: train.epochs ?? 5,
      batchSize: train.batchSize ?? 8,
      learningRate: train.learningRate,
      minLearningRate: train.minLearningRate,
      warmupSteps: train.warmupSteps,
      weightDecay: train.weightDecay,
      betas: train.betas,
      gradientClipNorm: train.gradientClipNorm,
      mask: train.mask,
      checkpointEvery: train.checkpointEvery,
      seed,
      checkpointDir: out,
      resume: flags.resume,
      checkpointExtras: { features, normStats },
    });
    const seconds = (performance.now() - started) / 1000;
    const last = result.history[result.history.length - 1];
    return [
      `pre-trained ${modelConfig.name} (${countParameters(model.params).toLocaleString('en-US')} parameters) on ${inputs.length} clips`,
      `steps           ${result.totalSteps}${result.resumedFrom !== null ? ` (resumed at ${result.resumedFrom})` : ''} in ${seconds.toFixed(1)} s`,
      `loss by epoch   ${result.epochLosses.map((l) => l.toFixed(4)).join(' ')}`,
      `final loss      ${last ? last.loss.toFixed(4) : 'n/a'}`,
      `norm stats      mean ${normStats.mean.toFixed(4)}, std ${normStats.std.toFixed(4)}`,
      `checkpoint      ${out}`,
    ].join('\n');
  } finally {
    disposeModel(model);
  }
}

/** Adds `pretrain` to the program. */
export function registerPretrainCommand(program: Command): void {
  program
    .command('pretrain')
    .description('pre-train the masked autoencoder on the offline corpus (or a manifest) and save a checkpoint')
    .requiredOption('--config <json>', 'config file, JSON or YAML (model, data, features, train, seed, out)')
    .option('--out <dir>', 'checkpoint folder (default: the config\'s "out", else checkpoints/mae)')
    .option('--seed <n>', 'seed of initialisation, data order and masks (overrides the config)', seedArgument)
    .option('--resume', 'continue the run whose checkpoint is in the output folder')
    .action(async (flags: PretrainCommandFlags) => {
      process.stdout.write((await runPretrain(flags)) + '\n');
    });
}
