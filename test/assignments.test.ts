// Coursework mechanics: release (no solution or hidden test leaks, a failing solution is refused)
// and grading (full marks for the solution, zero for the stubs, broken submissions cost only
// the checks they break, grades.csv and feedback, two graders on one folder).
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { gradeSubmissions, readAssignment, releaseAssignment, stripHiddenTests, stripSolutions, type AssignmentSpec, type GradedSubmission } from '../lib/assignments/index.js';
import { packageRoot } from '../lib/util/index.js';

const SOURCE = join(packageRoot(), 'notebooks', 'assignments', 'a1-spectrograms');
const WORK = join(packageRoot(), 'test-artifacts', 'assignments');
const MODULE = 'spectrograms.ts';

/** The solution with one function's body replaced (the text between its BEGIN/END SOLUTION markers). */
function withBody(solution: string, functionName: string, body: string): string {
  const start = solution.indexOf(`export function ${functionName}(`);
  const begin = solution.indexOf('// BEGIN SOLUTION', start);
  const end = solution.indexOf('// END SOLUTION', begin);
  assert.ok(start >= 0 && begin > start && end > begin, `no solution region in ${functionName}`);
  return solution.slice(0, begin) + body + '\n  ' + solution.slice(end);
}

function writeSubmission(root: string, student: string, text: string): void {
  mkdirSync(join(root, student, 'a1-spectrograms'), { recursive: true });
  writeFileSync(join(root, student, 'a1-spectrograms', MODULE), text);
}

function questionsOf(graded: readonly GradedSubmission[], student: string): Record<string, number> {
  const found = graded.find((g) => g.student === student);
  assert.ok(found, `no grade for ${student}`);
  return found.questions;
}

describe('coursework: markers', () => {
  it('replaces a solution region with a stub naming the function, and removes hidden tests', () => {
    const source = ['export function area(r: number): number {', '  // BEGIN SOLUTION', '  return Math.PI * r * r;', '  // END SOLUTION', '}'].join('\n');
    const stub = stripSolutions(source, 'geometry.ts');
    assert.equal(stub.regions, 1);
    assert.match(stub.text, /throw new Error\("area is not implemented yet: write it in geometry\.ts"\)/);
    assert.doesNotMatch(stub.text, /Math\.PI/);
    const tests = stripHiddenTests(['a', '// BEGIN HIDDEN TESTS', 'secret', '// END HIDDEN TESTS', 'b'].join('\n'), 't.ts');
    assert.equal(tests.text, 'a\nb');
  });

  it('names the file and line of an unclosed region', () => {
    assert.throws(() => stripSolutions('x\n// BEGIN SOLUTION\ny', 'broken.ts'), /broken\.ts:2: 'BEGIN SOLUTION' region is never closed/);
  });
});

