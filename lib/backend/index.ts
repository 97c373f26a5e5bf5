/**
 * The one module that picks the TensorFlow.js backend. Nothing else in ttt-speech imports a
 * backend package: the rest of the library uses `@tensorflow/tfjs` ops, which run on whatever
 * backend this module has set.
 *
 * Order, unless `TTT_SPEECH_BACKEND` names one: `tensorflow` (native libtensorflow through
 * `@tensorflow/tfjs-node-gpu`, then `@tensorflow/tfjs-node`, when either is installed and
 * loads), then `webgpu` (`@tensorflow/tfjs-backend-webgpu` on Dawn, when a hardware GPU
 * adapter is found and the caller reads results asynchronously, see
 * {@link EnsureBackendOptions.readsAsync}), then `wasm` (`@tensorflow/tfjs-backend-wasm`,
 * measured 4–30× faster than `cpu` on a 2-core machine), then the pure-JavaScript `cpu`
 * backend. A software GPU adapter
 * (Mesa, SwiftShader) is used only when `webgpu` is asked for by name.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { packageRoot } from '../util/paths.js';
import { formatAdapter, installWebGpu, type GpuAdapterInfo } from './webgpu.js';

export { formatAdapter, isSoftwareAdapter, DAWN_FLAGS_ENV, type GpuAdapterInfo } from './webgpu.js';

/** The backends ttt-speech can choose. */
export type BackendName = 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';

/** What was chosen, for logs and for every result's `config.json`. */
export interface BackendInfo {
  /** TF.js backend name, as `tf.getBackend()` reports it. */
  name: BackendName;
  /** The npm package that provides it. */
  package: string;
  /** That package's version. */
  packageVersion: string;
  /** Version of `@tensorflow/tfjs-core` in use. */
  tfjsCoreVersion: string;
  /** Why this one: requested by the environment, or the first that loaded. */
  reason: string;
  /** Backends tried before it and why each was passed over. */
  skipped: { name: string; why: string }[];
  /** The GPU adapter, for `webgpu`; `null` for the other backends. */
  adapter: GpuAdapterInfo | null;
}

/** Environment variable that forces a backend (`tensorflow`, `webgpu`, `wasm` or `cpu`). */
export const BACKEND_ENV = 'TTT_SPEECH_BACKEND';

const ALL: readonly BackendName[] = ['tensorflow', 'webgpu', 'wasm', 'cpu'];

let chosen: BackendInfo | undefined;
let pending: Promise<BackendInfo> | undefined;

interface Candidate {
  name: BackendName;
  package: string;
  /** Loads the package (and, for webgpu, finds the adapter); returns the package version. */
  load: () => Promise<{ version: string; adapter?: GpuAdapterInfo }>;
}

// A package name in a variable keeps TypeScript from resolving optional packages that are absent.
async function importOptional(name: string): Promise<Record<string, unknown>> {
  return (await import(name)) as Record<string, unknown>;
}

function candidates(requested: BackendName | undefined): Candidate[] {
  const nativePackage = (pkg: string): Candidate => ({
    name: 'tensorflow',
    package: pkg,
    load: async () => {
      const mod = await importOptional(pkg);
      const version = (mod.version as Record<string, string> | undefined)?.['tfjs-node'];
      // package.json's `overrides` installs @tensorflow/tfjs under this name for danfo.js, so a
      // package by this name may be plain tfjs without the native binding.
      if (!version) throw new Error(`${pkg} is installed but is not the native binding (an alias of @tensorflow/tfjs)`);
      return { version };
    },
  });
  return [
    nativePackage('@tensorflow/tfjs-node-gpu'),
    nativePackage('@tensorflow/tfjs-node'),
    {
      name: 'webgpu',
      package: '@tensorflow/tfjs-backend-webgpu',
      load: async () => {
        const adapter = await installWebGpu(importOptional, requested === 'webgpu');
        await importOptional('@tensorflow/tfjs-backend-webgpu');
        return { version: webgpuBackendVersion(), adapter };
      },
    },
    {
      name: 'wasm',
      package: '@tensorflow/tfjs-backend-wasm',
      load: async () => {
        const mod = await importOptional('@tensorflow/tfjs-backend-wasm');
        return { version: String(mod.version_wasm ?? 'unknown') };
      },
    },
    { name: 'cpu', package: '@tensorflow/tfjs-backend-cpu', load: async () => ({ version: tf.version_cpu ?? tf.version_core }) },
  ];
}

