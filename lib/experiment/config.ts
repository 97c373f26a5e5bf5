/**
 * The experiment config: what a run compares (tasks × shifts × methods) and with which model,
 * data and TTT settings. One schema validates configs from files (JSON or YAML), the CLI and
 * code alike, so a typo in a key is an error that names the key rather than a silently
 * ignored setting.
 */
import { z } from 'zod';
import { TTT_OPTIMIZERS } from '../ttt/index.js';
import { TTA_METHODS, resolveTtaSettings, type TtaMethodName, type TtaSettingsInput } from '../tta/index.js';
import { parseShift, shiftTaskProblem, type NoiseCorpusName } from '../shifts/index.js';
import { SHIPPED_CHECKPOINT } from '../pretrained/index.js';
import { maskSchema } from '../train/index.js';
import { readConfigFile } from '../util/index.js';

const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().nonnegative();


/** TTT settings (see lib/ttt `TttConfig`); each may be left to its default. */
const tttSchema = z.strictObject({
  optimizer: z.enum(TTT_OPTIMIZERS as unknown as [string, ...string[]]).optional(),
  learningRate: z.number().nonnegative().optional(),
  momentum: z.number().min(0).lt(1).optional(),
  weightDecay: z.number().nonnegative().optional(),
  steps: nonNegativeInt.optional(),
  mask: maskSchema.optional(),
  maxLossRatio: z.number().gt(1).optional(),
  seed: nonNegativeInt.optional(),
});

const groupSchema = z
  .string()
  .regex(/^(none|all|bias|layernorm|lastBlocks:[1-9]\d*)$/, 'expected none, all, bias, layernorm or lastBlocks:<k>');

const methodSchema = z.strictObject({
  /** Name in the results, e.g. `ttt-bitfit`. */
  name: z.string().min(1).regex(/^[^\r\n,]+$/, 'a method name is one line without commas'),
  /** What adapts; `none` (or absent): the unadapted model. */
  group: groupSchema.optional(),
  /** Adapt this many clips together, each with its own copy of a vector group (batched BitFit). */
  batch: positiveInt.optional(),
  /** Adapt a stream without resetting between clips. */
  online: z
    .strictObject({
      window: positiveInt.optional(),
      reset: z.strictObject({ every: positiveInt.optional(), lossAbove: z.number().positive().optional() }).optional(),
    })
    .optional(),
  /** Settings of this method that differ from the experiment's `ttt`. */
  ttt: tttSchema.optional(),
  /** A label-free adaptation baseline (lib/tta) instead of TTT; `group`, `online` and `ttt` do not apply to it. */
  method: z.enum(TTA_METHODS as unknown as [string, ...string[]]).optional(),
  /** Baseline only: `episodic` (reset after every batch) or `online` (carry over the stream); default the method's own. */
  mode: z.enum(['episodic', 'online']).optional(),
  /** Baseline only: learning rate; default the published one, rescaled to `batch`. */
  lr: z.number().positive().optional(),
  /** Baseline only: updates per batch; default the method's own (1; SUTA 10). */
  steps: positiveInt.optional(),
  /** Baseline only, online: back to the source weights before every n-th batch. */
  resetEvery: positiveInt.optional(),
  /** Baseline only: any other setting of the method by name (e.g. `augmentations`, `fisherAlpha`, `restoreProbability`). */
  settings: z.record(z.string(), z.union([z.number(), z.string(), z.record(z.string(), z.number())])).optional(),
});

/** Keys that only a baseline (`method: …`) takes, and keys that only TTT takes. */
const BASELINE_KEYS = ['mode', 'lr', 'steps', 'resetEvery', 'settings'] as const;
const TTT_KEYS = ['group', 'online', 'ttt'] as const;

const shiftText = z.string().superRefine((text, ctx) => {
  try {
    parseShift(text);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
  }
});

const taskSchema = z.strictObject({
  /** `speaker` (speaker ID) or `label` (the corpus label: emotion, speaking style). */
  task: z.enum(['speaker', 'label']),
  /** Shifts to test under, e.g. `noise:white@0dB`, `gender:F->M`, `age:young->old`, `clean`. */
  shifts: z.array(shiftText).min(1),
  /** Most test clips per shift (stratified by class, seeded); default all. */
  maxTest: positiveInt.optional(),
  /** Most training clips for the head per shift; default all. */
  maxTrain: positiveInt.optional(),
});

const corpusSchema = z.union([
  z.strictObject({
    /** The built-in offline corpus, built on first use. */
    offline: z.strictObject({ preset: z.string().optional(), seed: nonNegativeInt.optional(), dir: z.string().optional() }),
  }),
  z.strictObject({
    /** A manifest in the lib/data format (clip paths relative to its folder). */
    manifest: z.string().min(1),
  }),
]);

/**
 * Where the noise corpora of noise-corpus shifts (`noise:musan-noise@5dB`) are: by corpus, a
 * prepared `manifest.csv` or the folder holding it (what `ttt-speech data prepare` writes),
 * relative to the working directory. A corpus not named here is looked for in the data folder.
 */
