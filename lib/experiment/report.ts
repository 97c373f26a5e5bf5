/**
 * Reports: read the results of one run, a sweep, or a sweep's shards (folders holding
 * `results.csv`), merge them, and write `summary.csv` and a self-contained `report.html`
 * (plotly inlined, opens offline). Reports read only the stored files, so any run can be
 * re-plotted later and shards merged wherever their folders end up.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import {
  accuracyVsSnrFigure,
  accuracyVsStepsFigure,
  barFigure,
  escapeHtml,
  lineFigure,
  tableHtml,
  writeReportHtml,
  type Figure,
  type ReportSection,
} from '../plot/index.js';
import { formatShiftReport, parseShift, type ShiftReport } from '../shifts/index.js';
import { readResults, summarizeAccuracy, type AccuracySummary, type TttRow } from '../ttt/index.js';
import { writeFileAtomic } from '../util/index.js';
import { streamSection } from './stream-report.js';
import { diagnosticsPath, readDiagnostics, summarizeDiagnostics, type DiagnosticSummary } from './diagnostics.js';
import { conditionChance, formatGain, formatStatisticsCsv, reportedSteps, summarizeWithIntervals, type ConditionChance, type StepStatistics } from './summary.js';

/** One folder of results and what it was run with. */
export interface RunFolder {
  path: string;
  /** The sweep variant (its folder name), or `''` for a plain run. */
  variant: string;
  /** The grid settings of the variant (empty for a plain run). */
  settings: Record<string, number | string | boolean>;
  /** `config.json` as stored. */
  record: Record<string, unknown>;
}

/** A summary row with the variant it belongs to. */
export interface VariantSummary extends AccuracySummary {
  variant: string;
}

/** Every folder at or under `paths` (three levels down at most) that holds a `results.csv`. */
export function findRunFolders(paths: readonly string[]): RunFolder[] {
  const found: RunFolder[] = [];
  const visit = (dir: string, depth: number) => {
    if (existsSync(join(dir, 'results.csv'))) {
      found.push(readRunFolder(dir));
      return;
    }
    if (depth >= 3) return;
    for (const entry of readdirSync(dir).sort()) {
      const child = join(dir, entry);
      if (entry !== 'heads' && statSync(child).isDirectory()) visit(child, depth + 1);
    }
  };
  for (const path of paths) {
    const dir = resolve(path);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`${path}: not a results folder`);
    visit(dir, 0);
  }
  if (found.length === 0) throw new Error(`no results.csv at or under ${paths.join(', ')}`);
  return found;
}

function readJson(path: string): Record<string, unknown> {
  if (!existsSync(path)) return {};
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`${path}: not valid JSON (${(error as Error).message})`);
  }
}

function readRunFolder(dir: string): RunFolder {
  const sweep = readJson(join(dir, '..', 'sweep.json')) as { variants?: { name: string; settings: Record<string, number | string | boolean> }[] };
  const variant = sweep.variants?.find((v) => v.name === basename(dir));
  return { path: dir, variant: variant ? variant.name : '', settings: variant?.settings ?? {}, record: readJson(join(dir, 'config.json')) };
}

/** Rows of every folder, each tagged with its variant; a row stored twice (the same variant, condition, method, clip, step) counts once. */
export function mergeResults(folders: readonly RunFolder[]): (TttRow & { variant: string })[] {
  const seen = new Set<string>();
  const rows: (TttRow & { variant: string })[] = [];
  for (const folder of folders) {
    for (const row of readResults(join(folder.path, 'results.csv'))) {
      const key = [folder.variant, row.condition, row.method, row.clip, row.step].join('\u0000');
      if (seen.has(key)) continue;
      seen.add(key);
      rows.push({ ...row, variant: folder.variant });
    }
  }
  return rows;
}

