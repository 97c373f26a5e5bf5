// lib/stats: intervals with known answers, a paired bootstrap that is exact where it must be
// and reproducible from its seed, and intervals that cover the truth about as often as they say.
import { strict as assert } from 'node:assert';
import { bootstrapMean, chanceLevels, normalQuantile, pairedBootstrapGain, quantileSorted, topClassShare, wilsonInterval } from '../lib/stats/index.js';
import { createRng } from '../lib/util/random.js';

function binomialDraw(rng: () => number, n: number, p: number): boolean[] {
  return Array.from({ length: n }, () => rng() < p);
}

describe('stats: intervals of an accuracy', () => {
  it('normalQuantile gives the textbook z values', () => {
    assert.ok(Math.abs(normalQuantile(0.975) - 1.959963985) < 1e-8);
    assert.ok(Math.abs(normalQuantile(0.5)) < 1e-12);
    assert.ok(Math.abs(normalQuantile(0.005) + 2.575829304) < 1e-8);
    assert.throws(() => normalQuantile(1), /p must be in \(0, 1\)/);
  });

  it('wilsonInterval matches published values and stays inside [0, 1]', () => {
    // Newcombe (1998), table I: 0/10 → [0, 0.2775]; 81/263 → [0.2553, 0.3662].
    const zero = wilsonInterval(0, 10);
    assert.equal(zero.low, 0);
    assert.ok(Math.abs(zero.high - 0.2775) < 5e-5);
    const mid = wilsonInterval(81, 263);
    assert.ok(Math.abs(mid.low - 0.2553) < 5e-5 && Math.abs(mid.high - 0.3662) < 5e-5, JSON.stringify(mid));
    const all = wilsonInterval(12, 12);
    assert.equal(all.high, 1);
    assert.ok(all.low > 0.7 && all.low < 0.8);
    assert.ok(wilsonInterval(8, 12, 0.99).high > wilsonInterval(8, 12, 0.9).high);
    assert.throws(() => wilsonInterval(13, 12), /successes must be a count in \[0, 12\]/);
  });

  it('quantileSorted interpolates between order statistics', () => {
    assert.equal(quantileSorted([1, 2, 3, 4], 0.5), 2.5);
    assert.equal(quantileSorted([1, 2, 3, 4], 0), 1);
    assert.equal(quantileSorted([1, 2, 3, 4], 1), 4);
  });

  it('Wilson and bootstrap intervals of an accuracy cover the true rate about 95 % of the time', () => {
    const rng = createRng(7);
    const trials = 400;
    const truth = 0.3;
    let wilson = 0;
    let bootstrap = 0;
    for (let t = 0; t < trials; t++) {
      const outcomes = binomialDraw(rng, 40, truth);
      const correct = outcomes.filter(Boolean).length;
      const w = wilsonInterval(correct, outcomes.length);
      if (w.low <= truth && truth <= w.high) wilson++;
      const b = bootstrapMean(outcomes, { seed: t, resamples: 500 });
      if (b.low <= truth && truth <= b.high) bootstrap++;
    }
    // Binomial spread of the coverage count over 400 trials is about ±0.011; percentile bootstrap runs a little narrow at n = 40.
    assert.ok(wilson / trials > 0.92 && wilson / trials < 0.985, `Wilson coverage ${wilson / trials}`);
    assert.ok(bootstrap / trials > 0.88 && bootstrap / trials < 0.98, `bootstrap coverage ${bootstrap / trials}`);
  });
});

