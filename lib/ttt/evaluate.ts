/**
 * Evaluating methods on a set of test clips in one pass: no adaptation, per-sample TTT of
 * any group, batched BitFit, online TTT. Rows stream to `results.csv` as clips finish
 * (see `results-file.ts`), so an interrupted run resumes where it stopped; `summary.csv`
 * and `config.json` are written atomically.
 *
 * On resume, per-sample and batched methods skip the clips already in the file (a clip's
 * result does not depend on which clips share its batch). Online methods replay the stream
 * from its start to rebuild the carried-over weights, writing rows only for the clips that
 * are missing.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { currentBackend } from '../backend/index.js';
import type { MaeModel } from '../model/index.js';
import { createProgress, packageVersion, writeFileAtomic, writeJsonAtomic } from '../util/index.js';
import { BatchedBitFit } from './batched-bitfit.js';
import { loadTestClips, type ManifestClipSpec } from './clips.js';
import { resolveTttConfig, type TttConfig, type TttConfigInput } from './config.js';
import { encoderGroup, groupLabel, isVectorGroup, type TttGroup } from './groups.js';
import { OnlineTtt, type ResetPolicy } from './online.js';
import { PerSampleTtt } from './per-sample.js';
import { memoryFootprint } from './memory.js';
import { formatSummary, rowsFromTrace, summarizeAccuracy, type AccuracySummary, type RowContext, type TttRow } from './results.js';
import { clipKey, readResults, ResultsFile } from './results-file.js';
import type { ClipTrace, StreamMethod, StreamMethodFactory, TttClip, TttHooks } from './types.js';

/** One method to evaluate. */
export interface MethodSpec {
  /** Unique name in the results, e.g. `ttt-bitfit`. */
  name: string;
  /** What adapts; absent or `none`: no adaptation (step 0 only). */
  group?: TttGroup;
  /** Adapt this many clips together, each with its own copy of the (vector) group: batched BitFit. */
  batch?: number;
  /** Adapt a stream instead of each clip from the source weights. */
  online?: { window?: number; reset?: ResetPolicy };
  /** Settings that differ from the run's. */
  config?: TttConfigInput;
  /**
   * A method of its own (a lib/tta baseline, or TTT wrapped as one): it replaces `group`,
   * `batch`, `online` and `config`, which must then be absent.
   */
  stream?: StreamMethodFactory;
}

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  model: MaeModel;
  /** TTT settings shared by every method (each may override). */
  config?: TttConfigInput;
  /** Condition label of every row; default `clean`. */
  condition?: string;
  /** Folder for `results.csv`, `summary.csv`, `config.json`; nothing is written without it. */
  out?: string;
  /** Keep and skip the clips already in `out` (default true); false starts the results file afresh. */
  resume?: boolean;
  /** Label of the progress report; default `ttt`. */
  progressLabel?: string;
  /** Test hooks: those of TTT, and one called after every clip's rows are stored (throw there to simulate an interruption). */
  hooks?: TttHooks & { afterClip?: (event: { method: string; clip: string; written: number }) => void };
  /** More facts for `config.json` (backend, versions, checkpoint, …). */
  info?: Record<string, unknown>;
  /**
   * Rewrite `summary.csv` from every row in `out` when done; default true. The experiment runner
   * turns it off: it writes the summary with intervals once, after its last unit, instead of
   * reading all of `results.csv` again after each one.
   */
  writeSummary?: boolean;
}

/** What {@link evaluate} returns. */
export interface EvaluateResult {
  /** Every row of this condition and these methods, earlier runs' included. */
  rows: TttRow[];
  summary: AccuracySummary[];
  /** Rows computed by this call (not read back from an earlier run). */
  newRows: number;
  /** Clips (per method) found complete in `out` and skipped. */
  resumedClips: number;
  /** Path of `results.csv`, when `out` was given. */
  resultsPath?: string;
}

interface ResolvedMethod {
  spec: MethodSpec;
  config: TttConfig;
  group: TttGroup;
  adapts: boolean;
  context: RowContext;
}

function resolveMethods(model: MaeModel, methods: readonly MethodSpec[], base: TttConfigInput, condition: string): ResolvedMethod[] {
  const names = new Set<string>();
  return methods.map((spec) => {
    if (!spec.name || /[\r\n]/.test(spec.name)) throw new Error(`method name '${spec.name}' must be non-empty and on one line`);
    if (names.has(spec.name)) throw new Error(`method name '${spec.name}' appears twice`);
    names.add(spec.name);
    if (spec.batch !== undefined && spec.online) throw new Error(`method ${spec.name}: batch and online exclude each other`);
    if (spec.stream) return resolveStreamMethod(spec, spec.stream, base, condition);
    const group = spec.group ?? 'none';
    const adapts = group !== 'none';
    const vectorsOnly = isVectorGroup(encoderGroup(model, group));
    const config = resolveTttConfig({ ...base, ...spec.config, mask: { ...base.mask, ...spec.config?.mask } }, { vectorsOnly });
    const resolved = adapts ? config : { ...config, steps: 0 };
    return {
      spec,
      config: resolved,
      group,
      adapts,
      context: {
        condition,
        method: spec.name,
        group: groupLabel(group),
        optimizer: adapts ? resolved.optimizer : 'none',
        batch: spec.batch ?? spec.online?.window ?? 1,
        seed: resolved.seed,
      },
    };
  });
}

