/**
 * Runs an assignment's mocha tests against one set of student files in a child process with a
 * time limit per test and a V8 heap limit, and turns whatever happens into one result per test.
 *
 * The child streams one line per test event to a file (reporter.cjs). When the child dies in the
 * middle (an endless loop the watchdog kills, `process.exit`, running out of memory), the test
 * that was running fails with a reason in plain words and a fresh child runs the tests not yet
 * reached, so one broken function costs only the points of the checks that call it.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../util/index.js';
import type { AssignmentSpec } from './spec.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPORTER = join(HERE, 'reporter.cjs');
const ROOT_HOOKS = join(HERE, 'hooks.cjs');
const POLL_MS = 100;
/** Time a child may take to start and load the test files (tsx, tfjs) before it counts as stuck. */
const LOAD_LIMIT_S = 90;
const POINTS = /\[(\d+(?:\.\d+)?)\s*pts?\]\s*$/;
const QUESTION = /^(Q\d+[a-z]?)\b/;

/** One check of an assignment: its mocha title path, question and points. */
export interface PlannedTest {
  /** Titles from the outermost `describe` to the `it`. */
  path: string[];
  /** `Q1`, `Q2`, … from the outermost `describe` (`other` when it names none). */
  question: string;
  /** From the title's `[N pts]` suffix; 1 when it has none. */
  points: number;
}

/** The outcome of one check. */
export interface TestResult extends PlannedTest {
  /** Whether the check passed. */
  passed: boolean;
  /** Why it failed, in words for the student (absent when it passed). */
  message?: string;
}

/** Limits and inputs of one graded run. */
export interface RunLimits {
  /** Wall-clock limit per test, seconds (mocha's own timeout catches hung promises; the watchdog kills busy loops). */
  testTimeoutS: number;
  /** Memory limit of the child, MiB: its V8 heap (`--max-old-space-size`) and its resident size (watched on Linux). */
  memoryMb: number;
  /** Seed the hidden tests draw their inputs from (`ASSIGNMENT_SEED`). */
  seed: number;
}

interface StreamRecord {
  event: 'plan' | 'begin' | 'pass' | 'fail' | 'end' | 'hook';
  path?: string[];
  message?: string;
}

interface ChildOutcome {
  records: StreamRecord[];
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  killedFor?: 'test-timeout' | 'load-timeout' | 'memory';
}

/**
 * Resident memory of a process in MiB, from Linux's /proc (undefined elsewhere). The V8 heap
 * limit alone does not stop typed arrays or WebAssembly memory, which live outside the heap, so
 * the watchdog also caps what the process really holds. An address-space limit (`ulimit -v`)
 * cannot be used: the wasm backend reserves many GiB of address space it never touches.
 */
function residentMb(pid: number): number | undefined {
  try {
    const match = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

const mochaBin = (): string => createRequire(join(packageRoot(), 'package.json')).resolve('mocha/bin/mocha.js');

/**
 * Where the library's sources are present (the project, not an installed package), tests import
 * `ttt-speech/*` from them rather than from a build that may be older (package.json `exports`).
 */
const sourceConditions = (): string[] => (existsSync(join(packageRoot(), 'lib', 'index.ts')) ? ['--conditions=ttt-speech-source'] : []);

let workCounter = 0;

/**
 * A fresh folder inside the package, removed by the caller: tests resolve `ttt-speech/*` and
 * `@tensorflow/tfjs` from there, and it sits as deep as `notebooks/assignments/<id>/`, so a
 * student module's relative imports of the library resolve the same in both places.
 */
function makeWorkDir(label: string): string {
  const dir = join(packageRoot(), 'runs', 'grading-work', `${label}-${process.pid}-${Date.now()}-${workCounter++}`);
  mkdirSync(join(dir, 'tests'), { recursive: true });
  return dir;
}

function fullTitle(path: readonly string[]): string {
  return path.join(' ');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Points and question of a check, from its titles. */
export function planTest(path: string[]): PlannedTest {
  const points = POINTS.exec(path[path.length - 1]);
  const question = QUESTION.exec(path[0] ?? '');
  return { path, question: question ? question[1] : 'other', points: points ? Number(points[1]) : 1 };
}

function readRecords(file: string): StreamRecord[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as StreamRecord];
      } catch {
        return []; // a line cut short by a kill
      }
    });
}