describe('stats: paired bootstrap of an accuracy gain', () => {
  it('gives exactly [0, 0] for a method identical to its baseline', () => {
    const outcomes = binomialDraw(createRng(1), 30, 0.5);
    const gain = pairedBootstrapGain(outcomes, outcomes);
    assert.deepEqual([gain.estimate, gain.low, gain.high], [0, 0, 0]);
  });

  it('reproduces from its seed and moves with another seed', () => {
    const rng = createRng(2);
    const before = binomialDraw(rng, 24, 0.4);
    const after = binomialDraw(rng, 24, 0.6);
    const a = pairedBootstrapGain(before, after, { seed: 5 });
    const b = pairedBootstrapGain(before, after, { seed: 5 });
    assert.deepEqual(a, b);
    // With continuous values the percentiles fall between distinct resample means, so another seed must move them.
    const values = Array.from({ length: 24 }, (_, i) => Math.sin(i * 1.7));
    assert.notDeepEqual(
      [bootstrapMean(values, { seed: 5 }).low, bootstrapMean(values, { seed: 5 }).high],
      [bootstrapMean(values, { seed: 6 }).low, bootstrapMean(values, { seed: 6 }).high],
    );
    assert.deepEqual(bootstrapMean(values, { seed: 5 }), bootstrapMean(values, { seed: 5 }));
    assert.ok(Math.abs(a.estimate - (after.filter(Boolean).length - before.filter(Boolean).length) / 24) < 1e-12);
  });

  it('excludes 0 when many clips improve and none gets worse, and includes it for a wash', () => {
    const before = Array.from({ length: 20 }, (_, i) => i < 5);
    const better = Array.from({ length: 20 }, (_, i) => i < 13);
    const gain = pairedBootstrapGain(before, better, { seed: 0 });
    assert.ok(Math.abs(gain.estimate - 0.4) < 1e-12);
    assert.ok(gain.low > 0 && gain.high <= 0.65, JSON.stringify(gain));
    // Two clips fixed, two broken: the estimate is 0 and the interval straddles it.
    const wash = Array.from({ length: 20 }, (_, i) => (i < 2 ? !before[i] : i >= 5 && i < 7 ? true : before[i]));
    const none = pairedBootstrapGain(before, wash, { seed: 0 });
    assert.ok(none.low < 0 && none.high > 0, JSON.stringify(none));
  });

  it('covers the true gain about 95 % of the time', () => {
    // Each clip flips wrong→right with 0.2 and right→wrong with 0.05: true gain (1 − 0.4)·0.2 − 0.4·0.05 = 0.10.
    const rng = createRng(3);
    const truth = 0.6 * 0.2 - 0.4 * 0.05;
    let covered = 0;
    const trials = 300;
    for (let t = 0; t < trials; t++) {
      const before = binomialDraw(rng, 60, 0.4);
      const after = before.map((b) => (b ? rng() >= 0.05 : rng() < 0.2));
      const gain = pairedBootstrapGain(before, after, { seed: t, resamples: 500 });
      if (gain.low <= truth && truth <= gain.high) covered++;
    }
    assert.ok(covered / trials > 0.88 && covered / trials < 0.99, `coverage ${covered / trials}`);
  });

  it('refuses unpaired input with a clear message', () => {
    assert.throws(() => pairedBootstrapGain([true], [true, false]), /1 baseline outcomes but 2 paired ones/);
    assert.throws(() => bootstrapMean([1, NaN]), /values\[1\] is NaN/);
  });
});

describe('stats: chance and collapse', () => {
  it('topClassShare is 1 when every clip gets one answer and 1/k when answers spread evenly', () => {
    assert.equal(topClassShare([2, 2, 2, 2]), 1);
    assert.equal(topClassShare([0, 1, 2, 3]), 0.25);
    assert.equal(topClassShare([0, 1, 1, 3]), 0.5);
  });

  it('chanceLevels gives 1/classes and the majority base rate', () => {
    const levels = chanceLevels([0, 0, 0, 1, 2, 3], 4);
    assert.equal(levels.uniform, 0.25);
    assert.equal(levels.majority, 0.5);
    assert.equal(chanceLevels([0, 1, 1]).classes, 2);
    assert.throws(() => chanceLevels([0.5]), /labels\[0\] is 0.5, not a class index/);
  });
});