function resolveStreamMethod(spec: MethodSpec, stream: StreamMethodFactory, base: TttConfigInput, condition: string): ResolvedMethod {
  const clash = (['group', 'batch', 'online', 'config'] as const).filter((key) => spec[key] !== undefined);
  if (clash.length > 0) throw new Error(`method ${spec.name}: ${clash.join(', ')} cannot be combined with a method of its own (stream)`);
  const config = { ...resolveTttConfig(base), steps: stream.steps };
  return {
    spec,
    config,
    group: 'none',
    adapts: true,
    context: { condition, method: spec.name, group: stream.group, optimizer: stream.optimizer, batch: stream.batch, seed: config.seed },
  };
}

/** What must match for a folder's rows of a condition to be resumed. */
function fingerprint(methods: readonly ResolvedMethod[], clips: readonly TttClip[]): unknown {
  return {
    methods: methods.map((m) => ({ ...m.context, online: m.spec.online ?? null, config: m.config, ...(m.spec.stream ? { settings: m.spec.stream.settings } : {}) })),
    clips: clips.map((clip) => [clip.id, clip.label]),
  };
}

interface RunRecord {
  runs: Record<string, unknown>;
  [key: string]: unknown;
}

function checkRunRecord(path: string, condition: string, print: unknown, resume: boolean): RunRecord {
  const record: RunRecord = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as RunRecord) : { runs: {} };
  record.runs ??= {};
  const earlier = record.runs[condition];
  if (resume && earlier !== undefined && JSON.stringify(earlier) !== JSON.stringify(print)) {
    throw new Error(`${path}: condition '${condition}' was run with other methods, settings or clips; choose another output folder`);
  }
  record.runs[condition] = print;
  return record;
}

/**
 * Evaluates `methods` on the clips (prepared, or loaded from a manifest spec) and returns
 * every row and the accuracy summary.
 */
export async function evaluate(
  source: readonly TttClip[] | ManifestClipSpec,
  methods: readonly MethodSpec[],
  options: EvaluateOptions,
): Promise<EvaluateResult> {
  const clips = Array.isArray(source) ? (source as readonly TttClip[]) : await loadTestClips(source as ManifestClipSpec);
  const ids = new Set<string>();
  for (const clip of clips) {
    if (ids.has(clip.id)) throw new Error(`clip id '${clip.id}' appears twice`);
    if (/[\r\n]/.test(clip.id)) throw new Error(`clip id '${clip.id}' spans lines`);
    ids.add(clip.id);
  }
  const condition = options.condition ?? 'clean';
  const resolved = resolveMethods(options.model, methods, options.config ?? {}, condition);
  const resume = options.resume ?? true;
  let file: ResultsFile | undefined;
  let record: RunRecord | undefined;
  const configPath = options.out ? join(options.out, 'config.json') : undefined;
  if (options.out && configPath) {
    mkdirSync(options.out, { recursive: true });
    const resultsPath = join(options.out, 'results.csv');
    record = checkRunRecord(configPath, condition, fingerprint(resolved, clips), resume);
    if (!resume && existsSync(resultsPath)) writeFileAtomic(resultsPath, '');
    const steps = new Map(resolved.map((m) => [m.spec.name, m.config.steps]));
    file = ResultsFile.open(resultsPath, (c, method) => (c === condition ? steps.get(method) : undefined));
    writeJsonAtomic(configPath, { ...record, ...environment(), ...options.info, updatedAt: new Date().toISOString() });
  }
  const done = (method: string, clip: string) => file?.completed.has(clipKey(condition, method, clip)) ?? false;
  const resumedClips = resolved.reduce((n, m) => n + clips.filter((clip) => done(m.spec.name, clip.id)).length, 0);
  const progress = createProgress({ label: options.progressLabel ?? 'ttt', total: resolved.length * clips.length });
  progress.tick(resumedClips, resumedClips > 0 ? 'resumed' : '');
  const newRows: TttRow[] = [];
  /** Bytes each method held beyond the model, for `config.json` (methods resumed without running keep their earlier figure). */
  const memory: Record<string, number> = {};
  let written = 0;
  const store = async (method: ResolvedMethod, traces: readonly ClipTrace[]) => {
    const rows = traces.flatMap((trace) => rowsFromTrace(trace, method.context));
    file?.append(rows);
    newRows.push(...rows);
    for (const trace of traces) {
      written += 1;
      progress.tick(1, `${method.spec.name} ${trace.clip}`);
      options.hooks?.afterClip?.({ method: method.spec.name, clip: trace.clip, written });
    }
    // Let timers and signals run between clips.
    await new Promise<void>((resolve) => setImmediate(resolve));
  };
  try {
    for (const method of resolved) {
      const pending = clips.filter((clip) => !done(method.spec.name, clip.id));
      if (pending.length === 0) continue;
      const bytes = await runMethod(options.model, method, clips, pending, options.hooks, store);
      if (bytes !== undefined) memory[method.spec.name] = bytes;
    }
  } finally {
    progress.stop();
    file?.close();
  }
  const names = new Set(resolved.map((m) => m.spec.name));
  const earlier = (file?.previous ?? []).filter((row) => row.condition === condition && names.has(row.method));
  const rows = [...earlier, ...newRows];
  const summary = summarizeAccuracy(rows);
  if (options.out && configPath && record) {
    // The summary covers every condition in the folder, so one file answers for all runs stored there.
    if (options.writeSummary !== false) writeFileAtomic(join(options.out, 'summary.csv'), formatSummary(summarizeAccuracy(readResults(join(options.out, 'results.csv')))));
    const stored = (record.memoryBytes ?? {}) as Record<string, Record<string, number>>;
    record.memoryBytes = { ...stored, [condition]: { ...stored[condition], ...memory } };
    writeJsonAtomic(configPath, { ...record, ...environment(), ...options.info, updatedAt: new Date().toISOString() });
  }
  return { rows, summary, newRows: newRows.length, resumedClips, resultsPath: options.out ? join(options.out, 'results.csv') : undefined };
}