/** Accuracy per variant × condition × method × step. */
export function summarizeVariants(rows: readonly (TttRow & { variant: string })[]): VariantSummary[] {
  const variants = [...new Set(rows.map((row) => row.variant))];
  return variants.flatMap((variant) => summarizeAccuracy(rows.filter((row) => row.variant === variant)).map((s) => ({ variant, ...s })));
}

function lastStep(summary: readonly AccuracySummary[], method: string, condition: string): AccuracySummary | undefined {
  const rows = summary.filter((s) => s.method === method && s.condition === condition);
  return rows.reduce<AccuracySummary | undefined>((best, s) => (!best || s.step > best.step ? s : best), undefined);
}

function standardError(s: AccuracySummary): number {
  return s.n > 0 ? Math.sqrt((s.accuracy * (1 - s.accuracy)) / s.n) : 0;
}

/** Mean ms per adaptation step and clip (the steps with an update: 0 … K−1). */
function msPerStep(summary: readonly AccuracySummary[], method: string): number {
  const rows = summary.filter((s) => s.method === method);
  const last = Math.max(...rows.map((s) => s.step));
  const timed = rows.filter((s) => last === 0 || s.step < last);
  return timed.reduce((sum, s) => sum + s.meanMs, 0) / Math.max(1, timed.length);
}

/** The table people quote: chance, accuracy with its interval at a few steps, the gain over the unadapted model, how concentrated the predictions are, the cost. */
function stepTable(statistics: readonly StepStatistics[], chance: readonly ConditionChance[], caption: string): string {
  const shown = reportedSteps(statistics.map((s) => s.step));
  const keys = [...new Set(statistics.map((s) => `${s.condition}\u0000${s.method}`))];
  const interval = (s: StepStatistics | undefined) => (s ? `${s.accuracy.toFixed(2)} [${s.accuracyLow.toFixed(2)}, ${s.accuracyHigh.toFixed(2)}]` : '');
  const rows = keys.map((key) => {
    const [condition, method] = key.split('\u0000');
    const own = statistics.filter((s) => s.condition === condition && s.method === method);
    const of = (step: number) => own.find((s) => s.step === step);
    const last = own.reduce((a, b) => (b.step > a.step ? b : a));
    const levels = chance.find((c) => c.condition === condition && c.variant === last.variant);
    const record: Record<string, unknown> = { condition, method, n: of(0)?.n ?? last.n, 'chance (majority)': levels ? `${levels.uniform.toFixed(2)} (${levels.majority.toFixed(2)})` : '' };
    // What people quote first: before, after the last step, the gain and where the answers went; then the steps between.
    const lastShown = shown[shown.length - 1];
    record['step 0'] = interval(of(0));
    if (lastShown !== undefined && lastShown > 0) record[`step ${lastShown}`] = interval(of(lastShown));
    const gain = last.gainVsNoTtt ?? last.gainVsStep0;
    record['gain at the last step [95 %]'] = last.step === 0 ? '' : formatGain(gain);
    record['top share, step 0'] = of(0)?.topClassShare;
    record['top share, last step'] = last.step > 0 ? last.topClassShare : '';
    for (const step of shown.slice(1, -1)) record[`step ${step}`] = interval(of(step));
    record['ms/step/clip'] = msPerStep(statistics.filter((s) => s.condition === condition), method);
    record['diverged'] = last.diverged;
    return record;
  });
  return tableHtml(rows, { caption, maxRows: 200, digits: 3 });
}

/** The accuracy-vs-steps figure of one variant: Wilson bands, the chance line and the unadapted model as a reference line. */
function stepsFigure(statistics: readonly StepStatistics[], chance: readonly ConditionChance[], rows: readonly TttRow[], title: string): Figure {
  // The unadapted model is the method without a parameter group; draw it flat when there is exactly one such method.
  const unadapted = [...new Set(rows.filter((row) => row.group === 'none').map((row) => row.method))];
  return accuracyVsStepsFigure(
    statistics.map((s) => ({ method: s.method, condition: s.condition, step: s.step, accuracy: s.accuracy, n: s.n, low: s.accuracyLow, high: s.accuracyHigh })),
    {
      title,
      chance: Object.fromEntries(chance.map((c) => [c.condition, c.uniform])),
      referenceMethod: unadapted.length === 1 ? unadapted[0] : undefined,
    },
  );
}

