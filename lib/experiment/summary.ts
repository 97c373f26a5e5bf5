/**
 * The numbers a reader should quote, with their uncertainty: per variant × condition × method
 * × step, the accuracy with its Wilson 95 % interval, the share of predictions on the most
 * predicted class, and the paired-bootstrap 95 % interval of the gain over the unadapted
 * model (the condition's `none`-group method at step 0, on the same clips) and over the
 * method's own step 0; per condition, chance. Also the plain sentences and the terminal
 * table built from them. Everything here reads results rows only, so a report made later
 * from stored files prints the same numbers.
 */
import { stringify } from 'csv-stringify/sync';
import { chanceLevels, pairedBootstrapGain, topClassShare, wilsonInterval, type BootstrapEstimate, type ChanceLevels } from '../stats/index.js';
import { summarizeAccuracy, type AccuracySummary, type TttRow } from '../ttt/index.js';
import { deriveSeed } from '../util/random.js';

/** A gain with its paired-bootstrap interval. */
export interface Gain {
  estimate: number;
  low: number;
  high: number;
}

/** One summary row with its intervals. */
export interface StepStatistics extends AccuracySummary {
  /** Sweep variant, `''` for a plain run. */
  variant: string;
  /** Wilson 95 % interval of `accuracy`. */
  accuracyLow: number;
  accuracyHigh: number;
  /** Share of this step's predictions on the most predicted class. */
  topClassShare: number;
  /** Accuracy minus the same method's step 0, paired over clips. */
  gainVsStep0: Gain;
  /** Accuracy minus the unadapted model's (the condition's method without adaptation), paired over clips; absent when the condition has no such method. */
  gainVsNoTtt?: Gain;
}

/** Chance of one condition (per variant). */
export interface ConditionChance extends ChanceLevels {
  variant: string;
  condition: string;
  /** Test clips. */
  n: number;
}

/** How the bootstraps are drawn. */
export interface StatisticsOptions {
  /** Bootstrap resamples; default 2000. */
  resamples?: number;
  /** Seeds every bootstrap (each cell derives its own stream from it); default 0. */
  seed?: number;
  /** Classes of the head per condition (from the split reports); default the distinct labels in the rows. */
  classesOf?: (variant: string, condition: string) => number | undefined;
}

type Row = TttRow & { variant?: string };

function key(...parts: (string | number)[]): string {
  return parts.join('\u0000');
}

function gainOf(estimate: BootstrapEstimate): Gain {
  return { estimate: estimate.estimate, low: estimate.low, high: estimate.high };
}

/** The outcomes of `to` on the clips of `from`, paired by clip id (clips missing from either side are left out). */
function pairs(from: ReadonlyMap<string, boolean>, to: ReadonlyMap<string, boolean>): { before: boolean[]; after: boolean[] } {
  const before: boolean[] = [];
  const after: boolean[] = [];
  for (const [clip, correct] of to) {
    const base = from.get(clip);
    if (base === undefined) continue;
    before.push(base);
    after.push(correct);
  }
  return { before, after };
}

/**
 * Statistics of every (variant, condition, method, step) in `rows`, in the order of
 * {@link summarizeAccuracy}. The unadapted model of a condition is its method whose `group`
 * is `none`, read at step 0.
 */
