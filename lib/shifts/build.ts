/**
 * Building a shift: from manifest rows and a {@link ShiftSpec}, the clean rows a classifier head
 * is trained on (source domain) and the rows it is tested on (target domain).
 *
 * The rules, which the report of every split repeats:
 * - **Speaker ID** (`task: 'speaker'`, class = speaker id) can only test speakers it was trained
 *   on, so its split is *utterance-disjoint*: the same speakers on both sides, no clip on both.
 *   The manifest's `split` column decides when it holds `train` and `test` values; otherwise
 *   each speaker's clips are split, seeded, `testFraction` to test. Gender and age shifts
 *   would test speakers never seen in training, so they throw for this task.
 * - **The label task** (`task: 'label'`, class = the `label` column: emotion, speaking style)
 *   is *speaker-disjoint*: clean and noise shifts test on held-out speakers (seeded, stratified
 *   by gender and age group); gender and age shifts train on the speakers of one group and
 *   test on the other's. Where the manifest has a `train`/`test` split it is honoured as well:
 *   training clips come from `train` rows, test clips from `test` rows.
 * - Test rows whose class the training rows lack are dropped (a head cannot output it), with
 *   a warning. Caps keep each class's share and spread over speakers.
 * - Clean and every noise shift of one task and seed select the same rows, so conditions are
 *   paired: the noise is the only difference. Noise is not applied here; the runner adds it to
 *   the test clips.
 * - The same rows, spec and options always give the same split.
 */
import type { ManifestRow } from '../data/manifest.js';
import { createRng, deriveSeed } from '../util/random.js';
import { sideReport, type ShiftReport, type TaskName } from './report.js';
import { capStratified, compareText, groupBy, holdOutSpeakers, splitPerSpeaker } from './sample.js';
import { GENERATED_NOISES, shiftName, type ShiftSpec } from './spec.js';

/** How {@link buildShift} chooses rows. */
export interface ShiftOptions {
  task: TaskName;
  seed: number;
  /** Speaker task: fraction of each speaker's utterances for test when the manifest has no train/test split column; default 0.4. */
  testFraction?: number;
  /** Label task: fraction of speakers held out for test (stratified by gender and age group) for clean/noise shifts; default 1/3. */
  heldOutSpeakerFraction?: number;
  /**
   * Age bands, inclusive `[min, max]` years, for rows with an age. Default
   * {@link DEFAULT_AGE_BANDS}, used only where a row has no `age_group`; bands given here are
   * applied to every row with an age (its `age_group` then only serves rows without one).
   */
  ageBands?: Record<string, [number, number]>;
  /** Cap on test clips, stratified by class and spread over speakers, seeded. */
  maxTest?: number;
  /** Cap on training clips, likewise. */
  maxTrain?: number;
  /** Which rows take part at all (e.g. the offline corpus's `role === 'task'`); default {@link defaultShiftFilter}. */
  filter?: (row: ManifestRow) => boolean;
}

/** A shift made concrete: which rows to train the head on, which to test on, and why. */
export interface ShiftSplit {
  /** `shiftName(spec)`. */
  name: string;
  spec: ShiftSpec;
  task: TaskName;
  /** Class names in head-output order (sorted), from the training rows. */
  labels: string[];
  /** A row's class name (its speaker id, or its `label`). */
  labelOf: (row: ManifestRow) => string;
  /** Clean rows to train the classifier head on (source domain), in manifest order. */
  train: ManifestRow[];
  /** Rows to test on (target domain), in manifest order; for noise shifts the runner adds the noise. */
  test: ManifestRow[];
  /** The noise to add to the test clips, for noise shifts only. */
  noise?: { type: string; snrDb: number };
  /** Sizes, speakers, class balance, the rules used and warnings. */
  report: ShiftReport;
}

/**
 * Age bands used when rows have an age but no `age_group`: the CREMA-D parser's (30 and under
 * young, 50 and over old). Ages in between belong to neither, which sharpens the contrast at
 * the cost of clips (in CREMA-D: 37 young and 18 old actors).
 */
export const DEFAULT_AGE_BANDS: Readonly<Record<string, readonly [number, number]>> = { young: [0, 30], old: [50, Infinity] };

/** The default row filter: every row except noise material (`split` = `babble`, as in the offline corpus). */
export function defaultShiftFilter(row: ManifestRow): boolean {
  return row.label !== '' && row.split !== 'babble';
}

function fractionOption(name: string, value: number): number {
  if (!(typeof value === 'number' && value > 0 && value < 1)) throw new Error(`shift options: ${name} must be a number in (0, 1), got ${value}`);
  return value;
}

