#!/usr/bin/env node
// Packs the ttt-speech CLI for a Linux x64 machine that has no Node.js and no project
// install (a cluster node, a rented GPU box), into one folder small enough to copy there:
//   ttt-speech.mjs       the CLI and every pure-JavaScript dependency in one ES module (esbuild);
//   node_modules.tar.xz  the packages that cannot be bundled (TF.js packages, which must share one
//                        tfjs-core; the wasm and WebGPU backends with their binaries), pruned to
//                        what Node loads: each package's main file, wasm binaries, linux-x64 dawn.node;
//   root/                package.json, the shipped model and pre-training configs, the experiment configs, the PyTorch reference,
//                        and the corpus builder's shard runner (bundled) and eSpeak program (TTT_SPEECH_ROOT);
//   node.xz              this machine's node binary, stripped and compressed;
//   libvulkan1.deb       the Vulkan loader (Debian), when apt-get can download it;
//   run.sh               unpacks all of it and runs a command (see bench/gpu/README.md).
// Usage: node bench/gpu/pack.mjs [out-dir]   (default .carry; run from the project folder)
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const project = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const out = resolve(process.argv[2] ?? join(project, '.carry'));
const log = (line) => process.stderr.write(`[pack] ${line}\n`);

// Loaded at run time from node_modules: they hold native or wasm binaries, or share tfjs-core.
// eSpeak NG (GPL-3.0) travels as its own package, run by the separate synthesis program as in the project.
// The FLAC decoder travels as packages too: its codec-parser is LGPL-3.0, which a bundle would
// merge into the project's code; as a package it stays a separate, replaceable library.
const RUNTIME_PACKAGES = [
  '@tensorflow/tfjs',
  '@tensorflow/tfjs-backend-wasm',
  '@tensorflow/tfjs-backend-webgpu',
  'webgpu',
  '@echogarden/espeak-ng-emscripten',
  '@wasm-audio-decoders/flac',
  // Reports read plotly's script from its package folder (lib/plot/html.ts), not by import.
  'plotly.js-cartesian-dist-min',
];
// danfo.js requires plotly.js-dist-min for plots this CLI never draws: left out of the bundle.
const EXTERNAL = ['@tensorflow/*', 'webgpu', '@wasm-audio-decoders/flac', 'plotly.js-dist-min'];

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

async function bundle(entry, outfile) {
  const esbuild = await import('esbuild');
  await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    external: EXTERNAL,
    // Bundled CommonJS dependencies call require(); an ES module has none of its own.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    logLevel: 'warning',
  });
}

/** The packages `roots` need at run time, following `dependencies` (hoisted layout). */
function closure(roots) {
  const seen = new Set();
  const queue = [...roots];
  while (queue.length > 0) {
    const name = queue.shift();
    if (seen.has(name)) continue;
    const manifest = join(project, 'node_modules', name, 'package.json');
    if (!existsSync(manifest)) {
      if (roots.includes(name)) throw new Error(`${name} is not installed in ${project}/node_modules (run npm ci)`);
      continue; // an optional dependency of a dependency that this platform skipped
    }
    seen.add(name);
    const pkg = JSON.parse(readFileSync(manifest, 'utf8'));
    for (const dep of Object.keys(pkg.dependencies ?? {})) queue.push(dep);
  }
  return [...seen].sort();
}

/** Keeps what Node loads from a package: package.json, its main file (TF.js), wasm binaries, linux-x64 dawn.node. */
function prunePackage(dir, name) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const walk = (d) => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)]));
  const keep = (file) => {
    const rel = relative(dir, file);
    if (rel === 'package.json') return true;
    if (name.startsWith('@tensorflow/')) return rel === pkg.main || rel === `${pkg.main}.js` || rel.endsWith('.wasm');
    if (name === 'webgpu') return rel === 'index.js' || rel.startsWith('dist/linux-x64/');
    return !/\.(map|md|d\.ts)$/.test(rel);
  };
  for (const file of walk(dir)) if (!keep(file)) rmSync(file);
  // Empty folders left behind cost nothing but clutter the listing.
  const prune = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) prune(join(d, e.name));
    if (d !== dir && readdirSync(d).length === 0) rmSync(d, { recursive: true });
  };
  prune(dir);
}

function nodeModules() {
  const stage = join(out, 'stage');
  const packages = closure(RUNTIME_PACKAGES);
  for (const name of packages) {
    const target = join(stage, 'node_modules', name);
    cpSync(join(project, 'node_modules', name), target, { recursive: true, dereference: true });
    prunePackage(target, name);
  }
  execFileSync('tar', ['-C', stage, '-cJf', join(out, 'node_modules.tar.xz'), 'node_modules']);
  rmSync(stage, { recursive: true });
  return packages;
}

function projectRoot() {
  const root = join(out, 'root');
  mkdirSync(join(root, 'bench'), { recursive: true });
  cpSync(join(project, 'package.json'), join(root, 'package.json'));
  cpSync(join(project, 'bench', 'torch_reference.py'), join(root, 'bench', 'torch_reference.py'));
  cpSync(join(project, 'models'), join(root, 'models'), { recursive: true });
  cpSync(join(project, 'experiments'), join(root, 'experiments'), { recursive: true });
  cpSync(join(project, 'lib', 'corpus', 'synth', 'espeak-synth.mjs'), join(root, 'lib', 'corpus', 'synth', 'espeak-synth.mjs'));
}

function nodeBinary() {
  const tmp = join(out, 'node');
  cpSync(process.execPath, tmp);
  try {
    execFileSync('strip', [tmp]);
  } catch {
    log('strip not found: the node binary travels unstripped');
  }
  execFileSync('xz', ['-9', '-T0', tmp]); // -> node.xz
}

function vulkanLoader() {
  try {
    execFileSync('apt-get', ['download', 'libvulkan1'], { cwd: out, stdio: 'ignore' });
    const deb = readdirSync(out).find((f) => f.startsWith('libvulkan1_') && f.endsWith('.deb'));
    if (deb) execFileSync('mv', [join(out, deb), join(out, 'libvulkan1.deb')]);
  } catch {
    log('apt-get download libvulkan1 failed: the target machine needs its own Vulkan loader (libvulkan.so.1)');
  }
}

await bundle(join(project, 'bench', 'gpu', 'entry.ts'), join(out, 'ttt-speech.mjs'));
await bundle(join(project, 'lib', 'corpus', 'shard-runner.ts'), join(out, 'root', 'lib', 'corpus', 'shard-runner.mjs'));
const packages = nodeModules();
projectRoot();
nodeBinary();
vulkanLoader();
cpSync(join(project, 'bench', 'gpu', 'run.sh'), join(out, 'run.sh'));
const size = (p) => (statSync(p).isDirectory() ? readdirSync(p).reduce((s, f) => s + size(join(p, f)), 0) : statSync(p).size);
writeFileSync(join(out, 'PACKED.txt'), `node ${process.version}; packages: ${packages.join(', ')}\n`);
log(`${out}: ${(size(out) / 2 ** 20).toFixed(1)} MiB (${packages.length} runtime packages)`);
