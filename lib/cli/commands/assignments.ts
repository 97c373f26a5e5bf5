/**
 * `ttt-speech assignments release|grade`: nbgrader's release and autograde steps for the
 * coursework under `notebooks/assignments/`.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { join, resolve } from 'node:path';
import { findAssignments, gradeSubmissions, releaseAssignment, type AssignmentSpec } from '../../assignments/index.js';
import { packageRoot } from '../../util/index.js';

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

function nonNegativeInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}

/** The assignments named (all when none is), from the source folder. */
function selectAssignments(source: string, ids: readonly string[]): AssignmentSpec[] {
  const all = findAssignments(source);
  if (ids.length === 0) return all;
  return ids.map((id) => {
    const found = all.find((spec) => spec.id === id);
    if (!found) throw new Error(`no assignment '${id}' in ${source}; there are: ${all.map((s) => s.id).join(', ')}`);
    return found;
  });
}

/** Registers `assignments release [ids…]` and `assignments grade <folder> [ids…]`. */
export function registerAssignmentsCommand(program: Command): void {
  const group = program.command('assignments').description('Release and autograde the coursework (teacher sources under notebooks/assignments/).');
  const defaultSource = (): string => join(packageRoot(), 'notebooks', 'assignments');
  group
    .command('release')
    .description("Check that each solution passes every test (hidden ones too), then write the students' copies: stubs, no hidden tests, no outputs.")
    .argument('[ids...]', 'assignment ids (default: all)')
    .option('--source <dir>', 'folder of teacher sources (default: notebooks/assignments)')
    .option('--out <dir>', 'folder for the students’ copies', 'release')
    .action(async (ids: string[], flags: { source?: string; out: string }) => {
      for (const spec of selectAssignments(resolve(flags.source ?? defaultSource()), ids)) {
        const report = await releaseAssignment(spec, { outDir: resolve(flags.out) });
        process.stdout.write(
          `${report.assignment}: solution passed ${report.checks} checks; released ${report.files.length} files to ${report.dir} ` +
            `(${report.solutionRegions} solution regions stubbed, ${report.hiddenRegions} hidden-test regions removed)\n`,
        );
      }
    });
  group
    .command('grade')
    .description('Grade <folder>/<student>/<assignment>/ submissions, each in its own time- and memory-limited processes; writes grades.csv and feedback/.')
    .argument('<folder>', 'submissions, one sub-folder per student, one per assignment inside it')
    .argument('[ids...]', 'assignment ids (default: all)')
    .option('--source <dir>', 'folder of teacher sources (default: notebooks/assignments)')
    .option('--out <dir>', 'where grades.csv and feedback/ go (default: the submissions folder)')
    .option('--jobs <n>', 'submissions graded at once', positiveInteger, 2)
    .option('--seed <n>', 'seed of the hidden tests’ inputs (default: a fresh one)', nonNegativeInteger)
    .action(async (folder: string, ids: string[], flags: { source?: string; out?: string; jobs: number; seed?: number }) => {
      const specs = selectAssignments(resolve(flags.source ?? defaultSource()), ids);
      const outDir = resolve(flags.out ?? folder);
      const graded = await gradeSubmissions({
        assignments: specs,
        submissionsDir: resolve(folder),
        outDir,
        jobs: flags.jobs,
        seed: flags.seed,
        onGraded: (one) => process.stdout.write(`${one.student} ${one.assignment}: ${one.total} / ${one.max}\n`),
      });
      process.stdout.write(`graded ${graded.length} submissions; wrote ${join(outDir, 'grades.csv')} and ${join(outDir, 'feedback')}/\n`);
    });
}