function parseRequested(value: string | undefined): BackendName | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const name = value.trim().toLowerCase();
  if ((ALL as readonly string[]).includes(name)) return name as BackendName;
  throw new Error(`${BACKEND_ENV}=${value} is not a backend ttt-speech knows; use one of: ${ALL.join(', ')}`);
}

/**
 * The version of `@tensorflow/tfjs-backend-webgpu`, which exports no version constant, from
 * its package.json as resolved from the project folder (`import.meta` is unavailable where
 * tslab compiles the library to CommonJS).
 */
function webgpuBackendVersion(): string {
  try {
    const require = createRequire(join(packageRoot(), 'package.json'));
    return (require('@tensorflow/tfjs-backend-webgpu/package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Why webgpu is passed over for a caller that has not said it reads asynchronously. */
const SYNC_READS_NOTE = `not chosen by itself here: this code reads tensors synchronously, which the webgpu backend cannot do in Node (${BACKEND_ENV}=webgpu forces it)`;

async function choose(requested: BackendName | undefined, readsAsync: boolean, log: (line: string) => void): Promise<BackendInfo> {
  const skipped: { name: string; why: string }[] = [];
  const list = candidates(requested).filter((c) => requested === undefined || c.name === requested);
  for (const candidate of list) {
    if (candidate.name === 'webgpu' && requested === undefined && !readsAsync) {
      skipped.push({ name: candidate.package, why: SYNC_READS_NOTE });
      continue;
    }
    try {
      const { version: packageVersion, adapter } = await candidate.load();
      const ok = await tf.setBackend(candidate.name);
      if (!ok || tf.getBackend() !== candidate.name) throw new Error(`tf.setBackend('${candidate.name}') failed`);
      await tf.ready();
      if (candidate.name === 'webgpu') explainSyncReads();
      const info: BackendInfo = {
        name: candidate.name,
        package: candidate.package,
        packageVersion,
        tfjsCoreVersion: tf.version_core,
        reason: requested ? `requested by ${BACKEND_ENV}` : 'first that loaded',
        skipped,
        adapter: adapter ?? null,
      };
      log(
        `[ttt-speech] backend: ${info.name} (${info.package} ${info.packageVersion}, tfjs-core ${info.tfjsCoreVersion}; ${info.reason}` +
          (skipped.length ? `; skipped ${skipped.map((s) => s.name).join(', ')}` : '') +
          ')',
      );
      if (info.adapter) log(`[ttt-speech] GPU adapter: ${formatAdapter(info.adapter)}`);
      return info;
    } catch (err) {
      const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
      skipped.push({ name: candidate.package, why });
    }
  }
  const detail = skipped.map((s) => `${s.name}: ${s.why}`).join('; ');
  throw new Error(
    requested
      ? `${BACKEND_ENV}=${requested} was requested but could not be loaded (${detail})`
      : `no TensorFlow.js backend could be loaded (${detail})`,
  );
}

/**
 * In Node the webgpu backend cannot read a GPU tensor synchronously (its `readSync` draws
 * through a browser `OffscreenCanvas`); this turns the bare `ReferenceError` that
 * `dataSync()`/`arraySync()` would raise into an error that says what to do.
 */
function explainSyncReads(): void {
  if (typeof (globalThis as { OffscreenCanvas?: unknown }).OffscreenCanvas !== 'undefined') return;
  const backend = tf.backend() as unknown as { readSync: (dataId: object) => unknown };
  const readSync = backend.readSync.bind(backend);
  backend.readSync = (dataId) => {
    try {
      return readSync(dataId);
    } catch (err) {
      if (!(err instanceof ReferenceError)) throw err;
      throw new Error(
        'the webgpu backend cannot read a tensor synchronously in Node (dataSync/arraySync); ' +
          'this code path needs the asynchronous read (await tensor.data()), or run it on wasm (TTT_SPEECH_BACKEND=wasm)',
      );
    }
  };
}

/** Options for {@link ensureBackend}. */
export interface EnsureBackendOptions {
  /** Where the one-time choice line goes; default: standard error. */
  log?: (line: string) => void;
  /**
   * The caller reads results only asynchronously (`await tensor.data()`), so the webgpu
   * backend may be chosen by itself when a hardware adapter is found (the benchmark does).
   * Default false: the online TTT runner, head training, the feature pipeline and so the
   * experiment runner still read synchronously, which the webgpu backend cannot do in Node,
   * so without this webgpu is used only when `TTT_SPEECH_BACKEND=webgpu` asks for it. Only the first call's
   * options count: the choice is made once per process.
   */
  readsAsync?: boolean;
}

/**
 * Picks and sets the backend on first call (logging the choice once) and returns what was
 * chosen; later calls return the same answer. Call it before the first tensor op.
 */
export function ensureBackend(options: EnsureBackendOptions = {}): Promise<BackendInfo> {
  if (chosen) return Promise.resolve(chosen);
  if (!pending) {
    // tfjs prints a banner suggesting tfjs-node on first use in Node; this module already
    // reports what it chose and why, so the banner is noise.
    tf.env().set('PROD', true);
    const log = options.log ?? ((line: string) => process.stderr.write(line + '\n'));
    pending = choose(parseRequested(process.env[BACKEND_ENV]), options.readsAsync === true, log).then(
      (info) => (chosen = info),
      (err) => {
        pending = undefined;
        throw err;
      },
    );
  }
  return pending;
}

/** The backend chosen so far, or `undefined` before {@link ensureBackend} has finished. */
export function currentBackend(): BackendInfo | undefined {
  return chosen;
}

/**
 * Waits until the device has run every kernel queued so far. GPU backends run kernels
 * asynchronously, so a timing that ends without this (or a read-back of the last result)
 * would stop before the work does; on the CPU backends kernels have already run and this
 * returns at once.
 */
export async function finishQueuedWork(): Promise<void> {
  if (tf.getBackend() !== 'webgpu') return;
  const backend = tf.backend() as unknown as { submitQueue?: () => void; device?: { queue: { onSubmittedWorkDone(): Promise<void> } } };
  // TF.js batches command buffers before submitting them; submit the pending ones first.
  backend.submitQueue?.();
  await backend.device?.queue.onSubmittedWorkDone();
}

/**
 * Runs `work` where tensors can be read synchronously: on the chosen backend, except webgpu
 * (which cannot in Node), where it runs on wasm (cpu when wasm does not load) and the backend is
 * switched back afterwards. For passes that produce plain arrays with synchronous reads
 * (fbanks, statistics) before GPU work starts; tensors it returns belong to the backend it ran on.
 */
export async function withSyncReads<T>(work: () => T | Promise<T>): Promise<T> {
  const current = tf.getBackend();
  if (current !== 'webgpu') return work();
  let fallback = 'wasm';
  try {
    await importOptional('@tensorflow/tfjs-backend-wasm');
    if (!(await tf.setBackend('wasm'))) throw new Error('wasm did not initialise');
  } catch {
    fallback = 'cpu';
    await tf.setBackend('cpu');
  }
  try {
    return await work();
  } finally {
    if (!(await tf.setBackend(current))) throw new Error(`could not switch back to ${current} after a pass on ${fallback}`);
  }
}
