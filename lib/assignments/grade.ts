/**
 * Grades a folder of submissions (nbgrader's layout: `<folder>/<student>/<assignment>/<files>`):
 * every student × assignment runs in its own child processes (runner.ts), then `grades.csv`
 * (one row per student × assignment, points per question) and one feedback file per student and
 * assignment are written. Several graders may share one output folder: the CSV is merged under
 * a lock file and replaced atomically.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { packageVersion, withFileLock, writeFileAtomic, writeJsonAtomic } from '../util/index.js';
import { planAssignment, runTests, type PlannedTest, type RunLimits, type TestResult } from './runner.js';
import type { AssignmentSpec } from './spec.js';

/** Options of {@link gradeSubmissions}. */
export interface GradeOptions {
  /** The teacher's assignments (tests and limits come from here, never from a submission). */
  assignments: readonly AssignmentSpec[];
  /** `<folder>/<student>/<assignment id>/…`. */
  submissionsDir: string;
  /** Where `grades.csv` and `feedback/` go; default the submissions folder. */
  outDir?: string;
  /** Seed of the hidden tests' inputs; default a fresh one per run. */
  seed?: number;
  /** Submissions graded at once; default 2. */
  jobs?: number;
  /** Called after each student × assignment. */
  onGraded?: (graded: GradedSubmission) => void;
}

/** One student's result on one assignment. */
export interface GradedSubmission {
  /** The submission's folder name. */
  student: string;
  /** Assignment id. */
  assignment: string;
  /** Every check, in plan order. */
  results: TestResult[];
  /** Points per question (autograded questions only), in question order. */
  questions: Record<string, number>;
  /** Autograded points earned. */
  total: number;
  /** Autograded points possible. */
  max: number;
}

/** Points per question, questions in the order of the plan. */
function questionPoints(results: readonly TestResult[]): Record<string, number> {
  const points: Record<string, number> = {};
  for (const r of results) points[r.question] = (points[r.question] ?? 0) + (r.passed ? r.points : 0);
  return points;
}

function questionMax(plan: readonly PlannedTest[]): Record<string, number> {
  const points: Record<string, number> = {};
  for (const t of plan) points[t.question] = (points[t.question] ?? 0) + t.points;
  return points;
}

/** The feedback a student reads: points per question, then each failed check and why. */
export function feedbackText(spec: AssignmentSpec, graded: GradedSubmission, plan: readonly PlannedTest[]): string {
  const max = questionMax(plan);
  const lines = [`# ${spec.title}: ${graded.total} / ${graded.max} points`, '', `Student: ${graded.student}`, ''];
  for (const [question, points] of Object.entries(graded.questions)) lines.push(`- ${question}: ${points} / ${max[question]}`);
  for (const manual of spec.manualQuestions) lines.push(`- ${manual.id}: graded by hand (up to ${manual.points} points)`);
  const failed = graded.results.filter((r) => !r.passed);
  lines.push('');
  if (failed.length === 0) lines.push('Every automatic check passed.');
  else {
    lines.push('## Checks that failed', '');
    for (const r of failed) {
      const check = r.path.slice(1).join(' › ').replace(/\s*\[\d+(?:\.\d+)?\s*pts?\]\s*$/, '');
      lines.push(`- **${r.question}, ${check}** (${r.points} ${r.points === 1 ? 'point' : 'points'}): ${(r.message ?? 'failed').split('\n').join(' ')}`);
    }
  }
  return lines.join('\n') + '\n';
}

type GradeRow = Record<string, string>;