const noisePath = z.string().min(1).optional();
const noiseSchema = z.strictObject({ musan: noisePath, demand: noisePath, 'esc-50': noisePath, 'ms-snsd': noisePath } satisfies Record<NoiseCorpusName, typeof noisePath>);

const headSchema = z.strictObject({
  /**
   * `probe` (default): a linear probe trained by gradient steps with early stopping on a held-out
   * fraction; `ridge`: a closed-form ridge probe, λ chosen by leave-one-group-out accuracy (groups:
   * speakers for the label task, so λ is judged on unseen voices as the test is; five folds for
   * speaker ID), the same head for the same clips every time. `epochs`, `patience`,
   * `learningRate` and `validationFraction` apply to `probe` only, `lambdas` to `ridge` only.
   */
  kind: z.enum(['probe', 'ridge']).optional(),
  /** Ridge penalties to choose from (on standardised features); default lib/train's. */
  lambdas: z.array(z.number().positive()).min(1).optional(),
  /** Most epochs of the linear probe; default 50. */
  epochs: positiveInt.optional(),
  /** Stop after this many epochs without a better validation accuracy; default 10. */
  patience: positiveInt.optional(),
  /** Peak learning rate of the probe; default trainHead's. */
  learningRate: z.number().positive().optional(),
  /** Fraction of the training clips held out to choose the epoch; default 0.2. */
  validationFraction: z.number().min(0).lt(1).optional(),
});

/** The schema of an experiment config (after defaults are filled in by {@link resolveExperimentConfig}). */
export const experimentConfigSchema = z.strictObject({
  /** Folder name under `runs/`; letters, digits, `.`, `_`, `-`. */
  name: z.string().regex(/^[A-Za-z0-9._-]+$/, 'use letters, digits, ".", "_" and "-"'),
  /** A line saying what the experiment asks. */
  description: z.string().optional(),
  corpus: corpusSchema.optional(),
  /** Noise corpora by name (`musan`, `demand`, `esc-50`, `ms-snsd`): a prepared manifest or its folder each; default `<data folder>/<corpus>/manifest.csv`. */
  noise: noiseSchema.optional(),
  /** A checkpoint folder (a pre-trained MAE); default the shipped `models/mae-tiny`. */
  checkpoint: z.string().optional(),
  tasks: z.array(taskSchema).min(1),
  methods: z.array(methodSchema).min(1).optional(),
  ttt: tttSchema.optional(),
  head: headSchema.optional(),
  /** Seeds the splits, the heads, the noise and every mask; default 0. */
  seed: nonNegativeInt.optional(),
  /**
   * Record the clean-twin diagnostic of noise shifts in `diagnostics.csv` (MAE loss of each
   * noisy clip and its clean twin, and their feature distance, before and after TTT); default true.
   */
  diagnostics: z.boolean().optional(),
  /**
   * For `sweep`: config paths (dot-separated, e.g. `ttt.mask.ratio`, `ttt.learningRate`,
   * `seed`) and the values to try; every combination becomes one run.
   */
  grid: z.record(z.string(), z.array(z.union([z.number(), z.string(), z.boolean()])).min(1)).optional(),
});

/** An experiment as written in a config file. */
export type ExperimentConfigInput = z.infer<typeof experimentConfigSchema>;
/** One method of an experiment. */
export type ExperimentMethod = z.infer<typeof methodSchema>;
/** One task of an experiment with the shifts it is tested under. */
export type ExperimentTask = z.infer<typeof taskSchema>;
/** TTT settings in a config. */
export type ExperimentTttSettings = z.infer<typeof tttSchema>;

/** An experiment with every default filled in. */
export interface ExperimentConfig extends ExperimentConfigInput {
  corpus: NonNullable<ExperimentConfigInput['corpus']>;
  checkpoint: string;
  methods: ExperimentMethod[];
  ttt: ExperimentTttSettings;
  head: NonNullable<ExperimentConfigInput['head']>;
  seed: number;
}

/** The methods a config without `methods` runs: the paper's comparison. */
export const DEFAULT_METHODS: readonly ExperimentMethod[] = Object.freeze([
  { name: 'no-ttt' },
  { name: 'ttt-all', group: 'all' },
  { name: 'ttt-bitfit', group: 'bias' },
]);

