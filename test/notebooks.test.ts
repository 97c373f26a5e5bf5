// The teaching notebooks: stored without outputs, and each runs top to bottom in a fresh
// ttt-tslab kernel with no error and nothing on stderr, through notebooks/run_notebooks.py
// (Debian's /usr/bin/python3 with nbclient). The harness itself is checked first on notebooks
// that are broken on purpose: it must fail and show the cell's own error text.
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasChromium, renderedDom, screenshot } from './helpers/chromium.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const PYTHON = '/usr/bin/python3';
const NOTEBOOK_DIR = join(ROOT, 'notebooks');
const HARNESS = join(NOTEBOOK_DIR, 'run_notebooks.py');
const STRIP = join(NOTEBOOK_DIR, 'strip.py');
const EXECUTED_DIR = join(ROOT, 'test-artifacts', 'notebooks');
// Inside the project: the kernel's launcher looks for node_modules/tslab above the notebook.
const BROKEN_DIR = join(ROOT, 'test-artifacts', 'broken');
/** What the notebooks are promised: top to bottom in under 5 minutes on 2 cores. */
const NOTEBOOK_BUDGET_S = 300;

const notebooks = readdirSync(NOTEBOOK_DIR)
  .filter((name) => name.endsWith('.ipynb'))
  .sort();

/** The coursework's notebooks (teacher's versions, solutions in place), relative to notebooks/. */
const ASSIGNMENT_DIR = join(NOTEBOOK_DIR, 'assignments');
const assignmentNotebooks = existsSync(ASSIGNMENT_DIR)
  ? readdirSync(ASSIGNMENT_DIR, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .flatMap((dir) => readdirSync(join(ASSIGNMENT_DIR, dir.name)).filter((name) => name.endsWith('.ipynb')).map((name) => join('assignments', dir.name, name)))
      .sort()
  : [];

interface NotebookJson {
  nbformat: number;
  metadata: { kernelspec?: { name?: string; language?: string }; language_info?: { name?: string } };
  cells: { cell_type: string; source: string | string[]; outputs?: unknown[]; execution_count?: number | null; metadata?: Record<string, unknown> }[];
}

function readNotebook(name: string): NotebookJson {
  return JSON.parse(readFileSync(join(NOTEBOOK_DIR, name), 'utf8')) as NotebookJson;
}

/** Why the notebooks cannot run here, or `undefined` when they can. */
function missingPrerequisite(): string | undefined {
  if (!existsSync(PYTHON)) return `${PYTHON} is missing`;
  const probe = spawnSync(PYTHON, ['-c', 'import nbclient, nbformat, nbconvert, jupyter_client'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    const why = (probe.stderr || '').trim().split('\n').pop();
    return `${PYTHON} cannot import nbclient/nbformat/nbconvert/jupyter_client (${why}); ` +
      'apt-get install python3-nbclient python3-nbconvert python3-nbformat python3-jupyter-client';
  }
  if (!existsSync(join(ROOT, 'node_modules', 'tslab', 'dist', 'main.js'))) return 'node_modules/tslab is missing; run npm install';
  return undefined;
}

function skipUnlessRunnable(context: Mocha.Context): void {
  const reason = missingPrerequisite();
  if (reason) {
    console.log(`      skipped: ${reason}`);
    context.skip();
  }
}

/** Runs a Python script from the project root; resolves with its exit status and all it printed. */
function runPython(args: string[], timeoutMs: number): Promise<{ status: number | null; output: string }> {
  const env = { ...process.env };
  // test/setup.ts silences progress reports for the test run; notebooks draw their own bars.
  delete env.TTT_SPEECH_PROGRESS;
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGINT'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, output });
    });
  });
}

/** A notebook for the ttt-tslab kernel with one code cell per source. */
function writeNotebook(path: string, sources: string[]): void {
  const notebook = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'ttt-tslab', display_name: 'TypeScript (ttt-speech, tslab)', language: 'typescript' } },
    cells: sources.map((source, i) => ({ id: `cell-${i}`, cell_type: 'code', metadata: {}, source, outputs: [], execution_count: null })),
  };
  writeFileSync(path, JSON.stringify(notebook, null, 1) + '\n');
}