/** Merges `graded` into `<outDir>/grades.csv` (replacing those students' rows for those assignments). */
async function mergeGrades(outDir: string, specs: readonly AssignmentSpec[], graded: readonly GradedSubmission[]): Promise<void> {
  const file = join(outDir, 'grades.csv');
  await withFileLock(join(outDir, '.grades.lock'), () => {
    const existing: GradeRow[] = existsSync(file) ? parse(readFileSync(file, 'utf8'), { columns: true, skip_empty_lines: true }) : [];
    const fresh = new Map(graded.map((g) => [`${g.student}\u0000${g.assignment}`, g]));
    const previous = new Map(existing.map((row) => [`${row.student}\u0000${row.assignment}`, row]));
    const rows = existing.filter((row) => !fresh.has(`${row.student}\u0000${row.assignment}`));
    for (const g of graded) {
      const spec = specs.find((s) => s.id === g.assignment)!;
      const row: GradeRow = { student: g.student, assignment: g.assignment, autograded: String(g.total), autograded_max: String(g.max) };
      for (const [question, points] of Object.entries(g.questions)) row[question] = String(points);
      // Filled in by the teacher: a regrade keeps what is already there.
      const before = previous.get(`${g.student}\u0000${g.assignment}`);
      for (const manual of spec.manualQuestions) row[manual.id] = before?.[manual.id] ?? '';
      rows.push(row);
    }
    rows.sort((a, b) => a.student.localeCompare(b.student) || a.assignment.localeCompare(b.assignment));
    const fixed = ['student', 'assignment', 'autograded', 'autograded_max'];
    const questions = [...new Set(rows.flatMap((row) => Object.keys(row)).filter((key) => !fixed.includes(key)))].sort((a, b) =>
      a.localeCompare(b, 'en', { numeric: true }),
    );
    const columns = [...fixed.slice(0, 2), ...questions, ...fixed.slice(2)];
    writeFileAtomic(file, stringify(rows, { header: true, columns }));
  });
}

/**
 * Copies a submission's written files (everything but .ts) to `manual/<assignment>/<student>/`
 * for the teacher, or notes that they are missing.
 */
function collectWritten(spec: AssignmentSpec, from: string, to: string): void {
  for (const file of spec.studentFiles.filter((name) => !name.endsWith('.ts'))) {
    const source = join(from, file);
    writeFileAtomic(join(to, file), existsSync(source) ? readFileSync(source) : `(${file} is missing from the submission)\n`);
  }
}

function folders(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => !name.startsWith('.') && name !== 'feedback' && name !== 'manual' && statSync(join(dir, name)).isDirectory())
    .sort();
}

/**
 * Grades every `<student>/<assignment>` folder found for the given assignments and writes
 * `grades.csv`, `feedback/<student>/<assignment>.md` and, for written questions,
 * `manual/<assignment>/<student>/<file>`. A submission that breaks (does not
 * compile, loops, exits, throws oddly, eats memory) loses only the checks it breaks.
 */
export async function gradeSubmissions(options: GradeOptions): Promise<GradedSubmission[]> {
  const { submissionsDir } = options;
  if (!existsSync(submissionsDir)) throw new Error(`${submissionsDir}: no such folder of submissions`);
  const outDir = options.outDir ?? submissionsDir;
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const plans = new Map<string, PlannedTest[]>();
  for (const spec of options.assignments) plans.set(spec.id, await planAssignment(spec));
  const jobs: Array<{ student: string; spec: AssignmentSpec }> = [];
  for (const student of folders(submissionsDir)) {
    for (const spec of options.assignments) {
      if (existsSync(join(submissionsDir, student, spec.id))) jobs.push({ student, spec });
    }
  }
  const graded: GradedSubmission[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const { student, spec } = jobs[next++];
      const plan = plans.get(spec.id)!;
      const limits: RunLimits = { testTimeoutS: spec.testTimeoutS, memoryMb: spec.memoryMb, seed };
      const results = await runTests(spec, plan, join(submissionsDir, student, spec.id), limits);
      const questions = questionPoints(results);
      const one: GradedSubmission = {
        student,
        assignment: spec.id,
        results,
        questions,
        total: Object.values(questions).reduce((a, b) => a + b, 0),
        max: plan.reduce((a, t) => a + t.points, 0),
      };
      writeFileAtomic(join(outDir, 'feedback', student, `${spec.id}.md`), feedbackText(spec, one, plan));
      collectWritten(spec, join(submissionsDir, student, spec.id), join(outDir, 'manual', spec.id, student));
      graded.push(one);
      options.onGraded?.(one);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.jobs ?? 2) }, worker));
  await mergeGrades(outDir, options.assignments, graded);
  // The seed decides the hidden checks' inputs: with it, this grading can be repeated exactly.
  writeJsonAtomic(join(outDir, 'grading.json'), {
    seed,
    assignments: options.assignments.map((spec) => spec.id),
    graded: graded.length,
    limits: Object.fromEntries(options.assignments.map((spec) => [spec.id, { testTimeoutS: spec.testTimeoutS, memoryMb: spec.memoryMb }])),
    node: process.version,
    tttSpeech: packageVersion(),
    finishedAt: new Date().toISOString(),
  });
  return graded;
}
