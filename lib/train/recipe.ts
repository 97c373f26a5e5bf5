/**
 * A pre-training run as data: the config (model, data, features, training settings, seed,
 * output folder) with one schema, and {@link pretrainFromConfig}, which builds or reads the
 * clips, computes their features and statistics and pre-trains. It lives in the library, not
 * in the CLI, so that a sweep or a notebook can vary any setting the command line can; the
 * `pretrain` command only reads a file and prints the result.
 */
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { ensureBackend, withSyncReads } from '../backend/index.js';
import { buildCorpus, readManifest, type ManifestRow } from '../corpus/index.js';
import { datasetNormStats, modelInputs, normalizedFbanks, resolveFbankOptions, type FeatureRecipe, type LongFbank, type NormStats } from '../features/index.js';
import {
  MASK_STRATEGIES,
  countParameters,
  createModel,
  disposeModel,
  hasCheckpoint,
  maskRatioProblem,
  readCheckpointConfig,
  resolveModelConfig,
  type MaskStrategy,
  type ModelConfig,
} from '../model/index.js';
import { loadRowClip } from '../pretrained/index.js';
import { readConfigFile } from '../util/index.js';
import { pretrainMae, type PretrainResult, type PretrainState } from './pretrain.js';

/** A mask ratio, checked by the model's own rule (see `maskRatioProblem`). */
const maskRatioSchema = z.number().superRefine((ratio, ctx) => {
  const problem = maskRatioProblem(ratio);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** How a reconstruction loss masks its input: strategy and ratio (configs of runs and of pre-training). */
export const maskSchema = z.strictObject({
  strategy: z.enum(MASK_STRATEGIES as unknown as [MaskStrategy, ...MaskStrategy[]]).optional(),
  ratio: maskRatioSchema.optional(),
});

/** Settings a config leaves out: five epochs of eight clips, checkpoints in `checkpoints/mae`. */
export const PRETRAIN_DEFAULTS = Object.freeze({ epochs: 5, batchSize: 8, out: 'checkpoints/mae', seed: 0 });

/** A pre-training config (the file `ttt-speech pretrain --config` reads). */
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

/** A parsed pre-training config. */
export type PretrainConfig = z.infer<typeof pretrainConfigSchema>;

/** Checks a config given as a value (from code, a sweep or a file); `source` names it in errors. */
export function resolvePretrainConfig(value: unknown, source = 'pretrain config'): PretrainConfig {
  const parsed = pretrainConfigSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${source}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  return parsed.data;
}

/**
 * Reads and checks a config file (JSON, or YAML by name or content: see `readConfigFile` in
 * lib/util); errors name the file and the offending field.
 */
export function readPretrainConfig(path: string): PretrainConfig {
  return resolvePretrainConfig(readConfigFile(path, 'pretrain config'), path);
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
    const clip = await loadRowClip(row, root);
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

/** Options of {@link pretrainFromConfig} that override the config. */
export interface PretrainRunOptions {
  /** Checkpoint folder; default the config's `out`, else {@link PRETRAIN_DEFAULTS}. */
  out?: string;
  /** Seed of initialisation, data order, masks and windows; default the config's, else 0. */
  seed?: number;
  /** Continue the run whose checkpoint is in the folder (without it an existing checkpoint is an error). */
  resume?: boolean;
}

/** What {@link pretrainFromConfig} did. */
export interface PretrainRun {
  /** The checkpoint folder, absolute. */
  out: string;
  /** `complete`: the folder already held a finished run, nothing was done. */
  status: 'trained' | 'complete';
  /** Updates of the whole run. */
  totalSteps: number;
  modelName: string;
  parameters: number;
  clips: number;
  normStats?: NormStats;
  /** The loss curve and per-epoch means (absent when nothing was done). */
  result?: PretrainResult;
  /** Wall-clock seconds of the training loop. */
  seconds: number;
}

/** The feature recipe a config asks for, checked against the model. */
function featureRecipe(config: PretrainConfig, model: ModelConfig): FeatureRecipe {
  const { source: _source, ...fbankOptions } = resolveFbankOptions({ melBins: model.melBins, ...(config.features?.fbank ?? {}) });
  if (fbankOptions.melBins !== model.melBins) {
    throw new Error(`features.fbank.melBins=${fbankOptions.melBins} differs from the model's melBins=${model.melBins}`);
  }
  return {
    fbank: fbankOptions,
    padMode: config.features?.padMode ?? 'end',
    ...(config.features?.padValue ? { padValue: config.features.padValue } : {}),
    stdScale: config.features?.stdScale ?? 2,
  };
}

/**
 * Pre-trains as `config` says: builds the offline corpus (or reads the manifest), selects the
 * clips, computes dataset statistics and model inputs, and trains with checkpoints in the
 * output folder (resumable). Everything that can be checked before the long work is checked first.
 */
export async function pretrainFromConfig(config: PretrainConfig, options: PretrainRunOptions = {}): Promise<PretrainRun> {
  const seed = options.seed ?? config.seed ?? PRETRAIN_DEFAULTS.seed;
  const out = resolve(options.out ?? config.out ?? PRETRAIN_DEFAULTS.out);
  const modelConfig = resolveModel(config.model);
  const features = featureRecipe(config, modelConfig);
  const train = config.train ?? {};
  if (hasCheckpoint(out)) {
    if (!options.resume) throw new Error(`a checkpoint exists at ${out}; pass --resume to continue it, or choose another --out`);
    const state = readCheckpointConfig<unknown, unknown, PretrainState>(out).training;
    if (state?.completed) {
      return { out, status: 'complete', totalSteps: state.totalSteps, modelName: modelConfig.name, parameters: 0, clips: state.settings.numClips, seconds: 0 };
    }
  }
  // Pre-training reads every result asynchronously, so a GPU found through WebGPU is used by itself.
  await ensureBackend({ readsAsync: true });
  const { rows, root } = await selectClips(config.data);
  const { inputs, normStats } = await prepareInputs(rows, root, modelConfig, features, train.randomCrop ?? false);
  const model = createModel(modelConfig, seed);
  const started = performance.now();
  try {
    const result = await pretrainMae(model, inputs, {
      epochs: train.epochs ?? PRETRAIN_DEFAULTS.epochs,
      batchSize: train.batchSize ?? PRETRAIN_DEFAULTS.batchSize,
      learningRate: train.learningRate,
      minLearningRate: train.minLearningRate,
      warmupSteps: train.warmupSteps,
      weightDecay: train.weightDecay,
      // zod infers a tuple with optional elements under the TypeScript of the notebook kernel.
      betas: train.betas as [number, number] | undefined,
      gradientClipNorm: train.gradientClipNorm,
      mask: train.mask,
      checkpointEvery: train.checkpointEvery,
      seed,
      checkpointDir: out,
      resume: options.resume,
      checkpointExtras: { features, normStats },
    });
    return {
      out,
      status: 'trained',
      totalSteps: result.totalSteps,
      modelName: modelConfig.name,
      parameters: countParameters(model.params),
      clips: inputs.length,
      normStats,
      result,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    disposeModel(model);
  }
}