describe('teaching notebooks', function () {
  it('there are notebooks to teach with', () => {
    assert.ok(notebooks.length >= 4, `found ${notebooks.length} notebooks in notebooks/`);
  });

  describe('are stored without outputs', () => {
    for (const name of [...notebooks, ...assignmentNotebooks]) {
      it(`${name}: no outputs, no execution counts, the ttt-tslab kernel`, () => {
        const notebook = readNotebook(name);
        assert.equal(notebook.nbformat, 4);
        assert.equal(notebook.metadata.kernelspec?.name, 'ttt-tslab');
        assert.equal(notebook.metadata.kernelspec?.language, 'typescript');
        notebook.cells.forEach((cell, index) => {
          if (cell.cell_type !== 'code') return;
          assert.deepEqual(cell.outputs, [], `cell ${index} has outputs; run /usr/bin/python3 notebooks/strip.py`);
          assert.equal(cell.execution_count, null, `cell ${index} has an execution count; run /usr/bin/python3 notebooks/strip.py`);
          assert.equal(cell.metadata?.execution, undefined, `cell ${index} keeps execution timings; run /usr/bin/python3 notebooks/strip.py`);
        });
      });
    }

    it('strip.py finds nothing left to strip', async function () {
      skipUnlessRunnable(this);
      const { status, output } = await runPython([STRIP, '--check'], 60_000);
      assert.equal(status, 0, output);
    });
  });

  describe('headless runner (notebooks/run_notebooks.py)', function () {
    this.timeout(120_000);

    before(function () {
      skipUnlessRunnable(this);
      rmSync(BROKEN_DIR, { recursive: true, force: true });
      mkdirSync(BROKEN_DIR, { recursive: true });
    });

    it('fails on a cell that throws, a type error, or stderr output, and shows the cell and its error text', async () => {
      const throws = join(BROKEN_DIR, 'throws.ipynb');
      const typeError = join(BROKEN_DIR, 'type-error.ipynb');
      const writesStderr = join(BROKEN_DIR, 'stderr.ipynb');
      writeNotebook(throws, ['console.log("first cell runs")', 'throw new Error("deliberately broken: the second cell throws");', 'console.log("third cell never runs")']);
      writeNotebook(typeError, ['const count: number = "three";']);
      writeNotebook(writesStderr, ['console.log("fine")', 'console.error("deliberately broken: a warning on stderr");']);

      const { status, output } = await runPython([HARNESS, throws, typeError, writesStderr], 100_000);
      assert.equal(status, 1, output);
      // The failing cell, named and quoted, with tslab's own error text (nbclient 0.7.2 drops it).
      assert.match(output, /FAIL test-artifacts\/broken\/throws\.ipynb: cell 1: reply status 'error'/);
      assert.match(output, /\| throw new Error\("deliberately broken: the second cell throws"\);/);
      assert.match(output, /Error: deliberately broken: the second cell throws/);
      assert.doesNotMatch(output, /third cell never runs/);
      assert.match(output, /FAIL test-artifacts\/broken\/type-error\.ipynb: cell 0: reply status 'error'/);
      assert.match(output, /Type 'string' is not assignable to type 'number'/);
      // A cell that only writes to stderr fails too: notebooks must keep stderr clean.
      assert.match(output, /FAIL test-artifacts\/broken\/stderr\.ipynb: cell 1: wrote to stderr/);
      assert.match(output, /\| deliberately broken: a warning on stderr/);
      assert.match(output, /summary\n {2}FAIL .*throws\.ipynb\n {2}FAIL .*type-error\.ipynb\n {2}FAIL .*stderr\.ipynb/);
    });
  });

  describe(`run top to bottom without errors or stderr, each within ${NOTEBOOK_BUDGET_S} s`, function () {
    this.timeout((NOTEBOOK_BUDGET_S + 120) * 1000);

    before(function () {
      skipUnlessRunnable(this);
    });

    for (const name of [...notebooks, ...assignmentNotebooks]) {
      it(name, async () => {
        const args = [HARNESS, join(NOTEBOOK_DIR, name), '--out', EXECUTED_DIR, '--html', '--budget', String(NOTEBOOK_BUDGET_S)];
        const { status, output } = await runPython(args, (NOTEBOOK_BUDGET_S + 60) * 1000);
        assert.equal(status, 0, output);
        const passLine = output.split('\n').find((line) => line.startsWith('PASS '));
        if (passLine) console.log(`      ${passLine}`);
        const stem = basename(name).replace(/\.ipynb$/, '');
        assert.ok(existsSync(join(EXECUTED_DIR, `${stem}.html`)), `no HTML export of ${name}`);
      });
    }

    it('05-test-time-training: its HTML export draws the accuracy-vs-steps figure offline in Chromium', function () {
      const page = join(EXECUTED_DIR, '05-test-time-training.html');
      if (!existsSync(page)) this.skip();
      if (!hasChromium()) {
        console.log('      skipped: /usr/bin/chromium not found; apt-get install -y chromium');
        this.skip();
      }
      const html = readFileSync(page, 'utf8');
      assert.ok(!/<script[^>]+src="https?:/.test(html), 'the export loads no script from the network');
      const dom = renderedDom(EXECUTED_DIR, page);
      assert.ok((dom.match(/class="main-svg"/g)?.length ?? 0) >= 1, 'plotly drew at least one figure');
      assert.match(dom, /Accuracy (vs|against) TTT steps/i, 'the accuracy-vs-steps figure is in the page');
      assert.ok(screenshot(EXECUTED_DIR, page, 'notebook-05.png', 6000) > 20_000, 'the screenshot shows more than a blank page');
    });
  });
});