function capOption(name: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 1) throw new Error(`shift options: ${name} must be a positive integer, got ${value}`);
  return value;
}

function bandText(bands: Readonly<Record<string, readonly [number, number]>>): string {
  return Object.entries(bands)
    .map(([name, [min, max]]) => `${name} ${max === Infinity ? `${min}+` : `${min}–${max}`}`)
    .join(', ');
}

/** How a row's age group is found, and the sentence that says so. */
function ageGroupRule(bands: Record<string, [number, number]> | undefined): { ageGroupOf: (row: ManifestRow) => string; text: string } {
  const explicit = bands !== undefined;
  const use: Readonly<Record<string, readonly [number, number]>> = bands ?? DEFAULT_AGE_BANDS;
  for (const [name, band] of Object.entries(use)) {
    if (!Array.isArray(band) || band.length !== 2 || !(band[0] <= band[1]) || Number.isNaN(band[0])) {
      throw new Error(`shift options: ageBands.${name} must be [min, max] years with min <= max, got ${JSON.stringify(band)}`);
    }
  }
  const byAge = (age: number): string => {
    for (const [name, [min, max]] of Object.entries(use)) if (age >= min && age <= max) return name;
    return '';
  };
  const ageGroupOf = (row: ManifestRow): string => {
    if (explicit) return row.age !== null ? byAge(row.age) : row.age_group;
    return row.age_group !== '' ? row.age_group : row.age !== null ? byAge(row.age) : '';
  };
  const text = explicit
    ? `age group: by age in the given bands (${bandText(use)}), else the age_group column`
    : `age group: the age_group column, else by age (${bandText(use)}; ages in no band take no part)`;
  return { ageGroupOf, text };
}

function percent(fraction: number): string {
  return `${Number((fraction * 100).toFixed(1))}%`;
}

function countText(counts: ReadonlyMap<string, number>): string {
  return [...counts.entries()].map(([name, n]) => `${name} (${n})`).join(', ');
}

/**
 * Why a task cannot be tested under a shift, or `undefined` when it can: speaker ID cannot take
 * a gender or age shift, which tests on other speakers than it trains on. Config validation and
 * {@link buildShift} both ask it, so a config is refused before any corpus is built.
 */
export function shiftTaskProblem(task: TaskName, spec: ShiftSpec): string | undefined {
  if (task !== 'speaker' || (spec.kind !== 'gender' && spec.kind !== 'age')) return undefined;
  return (
    `${spec.kind} shifts train on one group's speakers and test on another's, but speaker ID can only recognise speakers it ` +
    `was trained on; use the label task (task: label) for ${spec.kind} shifts, or clean / noise shifts for speaker ID`
  );
}

/**
 * Builds the training and test rows of a shift for a task; see the file comment for the rules.
 * Throws an error naming the task and shift when the spec does not fit the task (gender or age
 * with speaker ID), a group is absent, or a side would be empty.
 */
