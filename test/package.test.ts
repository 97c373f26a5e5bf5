// The package as a project that installs it sees it: `npm pack` builds dist/ (prepack) and packs
// what package.json `files` names; unpacked into node_modules/ttt-speech of a fresh project, it
// imports from ES modules and from CommonJS, as a whole and as `ttt-speech/<folder>`, its types
// resolve for TypeScript (NodeNext, and Node10 as the tslab kernel resolves), and the library
// finds the shipped model, the eSpeak program and its CLI in the installed folder.
//
// The project's dependencies come as links into this checkout's node_modules, limited to what
// package.json `dependencies` reach: `npm install` of the tarball would need the registry's
// package metadata, which `npm ci` does not cache (so `--offline` fails on a fresh machine), and
// without this project's `overrides` it would build the native @tensorflow/tfjs-node 3 that
// danfojs-node asks for, downloaded from outside the registry. Links keep the test offline and
// fast, and a module that imports a devDependency at run time still fails here.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { planCorpus, resolveCorpusRecipe } from '../lib/corpus/index.js';
import { countParameters, disposeModel, loadCheckpoint } from '../lib/model/index.js';
import { ROOT } from './helpers/corpus.js';

/** The folders of lib/ with a public face (an index.ts), each a subpath `ttt-speech/<folder>`. */
const FOLDERS = readdirSync(join(ROOT, 'lib')).filter((name) => existsSync(join(ROOT, 'lib', name, 'index.ts')));

/** What the library reads from its package folder at run time (`packageRoot()`), besides dist/. */
const RUNTIME_FILES = ['lib/corpus/synth/espeak-synth.mjs', 'bench/torch_reference.py', 'dist/assignments/reporter.cjs', 'dist/assignments/hooks.cjs', 'dist/corpus/shard-runner.js'];

interface PackResult {
  filename: string;
  size: number;
  files: { path: string }[];
}

/** The production dependency closure of the checkout: top-level package names in node_modules. */
function productionPackages(): string[] {
  const manifest = (name: string) => join(ROOT, 'node_modules', name, 'package.json');
  const seen = new Set<string>();
  const own = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const queue = [...Object.keys(own.dependencies ?? {}), ...Object.keys(own.optionalDependencies ?? {})];
  while (queue.length > 0) {
    const name = queue.shift()!;
    // Absent at the top level: an optional package this platform skipped, or one nested inside
    // the package that needs it (reached through that package's link).
    if (seen.has(name) || !existsSync(manifest(name))) continue;
    seen.add(name);
    const pkg = JSON.parse(readFileSync(manifest(name), 'utf8'));
    queue.push(...Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies, ...pkg.peerDependencies }));
  }
  return [...seen].sort();
}

/** Runs node in the project folder; fails with its output when it exits with an error. */
function nodeIn(app: string, args: string[]): string {
  const env = { ...process.env };
  delete env.TTT_SPEECH_ROOT; // the installed library must find itself
  const run = spawnSync(process.execPath, args, { cwd: app, env, encoding: 'utf8' });
  assert.equal(run.status, 0, `node ${args.join(' ')}:\n${run.stdout}\n${run.stderr}`);
  return run.stdout;
}

const ESM_CHECK = `
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as library from 'ttt-speech';
import * as modelFolder from 'ttt-speech/model';

await library.ensureBackend({ log: () => {} });
const subpaths = {};
for (const folder of JSON.parse(process.argv[2])) subpaths[folder] = Object.keys(await import('ttt-speech/' + folder)).sort();
const config = library.resolveModelConfig('tiny');
const fbank = tf.randomNormal([1, config.inputFrames, config.melBins]);
const back = library.unpatchify(library.patchify(fbank, config.patchSize), config.patchSize, config.inputFrames, config.melBins);
const shipped = library.loadCheckpoint(join(library.packageRoot(), 'models', 'mae-tiny'));
console.log(JSON.stringify({
  root: library.packageRoot(),
  keys: Object.keys(library).sort(),
  corpusKeys: Object.keys(library.corpus).sort(),
  subpaths,
  sameFunction: library.createModel === modelFolder.createModel,
  roundTripError: tf.max(tf.abs(tf.sub(back, fbank))).dataSync()[0],
  parameters: library.countParameters(shipped.model.params),
}));
`;

const CJS_CHECK = `
const library = require('ttt-speech');
const { patchify } = require('ttt-speech/model');
console.log(JSON.stringify({ sameFunction: library.patchify === patchify, config: library.resolveModelConfig('tiny').name }));
`;

const TYPES_CHECK = `
import { resolveModelConfig, type ModelConfig } from 'ttt-speech';
import { patchify } from 'ttt-speech/model';
import { buildCorpus } from 'ttt-speech/corpus';

const config: ModelConfig = resolveModelConfig('tiny');
export const patchSize: number = config.patchSize;
// @ts-expect-error the types are the library's, not \`any\`: a patch size is a number
export const wrong: string = config.patchSize;
export { buildCorpus, patchify };
`;

/** A corpus of one clip per speaker group and role: enough to run every part of a build. */
const TINY_CORPUS = { preset: 'ci', speakersPerGroup: 1, utterancesPerSpeaker: 1, babbleSpeakersPerGroup: 1, babbleUtterancesPerSpeaker: 1 } as const;

const CORPUS_CHECK = `
import { corpus } from 'ttt-speech';
const built = await corpus.buildCorpus({ ...JSON.parse(process.argv[2]), outDir: 'corpus', parallel: 1 });
console.log(JSON.stringify(corpus.readManifest(built.manifestPath)));
`;

async function runtimeKeys(path: string): Promise<string[]> {
  return Object.keys(await import(path)).sort();
}

