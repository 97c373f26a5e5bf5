// Does the offline corpus behave like a corpus? Simple features (per-utterance mean and SD of a
// 64-bin log-mel) and a nearest-centroid classifier should find speakers and speaking styles
// (emotion-like) well above chance but not perfectly, and noise at 0 dB SNR should take much of
// that away. Babble is made from the babble-only speakers, never from the speakers tested.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { generateNoise, makeBabble, mixAtSnr, readWav } from '../lib/audio/index.js';
import { readManifest, type ManifestRow } from '../lib/corpus/index.js';
import { fbankBatch } from '../lib/features/index.js';
import { FULL_CORPUS_DIR as CORPUS_DIR, fullCorpus } from './helpers/corpus.js';

const SAMPLE_RATE = 16000;
const MEL_BINS = 64;

interface Clip {
  row: ManifestRow;
  samples: Float32Array;
}

/** Per utterance: mean and SD over frames of each log-mel bin → 2·MEL_BINS numbers. */
function features(clips: readonly Float32Array[]): Float64Array[] {
  const out: Float64Array[] = [];
  const chunk = 64;
  for (let start = 0; start < clips.length; start += chunk) {
    const banks = fbankBatch(clips.slice(start, start + chunk) as Float32Array[], { melBins: MEL_BINS });
    for (const bank of banks) {
      const stats = tf.tidy(() => {
        const { mean, variance } = tf.moments(bank, 0);
        return tf.concat([mean, tf.sqrt(variance)]).dataSync();
      });
      out.push(Float64Array.from(stats));
      bank.dispose();
    }
  }
  return out;
}

/** Nearest centroid after z-scoring every dimension with the training set's mean and SD. */
function nearestCentroidAccuracy(train: Float64Array[], trainLabels: string[], test: Float64Array[], testLabels: string[]): number {
  const dims = train[0].length;
  const mu = new Float64Array(dims);
  const sigma = new Float64Array(dims);
  for (const x of train) for (let d = 0; d < dims; d++) mu[d] += x[d] / train.length;
  for (const x of train) for (let d = 0; d < dims; d++) sigma[d] += (x[d] - mu[d]) ** 2 / train.length;
  for (let d = 0; d < dims; d++) sigma[d] = Math.sqrt(sigma[d]) || 1;
  const z = (x: Float64Array) => x.map((v, d) => (v - mu[d]) / sigma[d]);
  const centroids = new Map<string, { sum: Float64Array; n: number }>();
  train.forEach((x, i) => {
    const c = centroids.get(trainLabels[i]) ?? { sum: new Float64Array(dims), n: 0 };
    z(x).forEach((v, d) => (c.sum[d] += v));
    c.n++;
    centroids.set(trainLabels[i], c);
  });
  const means = [...centroids].map(([label, c]) => ({ label, mean: c.sum.map((v) => v / c.n) }));
  let correct = 0;
  test.forEach((x, i) => {
    const zx = z(x);
    let best = '';
    let bestDistance = Infinity;
    for (const { label, mean } of means) {
      let distance = 0;
      for (let d = 0; d < dims; d++) distance += (zx[d] - mean[d]) ** 2;
      if (distance < bestDistance) {
        bestDistance = distance;
        best = label;
      }
    }
    if (best === testLabels[i]) correct++;
  });
  return correct / test.length;
}

type Condition = 'clean' | 'babble 20 dB' | 'white 0 dB' | 'babble 0 dB';
const CONDITIONS: readonly Condition[] = ['clean', 'babble 20 dB', 'white 0 dB', 'babble 0 dB'];
const SNR_DB: Record<Exclude<Condition, 'clean'>, number> = { 'babble 20 dB': 20, 'white 0 dB': 0, 'babble 0 dB': 0 };