/** A config that cannot be used, with every problem on its own line. */
export class ExperimentConfigError extends Error {
  constructor(source: string, problems: readonly string[]) {
    super(`${source}: invalid experiment config\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ExperimentConfigError';
  }
}

function issuePath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(top level)' : path.map((part) => (typeof part === 'number' ? `[${part}]` : String(part))).join('.').replace(/\.\[/g, '[');
}

/** Validates a parsed config and fills in the defaults; `source` names it in errors. */
export function resolveExperimentConfig(value: unknown, source = 'config'): ExperimentConfig {
  const parsed = experimentConfigSchema.safeParse(value);
  if (!parsed.success) {
    throw new ExperimentConfigError(
      source,
      parsed.error.issues.map((issue) => {
        const keys = (issue as { keys?: string[] }).keys;
        const detail = issue.code === 'unrecognized_keys' && keys ? `unknown key${keys.length > 1 ? 's' : ''} ${keys.map((k) => `'${k}'`).join(', ')}` : issue.message;
        return `${issuePath(issue.path)}: ${detail}`;
      }),
    );
  }
  const config = parsed.data;
  const methods = config.methods ?? DEFAULT_METHODS.map((m) => ({ ...m }));
  const names = new Set<string>();
  const problems: string[] = [];
  methods.forEach((method, i) => {
    if (names.has(method.name)) problems.push(`methods[${i}].name: '${method.name}' appears twice`);
    names.add(method.name);
    if (method.batch !== undefined && method.online) problems.push(`methods[${i}]: batch and online exclude each other`);
    if (method.method) {
      for (const key of TTT_KEYS) if (method[key] !== undefined) problems.push(`methods[${i}].${key}: does not apply to method '${method.method}' (a baseline, not TTT)`);
      try {
        resolveTtaSettings(method.method as TtaMethodName, baselineSettings(method), 12, `methods[${i}]`);
      } catch (error) {
        problems.push((error as Error).message);
      }
    } else {
      for (const key of BASELINE_KEYS) if (method[key] !== undefined) problems.push(`methods[${i}].${key}: applies only to a baseline (add method: ${TTA_METHODS.join(' | ')})`);
    }
  });
  const head = config.head ?? {};
  if (head.kind === 'ridge') {
    for (const key of ['epochs', 'patience', 'learningRate', 'validationFraction'] as const) {
      if (head[key] !== undefined) problems.push(`head.${key}: applies to kind: probe only (a ridge head has no epochs)`);
    }
  } else if (head.lambdas !== undefined) {
    problems.push('head.lambdas: applies to kind: ridge only');
  }
  config.tasks.forEach((task, i) => {
    if (new Set(task.shifts).size !== task.shifts.length) problems.push(`tasks[${i}].shifts: a shift appears twice`);
    // Refused here, before any corpus is built.
    task.shifts.forEach((shift, j) => {
      const problem = shiftTaskProblem(task.task, parseShift(shift));
      if (problem) problems.push(`tasks[${i}].shifts[${j}]: '${shift}': ${problem}`);
    });
  });
  if (problems.length > 0) throw new ExperimentConfigError(source, problems);
  return {
    ...config,
    corpus: config.corpus ?? { offline: {} },
    checkpoint: config.checkpoint ?? SHIPPED_CHECKPOINT,
    methods,
    ttt: config.ttt ?? {},
    head: config.head ?? {},
    seed: config.seed ?? 0,
  };
}

/** A baseline method's settings as lib/tta takes them: `settings`, then the named keys over them. */
export function baselineSettings(method: ExperimentMethod): TtaSettingsInput {
  const input: Record<string, unknown> = { ...(method.settings ?? {}) };
  const named = { batch: method.batch, mode: method.mode, learningRate: method.lr, steps: method.steps, resetEvery: method.resetEvery };
  for (const [key, value] of Object.entries(named)) if (value !== undefined) input[key] = value;
  return input as TtaSettingsInput;
}

/**
 * Reads a config file and validates it. `.json` is JSON, `.yaml`/`.yml` YAML, and any other
 * name is judged by its content (see `readConfigFile` in lib/util); errors name the file.
 */
export function loadExperimentConfig(path: string): ExperimentConfig {
  return resolveExperimentConfig(readConfigFile(path, 'experiment config'), path);
}

/**
 * The main job (`npm start`): the shipped model on the offline corpus, speaker ID under
 * noise, the speaking-style task under noise and the natural shifts, the unadapted model
 * against TTT of every parameter and BitFit, 20 steps. Test sets are capped so the whole job
 * fits in about ten minutes on two cores; `maxTest` raises them.
 */
export const MAIN_EXPERIMENT: Readonly<ExperimentConfigInput> = Object.freeze({
  name: 'main',
  description: 'Does test-time training on the MAE loss recover accuracy under noise and natural shifts? (offline corpus, shipped tiny model)',
  corpus: { offline: {} },
  checkpoint: SHIPPED_CHECKPOINT,
  tasks: [
    // One clip per speaker at least: every class the head knows is tested.
    { task: 'speaker', shifts: ['noise:white@0dB', 'noise:babble@0dB'], maxTest: 24 },
    { task: 'label', shifts: ['noise:white@0dB', 'noise:babble@0dB', 'gender:F->M', 'gender:M->F', 'age:young->old'], maxTest: 12 },
  ],
  methods: [
    { name: 'no-ttt' },
    { name: 'ttt-all', group: 'all' },
    { name: 'ttt-bitfit', group: 'bias', batch: 8 },
  ],
  ttt: { steps: 20 },
  seed: 0,
} as ExperimentConfigInput);
