/**
 * Builds several offline corpora at once with many shard processes, for studies on a machine with
 * many cores (the corpus command uses at most two). Each spec is
 * `name:seed:speakersPerGroup:utterancesPerSpeaker:babbleSpeakersPerGroup:babbleUtterancesPerSpeaker`.
 *
 *   npx tsx science/gen-corpora.ts OUT_DIR PARALLEL task:1:6:20:2:10 style:3:12:24:1:1 pool:2:99:12:1:1
 *
 * Shards run as `node science/shard.mjs` (an esbuild bundle of lib/corpus/shard-runner.ts, see
 * science/README.md), so a machine needs only Node and the eSpeak NG package.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { formatManifest, type ManifestRow } from '../lib/corpus/manifest.js';
import { planCorpus, resolveCorpusRecipe, type CorpusRecipe } from '../lib/corpus/plan.js';

interface Job {
  name: string;
  recipe: CorpusRecipe;
  index: number;
  outDir: string;
}

const here = dirname(fileURLToPath(import.meta.url));
const [outRoot, parallelText, ...specs] = process.argv.slice(2);
const parallel = Number(parallelText);
if (!outRoot || !(parallel >= 1) || specs.length === 0) {
  console.error('usage: gen-corpora OUT_DIR PARALLEL name:seed:spg:utt:bspg:butt …');
  process.exit(2);
}
const jobs: Job[] = [];
const rowsByCorpus = new Map<string, ManifestRow[][]>();
for (const spec of specs) {
  const [name, seed, perGroup, utterances, babblePerGroup, babbleUtterances] = spec.split(':');
  const recipe = resolveCorpusRecipe({
    seed: Number(seed),
    speakersPerGroup: Number(perGroup),
    utterancesPerSpeaker: Number(utterances),
    babbleSpeakersPerGroup: Number(babblePerGroup),
    babbleUtterancesPerSpeaker: Number(babbleUtterances),
  });
  const outDir = join(outRoot, name);
  mkdirSync(join(outDir, 'wav'), { recursive: true });
  const shards = planCorpus(recipe).length;
  rowsByCorpus.set(name, new Array(shards));
  for (let index = 0; index < shards; index++) jobs.push({ name, recipe, index, outDir });
}

function runShard(job: Job): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(here, 'shard.mjs')], { stdio: ['pipe', 'pipe', 'inherit'] });
    createInterface({ input: child.stdout }).on('line', (line) => {
      const message = JSON.parse(line);
      if (message.done) rowsByCorpus.get(job.name)![job.index] = message.result.rows;
      if (message.error) reject(new Error(`${job.name} shard ${job.index}: ${message.error}`));
    });
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${job.name} shard ${job.index}: exit ${code}`))));
    child.stdin.end(JSON.stringify({ recipe: job.recipe, index: job.index, outDir: job.outDir }));
  });
}

const started = Date.now();
let next = 0;
let done = 0;
await Promise.all(
  Array.from({ length: parallel }, async () => {
    while (next < jobs.length) {
      await runShard(jobs[next++]);
      if (++done % 20 === 0) console.log(`${done}/${jobs.length} shards, ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }
  }),
);
for (const [name, rows] of rowsByCorpus) writeFileSync(join(outRoot, name, 'manifest.csv'), formatManifest(rows.flat()));
console.log(`${jobs.length} shards in ${((Date.now() - started) / 1000).toFixed(1)} s`);
