/**
 * TTT behind the stream-method interface, so a loop over clips treats TTT, batched BitFit
 * and the baselines alike. Nothing is re-implemented: each wraps the lib/ttt runner that
 * already does the work (per-sample TTT, batched BitFit, online TTT).
 */
import type { MaeModel } from '../model/index.js';
import {
  BatchedBitFit,
  memoryFootprint,
  OnlineTtt,
  PerSampleTtt,
  type ClipTrace,
  type ResetPolicy,
  type StreamMethod,
  type TttClip,
  type TttConfigInput,
  type TttGroup,
} from '../ttt/index.js';

/** Which TTT runner to wrap. */
export interface TttStreamOptions {
  /** What adapts; default `all` (per-sample, online) or `bias` (batched). */
  group?: TttGroup;
  /** Batched per-clip copies of a vector group (batched BitFit), this many clips at once. */
  batch?: number;
  /** Online TTT over the stream instead of per-clip resets. */
  online?: { window?: number; reset?: ResetPolicy };
  config?: TttConfigInput;
}

/** TTT (per-sample, batched or online) as a {@link StreamMethod}. */
export function tttStreamMethod(model: MaeModel, options: TttStreamOptions = {}): StreamMethod {
  if (options.batch !== undefined && options.online) throw new Error('TTT: batch and online exclude each other');
  if (options.online) {
    const runner = new OnlineTtt(model, { group: options.group, config: options.config, window: options.online.window, reset: options.online.reset });
    const bytes = () => memoryFootprint(model, options.group ?? 'all', runner.config).totalBytes;
    return { batch: 1, steps: runner.config.steps, online: true, adaptBatch: (clips) => clips.map((clip) => runner.next(clip)), dispose: () => runner.dispose(), memoryBytes: bytes };
  }
  if (options.batch !== undefined) {
    const runner = new BatchedBitFit(model, { batch: options.batch, group: options.group, config: options.config });
    const bytes = () => memoryFootprint(model, options.group ?? 'bias', runner.config, { batch: runner.batch }).totalBytes;
    return { batch: options.batch, steps: runner.config.steps, online: false, adaptBatch: (clips) => runner.adaptBatch(clips), dispose: () => runner.dispose(), memoryBytes: bytes };
  }
  const runner = new PerSampleTtt(model, { group: options.group, config: options.config });
  return {
    batch: 1,
    steps: runner.config.steps,
    online: false,
    adaptBatch: (clips: readonly TttClip[]): ClipTrace[] => clips.map((clip) => runner.adapt(clip)),
    dispose: () => runner.dispose(),
    memoryBytes: () => memoryFootprint(model, options.group ?? 'all', runner.config).totalBytes,
  };
}
