/**
 * Seeded percentile bootstrap. The paired form answers the question every TTT table asks:
 * did adaptation change accuracy on *these* clips? Resampling clips with their before and
 * after outcomes together keeps the pairing, so the interval reflects only the clips whose
 * answer changed, and is much narrower than comparing two independent accuracies.
 */
import { createRng } from '../util/random.js';
import { DEFAULT_CONFIDENCE, quantileSorted, type Interval } from './interval.js';

/** Settings of a bootstrap. */
export interface BootstrapOptions {
  /** Resamples drawn; default 2000 (enough for the 2.5 % and 97.5 % percentiles to settle to about ±0.01 at n = 16). */
  resamples?: number;
  /** Seeds the resampling, so a report prints the same interval every time; default 0. */
  seed?: number;
  /** Default 0.95. */
  confidence?: number;
}

/** A statistic with its percentile-bootstrap interval. */
export interface BootstrapEstimate extends Interval {
  /** The statistic on the data as observed. */
  estimate: number;
  /** Units resampled (clips or pairs). */
  n: number;
  resamples: number;
}

/** Default number of resamples. */
export const DEFAULT_RESAMPLES = 2000;

function settings(options: BootstrapOptions): Required<BootstrapOptions> {
  const resamples = options.resamples ?? DEFAULT_RESAMPLES;
  const confidence = options.confidence ?? DEFAULT_CONFIDENCE;
  if (!(Number.isInteger(resamples) && resamples >= 1)) throw new Error(`bootstrap: resamples must be a positive integer, got ${resamples}`);
  if (!(confidence > 0 && confidence < 1)) throw new Error(`bootstrap: confidence must be in (0, 1), got ${confidence}`);
  return { resamples, confidence, seed: options.seed ?? 0 };
}

function toNumbers(values: readonly (number | boolean)[], what: string): number[] {
  return values.map((value, i) => {
    const x = typeof value === 'boolean' ? (value ? 1 : 0) : value;
    if (!Number.isFinite(x)) throw new Error(`bootstrap: ${what}[${i}] is ${value}, not a finite number`);
    return x;
  });
}

function mean(values: readonly number[]): number {
  return values.reduce((sum, x) => sum + x, 0) / values.length;
}

/**
 * Percentile-bootstrap interval of the mean of `values` (outcomes 0/1 or booleans give an
 * accuracy): resample the values with replacement, take the mean, read the percentiles.
 */
export function bootstrapMean(values: readonly (number | boolean)[], options: BootstrapOptions = {}): BootstrapEstimate {
  const { resamples, confidence, seed } = settings(options);
  const xs = toNumbers(values, 'values');
  if (xs.length === 0) throw new Error('bootstrap: no values');
  // Every resample of identical values has the same mean: the interval is exact, and many table cells (a step that changed no answer) are like this.
  if (xs.every((x) => x === xs[0])) return { estimate: xs[0], low: xs[0], high: xs[0], confidence, n: xs.length, resamples };
  const rng = createRng(seed);
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    for (let i = 0; i < xs.length; i++) sum += xs[Math.floor(rng() * xs.length)];
    means[r] = sum / xs.length;
  }
  const sorted = Array.from(means).sort((a, b) => a - b);
  const alpha = (1 - confidence) / 2;
  return { estimate: mean(xs), low: quantileSorted(sorted, alpha), high: quantileSorted(sorted, 1 - alpha), confidence, n: xs.length, resamples };
}

/**
 * Paired bootstrap of the mean difference `after − before` over the same units (clips): the
 * accuracy gain when the outcomes are correct/incorrect. `before[i]` and `after[i]` must be
 * the same clip. A method identical to its baseline gives exactly [0, 0].
 */
export function pairedBootstrapGain(before: readonly (number | boolean)[], after: readonly (number | boolean)[], options: BootstrapOptions = {}): BootstrapEstimate {
  if (before.length !== after.length) throw new Error(`paired bootstrap: ${before.length} baseline outcomes but ${after.length} paired ones; pairs must be the same clips`);
  const b = toNumbers(before, 'before');
  const a = toNumbers(after, 'after');
  return bootstrapMean(a.map((x, i) => x - b[i]), options);
}
