#!/usr/bin/env node
// Compares two run folders of one experiment (e.g. the same config on webgpu and on wasm): for
// every condition × method × step, the number of clips predicted differently and the accuracy of
// each, and the run time each recorded. Exit status 1 when any cell differs by more than one clip.
// Usage: node bench/gpu/compare-runs.mjs <run folder A> <run folder B>
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';

const [a, b] = process.argv.slice(2);
if (!a || !b) {
  console.error('usage: node bench/gpu/compare-runs.mjs <run folder A> <run folder B>');
  process.exit(2);
}
const rows = (dir) => parse(readFileSync(join(dir, 'results.csv'), 'utf8'), { columns: true, skip_empty_lines: true });
const key = (r) => `${r.condition}|${r.method}|${r.step}`;
const cells = (dir) => {
  const out = new Map();
  for (const r of rows(dir)) {
    const cell = out.get(key(r)) ?? { n: 0, correct: 0, predicted: new Map(), ms: 0 };
    cell.n += 1;
    cell.correct += r.correct === 'true' ? 1 : 0;
    cell.predicted.set(r.clip, r.predicted);
    cell.ms += Number(r.ms);
    out.set(key(r), cell);
  }
  return out;
};
const first = cells(a);
const second = cells(b);
let worst = 0;
const lines = ['condition | method | step | clips | accuracy A | accuracy B | clips predicted differently'];
for (const [k, x] of first) {
  const y = second.get(k);
  if (!y) {
    lines.push(`${k.replaceAll('|', ' | ')} | ${x.n} | ${(x.correct / x.n).toFixed(3)} | (missing) |`);
    worst = Infinity;
    continue;
  }
  const differing = [...x.predicted].filter(([clip, p]) => y.predicted.get(clip) !== p).length;
  worst = Math.max(worst, differing);
  lines.push(`${k.replaceAll('|', ' | ')} | ${x.n} | ${(x.correct / x.n).toFixed(3)} | ${(y.correct / y.n).toFixed(3)} | ${differing}`);
}
const seconds = (cellsOf) => [...cellsOf.values()].reduce((s, c) => s + c.ms, 0) / 1000;
lines.push('', `summed per-row time: A ${seconds(first).toFixed(1)} s, B ${seconds(second).toFixed(1)} s`);
lines.push(`largest difference: ${worst} clip(s) in one condition × method × step`);
console.log(lines.join('\n'));
process.exit(worst <= 1 ? 0 : 1);