/** Accuracy against SNR where a task was tested at several SNRs of one noise type. */
function snrFigure(summary: readonly AccuracySummary[]): Figure | undefined {
  const points: { method: string; condition: string; snrDb: number; accuracy: number; n: number }[] = [];
  for (const s of summary) {
    const [task, shift] = s.condition.split('/');
    if (!shift?.startsWith('noise:')) continue;
    const last = lastStep(summary, s.method, s.condition);
    if (!last || (s.step !== 0 && s.step !== last.step)) continue;
    const spec = parseShift(shift);
    if (spec.kind !== 'noise') continue;
    const method = s.step === 0 ? 'no adaptation' : `${s.method}, ${s.step} steps`;
    if (s.step === 0 && points.some((p) => p.method === method && p.condition === `${task} ${spec.noise}` && p.snrDb === spec.snrDb)) continue;
    points.push({ method, condition: `${task} ${spec.noise}`, snrDb: spec.snrDb, accuracy: s.accuracy, n: s.n });
  }
  const levels = new Map<string, Set<number>>();
  for (const p of points) levels.set(p.condition, (levels.get(p.condition) ?? new Set()).add(p.snrDb));
  const kept = points.filter((p) => (levels.get(p.condition)?.size ?? 0) >= 2);
  return kept.length > 0 ? accuracyVsSnrFigure(kept, { title: 'Accuracy against SNR (before and after TTT)' }) : undefined;
}

/** Final-step accuracy against each grid setting that took several values, one line per method. */
function gridFigures(folders: readonly RunFolder[], summary: readonly VariantSummary[]): Figure[] {
  const keys = [...new Set(folders.flatMap((f) => Object.keys(f.settings)))];
  const figures: Figure[] = [];
  for (const key of keys) {
    const values = [...new Set(folders.map((f) => f.settings[key]).filter((v) => typeof v === 'number'))] as number[];
    if (values.length < 2) continue;
    values.sort((a, b) => a - b);
    const methods = [...new Set(summary.map((s) => s.method))];
    const series = methods.map((method) => ({
      name: method,
      x: values,
      y: values.map((value) => {
        // Mean over the conditions and the other settings' variants, at each method's last step.
        const variants = folders.filter((f) => f.settings[key] === value).map((f) => f.variant);
        const finals = summary
          .filter((s) => variants.includes(s.variant) && s.method === method)
          .filter((s) => s.step === lastStep(summary.filter((t) => t.variant === s.variant), method, s.condition)?.step);
        return finals.length > 0 ? finals.reduce((sum, s) => sum + s.accuracy, 0) / finals.length : NaN;
      }),
    }));
    figures.push(lineFigure(series, { title: `Accuracy after TTT against ${key}`, xTitle: key, yTitle: 'accuracy (mean over conditions)', markers: true }));
  }
  return figures;
}

function interval(value: { estimate: number; low: number; high: number }, digits = 3): string {
  return `${value.estimate.toFixed(digits)} [${value.low.toFixed(digits)}, ${value.high.toFixed(digits)}]`;
}

