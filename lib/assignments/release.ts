/**
 * `source → release` (nbgrader's step, with Otter's rule): the solution must pass every test,
 * visible and hidden, before anything is written; then the student's copy is written with stubs
 * in place of solutions, hidden tests removed and notebook outputs cleared, and scanned to prove
 * that no solution line and no hidden test made it through.
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/index.js';
import { hasMarker, stripHiddenTests, stripSolutions, type MarkedText } from './markers.js';
import { planAssignment, runTests, type TestResult } from './runner.js';
import type { AssignmentSpec } from './spec.js';

/** What one release wrote. */
export interface ReleaseReport {
  /** Assignment id. */
  assignment: string;
  /** Folder of the student's copy. */
  dir: string;
  /** Files written, relative to `dir`. */
  files: string[];
  /** Checks the solution passed (all of them, or nothing is written). */
  checks: number;
  /** Solution regions replaced by stubs. */
  solutionRegions: number;
  /** Hidden-test regions removed. */
  hiddenRegions: number;
}

/** Options of {@link releaseAssignment}. */
export interface ReleaseOptions {
  /** Parent folder of the student copies (`<outDir>/<id>/`). */
  outDir: string;
  /** Seed for the hidden tests' inputs during the solution check; default 1. */
  seed?: number;
}

interface NotebookJson {
  cells: Array<{ cell_type: string; source: string | string[]; outputs?: unknown[]; execution_count?: number | null; metadata?: Record<string, unknown> }>;
  [key: string]: unknown;
}

function joinSource(source: string | string[]): string {
  return Array.isArray(source) ? source.join('') : source;
}

function splitSource(text: string): string[] {
  return text.split(/(?<=\n)/);
}

/** The student's notebook: solutions in code cells stubbed, outputs and counts cleared. */
function releaseNotebook(text: string, file: string): MarkedText {
  const notebook = JSON.parse(text) as NotebookJson;
  const removed: string[] = [];
  let regions = 0;
  for (const cell of notebook.cells) {
    if (cell.cell_type !== 'code') continue;
    const stripped = stripSolutions(joinSource(cell.source), file);
    const hidden = stripHiddenTests(stripped.text, file);
    cell.source = splitSource(hidden.text);
    removed.push(...stripped.removed, ...hidden.removed);
    regions += stripped.regions + hidden.regions;
    cell.outputs = [];
    cell.execution_count = null;
  }
  return { text: JSON.stringify(notebook, null, 1) + '\n', removed, regions };
}

/** Lines removed from a file that would give something away if found in the release. */
function telltaleLines(removed: readonly string[], kept: string): Set<string> {
  const keptLines = new Set(kept.split('\n').map((line) => line.trim()));
  // Short lines (`}`, `return out;`) are common to any code; a line that was also outside the
  // regions in the teacher's file is not a secret.
  return new Set(removed.filter((line) => line.length >= 16 && !keptLines.has(line)));
}

/**
 * Throws when a released file still holds a marker or any line removed from that same file. Lines
 * are compared per file: a teacher may show in the notebook a line that also happens to appear in
 * a hidden test (`tf.dispose([target, mask]);`), and that is the teacher's choice, not a leak.
 */
export function scanRelease(files: ReadonlyMap<string, string>, secretsByFile: ReadonlyMap<string, ReadonlySet<string>>): void {
  for (const [file, text] of files) {
    const secrets = secretsByFile.get(file) ?? new Set<string>();
    const lines = file.endsWith('.ipynb')
      ? (JSON.parse(text) as NotebookJson).cells.flatMap((cell) => joinSource(cell.source).split('\n'))
      : text.split('\n');
    for (const line of lines) {
      if (hasMarker(line)) throw new Error(`release check: ${file} still holds a marker line: ${line.trim()}`);
      if (secrets.has(line.trim())) throw new Error(`release check: ${file} still holds a solution or hidden-test line: ${line.trim()}`);
    }
  }
}

function failureList(results: readonly TestResult[]): string {
  return results
    .filter((r) => !r.passed)
    .map((r) => `  - ${r.path.join(' › ')}: ${r.message}`)
    .join('\n');
}

/**
 * Runs the solution against every test (hidden ones included) and, only if all pass, writes the
 * student's copy to `<outDir>/<id>/`; throws naming the failing checks otherwise.
 */
export async function releaseAssignment(spec: AssignmentSpec, options: ReleaseOptions): Promise<ReleaseReport> {
  const plan = await planAssignment(spec);
  const results = await runTests(spec, plan, spec.dir, { testTimeoutS: spec.testTimeoutS, memoryMb: spec.memoryMb, seed: options.seed ?? 1 });
  if (results.some((r) => !r.passed)) {
    throw new Error(`${spec.id}: not released: the solution fails ${results.filter((r) => !r.passed).length} of ${results.length} checks:\n${failureList(results)}`);
  }
  const written = new Map<string, string>();
  const secrets = new Map<string, Set<string>>();
  let solutionRegions = 0;
  let hiddenRegions = 0;
  const add = (file: string, marked: MarkedText, kind: 'solution' | 'hidden'): void => {
    written.set(file, marked.text);
    secrets.set(file, telltaleLines(marked.removed, marked.text));
    if (kind === 'solution') solutionRegions += marked.regions;
    else hiddenRegions += marked.regions;
  };
  for (const file of spec.studentFiles) {
    const source = readFileSync(join(spec.dir, file), 'utf8');
    if (!file.endsWith('.ts')) {
      // A template for written answers goes out as it is.
      add(file, { text: source, removed: [], regions: 0 }, 'solution');
      continue;
    }
    const marked = stripSolutions(source, file);
    if (marked.regions === 0) throw new Error(`${join(spec.dir, file)}: no '// BEGIN SOLUTION' region: students would receive the solution`);
    add(file, marked, 'solution');
  }
  for (const file of spec.testFiles) {
    const source = readFileSync(join(spec.dir, file), 'utf8');
    add(file, stripHiddenTests(source, file), 'hidden');
  }
  const notebookSource = readFileSync(join(spec.dir, spec.notebook), 'utf8');
  add(spec.notebook, releaseNotebook(notebookSource, spec.notebook), 'solution');
  scanRelease(written, secrets);
  const dir = join(options.outDir, spec.id);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of written) writeFileAtomic(join(dir, file), text);
  return { assignment: spec.id, dir, files: [...written.keys()], checks: results.length, solutionRegions, hiddenRegions };
}