describe('offline corpus: learnability (full preset, nearest centroid on log-mel mean+SD)', function () {
  this.timeout(600_000);
  let task: Clip[];
  let babbleTalkers: Float32Array[];
  const results: Record<string, Record<Condition, number>> = {};

  function noisy(clips: readonly Clip[], condition: Condition): Float32Array[] {
    return clips.map(({ samples }, i) => {
      if (condition === 'clean') return samples;
      const noise = condition === 'white 0 dB' ? generateNoise('white', samples.length, 1000 + i) : makeBabble(babbleTalkers, samples.length, 2000 + i);
      return mixAtSnr(samples, noise, SNR_DB[condition], { sampleRate: SAMPLE_RATE, seed: i });
    });
  }

  function evaluate(name: string, train: Clip[], test: Clip[], label: (row: ManifestRow) => string): void {
    const trainFeatures = features(train.map((c) => c.samples));
    results[name] = {} as Record<Condition, number>;
    for (const condition of CONDITIONS) {
      const testFeatures = features(noisy(test, condition));
      results[name][condition] = nearestCentroidAccuracy(
        trainFeatures,
        train.map((c) => label(c.row)),
        testFeatures,
        test.map((c) => label(c.row)),
      );
    }
  }

  before(async () => {
    const corpus = await fullCorpus();
    const rows = readManifest(corpus.manifestPath);
    const load = (row: ManifestRow): Clip => ({ row, samples: readWav(join(CORPUS_DIR, row.path)).channels[0] });
    task = rows.filter((r) => r.role === 'task').map(load);
    const bySpeaker = new Map<string, Float32Array[]>();
    for (const row of rows.filter((r) => r.role === 'babble')) bySpeaker.set(row.speaker, [...(bySpeaker.get(row.speaker) ?? []), load(row).samples]);
    babbleTalkers = [...bySpeaker.values()].map((clips) => {
      const track = new Float32Array(clips.reduce((n, c) => n + c.length, 0));
      let at = 0;
      for (const c of clips) {
        track.set(c, at);
        at += c.length;
      }
      return track;
    });
  });

  after(() => {
    if (Object.keys(results).length) console.log('      accuracy:', JSON.stringify(results, (_, v) => (typeof v === 'number' ? Number(v.toFixed(3)) : v)));
  });

  it('identifies speakers well above chance (1/24) but not perfectly; 0 dB noise lowers it', () => {
    const train = task.filter((c) => c.row.sentence < 12);
    const test = task.filter((c) => c.row.sentence >= 12);
    evaluate('speaker (24-way, sentences 0–11 → 12–19)', train, test, (row) => row.speaker);
    const r = results['speaker (24-way, sentences 0–11 → 12–19)'];
    assert.ok(r.clean > 0.3 && r.clean < 1, `clean ${r.clean}`);
    assert.ok(r['babble 20 dB'] > r['babble 0 dB'], `babble 20 dB ${r['babble 20 dB']} vs 0 dB ${r['babble 0 dB']}`);
    assert.ok(r['white 0 dB'] < r.clean - 0.1, `white 0 dB ${r['white 0 dB']} vs clean ${r.clean}`);
    assert.ok(r['babble 0 dB'] < r.clean - 0.1, `babble 0 dB ${r['babble 0 dB']} vs clean ${r.clean}`);
  });

  it('recognises speaking styles of held-out speakers above chance (1/4) but not perfectly; 0 dB noise lowers it', () => {
    // Held out: the last two speakers of each group (8 of 24), so every group is in both sets.
    const order = new Map<string, number>();
    const groupCount = new Map<string, number>();
    for (const c of task) {
      if (order.has(c.row.speaker)) continue;
      const group = `${c.row.gender}-${c.row.ageGroup}`;
      order.set(c.row.speaker, groupCount.get(group) ?? 0);
      groupCount.set(group, (groupCount.get(group) ?? 0) + 1);
    }
    const heldOut = (c: Clip) => order.get(c.row.speaker)! >= 4;
    evaluate('style (4-way, held-out speakers)', task.filter((c) => !heldOut(c)), task.filter(heldOut), (row) => row.label);
    const r = results['style (4-way, held-out speakers)'];
    assert.ok(r.clean > 0.45 && r.clean < 1, `clean ${r.clean}`);
    assert.ok(r['babble 20 dB'] > r['babble 0 dB'], `babble 20 dB ${r['babble 20 dB']} vs 0 dB ${r['babble 0 dB']}`);
    assert.ok(r['white 0 dB'] < r.clean - 0.1, `white 0 dB ${r['white 0 dB']} vs clean ${r.clean}`);
    assert.ok(r['babble 0 dB'] < r.clean - 0.1, `babble 0 dB ${r['babble 0 dB']} vs clean ${r.clean}`);
  });
});
