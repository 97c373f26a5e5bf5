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
 * `build.ts` for the full rules. Noise-corpus shifts (`noise:musan-noise@5dB`) draw their
 * noise from a prepared noise manifest, test noise disjoint from the training side's
 * (`noise-corpus.ts`).
 * @packageDocumentation
 */
export { parseShift, shiftName, GENERATED_NOISES } from './spec.js';
export type { ShiftSpec } from './spec.js';
export { buildShift, defaultShiftFilter, DEFAULT_AGE_BANDS, shiftTaskProblem } from './build.js';
export type { ShiftOptions, ShiftSplit } from './build.js';
export { formatShiftReport, shiftTables } from './report.js';
export type { ShiftReport, ShiftNoiseReport, ShiftSideReport, ShiftTableSource, TaskName } from './report.js';
export { NOISE_CORPUS_FORMS, NOISE_CORPUS_NAMES, NOISE_TEST_SHARE, noiseManifestPath, noiseRoles, openNoiseCorpus, parseNoiseCorpus, preparedNoiseManifest } from './noise-corpus.js';
export type { NoiseCorpusName, NoiseCorpusOptions, NoisePart, NoiseRole, NoiseRoles, NoiseSelection } from './noise-corpus.js';