export function summarizeWithIntervals(rows: readonly Row[], options: StatisticsOptions = {}): StepStatistics[] {
  const seed = options.seed ?? 0;
  const variants = [...new Set(rows.map((row) => row.variant ?? ''))];
  const out: StepStatistics[] = [];
  for (const variant of variants) {
    const own = rows.filter((row) => (row.variant ?? '') === variant);
    // Outcome and prediction per (condition, method, step), keyed by clip.
    const outcomes = new Map<string, Map<string, boolean>>();
    const predictions = new Map<string, number[]>();
    const baselineMethod = new Map<string, string>();
    for (const row of own) {
      const cell = key(row.condition, row.method, row.step);
      const clips = outcomes.get(cell) ?? new Map<string, boolean>();
      clips.set(row.clip, row.correct);
      outcomes.set(cell, clips);
      const predicted = predictions.get(cell);
      if (predicted) predicted.push(row.predicted);
      else predictions.set(cell, [row.predicted]);
      if (row.group === 'none' && !baselineMethod.has(row.condition)) baselineMethod.set(row.condition, row.method);
    }
    for (const summary of summarizeAccuracy(own)) {
      const cell = key(summary.condition, summary.method, summary.step);
      const clips = outcomes.get(cell) as Map<string, boolean>;
      const correct = [...clips.values()].filter(Boolean).length;
      const wilson = wilsonInterval(correct, clips.size);
      const bootstrap = (label: string, from: ReadonlyMap<string, boolean> | undefined) => {
        if (!from) return undefined;
        const paired = pairs(from, clips);
        if (paired.before.length === 0) return undefined;
        return gainOf(pairedBootstrapGain(paired.before, paired.after, { resamples: options.resamples, seed: deriveSeed(seed, key(variant, cell, label)) }));
      };
      const baseline = baselineMethod.get(summary.condition);
      const statistics: StepStatistics = {
        variant,
        ...summary,
        accuracyLow: wilson.low,
        accuracyHigh: wilson.high,
        topClassShare: topClassShare(predictions.get(cell) as number[]),
        gainVsStep0: bootstrap('step0', outcomes.get(key(summary.condition, summary.method, 0))) ?? { estimate: NaN, low: NaN, high: NaN },
      };
      const vsBaseline = baseline === undefined ? undefined : bootstrap('no-ttt', outcomes.get(key(summary.condition, baseline, 0)));
      if (vsBaseline) statistics.gainVsNoTtt = vsBaseline;
      out.push(statistics);
    }
  }
  return out;
}

/** Chance per (variant, condition): 1 / the head's classes and the majority class's share of the test clips. */
export function conditionChance(rows: readonly Row[], classesOf?: StatisticsOptions['classesOf']): ConditionChance[] {
  const labels = new Map<string, Map<string, number>>();
  for (const row of rows) {
    const k = key(row.variant ?? '', row.condition);
    const clips = labels.get(k) ?? new Map<string, number>();
    clips.set(row.clip, row.label);
    labels.set(k, clips);
  }
  return [...labels].map(([k, clips]) => {
    const [variant, condition] = k.split('\u0000');
    const values = [...clips.values()];
    // Labels index the head's classes, so the largest one bounds their number from below.
    const atLeast = Math.max(...values) + 1;
    const stored = classesOf?.(variant, condition);
    return { variant, condition, n: values.length, ...chanceLevels(values, Math.max(stored ?? 0, atLeast)) };
  });
}

const SUMMARY_COLUMNS = [
  'condition', 'method', 'step', 'accuracy', 'n', 'mean_loss', 'diverged', 'mean_ms',
  'accuracy_low', 'accuracy_high', 'top_class_share',
  'gain_vs_step0', 'gain_vs_step0_low', 'gain_vs_step0_high',
  'gain_vs_no_ttt', 'gain_vs_no_ttt_low', 'gain_vs_no_ttt_high',
] as const;

function fixed(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? 'NaN' : value.toFixed(6);
}

/**
 * `summary.csv`: lib/ttt's columns first and unchanged (so readers of the older file keep
 * working), then the intervals and the top-class share; a leading `variant` column when the
 * rows hold several variants. Missing values are written `NaN`, as `mean_loss` already is.
 */
export function formatStatisticsCsv(statistics: readonly StepStatistics[]): string {
  const withVariant = new Set(statistics.map((s) => s.variant)).size > 1;
  const columns = withVariant ? ['variant', ...SUMMARY_COLUMNS] : [...SUMMARY_COLUMNS];
  return stringify(
    statistics.map((s) => {
      const values = [
        s.condition, s.method, s.step, s.accuracy.toFixed(6), s.n, String(s.meanLoss), s.diverged, s.meanMs.toFixed(3),
        fixed(s.accuracyLow), fixed(s.accuracyHigh), fixed(s.topClassShare),
        fixed(s.gainVsStep0.estimate), fixed(s.gainVsStep0.low), fixed(s.gainVsStep0.high),
        fixed(s.gainVsNoTtt?.estimate), fixed(s.gainVsNoTtt?.low), fixed(s.gainVsNoTtt?.high),
      ];
      return withVariant ? [s.variant, ...values] : values;
    }),
    { header: true, columns },
  );
}