/** Runs mocha once in a child; `skip` lists full titles already decided. */
function runChild(workDir: string, spec: AssignmentSpec, limits: RunLimits, skip: readonly string[], extraArgs: string[] = []): Promise<ChildOutcome> {
  const out = join(workDir, `events-${Date.now()}-${workCounter++}.jsonl`);
  const args = [
    `--max-old-space-size=${limits.memoryMb}`,
    '--import',
    'tsx',
    ...sourceConditions(),
    mochaBin(),
    '--no-config',
    '--reporter',
    REPORTER,
    '--reporter-option',
    `out=${out}`,
    '--timeout',
    String(Math.round(limits.testTimeoutS * 1000)),
    '--require',
    ROOT_HOOKS,
    ...extraArgs,
  ];
  if (skip.length > 0) args.push('--grep', `^(?:${skip.map(escapeRegExp).join('|')})$`, '--invert');
  args.push(...spec.testFiles);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ASSIGNMENT_SEED: String(limits.seed),
    TTT_SPEECH_PROGRESS: 'off',
    TTT_SPEECH_ROOT: packageRoot(),
  };
  if (process.env.TTT_SPEECH_BACKEND) env.TTT_SPEECH_BACKEND = process.env.TTT_SPEECH_BACKEND;
  return new Promise((resolveOutcome) => {
    const child = spawn(process.execPath, args, { cwd: workDir, env, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      if (stderr.length < 20000) stderr += chunk.toString();
    });
    const started = Date.now();
    let killedFor: ChildOutcome['killedFor'];
    let seenLines = 0;
    let lastBeginAt = 0;
    let running = false;
    const kill = (reason: NonNullable<ChildOutcome['killedFor']>): void => {
      killedFor = reason;
      try {
        process.kill(-child.pid!, 'SIGKILL'); // the whole group: a student's own child processes go too
      } catch {
        /* already gone */
      }
    };
    const watchdog = setInterval(() => {
      const records = readRecords(out);
      for (const record of records.slice(seenLines)) {
        if (record.event === 'begin') {
          running = true;
          lastBeginAt = Date.now();
        } else if (record.event === 'pass' || record.event === 'fail') running = false;
      }
      seenLines = records.length;
      const now = Date.now();
      const resident = residentMb(child.pid!);
      if (resident !== undefined && resident > limits.memoryMb) {
        kill('memory');
        return;
      }
      // mocha's timeout fires first for anything asynchronous; the slack covers its own reporting.
      if (running && now - lastBeginAt > limits.testTimeoutS * 1000 + 3000) kill('test-timeout');
      else if (records.length === 0 && now - started > LOAD_LIMIT_S * 1000) kill('load-timeout');
    }, POLL_MS);
    child.on('close', (code, signal) => {
      clearInterval(watchdog);
      resolveOutcome({ records: readRecords(out), stderr, code, signal, killedFor });
    });
  });
}

/** The first error line of a child's stderr (a load failure), without stack frames. */
function firstError(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('at ') && !/^Node\.js v/.test(l));
  // Node prints the offending source line above the error itself; the error line names the problem.
  const error =
    lines.find((l) => /^(\w*Error|Error \[\w+\]|SyntaxError|Transform failed|ERROR:)/.test(l)) ??
    lines.find((l) => /(Error|error TS|Exception)\b/.test(l)) ??
    lines[0];
  return error ? error.slice(0, 300) : 'no message';
}

/** Why the running check died, in words for the student. */
function deathReason(outcome: ChildOutcome, limits: RunLimits): string {
  if (outcome.killedFor === 'test-timeout') return `did not finish within ${limits.testTimeoutS} s (an endless loop?)`;
  if (outcome.killedFor === 'memory' || /heap out of memory|Allocation failed|Array buffer allocation failed|ERR_WORKER_OUT_OF_MEMORY/i.test(outcome.stderr)) {
    return `used more than the ${limits.memoryMb} MB of memory allowed`;
  }
  if (outcome.signal) return `the test process was stopped by ${outcome.signal} while this check ran`;
  return `the test process ended (exit code ${outcome.code}) while this check ran: does your code call process.exit?`;
}

/** Rewrites mocha's messages that a student would not understand. */
function plainMessage(message: string, limits: RunLimits): string {
  // Mocha wraps a thrown non-Error as "the <type> <value> was thrown, throw an Error :)".
  const nonError = /^the (\w+) ([\s\S]*) was thrown, throw an Error :\)$/.exec(message);
  if (nonError) return `your code threw a non-Error value (${nonError[1]} ${nonError[2].replace(/\s+/g, ' ')}); throw new Error("…") so the reason shows`;
  if (/^Timeout of \d+ms exceeded/.test(message)) return `did not finish within ${limits.testTimeoutS} s (an endless loop, or a promise that never settles?)`;
  return message;
}

