/**
 * Timing primitives: medians over repeated runs after warm-up, with a check that a run leaves
 * no tensor behind. Kept free of any model code so the same loop times every case.
 */
import * as tf from '@tensorflow/tfjs';

/** How many runs to make of a case. */
export interface RepeatSpec {
  /** Untimed runs first: the first calls compile kernels, pack XNNPACK weights and fill caches. */
  warmup: number;
  /** Timed runs; the reported figure is their median. */
  repeats: number;
}

/** One case ready to run: the thing timed, and what happens around it (never timed). */
export interface TimedWork {
  /**
   * One call of the measured work; it must finish its computation before returning or
   * resolving (read a value back, and on a GPU wait for the queued kernels).
   */
  run(): void | Promise<void>;
  /** Called before every run, outside the timed span (e.g. put trained copies back to the source). */
  reset?(): void;
}

/** What {@link timeRuns} measured. */
export interface Timing {
  /** Milliseconds of each timed run, in order. */
  samples: number[];
  /** Median of `samples`. */
  medianMs: number;
  /** `tf.memory().numTensors` after the warm-up runs and after the timed runs: equal when nothing leaks. */
  tensorsBefore: number;
  tensorsAfter: number;
}

/**
 * The median of `values` (mean of the middle two for an even count). The median, not the
 * mean: on a shared 2-core machine a run now and then stalls behind another process, and one
 * stall would move a mean of ten runs by more than the differences worth reporting.
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Yields to the event loop, so a progress bar can redraw and signals get through between runs. */
function breathe(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * Runs `work` `spec.warmup` times untimed, then `spec.repeats` times timed with
 * `performance.now()`, calling `work.reset` before every run and `onRun` after each (for
 * progress). The tensor count is taken after warm-up, not before it, because first calls
 * legitimately create lasting tensors (the fbank's cached DFT matrices).
 */
export async function timeRuns(work: TimedWork, spec: RepeatSpec, onRun: () => void = () => {}): Promise<Timing> {
  if (!Number.isInteger(spec.repeats) || spec.repeats < 1) throw new Error(`repeats must be a positive integer, got ${spec.repeats}`);
  if (!Number.isInteger(spec.warmup) || spec.warmup < 0) throw new Error(`warmup must be an integer ≥ 0, got ${spec.warmup}`);
  for (let i = 0; i < spec.warmup; i++) {
    work.reset?.();
    await work.run();
    onRun();
    await breathe();
  }
  const tensorsBefore = tf.memory().numTensors;
  const samples: number[] = [];
  for (let i = 0; i < spec.repeats; i++) {
    work.reset?.();
    const started = performance.now();
    await work.run();
    samples.push(performance.now() - started);
    onRun();
    await breathe();
  }
  return { samples, medianMs: median(samples), tensorsBefore, tensorsAfter: tf.memory().numTensors };
}