describe('coursework: release and grading', function () {
  this.timeout(240_000);
  let spec: AssignmentSpec;
  let solution: string;
  let release: string;

  before(() => {
    rmSync(WORK, { recursive: true, force: true });
    mkdirSync(WORK, { recursive: true });
    spec = readAssignment(SOURCE);
    solution = readFileSync(join(SOURCE, MODULE), 'utf8');
  });

  it('releases a copy with stubs and without any solution line or hidden test', async () => {
    const report = await releaseAssignment(spec, { outDir: join(WORK, 'release') });
    release = report.dir;
    assert.deepEqual(readdirSync(release).sort(), ['a1-spectrograms.ipynb', 'spectrograms.ts', 'tests']);
    const solutionLines = stripSolutions(solution, MODULE).removed.filter((line) => line.length >= 16);
    const testSource = readFileSync(join(SOURCE, spec.testFiles[0]), 'utf8');
    const hiddenLines = stripHiddenTests(testSource, 'tests').removed.filter((line) => line.length >= 16);
    assert.ok(solutionLines.length > 20 && hiddenLines.length > 10, 'the source should have solution and hidden-test lines to look for');
    const released = [MODULE, spec.notebook, spec.testFiles[0]].map((file) => readFileSync(join(release, file), 'utf8')).join('\n');
    for (const line of [...solutionLines, ...hiddenLines]) assert.ok(!released.includes(line), `the release still contains: ${line}`);
    assert.doesNotMatch(released, /BEGIN SOLUTION|END SOLUTION|HIDDEN TESTS/);
    assert.equal((readFileSync(join(release, MODULE), 'utf8').match(/is not implemented yet/g) ?? []).length, 4);
    const notebook = JSON.parse(readFileSync(join(release, spec.notebook), 'utf8'));
    assert.ok(notebook.cells.every((cell: { outputs?: unknown[] }) => !cell.outputs || cell.outputs.length === 0), 'released notebook has outputs');
  });

  it('refuses to release a solution that fails a check, naming the check, and writes nothing', async () => {
    const broken = join(WORK, 'broken-source', 'a1-spectrograms');
    cpSync(SOURCE, broken, { recursive: true });
    writeFileSync(join(broken, MODULE), solution.replace('const keep = Math.max(1, Math.round(numPatches * (1 - ratio)));', 'const keep = Math.max(1, Math.round(numPatches * (1 - ratio))) + 1;'));
    await assert.rejects(releaseAssignment(readAssignment(broken), { outDir: join(WORK, 'release-refused') }), /not released: the solution fails .*Q4: seeded random masking › hides exactly/s);
    assert.equal(existsSync(join(WORK, 'release-refused')), false);
  });

  it('grades a batch: solution full marks, stubs zero, mutants and broken submissions lose only what they break', async () => {
    const submissions = join(WORK, 'submitted');
    writeSubmission(submissions, 'ada-solution', solution);
    writeSubmission(submissions, 'ben-stubs', readFileSync(join(release, MODULE), 'utf8'));
    writeSubmission(submissions, 'cy-syntax-error', solution.replace('export function patchify(', 'export function patchify(('));
    writeSubmission(submissions, 'dee-endless-loop', withBody(solution, 'unpatchify', 'while (true) { /* forever */ }'));
    writeSubmission(submissions, 'eve-process-exit', withBody(solution, 'randomMask', 'process.exit(3);'));
    writeSubmission(submissions, 'fay-non-error', withBody(solution, 'melFilterbank', "throw { reason: 'not an Error' };"));
    writeSubmission(submissions, 'gus-reads-tests', withBody(solution, 'melFilterbank', "return JSON.parse(require('node:fs').readFileSync('tests/spectrograms.test.ts', 'utf8'));"));
    writeSubmission(submissions, 'hal-huge-allocation', withBody(solution, 'unpatchify', 'const huge = new Float64Array(1.25e9).fill(1); return tf.tensor3d(huge.subarray(0, 1), [1, 1, 1]);'));
    writeSubmission(submissions, 'ivy-no-minimum-kept', solution.replace('const keep = Math.max(1, Math.round(numPatches * (1 - ratio)));', 'const keep = Math.round(numPatches * (1 - ratio));'));
    writeSubmission(submissions, 'jo-bin-frequency', solution.replace('const mel = melScale((k * sampleRate) / fftSize);', 'const mel = melScale((k * sampleRate) / (fftSize + 2));'));
    mkdirSync(join(submissions, 'kim-empty', 'a1-spectrograms'), { recursive: true });

    // Short limits keep the endless loop and the allocation cheap to catch.
    const limited: AssignmentSpec = { ...spec, testTimeoutS: 4, memoryMb: 700 };
    const graded = await gradeSubmissions({ assignments: [limited], submissionsDir: submissions, seed: 12345, jobs: 2 });
    assert.equal(graded.length, 11);
    const full = { Q1: 4, Q2: 5, Q3: 3, Q4: 4 };
    assert.deepEqual(questionsOf(graded, 'ada-solution'), full);
    assert.deepEqual(questionsOf(graded, 'ben-stubs'), { Q1: 0, Q2: 0, Q3: 0, Q4: 0 });
    assert.deepEqual(questionsOf(graded, 'cy-syntax-error'), { Q1: 0, Q2: 0, Q3: 0, Q4: 0 });
    assert.deepEqual(questionsOf(graded, 'dee-endless-loop'), { ...full, Q3: 0 });
    assert.deepEqual(questionsOf(graded, 'eve-process-exit'), { ...full, Q4: 0 });
    assert.deepEqual(questionsOf(graded, 'fay-non-error'), { ...full, Q1: 0 });
    assert.deepEqual(questionsOf(graded, 'gus-reads-tests'), { ...full, Q1: 0 });
    assert.deepEqual(questionsOf(graded, 'hal-huge-allocation'), { ...full, Q3: 0 });
    assert.deepEqual(questionsOf(graded, 'ivy-no-minimum-kept'), { ...full, Q4: 2 });
    assert.deepEqual(questionsOf(graded, 'jo-bin-frequency'), { ...full, Q1: 0 });
    assert.deepEqual(questionsOf(graded, 'kim-empty'), { Q1: 0, Q2: 0, Q3: 0, Q4: 0 });

    const feedback = (student: string): string => readFileSync(join(submissions, 'feedback', student, 'a1-spectrograms.md'), 'utf8');
    assert.match(feedback('ada-solution'), /16 \/ 16 points[\s\S]*Every automatic check passed/);
    assert.match(feedback('ben-stubs'), /melFilterbank is not implemented yet/);
    assert.match(feedback('cy-syntax-error'), /your files could not be loaded/);
    assert.match(feedback('dee-endless-loop'), /Q3, gives back a batch .* did not finish within 4 s \(an endless loop\?\)/);
    assert.match(feedback('eve-process-exit'), /Q4, .*does your code call process\.exit\?/);
    assert.match(feedback('fay-non-error'), /non-Error value/);
    assert.match(feedback('gus-reads-tests'), /ENOENT|no such file/);
    assert.match(feedback('hal-huge-allocation'), /used more than the 700 MB of memory allowed/);
    assert.match(feedback('ivy-no-minimum-kept'), /Q4, matches the library on unseen grids, ratios and seeds, keeping at least one token\*\* \(2 points\): at ratio 0\.99 on 4 tokens one token must stay visible/);
    assert.match(feedback('jo-bin-frequency'), /your weights differ from the library's/);
    assert.match(feedback('kim-empty'), /spectrograms\.ts missing from the submission/);

    const rows: Array<Record<string, string>> = parse(readFileSync(join(submissions, 'grades.csv'), 'utf8'), { columns: true });
    assert.equal(rows.length, 11);
    const ada = rows.find((row) => row.student === 'ada-solution')!;
    assert.deepEqual({ ...ada }, { student: 'ada-solution', assignment: 'a1-spectrograms', Q1: '4', Q2: '5', Q3: '3', Q4: '4', autograded: '16', autograded_max: '16' });
    const record = JSON.parse(readFileSync(join(submissions, 'grading.json'), 'utf8'));
    assert.equal(record.seed, 12345, 'grading.json must record the seed of the hidden inputs');
  });

  it('two graders writing to one folder at once leave one well-formed row per student and assignment', async () => {
    const submissions = join(WORK, 'submitted-twice');
    writeSubmission(submissions, 'ada-solution', solution);
    writeSubmission(submissions, 'ben-stubs', readFileSync(join(release, MODULE), 'utf8'));
    await Promise.all([1, 2].map((seed) => gradeSubmissions({ assignments: [spec], submissionsDir: submissions, seed, jobs: 1 })));
    const rows: Array<Record<string, string>> = parse(readFileSync(join(submissions, 'grades.csv'), 'utf8'), { columns: true });
    assert.deepEqual(rows.map((row) => `${row.student} ${row.autograded}/${row.autograded_max}`), ['ada-solution 16/16', 'ben-stubs 0/16']);
    assert.equal(existsSync(join(submissions, '.grades.lock')), false);
  });

  it('assignment 2: releases, grades the solution full, the stubs zero, and two mutants partly, naming the failed checks', async () => {
    const source2 = join(packageRoot(), 'notebooks', 'assignments', 'a2-ttt-loop');
    const spec2 = readAssignment(source2);
    const module2 = 'ttt-loop.ts';
    const solution2 = readFileSync(join(source2, module2), 'utf8');
    const report = await releaseAssignment(spec2, { outDir: join(WORK, 'release') });
    const released = readFileSync(join(report.dir, module2), 'utf8');
    assert.equal((released.match(/is not implemented yet/g) ?? []).length, 4);
    assert.doesNotMatch(released + readFileSync(join(report.dir, spec2.testFiles[0]), 'utf8'), /variableGrads|checkAgainstTttClip\(Math|HIDDEN/);

    const submissions = join(WORK, 'submitted-a2');
    const write = (student: string, text: string): void => {
      mkdirSync(join(submissions, student, spec2.id), { recursive: true });
      writeFileSync(join(submissions, student, spec2.id, module2), text);
    };
    const reset = 'copies.set(name, tf.tidy(() => tf.variable(weight.clone(), true)));';
    const hiddenOnly = 'const hiddenSum = tf.sum(tf.mul(perPatch, mask), 1); // [B]';
    assert.ok(solution2.includes(reset) && solution2.includes(hiddenOnly), 'the mutants no longer match the solution text');
    write('ada-solution', solution2);
    write('ben-stubs', released);
    // Trains the model's own variables and never puts them back: the classic missing reset.
    write('cy-no-working-copies', solution2.replace(reset, 'copies.set(name, weight);').replace('tf.dispose([...copies.values(), ...velocity.values()]);', 'tf.dispose([...velocity.values()]);'));
    write('dee-loss-on-every-patch', solution2.replace(hiddenOnly, 'const hiddenSum = tf.mul(tf.sum(perPatch, 1), tf.div(tf.sum(mask, 1), tf.sum(mask, 1)));'));
    const graded = await gradeSubmissions({ assignments: [spec2], submissionsDir: submissions, seed: 777, jobs: 2 });
    const full = { Q1: 4, Q2: 3, Q3: 2, Q4: 6 };
    assert.deepEqual(questionsOf(graded, 'ada-solution'), full);
    assert.deepEqual(questionsOf(graded, 'ben-stubs'), { Q1: 0, Q2: 0, Q3: 0, Q4: 0 });
    assert.deepEqual(questionsOf(graded, 'cy-no-working-copies'), { ...full, Q4: 0 });
    const lossMutant = questionsOf(graded, 'dee-loss-on-every-patch');
    assert.ok(lossMutant.Q1 === 0 && lossMutant.Q3 === 2 && lossMutant.Q4 === 6, `loss on every patch: ${JSON.stringify(lossMutant)}`);
    const feedback = (student: string): string => readFileSync(join(submissions, 'feedback', student, `${spec2.id}.md`), 'utf8');
    assert.match(feedback('cy-no-working-copies'), /is not exactly as before: train working copies, never the model/);
    assert.match(feedback('dee-loss-on-every-patch'), /Q1, matches the library on a batch of 2 × 16 patches of 64 values\*\* \(2 points\): on \[2, 16, 64\] your losses/);
  });

  it('assignment 3: the solution scores full, the stubs zero, and two mutants (mean loss, no velocity) lose only their checks', async () => {
    const source3 = join(packageRoot(), 'notebooks', 'assignments', 'a3-bitfit');
    const spec3 = readAssignment(source3);
    const solution3 = readFileSync(join(source3, 'bitfit.ts'), 'utf8');
    const report = await releaseAssignment(spec3, { outDir: join(WORK, 'release') });
    const submissions = join(WORK, 'submitted-a3');
    const write = (student: string, text: string): void => {
      mkdirSync(join(submissions, student, spec3.id), { recursive: true });
      writeFileSync(join(submissions, student, spec3.id, 'bitfit.ts'), text);
    };
    const summed = 'return tf.sum(loss) as tf.Scalar;';
    assert.ok(solution3.includes(summed), 'the mutant no longer matches the solution text');
    write('ada-solution', solution3);
    write('ben-stubs', readFileSync(join(report.dir, 'bitfit.ts'), 'utf8'));
    // The mean gives each clip 1/B of its gradient: the batch no longer equals B separate runs.
    write('cy-mean-loss', solution3.replace(summed, 'return tf.mean(loss) as tf.Scalar;'));
    // Counts the copy but forgets the velocity that SGD-momentum keeps beside it.
    write('dee-no-velocity', solution3.replace('return scalars * 4 * 2;', 'return scalars * 4;'));
    const graded = await gradeSubmissions({ assignments: [spec3], submissionsDir: submissions, seed: 4242, jobs: 2 });
    const full = { Q1: 2, Q2: 2, Q3: 6, Q4: 2 };
    assert.deepEqual(questionsOf(graded, 'ada-solution'), full);
    assert.deepEqual(questionsOf(graded, 'ben-stubs'), { Q1: 0, Q2: 0, Q3: 0, Q4: 0 });
    assert.deepEqual(questionsOf(graded, 'cy-mean-loss'), { ...full, Q3: 0 });
    assert.deepEqual(questionsOf(graded, 'dee-no-velocity'), { ...full, Q4: 0 });
    assert.match(readFileSync(join(submissions, 'feedback', 'dee-no-velocity', `${spec3.id}.md`), 'utf8'), /group bias: \d+ bytes, the library counts \d+/);
    assert.match(readFileSync(join(submissions, 'feedback', 'cy-mean-loss', `${spec3.id}.md`), 'utf8'), /Q3, gives 3 clips the same losses .*: clip \d, step \d: your batched loss/);
  });

  it('assignment 4: autogrades the split and statistics, collects written answers, and keeps hand-entered points on a regrade', async () => {
    const source4 = join(packageRoot(), 'notebooks', 'assignments', 'a4-shifts');
    const spec4 = readAssignment(source4);
    const solution4 = readFileSync(join(source4, 'shifts.ts'), 'utf8');
    const report = await releaseAssignment(spec4, { outDir: join(WORK, 'release') });
    assert.equal(readFileSync(join(report.dir, 'answers.md'), 'utf8'), readFileSync(join(source4, 'answers.md'), 'utf8'));
    const submissions = join(WORK, 'submitted-a4');
    const write = (student: string, text: string, answers?: string): void => {
      mkdirSync(join(submissions, student, spec4.id), { recursive: true });
      writeFileSync(join(submissions, student, spec4.id, 'shifts.ts'), text);
      if (answers) writeFileSync(join(submissions, student, spec4.id, 'answers.md'), answers);
    };
    const stratified = 'test.push(...group.slice(0, Math.max(1, Math.round(testFraction * group.length))));';
    assert.ok(solution4.includes(stratified), 'the mutant no longer matches the solution text');
    write('ada-solution', solution4, '## W1\nA shared speaker lets the model recognise the voice, not the shift.\n');
    write('ben-stubs', readFileSync(join(report.dir, 'shifts.ts'), 'utf8'));
    // Floors instead of rounding: the per-label counts are off, the statistics are untouched.
    write('cy-floor-count', solution4.replace(stratified, 'test.push(...group.slice(0, Math.max(1, Math.floor(testFraction * group.length))));'));
    // The textbook normal-approximation interval instead of Wilson's.
    const wilsonCentre = 'const centre = (p + z2 / (2 * total)) / denominator;';
    const wilsonHalf = 'const half = (z * Math.sqrt((p * (1 - p)) / total + z2 / (4 * total * total))) / denominator;';
    assert.ok(solution4.includes(wilsonCentre) && solution4.includes(wilsonHalf), 'the mutant no longer matches the solution text');
    write('dee-normal-interval', solution4.replace(wilsonCentre, 'const centre = p;').replace(wilsonHalf, 'const half = z * Math.sqrt((p * (1 - p)) / total);'));
    const grade = () => gradeSubmissions({ assignments: [spec4], submissionsDir: submissions, seed: 31, jobs: 2 });
    const graded = await grade();
    const full = { Q1: 6, Q2: 4, Q3: 2 };
    assert.deepEqual(questionsOf(graded, 'ada-solution'), full);
    assert.deepEqual(questionsOf(graded, 'ben-stubs'), { Q1: 0, Q2: 0, Q3: 0 });
    const floored = questionsOf(graded, 'cy-floor-count');
    assert.ok(floored.Q1 < 6 && floored.Q2 === 4 && floored.Q3 === 2, `floor mutant: ${JSON.stringify(floored)}`);
    assert.deepEqual(questionsOf(graded, 'dee-normal-interval'), { ...full, Q2: 0 });
    assert.match(readFileSync(join(submissions, 'feedback', 'dee-normal-interval', `${spec4.id}.md`), 'utf8'), /Q2, gives \[0\.5221, 0\.7090\] for 62 of 100 at 95 %\*\* \(2 points\): got \[0\.5249, 0\.7151\]/);
    assert.match(readFileSync(join(submissions, 'manual', spec4.id, 'ada-solution', 'answers.md'), 'utf8'), /recognise the voice/);
    assert.match(readFileSync(join(submissions, 'manual', spec4.id, 'ben-stubs', 'answers.md'), 'utf8'), /answers\.md is missing from the submission/);
    assert.match(readFileSync(join(submissions, 'feedback', 'ada-solution', `${spec4.id}.md`), 'utf8'), /W1: graded by hand \(up to 4 points\)/);

    // The teacher enters W1 by hand; grading again must keep it.
    const csv = join(submissions, 'grades.csv');
    const rows: Array<Record<string, string>> = parse(readFileSync(csv, 'utf8'), { columns: true });
    assert.deepEqual(Object.keys(rows[0]), ['student', 'assignment', 'Q1', 'Q2', 'Q3', 'W1', 'W2', 'autograded', 'autograded_max']);
    writeFileSync(csv, readFileSync(csv, 'utf8').replace(/^ada-solution,a4-shifts,6,4,2,,/m, 'ada-solution,a4-shifts,6,4,2,3,'));
    await grade();
    const regraded: Array<Record<string, string>> = parse(readFileSync(csv, 'utf8'), { columns: true });
    assert.equal(regraded.find((row) => row.student === 'ada-solution')!.W1, '3');
  });
});