export function buildShift(rows: readonly ManifestRow[], spec: ShiftSpec, options: ShiftOptions): ShiftSplit {
  const name = shiftName(spec);
  const task = options.task;
  if (task !== 'speaker' && task !== 'label') throw new Error(`shift '${name}': unknown task '${String(task)}' (expected 'speaker' or 'label')`);
  const where = `${task}/${name}`;
  const problem = shiftTaskProblem(task, spec);
  if (problem) throw new Error(`${where}: ${problem}`);
  const seed = options.seed;
  if (!Number.isInteger(seed)) throw new Error(`shift options: seed must be an integer, got ${seed}`);
  const testFraction = fractionOption('testFraction', options.testFraction ?? 0.4);
  const heldOutFraction = fractionOption('heldOutSpeakerFraction', options.heldOutSpeakerFraction ?? 1 / 3);
  const maxTest = capOption('maxTest', options.maxTest);
  const maxTrain = capOption('maxTrain', options.maxTrain);
  const { ageGroupOf, text: ageText } = ageGroupRule(options.ageBands);
  const labelOf = task === 'speaker' ? (row: ManifestRow): string => row.speaker : (row: ManifestRow): string => row.label;
  const rules: string[] = [];
  const warnings: string[] = [];
  const rngFor = (purpose: string) => createRng(deriveSeed(seed, `shift:${task}:${purpose}`));

  // Which rows take part. A row without a speaker cannot be kept on one side of a speaker
  // boundary, and a path listed twice could end up on both sides.
  const filter = options.filter ?? defaultShiftFilter;
  const pool: ManifestRow[] = [];
  const paths = new Set<string>();
  let repeated = 0;
  let anonymous = 0;
  for (const row of rows) {
    if (!filter(row)) continue;
    if (paths.has(row.path)) {
      repeated++;
      continue;
    }
    paths.add(row.path);
    if (row.speaker === '' || labelOf(row) === '') {
      anonymous++;
      continue;
    }
    pool.push(row);
  }
  rules.push(options.filter ? `rows: those the caller's filter keeps (${pool.length} of ${rows.length})` : `rows: all but noise material (split = babble): ${pool.length} of ${rows.length}`);
  if (repeated > 0) warnings.push(`${repeated} rows repeat a path listed earlier: left out`);
  if (anonymous > 0) warnings.push(`${anonymous} rows have no speaker${task === 'label' ? ' or label' : ''}: left out`);
  if (pool.length === 0) throw new Error(`${where}: no rows take part (${rows.length} rows, none passes the filter with a speaker and a label)`);
  rules.push(task === 'speaker' ? 'task speaker: class = speaker id' : 'task label: class = the label column');

  // The manifest's own split, when it has one, always decides what may be trained and tested on.
  const hasSplit = pool.some((row) => row.split === 'train') && pool.some((row) => row.split === 'test');
  const outside = hasSplit ? pool.filter((row) => row.split !== 'train' && row.split !== 'test').length : 0;
  if (outside > 0) warnings.push(`${outside} rows have a split other than train / test: left out`);

  let train: ManifestRow[];
  let test: ManifestRow[];
  if (task === 'speaker') {
    if (hasSplit) {
      train = pool.filter((row) => row.split === 'train');
      test = pool.filter((row) => row.split === 'test');
      rules.push("utterance-disjoint, same speakers: the manifest's split column decides (split = train for training, test for test)");
    } else {
      const parts = splitPerSpeaker(pool, testFraction, rngFor('utterances'));
      train = pool.filter((row) => parts.train.has(row));
      test = pool.filter((row) => parts.test.has(row));
      rules.push(`utterance-disjoint, same speakers: no train/test split column, so ${percent(testFraction)} of each speaker's clips (seeded, spread over its labels) are tested`);
      const single = [...groupBy(pool, (row) => row.speaker).values()].filter((group) => group.length < 2).length;
      if (single > 0) warnings.push(`${single} speakers have a single clip: kept for training only`);
    }
  } else {
    // Gender and age shifts pick each side by group; clean and noise hold out speakers.
    const heldOut = (candidates: readonly ManifestRow[], what: string): { train: ManifestRow[]; test: ManifestRow[] } => {
      const trainSpeakers = new Set(candidates.filter((row) => row.split === 'train').map((row) => row.speaker));
      const splitIsBySpeaker = hasSplit && !candidates.some((row) => row.split === 'test' && trainSpeakers.has(row.speaker));
      if (splitIsBySpeaker) {
        rules.push(`speaker-disjoint: the manifest's split column already separates speakers, so it is used as it is`);
        return { train: candidates.filter((row) => row.split === 'train'), test: candidates.filter((row) => row.split === 'test') };
      }
      const bySpeaker = groupBy(candidates, (row) => row.speaker);
      const stratumOf = (speaker: string): string => {
        const first = bySpeaker.get(speaker)![0];
        return `${first.gender}|${ageGroupOf(first)}`;
      };
      const chosen = holdOutSpeakers([...bySpeaker.keys()], heldOutFraction, stratumOf, rngFor('held-out-speakers'));
      if (chosen.size === 0) throw new Error(`${where}: the rows${what} have ${bySpeaker.size} speaker(s); holding speakers out for test needs at least 2`);
      rules.push(`speaker-disjoint: ${chosen.size} of ${bySpeaker.size} speakers${what} held out for test (${percent(heldOutFraction)}, seeded, stratified by gender and age group)`);
      return { train: candidates.filter((row) => !chosen.has(row.speaker)), test: candidates.filter((row) => chosen.has(row.speaker)) };
    };
    if (spec.kind === 'clean' || spec.kind === 'noise') {
      ({ train, test } = heldOut(pool, ''));
    } else {
      const groupOf = spec.kind === 'gender' ? (row: ManifestRow): string => row.gender : ageGroupOf;
      if (spec.kind === 'age') rules.push(ageText);
      const groups = groupBy(pool, groupOf);
      const speakersIn = new Map([...groups].map(([group, members]) => [group === '' ? '(none)' : group, new Set(members.map((row) => row.speaker)).size]));
      for (const group of [spec.train, spec.test]) {
        if (!groups.has(group)) throw new Error(`${where}: no rows have ${spec.kind} '${group}' (found, with speakers: ${countText(speakersIn) || 'none'})`);
      }
      const source = groups.get(spec.train)!;
      const target = groups.get(spec.test)!;
      if (spec.train === spec.test) {
        ({ train, test } = heldOut(source, ` with ${spec.kind} ${spec.train}`));
        rules.push(`in-domain control: both sides are ${spec.kind} ${spec.train}`);
      } else {
        train = source.slice();
        const trainSpeakers = new Set(train.map((row) => row.speaker));
        test = target.filter((row) => !trainSpeakers.has(row.speaker));
        const both = new Set(target.filter((row) => trainSpeakers.has(row.speaker)).map((row) => row.speaker));
        if (both.size > 0) warnings.push(`${both.size} speakers have clips in both ${spec.kind} groups: tested on none of them`);
        rules.push(`speaker-disjoint by construction: train on ${spec.kind} ${spec.train} speakers, test on ${spec.kind} ${spec.test} speakers`);
      }
    }
    if (hasSplit) {
      train = train.filter((row) => row.split === 'train');
      test = test.filter((row) => row.split === 'test');
      rules.push("the manifest's split column is honoured too: training clips have split = train, test clips split = test");
    }
  }

  // A head cannot output a class it never saw: such test rows would count as certain errors.
  const known = new Set(train.map(labelOf));
  const unseen = new Map<string, number>();
  for (const row of test) if (!known.has(labelOf(row))) unseen.set(labelOf(row), (unseen.get(labelOf(row)) ?? 0) + 1);
  if (unseen.size > 0) {
    test = test.filter((row) => known.has(labelOf(row)));
    warnings.push(`test classes absent from training, their clips dropped: ${countText(unseen)}`);
  }
  rules.push('test rows whose class is not among the training classes are dropped');

  if (maxTrain !== undefined && train.length > maxTrain) {
    rules.push(`training capped at ${maxTrain} of ${train.length} clips (stratified by class, spread over speakers, seeded)`);
    train = capStratified(train, maxTrain, labelOf, rngFor('cap-train'));
  }
  if (maxTest !== undefined && test.length > maxTest) {
    rules.push(`test capped at ${maxTest} of ${test.length} clips (stratified by class, spread over speakers, seeded)`);
    test = capStratified(test, maxTest, labelOf, rngFor('cap-test'));
  }
  if (train.length === 0) throw new Error(`${where}: no training rows are left (${pool.length} rows took part; see the rules: ${rules.join('; ')})`);
  if (test.length === 0) throw new Error(`${where}: no test rows are left (${pool.length} rows took part; see the rules: ${rules.join('; ')})`);

  let noise: ShiftSplit['noise'];
  if (spec.kind === 'noise') {
    noise = { type: spec.noise, snrDb: spec.snrDb };
    const made = GENERATED_NOISES.includes(spec.noise) ? 'generated' : 'from the noise corpus';
    rules.push(`noise: ${spec.noise} (${made}) at ${spec.snrDb} dB SNR is added to the test clips by the runner; training clips stay clean`);
  } else {
    rules.push('no noise: training and test clips are used as recorded');
  }

  const labels = [...known].sort(compareText);
  const testClasses = new Set(test.map(labelOf));
  const untested = labels.filter((label) => !testClasses.has(label));
  if (untested.length > 0 && untested.length <= 12) warnings.push(`training classes with no test clip: ${untested.join(', ')}`);
  else if (untested.length > 12) warnings.push(`${untested.length} training classes have no test clip`);
  const testSpeakers = new Set(test.map((row) => row.speaker));
  const trainSpeakers = new Set(train.map((row) => row.speaker));
  const sharedSpeakers = [...testSpeakers].filter((speaker) => trainSpeakers.has(speaker)).length;
  if (task === 'label' && testSpeakers.size < 3) warnings.push(`only ${testSpeakers.size} test speaker(s): accuracy mostly measures them`);

  const report: ShiftReport = {
    name,
    task,
    seed,
    rows: pool.length,
    train: sideReport(train, labelOf, ageGroupOf),
    test: sideReport(test, labelOf, ageGroupOf),
    sharedSpeakers,
    rules,
    warnings,
  };
  const split: ShiftSplit = { name, spec, task, labels, labelOf, train, test, report };
  if (noise !== undefined) split.noise = noise;
  return split;
}
