/**
 * An assignment's teacher source: a folder with `assignment.yaml`, the module(s) students
 * complete (with solution regions), the notebook that imports them, and a `tests/` folder of
 * mocha tests (with hidden-test regions).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';

const SPEC_FILE = 'assignment.yaml';

const assignmentSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes'),
  title: z.string().min(1),
  notebook: z.string().endsWith('.ipynb'),
  // .ts files are graded by the tests; other files (answers.md) are collected for hand grading.
  studentFiles: z.array(z.string().regex(/^[\w-]+(\.[\w-]+)*\.(ts|md|txt)$/, 'a .ts, .md or .txt file name in the assignment folder')).min(1),
  testTimeoutS: z.number().positive().default(30),
  memoryMb: z.number().int().positive().default(1024),
  manualQuestions: z.array(z.strictObject({ id: z.string(), points: z.number().nonnegative(), prompt: z.string() })).default([]),
});

/** One assignment as its `assignment.yaml` describes it, plus where it lives. */
export type AssignmentSpec = z.infer<typeof assignmentSchema> & {
  /** Folder of the teacher's source. */
  dir: string;
  /** Test files, relative to `dir` (`tests/*.test.ts`). */
  testFiles: string[];
};

/** Reads and validates `<dir>/assignment.yaml`; errors name the file and the key. */
export function readAssignment(dir: string): AssignmentSpec {
  const path = join(dir, SPEC_FILE);
  if (!existsSync(path)) throw new Error(`${path}: no such file (an assignment folder needs one)`);
  const parsed = assignmentSchema.safeParse(parse(readFileSync(path, 'utf8')));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${path}: '${issue.path.join('.') || '(root)'}': ${issue.message}`);
  }
  const spec = parsed.data;
  for (const file of [spec.notebook, ...spec.studentFiles]) {
    if (!existsSync(join(dir, file))) throw new Error(`${path}: lists '${file}', which is not in ${dir}`);
  }
  const testsDir = join(dir, 'tests');
  const testFiles = existsSync(testsDir) ? readdirSync(testsDir).filter((f) => f.endsWith('.test.ts')).sort().map((f) => `tests/${f}`) : [];
  if (testFiles.length === 0) throw new Error(`${dir}: no tests/*.test.ts (every assignment is graded by its tests)`);
  return { ...spec, dir, testFiles };
}

/** Every assignment under `root` (each sub-folder holding an `assignment.yaml`), sorted by id. */
export function findAssignments(root: string): AssignmentSpec[] {
  if (!existsSync(root)) throw new Error(`${root}: no such folder`);
  return readdirSync(root)
    .map((name) => join(root, name))
    .filter((dir) => statSync(dir).isDirectory() && existsSync(join(dir, SPEC_FILE)))
    .map(readAssignment)
    .sort((a, b) => a.id.localeCompare(b.id));
}
