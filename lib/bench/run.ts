/**
 * The whole benchmark: every selected case timed on the current backend, the PyTorch
 * reference of the same cases in the same invocation when Python has torch, and one report
 * written atomically as JSON.
 */
import { cpus, platform, release, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { resolveCheckpointDir, SHIPPED_CHECKPOINT } from '../pretrained/index.js';
import { ensureBackend, type BackendInfo, type GpuAdapterInfo } from '../backend/index.js';
import { readCheckpointConfig } from '../model/index.js';
import { createProgress, packageVersion, writeJsonAtomic } from '../util/index.js';
import { selectCases, type BenchCase } from './cases.js';
import { timeRuns, type RepeatSpec, type Timing } from './timing.js';
import { DEFAULT_PYTHON_CANDIDATES, findTorchPython, NO_TORCH_NOTE, runTorchReference, type TorchReferenceOutput } from './torch.js';

/** One row of the report, as DESIGN.md defines it. */
export interface BenchEntry {
  /** `<what>-<group>-<mode>[-B<n>]`. */
  case: string;
  /** TF.js backend that ran it. */
  backend: string;
  /** Median milliseconds per call (a batched case: the whole batch). */
  ms: number;
  /** The PyTorch reference's median for the same call, or `null` without one. */
  torchMs: number | null;
  /** `ms / torchMs`, or `null`. */
  ratio: number | null;
  /** What one call does, per-clip figures of batched cases, and why a reference is missing. */
  notes: string;
}

/** Where, when and how the figures were taken. */
export interface BenchInfo {
  /** ISO 8601 time the run started. */
  date: string;
  /** The backend, and for webgpu the GPU adapter it ran on. */
  backend: { name: string; package: string; version: string; tfjsCore: string; adapter: GpuAdapterInfo | null };
  versions: { node: string; tfjs: string; tttSpeech: string; torch: string | null };
  machine: { os: string; cpuModel: string; cpuCount: number; memoryGiB: number };
  model: { checkpoint: string; name: string };
  runs: { warmup: number; repeats: number; quick: boolean };
  /** The reference: interpreter, torch threads and what it checked, or why there is none. */
  torch: { python: string; torch: string; threads: number; blas: string; model: string } | { skipped: string };
  /** Wall-clock seconds of the whole invocation (reference included). */
  totalSeconds: number;
}

/**
 * The report: `info` next to the entries. DESIGN.md describes `latest.json` as a plain list
 * of entries; the list is `cases` here, so that backend, versions, date and machine travel
 * with the figures they explain.
 */
export interface BenchReport {
  info: BenchInfo;
  cases: BenchEntry[];
}

/** A case's timing details beyond the report (for tests and diagnostics). */
export interface CaseTiming {
  case: string;
  clips: number;
  timing: Timing;
}

/** Options of {@link runBench}. */
export interface BenchOptions {
  /** Checkpoint folder; default the shipped `models/mae-tiny`. */
  checkpoint?: string;
  /** Case names or prefixes (see `selectCases`); default every case. */
  cases?: readonly string[];
  /** Few runs, for tests and smoke checks: warm-up 1, repeats 3 unless given. */
  quick?: boolean;
  /** Timed runs per case; default 10 (3 with `quick`). */
  repeats?: number;
  /** Untimed runs first; default 2 (1 with `quick`). */
  warmup?: number;
  /** Run the PyTorch reference when Python has torch; default true. */
  torch?: boolean;
  /** Interpreters to try for the reference; default `python3`, then `/usr/bin/python3`. */
  pythonCandidates?: readonly string[];
  /** `torch.set_num_threads` of the reference; default 1 (the wasm backend runs on one thread). */
  torchThreads?: number;
  /** Seed of inputs and masks; default 0. */
  seed?: number;
  /** Device of the PyTorch reference; default `cpu`. `cuda` for a GPU machine (eager, synchronised timings). */
  torchDevice?: 'cpu' | 'cuda';
  /** Add the large-batch cases (`LARGE_BATCH_CASES`); default: on the webgpu backend only. */
  largeBatches?: boolean;
  /** JSON file written; default `runs/bench/latest.json` under the working directory; `null`: none. */
  out?: string | null;
}

/** What {@link runBench} returns. */
export interface BenchRun {
  report: BenchReport;
  /** Every timed run of every case, and the tensor counts around them. */
  timings: CaseTiming[];
  /** Where the report went, or `null`. */
  path: string | null;
}

/** The default report file, relative to the working directory. */
export const DEFAULT_BENCH_OUT = join('runs', 'bench', 'latest.json');

/** Warm-up and timed runs per case when the options name none: a full run, and a `quick` one. */
export const DEFAULT_REPEATS: Readonly<{ full: RepeatSpec; quick: RepeatSpec }> = Object.freeze({
  full: Object.freeze({ warmup: 2, repeats: 10 }),
  quick: Object.freeze({ warmup: 1, repeats: 3 }),
});

/** Repeats and warm-up from the options. */
export function repeatSpec(options: Pick<BenchOptions, 'quick' | 'repeats' | 'warmup'>): RepeatSpec {
  const defaults = options.quick === true ? DEFAULT_REPEATS.quick : DEFAULT_REPEATS.full;
  return { warmup: options.warmup ?? defaults.warmup, repeats: options.repeats ?? defaults.repeats };
}

function machineInfo(): BenchInfo['machine'] {
  const list = cpus();
  return {
    os: `${platform()} ${release()}`,
    cpuModel: list.length > 0 ? list[0].model.trim() : 'unknown',
    cpuCount: list.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
  };
}

function joinNotes(...parts: (string | undefined)[]): string {
  return parts.filter((p): p is string => p !== undefined && p !== '').join('; ');
}

/**
 * Per-clip time of each batched TTT case, and the speed-up of batched BitFit against
 * per-sample BitFit (`ttt-bias-per-sample`) when both ran: what batching buys per clip.
 */
function batchedNotes(entries: readonly BenchEntry[], timings: readonly CaseTiming[]): Map<string, string> {
  const out = new Map<string, string>();
  const single = entries.find((e) => e.case === 'ttt-bias-per-sample');
  for (const t of timings) {
    const bitfit = t.case.startsWith('ttt-bias-batched-');
    if (!bitfit && !t.case.startsWith('ttt-all-batched-')) continue;
    const entry = entries.find((e) => e.case === t.case) as BenchEntry;
    const perClip = entry.ms / t.clips;
    let note = `${perClip.toFixed(1)} ms per clip`;
    if (bitfit && single !== undefined) note += `, ${(single.ms / perClip).toFixed(2)}x the speed of per-sample BitFit`;
    if (entry.torchMs !== null) note += `; torch ${(entry.torchMs / t.clips).toFixed(1)} ms per clip`;
    out.set(t.case, note);
  }
  return out;
}

async function measure(cases: readonly BenchCase[], spec: RepeatSpec, checkpoint: string, seed: number, tick: (info: string) => void): Promise<{ timings: CaseTiming[]; notes: Map<string, string> }> {
  const timings: CaseTiming[] = [];
  const notes = new Map<string, string>();
  for (const benchCase of cases) {
    const prepared = benchCase.prepare({ checkpoint, seed });
    try {
      const timing = await timeRuns(prepared, spec, () => tick(benchCase.name));
      timings.push({ case: benchCase.name, clips: benchCase.clips, timing });
      const leaked = timing.tensorsAfter - timing.tensorsBefore;
      notes.set(benchCase.name, joinNotes(prepared.notes, leaked !== 0 ? `LEAK: ${leaked} tensors over ${spec.repeats} runs` : undefined));
    } finally {
      prepared.dispose();
    }
  }
  return { timings, notes };
}

/** Why there is no reference when `torch: false` was given: said in `info`, not repeated in every case's notes. */
const NOT_REQUESTED = 'not requested';

async function reference(
  options: BenchOptions,
  spec: RepeatSpec,
  checkpoint: string,
  cases: readonly BenchCase[],
  tick: (info: string) => void,
): Promise<{ output?: TorchReferenceOutput; python?: string; skipped?: string }> {
  if (options.torch === false) return { skipped: NOT_REQUESTED };
  const found = findTorchPython(options.pythonCandidates ?? DEFAULT_PYTHON_CANDIDATES);
  if (found === undefined) return { skipped: NO_TORCH_NOTE };
  try {
    const output = await runTorchReference({
      python: found.python,
      checkpoint,
      cases: cases.map((c) => c.name),
      warmup: spec.warmup,
      repeats: spec.repeats,
      threads: options.torchThreads ?? 1,
      seed: options.seed ?? 0,
      device: options.torchDevice ?? 'cpu',
      onCase: (name) => tick(`torch ${name}`),
    });
    return { output, python: found.python };
  } catch (err) {
    return { skipped: `torch reference failed: ${err instanceof Error ? err.message : String(err)}` };
  }
}

function backendSummary(backend: BackendInfo): BenchInfo['backend'] {
  return { name: backend.name, package: backend.package, version: backend.packageVersion, tfjsCore: backend.tfjsCoreVersion, adapter: backend.adapter };
}

/**
 * Times the selected cases (medians over `repeats` runs after `warmup` runs), runs the
 * PyTorch reference of the same cases, and writes the report atomically to `out`. Progress
 * goes through `createProgress` (one unit per run, one per reference case).
 */
export async function runBench(options: BenchOptions = {}): Promise<BenchRun> {
  const started = performance.now();
  const date = new Date().toISOString();
  // Every case reads its results asynchronously, so a GPU found by WebGPU may be used.
  const backend = await ensureBackend({ readsAsync: true });
  const checkpoint = resolveCheckpointDir(options.checkpoint ?? SHIPPED_CHECKPOINT);
  const modelName = readModelName(checkpoint); // fails before any timing when the folder is not a checkpoint
  const spec = repeatSpec(options);
  const cases = selectCases(options.cases, { largeBatches: options.largeBatches ?? backend.name === 'webgpu' });
  const seed = options.seed ?? 0;
  const withTorch = options.torch !== false;
  const progress = createProgress({ label: 'bench', total: cases.length * (spec.warmup + spec.repeats) + (withTorch ? cases.length : 0) });
  let measured: Awaited<ReturnType<typeof measure>>;
  let torch: Awaited<ReturnType<typeof reference>>;
  try {
    measured = await measure(cases, spec, checkpoint, seed, (info) => progress.tick(1, info));
    let referenceTicks = 0;
    torch = await reference(options, spec, checkpoint, cases, (info) => {
      referenceTicks++;
      progress.tick(1, info);
    });
    // A missing or failed reference still completes the bar.
    if (withTorch && referenceTicks < cases.length) progress.tick(cases.length - referenceTicks, torch.skipped ?? '');
  } finally {
    progress.stop();
  }

  const torchCases = new Map((torch.output?.cases ?? []).map((c) => [c.case, c]));
  const entries: BenchEntry[] = measured.timings.map((t) => {
    const ref = torchCases.get(t.case);
    const ms = t.timing.medianMs;
    const torchMs = ref === undefined ? null : ref.ms;
    const missing = ref === undefined ? (torch.skipped ?? 'torch reference has no such case') : undefined;
    return {
      case: t.case,
      backend: backend.name,
      ms,
      torchMs,
      ratio: torchMs === null ? null : ms / torchMs,
      notes: joinNotes(measured.notes.get(t.case), ref !== undefined && ref.notes !== '' ? `torch: ${ref.notes}` : undefined, missing === NOT_REQUESTED ? undefined : missing),
    };
  });
  for (const [name, note] of batchedNotes(entries, measured.timings)) {
    const entry = entries.find((e) => e.case === name) as BenchEntry;
    entry.notes = joinNotes(note, entry.notes);
  }

  const info: BenchInfo = {
    date,
    backend: backendSummary(backend),
    versions: { node: process.version, tfjs: tf.version.tfjs, tttSpeech: packageVersion(), torch: torch.output?.info.torch ?? null },
    machine: machineInfo(),
    model: { checkpoint, name: modelName },
    runs: { warmup: spec.warmup, repeats: spec.repeats, quick: options.quick === true },
    torch:
      torch.output !== undefined
        ? {
            python: `${torch.python} (Python ${torch.output.info.python})`,
            torch: torch.output.info.torch,
            threads: torch.output.info.threads,
            blas: torch.output.info.blas ?? 'unknown',
            model: torch.output.info.model,
          }
        : { skipped: torch.skipped ?? 'unknown' },
    totalSeconds: Math.round((performance.now() - started) / 100) / 10,
  };
  const report: BenchReport = { info, cases: entries };
  const path = options.out === null ? null : resolve(options.out ?? DEFAULT_BENCH_OUT);
  if (path !== null) writeJsonAtomic(path, report);
  return { report, timings: measured.timings, path };
}

function readModelName(checkpoint: string): string {
  // Read from the config alone: every case loads its own copy of the weights.
  return readCheckpointConfig(checkpoint).model.name;
}
