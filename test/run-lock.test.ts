// One writer per run folder: while a `ttt-speech run` writes a folder, a second run into it stops
// at once with a message that names the folder and the other process, and writes nothing; the
// first ends with every row once and prints the summary of its own rows; a lock left by a
// process that is gone is taken over.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RUN_LOCK_FILE, RunFolderBusyError, withRunFolder, type ExperimentConfigInput } from '../lib/experiment/index.js';
import { readResults } from '../lib/ttt/index.js';
import { FULL_CORPUS_DIR, ROOT, fullCorpus } from './helpers/corpus.js';

const STEPS = 1;
const TEST_CLIPS = 2;
/** One row per clip for no-ttt, one per clip and step 0..K for BitFit. */
const ROWS = TEST_CLIPS * (1 + (STEPS + 1));

/** The smallest run that still adapts: one unit, two clips, no TTT and one BitFit step. */
function tinyConfig(name: string): ExperimentConfigInput {
  return {
    name,
    corpus: { offline: { preset: 'full', seed: 1, dir: FULL_CORPUS_DIR } },
    checkpoint: join(ROOT, 'models', 'mae-tiny'),
    tasks: [{ task: 'speaker', shifts: ['clean'], maxTest: TEST_CLIPS }],
    methods: [{ name: 'no-ttt' }, { name: 'ttt-bitfit', group: 'bias' }],
    ttt: { steps: STEPS },
    head: { epochs: 2 },
    seed: 0,
  };
}

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

function startRun(config: string, out: string): { child: ChildProcess; finished: Promise<Finished> } {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'ttt-speech.mjs'), 'run', config, '--out', out], {
    env: { ...process.env, TTT_SPEECH_PROGRESS: 'off' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const finished = new Promise<Finished>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return { child, finished };
}

async function waitFor(condition: () => boolean, what: string, limitMs = 120_000): Promise<void> {
  const until = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`gave up waiting: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function rowKeys(out: string): string[] {
  return readResults(join(out, 'results.csv')).map((row) => [row.condition, row.method, row.clip, row.step].join('|'));
}

/** Every file in the folder with its contents, to show that nothing was written. */
function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) files[join(entry.parentPath, entry.name)] = readFileSync(join(entry.parentPath, entry.name), 'latin1');
  }
  return files;
}

function printedNewRows(stdout: string): number {
  const match = /(\d+) new rows/.exec(stdout);
  assert.ok(match, `the run printed how many rows it added:\n${stdout}`);
  return Number(match[1]);
}

describe('the run folder lock', function () {
  this.timeout(600_000);
  let dir: string;
  before(async () => {
    await fullCorpus();
    dir = mkdtempSync(join(tmpdir(), 'ttt-run-lock-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('lets calls nested in a locked folder go on and stops a concurrent one in the same process', async () => {
    const folder = join(dir, 'nested');
    const inner = await withRunFolder(folder, () => withRunFolder(folder, async () => 'nested ran'));
    assert.equal(inner, 'nested ran');
    let release!: () => void;
    const holding = withRunFolder(folder, () => new Promise<void>((resolve) => (release = resolve)));
    await assert.rejects(withRunFolder(folder, async () => 'should not run'), (err: unknown) => err instanceof RunFolderBusyError && err.holder === process.pid && /this process/.test(err.message));
    release();
    await holding;
    assert.equal(existsSync(join(folder, RUN_LOCK_FILE)), false, 'the lock is gone once the work ends');
  });

  it('stops a second run into a folder that a live run is writing, and the first ends with every row once', async function () {
    if (process.platform === 'win32') this.skip(); // pausing a process (SIGSTOP) is POSIX
    const config = join(dir, 'tiny.json');
    writeFileSync(config, JSON.stringify(tinyConfig('tiny')));
    const out = join(dir, 'concurrent');
    const first = startRun(config, out);
    try {
      await waitFor(() => existsSync(join(out, RUN_LOCK_FILE)), 'the first run takes the folder');
      // Paused, the first run holds the folder however fast or slow the second one starts.
      first.child.kill('SIGSTOP');
      const before = snapshot(out);
      const secondRun = startRun(config, out);
      // A second run that waited for the paused one instead of stopping would never end.
      const patience = setTimeout(() => secondRun.child.kill('SIGKILL'), 180_000);
      const second = await secondRun.finished.finally(() => clearTimeout(patience));
      assert.notEqual(second.code, null, 'the second run stopped by itself instead of waiting');
      assert.notEqual(second.code, 0, `the second run failed:\n${second.stdout}`);
      assert.ok(second.stderr.includes(out), `the message names the folder:\n${second.stderr}`);
      assert.ok(second.stderr.includes(`process ${first.child.pid}`), `the message names the other process:\n${second.stderr}`);
      assert.deepEqual(snapshot(out), before, 'the second run wrote nothing into the folder');
    } finally {
      first.child.kill('SIGCONT');
    }
    const done = await first.finished;
    assert.equal(done.code, 0, done.stderr.slice(-2000));
    const keys = rowKeys(out);
    assert.equal(new Set(keys).size, keys.length, 'no duplicate rows');
    assert.equal(keys.length, ROWS);
    assert.equal(printedNewRows(done.stdout), keys.length, 'the printed summary counts the rows in the folder');
    assert.equal(existsSync(join(out, RUN_LOCK_FILE)), false, 'the lock is gone once the run ends');
  });

  it('takes over a lock whose process is gone', async () => {
    const config = join(dir, 'stale.json');
    writeFileSync(config, JSON.stringify(tinyConfig('stale')));
    const out = join(dir, 'stale');
    mkdirSync(out, { recursive: true });
    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    writeFileSync(join(out, RUN_LOCK_FILE), String(gone));
    const run = await startRun(config, out).finished;
    assert.equal(run.code, 0, run.stderr.slice(-2000));
    assert.equal(rowKeys(out).length, ROWS);
    assert.equal(printedNewRows(run.stdout), ROWS);
    assert.equal(existsSync(join(out, RUN_LOCK_FILE)), false, 'the lock is gone once the run ends');
  });
});