/** Where the numbers were computed, for `config.json`. */
function environment(): Record<string, unknown> {
  let version = 'unknown';
  try {
    version = packageVersion();
  } catch {
    // Used as a library outside its package folder: the version is a nicety, not a reason to fail.
  }
  const chosen = currentBackend();
  return {
    backend: tf.getBackend(),
    // The GPU a webgpu run computed on (vendor, architecture, device, driver), null on the CPU backends.
    adapter: chosen?.name === tf.getBackend() ? chosen.adapter : null,
    versions: { 'ttt-speech': version, tfjs: tf.version_core, node: process.versions.node, ...(chosen ? { [chosen.package]: chosen.packageVersion } : {}) },
  };
}

type Store = (method: ResolvedMethod, traces: readonly ClipTrace[]) => Promise<void>;

async function runMethod(
  model: MaeModel,
  method: ResolvedMethod,
  clips: readonly TttClip[],
  pending: readonly TttClip[],
  hooks: TttHooks | undefined,
  store: Store,
): Promise<number | undefined> {
  const { spec, config, group } = method;
  const ttt: TttHooks = { forceNaN: hooks?.forceNaN, onAdapted: hooks?.onAdapted };
  if (spec.stream) return runStream(spec.stream.create(model, clips, config.seed), clips, pending, method, store);
  if (spec.online && method.adapts) {
    const runner = new OnlineTtt(model, { group, config, window: spec.online.window, reset: spec.online.reset, hooks: ttt });
    const wanted = new Set(pending.map((clip) => clip.id));
    try {
      for (const clip of clips) {
        const trace = runner.next(clip);
        if (wanted.has(clip.id)) await store(method, [trace]);
      }
    } finally {
      runner.dispose();
    }
    return tttMemoryBytes(model, method);
  }
  if (spec.batch !== undefined && method.adapts) {
    const runner = new BatchedBitFit(model, { batch: spec.batch, group, config, hooks: ttt });
    try {
      // Asynchronous reads: the same traces as adaptBatch, and the only way on the webgpu backend.
      for (let start = 0; start < pending.length; start += spec.batch) await store(method, await runner.adaptBatchAsync(pending.slice(start, start + spec.batch)));
    } finally {
      runner.dispose();
    }
    return tttMemoryBytes(model, method);
  }
  const runner = new PerSampleTtt(model, { group, config, hooks: ttt });
  try {
    for (const clip of pending) await store(method, [await runner.adaptAsync(clip)]);
  } finally {
    runner.dispose();
  }
  return tttMemoryBytes(model, method);
}

/**
 * A stream method over the clips. Online methods see the whole stream again from its start
 * (their state is rebuilt by replaying it) and store only the pending clips; episodic ones
 * see the pending clips alone.
 */
async function runStream(runner: StreamMethod, clips: readonly TttClip[], pending: readonly TttClip[], method: ResolvedMethod, store: Store): Promise<number | undefined> {
  const stream = runner.online ? clips : pending;
  const wanted = new Set(pending.map((clip) => clip.id));
  try {
    for (let start = 0; start < stream.length; start += runner.batch) {
      const traces = runner.adaptBatch(stream.slice(start, start + runner.batch)).filter((trace) => wanted.has(trace.clip));
      if (traces.length > 0) await store(method, traces);
    }
    return runner.memoryBytes?.();
  } finally {
    runner.dispose();
  }
}

/** Bytes a TTT method holds beyond the model while it adapts (copies and optimizer state of one batch); 0 without adaptation. */
function tttMemoryBytes(model: MaeModel, method: ResolvedMethod): number {
  if (!method.adapts) return 0;
  const { spec, group, config } = method;
  return memoryFootprint(model, group, config, spec.batch !== undefined ? { batch: spec.batch } : {}).totalBytes;
}