/**
 * Lists the checks of an assignment by loading its tests in a dry run against the teacher's
 * own files (so a submission that cannot even load still has every check to fail).
 */
export async function planAssignment(spec: AssignmentSpec): Promise<PlannedTest[]> {
  const workDir = makeWorkDir(`${spec.id}-plan`);
  try {
    stageFiles(workDir, spec, spec.dir);
    const outcome = await runChild(workDir, spec, { testTimeoutS: spec.testTimeoutS, memoryMb: spec.memoryMb, seed: 1 }, [], ['--dry-run']);
    const tests = outcome.records.filter((r) => r.event === 'pass' || r.event === 'fail').map((r) => planTest(r.path!));
    if (tests.length === 0) throw new Error(`${spec.dir}: the tests could not be listed: ${firstError(outcome.stderr)}`);
    return tests;
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** Copies the student files found in `from` and the teacher's full tests into the work folder. */
function stageFiles(workDir: string, spec: AssignmentSpec, from: string): string[] {
  const missing: string[] = [];
  for (const file of spec.studentFiles.filter((name) => name.endsWith('.ts'))) {
    if (existsSync(join(from, file))) copyFileSync(join(from, file), join(workDir, file));
    else missing.push(file);
  }
  mkdirSync(join(workDir, 'tests'), { recursive: true });
  for (const file of spec.testFiles) copyFileSync(join(spec.dir, file), join(workDir, file));
  return missing;
}

/**
 * Grades the student files in `submissionDir` against every planned check; never throws for
 * anything the submission does.
 */
export async function runTests(spec: AssignmentSpec, plan: readonly PlannedTest[], submissionDir: string, limits: RunLimits): Promise<TestResult[]> {
  const results = new Map<string, TestResult>();
  const byTitle = new Map(plan.map((test) => [fullTitle(test.path), test]));
  const workDir = makeWorkDir(spec.id);
  try {
    const missing = stageFiles(workDir, spec, submissionDir);
    if (missing.length > 0) {
      const message = `${missing.join(', ')} missing from the submission`;
      return plan.map((test) => ({ ...test, passed: false, message }));
    }
    // Each round either decides at least one more check or stops: at most one round per check.
    for (let round = 0; round <= plan.length && results.size < plan.length; round++) {
      // Tests are deleted once loaded (hooks.cjs): copy them back for every round.
      mkdirSync(join(workDir, 'tests'), { recursive: true });
      for (const file of spec.testFiles) copyFileSync(join(spec.dir, file), join(workDir, file));
      const outcome = await runChild(workDir, spec, limits, [...results.keys()]);
      let running: string | undefined;
      for (const record of outcome.records) {
        if (!record.path) continue;
        const title = fullTitle(record.path);
        const test = byTitle.get(title);
        if (!test || results.has(title)) continue;
        if (record.event === 'begin') running = title;
        else if (record.event === 'pass') results.set(title, { ...test, passed: true });
        else if (record.event === 'fail') results.set(title, { ...test, passed: false, message: plainMessage(record.message ?? 'failed', limits) });
        if (record.event !== 'begin' && running === title) running = undefined;
      }
      const ended = outcome.records.some((r) => r.event === 'end');
      if (ended && outcome.code === 0) break;
      if (running) {
        results.set(running, { ...byTitle.get(running)!, passed: false, message: deathReason(outcome, limits) });
        continue;
      }
      if (ended) break; // a normal run with failures: every reached check is decided
      // Died before any test began: the files could not be loaded (a syntax error, a throw or exit at import time).
      const reason =
        outcome.killedFor === 'load-timeout'
          ? `the files did not load within ${LOAD_LIMIT_S} s (an endless loop at the top level of your module?)`
          : `your files could not be loaded: ${outcome.killedFor || outcome.signal || !outcome.stderr.trim() ? deathReason(outcome, limits) : firstError(outcome.stderr)}`;
      for (const test of plan) if (!results.has(fullTitle(test.path))) results.set(fullTitle(test.path), { ...test, passed: false, message: reason });
    }
    return plan.map((test) => results.get(fullTitle(test.path)) ?? { ...test, passed: false, message: 'was not run (the test process kept failing before reaching it)' });
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}