/** "Is the premise true here?": the clean-twin diagnostic of the noise shifts, when the run recorded it. */
function premiseSection(folders: readonly RunFolder[]): ReportSection | undefined {
  const rows = folders.flatMap((folder) => (existsSync(diagnosticsPath(folder.path)) ? readDiagnostics(diagnosticsPath(folder.path)) : []));
  const summaries: DiagnosticSummary[] = summarizeDiagnostics(rows);
  if (summaries.length === 0) return undefined;
  const table = tableHtml(
    summaries.map((d) => ({
      condition: d.condition,
      method: d.method,
      clips: d.clips,
      'MAE loss, noisy': d.lossShiftedBefore,
      'MAE loss, clean twin': d.lossCleanBefore,
      'noisy − clean [95 %]': interval(d.lossGap),
      'clips with noisy > clean': d.premiseHolds,
      [`noisy loss after TTT`]: d.lossShiftedAfter,
      'feature distance before': d.distanceBefore,
      'feature distance after': d.distanceAfter,
      'change [95 %]': interval(d.distanceChange, 4),
    })),
    { caption: 'Before TTT (source weights) and after each method\'s last step; losses on one mask per clip that TTT never trains on; feature distance: 1 − cosine similarity of the mean-pooled encoder features of the noisy clip and its clean twin', maxRows: 200, digits: 3 },
  );
  const bars = summaries.flatMap((d) => [
    { category: d.condition, series: 'before TTT', value: d.distanceBefore },
    { category: d.condition, series: `${d.method}, step ${d.step}`, value: d.distanceAfter },
  ]);
  // The before bar is the same for every method of a condition: draw it once.
  const seen = new Set<string>();
  const unique = bars.filter((bar) => {
    const key = `${bar.category}\u0000${bar.series}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return {
    heading: 'Is the premise true here? (noisy clips against their clean twins)',
    text:
      'TTT on the MAE loss can only help where the shift makes that loss worse (noisy clips reconstruct worse than clean ones) ' +
      'and where lowering it moves the encoder features back towards those of the clean clip. Each noisy test clip is measured against ' +
      'its clean twin, the same recording without the noise. A noisy − clean loss gap below 0 means the noise is easier to inpaint than speech, ' +
      'so TTT fits the noise; a feature-distance change below 0 (interval excluding 0) means TTT brought the features towards the clean clip\'s.',
    figures: [barFigure(unique, { title: 'Feature distance to the clean twin, before and after TTT', xTitle: 'task / shift', yTitle: 'cosine distance', proportion: false })],
    tablesHtml: [table],
  };
}

/** What {@link writeReport} wrote. */
export interface ReportResult {
  reportPath: string;
  summaryPath: string;
  summary: VariantSummary[];
  /** The summary with intervals, top-class shares and gains (what `summary.csv` holds). */
  statistics: StepStatistics[];
  /** Chance per variant and condition. */
  chance: ConditionChance[];
  folders: RunFolder[];
}

/** The number of classes each condition's head had, from the split reports stored in `config.json`. */
function headClasses(folders: readonly RunFolder[]): (variant: string, condition: string) => number | undefined {
  return (variant, condition) => {
    for (const folder of folders) {
      if (folder.variant !== variant) continue;
      const report = (folder.record as { splits?: Record<string, ShiftReport> }).splits?.[condition];
      if (report) return Object.keys(report.train.classes).length;
    }
    return undefined;
  };
}

/**
 * Merges the results under `paths` and writes `summary.csv` and `report.html` into `out`
 * (default: the first path). Figures: accuracy against TTT steps per condition, the last
 * step of every method side by side (BitFit against full fine-tuning), accuracy against SNR
 * where several SNRs were run, and accuracy against each swept setting (masking ratio,
 * learning rate, steps, …).
 */
export function writeReport(paths: readonly string[], out?: string): ReportResult {
  const folders = findRunFolders(paths);
  const target = resolve(out ?? paths[0]);
  const rows = mergeResults(folders);
  const summary = summarizeVariants(rows);
  const classesOf = headClasses(folders);
  const statistics = summarizeWithIntervals(rows, { classesOf });
  const chance = conditionChance(rows, classesOf);
  const summaryPath = join(target, 'summary.csv');
  writeFileAtomic(summaryPath, formatStatisticsCsv(statistics));
  const variants = [...new Set(summary.map((s) => s.variant))];
  const record = folders[0].record as { experiment?: { name?: string; description?: string; seed?: number }; backend?: string; versions?: Record<string, string>; checkpoint?: string; updatedAt?: string; splits?: Record<string, ShiftReport> };
  const sections: ReportSection[] = [];
  const facts = [
    record.experiment?.description ?? '',
    `Backend ${record.backend ?? '?'}; versions ${Object.entries(record.versions ?? {}).map(([k, v]) => `${k} ${v}`).join(', ')}; seed ${record.experiment?.seed ?? '?'}; checkpoint ${record.checkpoint ?? '?'}; results from ${folders.length} folder${folders.length > 1 ? 's' : ''}, last written ${record.updatedAt ?? '?'}.`,
    'Step 0 is the model before adaptation. Bands and [intervals] on accuracies are Wilson 95 % intervals over the test clips; gains are paired-bootstrap 95 % intervals over the same clips (2000 resamples, seeded), so a gain whose interval holds 0 is no measurable change. The dashed grey line is chance (1 / the number of classes); the dotted black line is the unadapted model. A top-class share near 1 means the model gives almost every clip the same answer.',
  ].filter((t) => t.length > 0);
  sections.push({ heading: 'What was run', text: facts.join('\n\n') });
  for (const variant of variants.slice(0, 8)) {
    const of = statistics.filter((s) => s.variant === variant);
    const ofChance = chance.filter((c) => c.variant === variant);
    sections.push({
      heading: variant ? `Accuracy against TTT steps — ${variant}` : 'Accuracy against TTT steps',
      figures: [stepsFigure(of, ofChance, rows.filter((row) => row.variant === variant), variant ? `Accuracy vs TTT steps (${variant})` : 'Accuracy vs TTT steps')],
      tablesHtml: [
        stepTable(
          of,
          ofChance,
          'Chance, accuracy [Wilson 95 % interval] at selected steps, the gain of the last step over the unadapted model on the same clips [paired-bootstrap 95 % interval], the share of predictions on the most predicted class (1 = every clip gets one answer), and time per step',
        ),
      ],
    });
  }
  const finals = summary.filter((s) => s.step === lastStep(summary.filter((t) => t.variant === s.variant), s.method, s.condition)?.step && s.variant === variants[0]);
  sections.push({
    heading: 'Methods side by side (BitFit against full fine-tuning)',
    text: 'Accuracy after the last TTT step of each method (no-ttt: the unadapted model); error bars ±1 standard error.',
    figures: [
      barFigure(
        finals.map((s) => ({ category: s.condition, series: s.method, value: s.accuracy, error: standardError(s) })),
        { title: 'Accuracy after the last step', xTitle: 'task / shift', yTitle: 'accuracy', proportion: true },
      ),
    ],
  });
  sections.push(streamSection(rows.filter((row) => row.variant === variants[0]), folders[0].record.memoryBytes as Record<string, Record<string, number>> | undefined));
  const snr = snrFigure(summary.filter((s) => s.variant === variants[0]));
  if (snr) sections.push({ heading: 'Accuracy against SNR', figures: [snr] });
  const grid = gridFigures(folders, summary);
  if (grid.length > 0) sections.push({ heading: 'Ablations', text: 'Each point averages the last-step accuracy over the conditions of the variants with that setting.', figures: grid });
  const premise = premiseSection(folders.filter((f) => f.variant === variants[0]));
  if (premise) sections.push(premise);
  const splits = Object.entries(record.splits ?? {});
  if (splits.length > 0) {
    sections.push({
      heading: 'Splits',
      tablesHtml: splits.map(([condition, report]) => `<h3>${escapeHtml(condition)}</h3><pre>${escapeHtml(formatShiftReport(report))}</pre>`),
    });
  }
  const reportPath = join(target, 'report.html');
  const title = `ttt-speech report: ${record.experiment?.name ?? basename(target)}`;
  writeReportHtml(reportPath, { title, sections });
  return { reportPath, summaryPath, summary, statistics, chance, folders: folders.map((f) => ({ ...f, path: relative(process.cwd(), f.path) || '.' })) };
}
