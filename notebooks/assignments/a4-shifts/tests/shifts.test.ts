// Checks of assignment 4 (the autograded part; W1 and W2 in answers.md are graded by hand).
// Points are in brackets; questions are the outer describe blocks. Hidden checks draw unseen
// inputs from ASSIGNMENT_SEED, which the grader picks at grading time.
import assert from 'node:assert/strict';
import { createRng } from 'ttt-speech/util';
import { genderShift, topClassShare, wilsonInterval, type ClipRow } from '../shifts.js';

const seed = Number(process.env.ASSIGNMENT_SEED ?? '1');

/** A manifest of `speakers` speakers per gender, each with clips of random labels. */
function manifest(rng: () => number, speakers: number, clipsPerSpeaker: number, labels: number): ClipRow[] {
  const rows: ClipRow[] = [];
  for (const gender of ['F', 'M'] as const) {
    for (let s = 0; s < speakers; s++) {
      for (let c = 0; c < clipsPerSpeaker; c++) {
        rows.push({ path: `${gender}${s}/${c}.wav`, speaker: `${gender}${s}`, gender, label: `class${Math.floor(rng() * labels)}` });
      }
    }
  }
  return rows;
}

function checkShift(rows: readonly ClipRow[], from: 'F' | 'M', to: 'F' | 'M', fraction: number, splitSeed: number): void {
  const split = genderShift(rows, from, to, fraction, createRng(splitSeed));
  assert.ok(split.train.every((row) => row.gender === from), `the training side holds a ${to} clip`);
  assert.equal(split.train.length, rows.filter((row) => row.gender === from).length, `the training side must hold every ${from} clip`);
  assert.ok(split.test.every((row) => row.gender === to), `the test side holds a ${from} clip`);
  const trainSpeakers = new Set(split.train.map((row) => row.speaker));
  const shared = split.test.filter((row) => trainSpeakers.has(row.speaker));
  assert.equal(shared.length, 0, `${shared.length} test clips come from training speakers`);
  assert.equal(new Set(split.test.map((row) => row.path)).size, split.test.length, 'a test clip appears twice');
  const pool = new Map<string, number>();
  for (const row of rows) if (row.gender === to) pool.set(row.label, (pool.get(row.label) ?? 0) + 1);
  for (const [label, n] of pool) {
    const kept = split.test.filter((row) => row.label === label).length;
    assert.equal(kept, Math.max(1, Math.round(fraction * n)), `label ${label}: ${kept} test clips of ${n}, expected max(1, round(${fraction} · ${n}))`);
  }
  const again = genderShift(rows, from, to, fraction, createRng(splitSeed));
  assert.deepEqual(again.test.map((row) => row.path), split.test.map((row) => row.path), 'the same seed gave a different test side');
}

/** The Wilson interval written out once more, independently, for the hidden checks. */
function referenceWilson(correct: number, total: number, z: number): [number, number] {
  const p = correct / total;
  const a = 1 + (z * z) / total;
  const centre = (p + (z * z) / (2 * total)) / a;
  const half = (z / a) * Math.sqrt((p * (1 - p)) / total + (z * z) / (4 * total * total));
  return [centre - half, centre + half];
}

describe('Q1: the gender shift', () => {
  it('trains on every F clip and tests on a label-stratified sample of M speakers [2 pts]', () => checkShift(manifest(createRng(1), 4, 6, 3), 'F', 'M', 0.5, 7));
  it('refuses a speaker listed with both genders [1 pt]', () => {
    const rows = manifest(createRng(2), 2, 2, 2);
    rows[0] = { ...rows[0], speaker: 'M0' };
    assert.throws(() => genderShift(rows, 'F', 'M', 0.5, createRng(1)), (err: unknown) => err instanceof Error && !/not implemented/.test(err.message), 'a speaker with both genders should throw an Error that says why');
  });
  // BEGIN HIDDEN TESTS
  it('follows the rules on unseen manifests, directions and fractions, and differs between seeds [3 pts]', () => {
    const rng = createRng(seed);
    const rows = manifest(rng, 3 + Math.floor(rng() * 5), 4 + Math.floor(rng() * 6), 2 + Math.floor(rng() * 4));
    checkShift(rows, 'M', 'F', 0.3 + rng() * 0.4, seed);
    checkShift(rows, 'F', 'M', 0.3 + rng() * 0.4, seed + 1);
    const tests = [1, 2, 3].map((s) => genderShift(rows, 'M', 'F', 0.5, createRng(seed * 7 + s)).test.map((row) => row.path).join());
    assert.ok(new Set(tests).size > 1, 'three seeds gave the same test side: is rng used?');
  });
  // END HIDDEN TESTS
});

describe('Q2: the Wilson interval', () => {
  it('gives [0.5221, 0.7090] for 62 of 100 at 95 % [2 pts]', () => {
    const [low, high] = wilsonInterval(62, 100);
    assert.ok(Math.abs(low - 0.5221) < 1e-4 && Math.abs(high - 0.709) < 1e-4, `got [${low.toFixed(4)}, ${high.toFixed(4)}]`);
  });
  // BEGIN HIDDEN TESTS
  it('matches the formula on unseen counts, stays in [0, 1] at 0 and n correct, and rejects 0 clips [2 pts]', () => {
    const rng = createRng(seed + 1);
    for (let trial = 0; trial < 5; trial++) {
      const total = 1 + Math.floor(rng() * 500);
      const correct = Math.floor(rng() * (total + 1));
      const [low, high] = wilsonInterval(correct, total);
      const [rLow, rHigh] = referenceWilson(correct, total, 1.96);
      assert.ok(Math.abs(low - rLow) < 1e-9 && Math.abs(high - rHigh) < 1e-9, `${correct} of ${total}: got [${low}, ${high}], expected [${rLow}, ${rHigh}]`);
    }
    const [zeroLow] = wilsonInterval(0, 20);
    const [, fullHigh] = wilsonInterval(20, 20);
    assert.ok(zeroLow >= -1e-12 && fullHigh <= 1 + 1e-12, 'the interval leaves [0, 1] at 0 or n correct');
    assert.throws(() => wilsonInterval(0, 0), (err: unknown) => err instanceof Error && !/not implemented/.test(err.message), 'an accuracy of 0 clips should throw an Error');
  });
  // END HIDDEN TESTS
});

describe('Q3: the collapse check', () => {
  it('gives 0.75 for predictions [2, 2, 1, 2] [1 pt]', () => assert.equal(topClassShare([2, 2, 1, 2]), 0.75));
  // BEGIN HIDDEN TESTS
  it('counts the most predicted class on unseen predictions [1 pt]', () => {
    const rng = createRng(seed + 2);
    const predictions = Array.from({ length: 50 + Math.floor(rng() * 50) }, () => Math.floor(rng() * rng() * 6));
    const counts = new Map<number, number>();
    for (const p of predictions) counts.set(p, (counts.get(p) ?? 0) + 1);
    assert.equal(topClassShare(predictions), Math.max(...counts.values()) / predictions.length);
  });
  // END HIDDEN TESTS
});