describe('lib/index.ts', () => {
  it('re-exports every folder: by name, and lib/corpus (whose manifest names are lib/data\'s too) as the namespace corpus', async () => {
    const root = (await import('../lib/index.js')) as Record<string, unknown>;
    for (const folder of FOLDERS) {
      const face = (await import(`../lib/${folder}/index.js`)) as Record<string, unknown>;
      const exported = folder === 'corpus' ? (root.corpus as Record<string, unknown>) : root;
      for (const [name, value] of Object.entries(face)) assert.equal(exported[name], value, `${folder}: ${name}`);
    }
  });
});

describe('the packed package', function () {
  this.timeout(600_000);
  let work: string;
  let app: string;
  let installed: string;
  let packed: PackResult;

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'ttt-package-'));
    const pack = execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    packed = (JSON.parse(pack) as PackResult[])[0];
    app = join(work, 'app');
    installed = join(app, 'node_modules', 'ttt-speech');
    mkdirSync(installed, { recursive: true });
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies: { 'ttt-speech': `file:../${packed.filename}` } }));
    // What npm installs from a tarball: its package/ folder, as node_modules/ttt-speech.
    execFileSync('tar', ['-xzf', join(work, packed.filename), '-C', installed, '--strip-components=1']);
    for (const name of productionPackages()) {
      mkdirSync(dirname(join(app, 'node_modules', name)), { recursive: true });
      symlinkSync(join(ROOT, 'node_modules', name), join(app, 'node_modules', name), 'junction');
    }
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it('carries the build of every folder, the shipped model and what the library reads at run time, and no sources', () => {
    const files = new Set(packed.files.map((file) => file.path));
    const walk = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
    const expected = [
      'package.json',
      'bin/ttt-speech.mjs',
      'dist/index.js',
      'dist/index.d.ts',
      ...FOLDERS.flatMap((folder) => [`dist/${folder}/index.js`, `dist/${folder}/index.d.ts`]),
      ...walk(join(ROOT, 'models')).map((file) => relative(ROOT, file).split('\\').join('/')),
      ...RUNTIME_FILES,
    ];
    assert.deepEqual(expected.filter((path) => !files.has(path)), [], 'missing from the tarball');
    const sources = [...files].filter((path) => /\.ts$/.test(path) && !path.endsWith('.d.ts'));
    assert.deepEqual(sources, [], 'TypeScript sources in the tarball');
    assert.deepEqual([...files].filter((path) => /^(test|notebooks|data-scripts|experiments)\//.test(path)), []);
  });

  it('imports from an ES module: the whole library, each folder, a tiny op and the shipped model', async () => {
    writeFileSync(join(app, 'check.mjs'), ESM_CHECK);
    const seen = JSON.parse(nodeIn(app, ['check.mjs', JSON.stringify(FOLDERS)]));
    assert.equal(realpathSync(seen.root), realpathSync(installed), 'packageRoot() is the installed folder');
    assert.deepEqual(seen.keys, await runtimeKeys('../lib/index.js'), 'ttt-speech exports what lib/index.ts does');
    assert.deepEqual(seen.corpusKeys, await runtimeKeys('../lib/corpus/index.js'));
    for (const folder of FOLDERS) assert.deepEqual(seen.subpaths[folder], await runtimeKeys(`../lib/${folder}/index.js`), `ttt-speech/${folder}`);
    assert.equal(seen.sameFunction, true, 'ttt-speech and ttt-speech/model share one module');
    assert.equal(seen.roundTripError, 0, 'unpatchify(patchify(x)) = x');
    const local = loadCheckpoint(join(ROOT, 'models', 'mae-tiny'));
    assert.equal(seen.parameters, countParameters(local.model.params), 'the shipped model loads from the installed folder');
    disposeModel(local.model);
  });

  it('requires from CommonJS (Node loads the ES build through require)', function () {
    if (!(process.features as { require_module?: boolean }).require_module) this.skip(); // Node ≥ 20.19 / 22.12
    writeFileSync(join(app, 'check.cjs'), CJS_CHECK);
    const seen = JSON.parse(nodeIn(app, ['check.cjs']));
    assert.deepEqual(seen, { sameFunction: true, config: 'tiny' });
  });

  it('gives TypeScript its types, with NodeNext resolution and with the Node10 resolution of the tslab kernel', () => {
    writeFileSync(join(app, 'check.ts'), TYPES_CHECK);
    const tsc = createRequire(join(ROOT, 'package.json')).resolve('typescript/bin/tsc');
    const common = ['--noEmit', '--strict', '--skipLibCheck', '--target', 'ES2022', 'check.ts'];
    for (const resolution of [['--module', 'nodenext', '--moduleResolution', 'nodenext'], ['--module', 'commonjs', '--moduleResolution', 'node10']]) {
      const run = spawnSync(process.execPath, [tsc, ...resolution, ...common], { cwd: app, encoding: 'utf8' });
      assert.equal(run.status, 0, `tsc ${resolution.join(' ')}:\n${run.stdout}${run.stderr}`);
    }
  });

  it('runs its CLI, and builds a corpus with its shard runner and eSpeak program, from the installed folder', () => {
    assert.match(nodeIn(app, [join(installed, 'bin', 'ttt-speech.mjs'), '--help']), /Usage: ttt-speech/);
    writeFileSync(join(app, 'corpus.mjs'), CORPUS_CHECK);
    const rows = JSON.parse(nodeIn(app, ['corpus.mjs', JSON.stringify(TINY_CORPUS)])) as { path: string }[];
    assert.equal(rows.length, planCorpus(resolveCorpusRecipe(TINY_CORPUS)).flat().length, 'every planned clip is in the manifest');
    for (const row of rows) assert.ok(existsSync(join(app, 'corpus', row.path)), row.path);
  });
});
