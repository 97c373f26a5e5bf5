/**
 * The PyTorch reference: `bench/torch_reference.py` builds the same model from the same
 * checkpoint and times the same cases on the CPU, in a child process of the benchmark. It is
 * optional: without a Python that imports torch the benchmark reports no reference, and
 * nothing else in ttt-speech needs Python or torch.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../util/index.js';

/** Interpreters tried in order: whatever `python3` is on the PATH (a virtualenv, pyenv), then Debian's, where `apt-get install python3-torch` puts torch. */
export const DEFAULT_PYTHON_CANDIDATES: readonly string[] = ['python3', '/usr/bin/python3'];

/** Note of every case when no interpreter imports torch. */
export const NO_TORCH_NOTE = 'no python3 with torch';

/** A Python interpreter that imports torch. */
export interface TorchPython {
  /** The command, as found among the candidates. */
  python: string;
  /** `torch.__version__`. */
  torchVersion: string;
}

/** One case as the reference measured it. */
export interface TorchCaseResult {
  case: string;
  /** Median milliseconds per call, as the TypeScript side measures them. */
  ms: number;
  /** How torch computed it, where that differs from the obvious (e.g. which fbank). */
  notes: string;
}

/** What the reference script prints on standard output (JSON). */
export interface TorchReferenceOutput {
  info: {
    torch: string;
    python: string;
    /** `torch.get_num_threads()` during the runs. */
    threads: number;
    warmup: number;
    repeats: number;
    /** How the parameters were checked against the checkpoint. */
    model: string;
    /** The BLAS library the process loaded (Debian's torch uses the system's libblas.so.3: reference BLAS is ~10x slower than OpenBLAS). */
    blas?: string;
  };
  cases: TorchCaseResult[];
}

/** The reference script's path in the package. */
export function torchReferenceScript(): string {
  return join(packageRoot(), 'bench', 'torch_reference.py');
}

/**
 * The first candidate that runs and imports torch, or `undefined`. Each try is a short child
 * process; a missing interpreter or module is an answer, not an error.
 */
export function findTorchPython(candidates: readonly string[] = DEFAULT_PYTHON_CANDIDATES): TorchPython | undefined {
  for (const python of candidates) {
    // Importing torch cold takes a few seconds; two minutes only guards against a hung interpreter.
    const probe = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', timeout: 120_000 });
    if (probe.error === undefined && probe.status === 0) return { python, torchVersion: probe.stdout.trim() };
  }
  return undefined;
}

/** How to run the reference. */
export interface TorchRunOptions {
  python: string;
  /** Checkpoint folder: the script reads the model config and weights from it. */
  checkpoint: string;
  /** Case names to time (the script knows every case the TypeScript side has). */
  cases: readonly string[];
  warmup: number;
  repeats: number;
  /** `torch.set_num_threads`. */
  threads: number;
  seed: number;
  /** Torch device: `cpu` (default) or `cuda` (eager, timings synchronised with the GPU). */
  device?: 'cpu' | 'cuda';
  /** Called when the script has finished a case (it says so on standard error). */
  onCase?: (name: string) => void;
  /** Script path; default {@link torchReferenceScript}. */
  script?: string;
}

/**
 * Runs the reference script and returns what it measured. Rejects with the script's own
 * error output when it fails, so the caller can report why there is no reference.
 */
export function runTorchReference(options: TorchRunOptions): Promise<TorchReferenceOutput> {
  const script = options.script ?? torchReferenceScript();
  if (!existsSync(script)) return Promise.reject(new Error(`the PyTorch reference ${script} is missing`));
  const args = [
    script,
    '--checkpoint', options.checkpoint,
    '--cases', options.cases.join(','),
    '--warmup', String(options.warmup),
    '--repeats', String(options.repeats),
    '--threads', String(options.threads),
    '--seed', String(options.seed),
    '--device', options.device ?? 'cpu',
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(options.python, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let pending = '';
    const errors: string[] = [];
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    // Standard error carries one `done <case>` line per finished case (progress), and tracebacks.
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const done = /^done (\S+)$/.exec(line.trim());
        if (done !== null) options.onCase?.(done[1]);
        else if (line.trim() !== '') errors.push(line);
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (pending.trim() !== '') errors.push(pending);
      if (code !== 0) {
        reject(new Error(`${options.python} ${script} exited with ${code}: ${errors.slice(-5).join(' | ') || 'no message'}`));
        return;
      }
      try {
        resolve(parseTorchOutput(stdout));
      } catch (err) {
        reject(err);
      }
    });
  });
}

/** Parses and checks the script's JSON (a wrong shape is an error here, not a NaN in the report). */
export function parseTorchOutput(text: string): TorchReferenceOutput {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`the PyTorch reference printed no JSON: ${text.slice(0, 200)}`);
  }
  const out = value as TorchReferenceOutput;
  if (typeof out !== 'object' || out === null || !Array.isArray(out.cases) || typeof out.info !== 'object' || out.info === null) {
    throw new Error('the PyTorch reference printed JSON without { info, cases }');
  }
  for (const entry of out.cases) {
    if (typeof entry.case !== 'string' || typeof entry.ms !== 'number' || !(entry.ms > 0) || !Number.isFinite(entry.ms)) {
      throw new Error(`the PyTorch reference reported a bad case: ${JSON.stringify(entry)}`);
    }
    if (typeof entry.notes !== 'string') entry.notes = '';
  }
  return out;
}
