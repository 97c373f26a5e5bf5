/**
 * Distribution shifts over lib/data manifests (the offline corpus and real corpora alike):
 * parse a shift's name, build its training and test rows for a task, and report what the
 * split holds and the rules that made it.
 *
 * ```ts
 * const rows = readManifestCsv(corpus.manifestPath);
 * const split = buildShift(rows, parseShift('gender:F->M'), { task: 'label', seed: 0 });
 * console.log(formatShiftReport(split.report));
 * ```
 * Speaker ID splits are utterance-disjoint (same speakers, different clips); label-task
 * splits are speaker-disjoint; gender and age shifts exist only for the label task. See
 * `build.ts` for the full rules.
 * @packageDocumentation
 */
export { parseShift, shiftName, GENERATED_NOISES } from './spec.js';
export type { ShiftSpec } from './spec.js';
export { buildShift, defaultShiftFilter, DEFAULT_AGE_BANDS } from './build.js';
export type { ShiftOptions, ShiftSplit } from './build.js';
export { formatShiftReport, shiftTables } from './report.js';
export type { ShiftReport, ShiftSideReport, ShiftTableSource, TaskName } from './report.js';