/** A signed number with a real minus sign, e.g. `+0.09`, `−0.01`. */
export function signed(value: number, digits = 2): string {
  const text = Math.abs(value).toFixed(digits);
  if (Number(text) === 0) return (0).toFixed(digits);
  return `${value < 0 ? '−' : '+'}${text}`;
}

function plain(value: number, digits = 2): string {
  return value < 0 && Number(Math.abs(value).toFixed(digits)) !== 0 ? `−${Math.abs(value).toFixed(digits)}` : Math.abs(value) < 0.5 * 10 ** -digits ? (0).toFixed(digits) : value.toFixed(digits);
}

/** `+0.09 [0.04, 0.14]`. */
export function formatGain(gain: Gain): string {
  return `${signed(gain.estimate)} [${plain(gain.low)}, ${plain(gain.high)}]`;
}

/**
 * One plain sentence about a gain after `steps` steps: a gain or a loss when the 95 %
 * interval excludes 0, "no measurable change" when it holds 0.
 */
export function gainSentence(gain: Gain, steps: number, what = 'TTT'): string {
  const after = `after ${steps} step${steps === 1 ? '' : 's'}`;
  if (!Number.isFinite(gain.estimate)) return `${what}: no paired clips to compare ${after}`;
  if (gain.low > 0) return `${what} gained ${formatGain(gain)} ${after}`;
  if (gain.high < 0) return `${what} lost ${formatGain(gain)} ${after}`;
  return `${what}: no measurable change (${formatGain(gain)}) ${after}`;
}

/** The steps a table shows: 0, 1, 5, 10 and the last. */
export function reportedSteps(steps: readonly number[]): number[] {
  const sorted = [...new Set(steps)].sort((a, b) => a - b);
  const last = sorted[sorted.length - 1] ?? 0;
  return sorted.filter((step) => [0, 1, 5, 10, last].includes(step));
}

/**
 * The terminal summary of `npm start` and `run`: per condition, its chance levels, accuracy
 * with the 95 % interval and the top-class share at the reported steps for each method, and
 * one sentence per adapting method about its gain over the unadapted model at its last step.
 */
export function formatStatisticsTable(statistics: readonly StepStatistics[], chance: readonly ConditionChance[]): string {
  const lines: string[] = [];
  const variants = [...new Set(statistics.map((s) => s.variant))];
  for (const variant of variants) {
    const own = statistics.filter((s) => s.variant === variant);
    if (variant) lines.push(`== ${variant} ==`);
    for (const condition of [...new Set(own.map((s) => s.condition))]) {
      const rows = own.filter((s) => s.condition === condition);
      const methods = [...new Set(rows.map((s) => s.method))];
      const levels = chance.find((c) => c.variant === variant && c.condition === condition);
      const chanceText = levels ? `chance ${levels.uniform.toFixed(2)} (1/${levels.classes}), majority class ${levels.majority.toFixed(2)}` : '';
      lines.push(`${condition} (${levels?.n ?? rows[0].n} clips; ${chanceText})`);
      const width = Math.max(30, ...methods.map((m) => m.length + 2));
      lines.push('  step'.padEnd(8) + methods.map((m) => m.padStart(width)).join(''));
      for (const step of reportedSteps(rows.map((s) => s.step))) {
        const cells = methods.map((method) => {
          const s = rows.find((t) => t.method === method && t.step === step);
          return (s ? `${s.accuracy.toFixed(2)} [${s.accuracyLow.toFixed(2)}, ${s.accuracyHigh.toFixed(2)}] top ${s.topClassShare.toFixed(2)}` : '').padStart(width);
        });
        lines.push(`  ${step}`.padEnd(8) + cells.join(''));
      }
      for (const method of methods) {
        const last = rows.filter((s) => s.method === method).reduce((a, b) => (b.step > a.step ? b : a));
        if (last.step === 0) continue;
        const gain = last.gainVsNoTtt ?? last.gainVsStep0;
        lines.push(`  ${method}: ${gainSentence(gain, last.step)}${last.gainVsNoTtt ? '' : ' (against its own step 0)'}; top-class share ${last.topClassShare.toFixed(2)}`);
      }
    }
  }
  lines.push('', 'accuracy [95 % Wilson interval]; top: share of predictions on the most predicted class; gains: paired bootstrap 95 % interval over the same clips');
  return lines.join('\n');
}
