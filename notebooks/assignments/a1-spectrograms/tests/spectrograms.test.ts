// Checks of assignment 1. Points are in brackets; questions are the outer describe blocks.
// Hidden checks draw unseen inputs from ASSIGNMENT_SEED, which the grader picks at grading time.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { ensureBackend } from 'ttt-speech/backend';
import { melFilterbank as libraryFilterbank } from 'ttt-speech/features';
import { patchify as libraryPatchify, randomMasking, unpatchify as libraryUnpatchify } from 'ttt-speech/model';
import { createRng } from 'ttt-speech/util';
import { melFilterbank, patchify, randomMask, unpatchify } from '../spectrograms.js';

const seed = Number(process.env.ASSIGNMENT_SEED ?? '1');

before(async () => {
  await ensureBackend({ log: () => {} });
});

/** The library's filterbank as a dense `[fftSize/2, melBins]` matrix. */
function referenceFilterbank(melBins: number, fftSize: number, sampleRate: number, lowHz: number, highHz: number): Float64Array {
  const bank = libraryFilterbank({ melBins, paddedSize: fftSize, sampleRate, lowFreqHz: lowHz, highFreqHz: highHz });
  const dense = new Float64Array((fftSize / 2) * melBins);
  dense.set(bank.weights, bank.firstBin * melBins);
  return dense;
}

function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, `expected ${b.length} values, got ${a.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

function checkFilterbank(melBins: number, fftSize: number, sampleRate: number, lowHz: number, highHz: number): void {
  const yours = melFilterbank(melBins, fftSize, sampleRate, lowHz, highHz);
  const expected = referenceFilterbank(melBins, fftSize, sampleRate, lowHz, highHz);
  const error = maxAbsDifference(yours, expected);
  assert.ok(error < 1e-4, `for ${melBins} filters, a ${fftSize}-point DFT at ${sampleRate} Hz (${lowHz}–${highHz} Hz) your weights differ from the library's by up to ${error.toExponential(2)} (allowed 1e-4)`);
}

function randomFbanks(rng: () => number, batch: number, frames: number, mels: number): tf.Tensor3D {
  const values = Float32Array.from({ length: batch * frames * mels }, () => rng() * 2 - 1);
  return tf.tensor3d(values, [batch, frames, mels]);
}

function checkPatchify(batch: number, frames: number, mels: number, patchSize: number, rng: () => number): void {
  const fbanks = randomFbanks(rng, batch, frames, mels);
  const before = tf.memory().numTensors;
  const yours = patchify(fbanks, patchSize);
  const leaked = tf.memory().numTensors - before - 1;
  const expected = libraryPatchify(fbanks, patchSize);
  try {
    assert.deepEqual(yours.shape, expected.shape, `patchify of [${fbanks.shape}] with p=${patchSize}: shape [${yours.shape}], expected [${expected.shape}]`);
    assert.equal(maxAbsDifference(yours.dataSync(), expected.dataSync()), 0, `patchify of [${fbanks.shape}] with p=${patchSize}: tokens in the wrong order or place`);
    assert.equal(leaked, 0, `patchify left ${leaked} intermediate tensors undisposed (wrap it in tf.tidy)`);
  } finally {
    tf.dispose([fbanks, yours, expected]);
  }
}

function checkUnpatchify(batch: number, frames: number, mels: number, patchSize: number, rng: () => number): void {
  const fbanks = randomFbanks(rng, batch, frames, mels);
  const tokens = libraryPatchify(fbanks, patchSize);
  const before = tf.memory().numTensors;
  const yours = unpatchify(tokens, patchSize, frames, mels);
  const leaked = tf.memory().numTensors - before - 1;
  const expected = libraryUnpatchify(tokens, patchSize, frames, mels);
  try {
    assert.deepEqual(yours.shape, [batch, frames, mels], `unpatchify to ${frames}×${mels}: shape [${yours.shape}]`);
    assert.equal(maxAbsDifference(yours.dataSync(), expected.dataSync()), 0, `unpatchify of p=${patchSize} tokens does not give the fbank back`);
    assert.equal(leaked, 0, `unpatchify left ${leaked} intermediate tensors undisposed (wrap it in tf.tidy)`);
  } finally {
    tf.dispose([fbanks, tokens, yours, expected]);
  }
}

function checkMaskAgainstLibrary(timePatches: number, freqPatches: number, ratio: number, maskSeed: number): void {
  const numPatches = timePatches * freqPatches;
  const yours = randomMask(numPatches, ratio, createRng(maskSeed));
  const plan = randomMasking({ timePatches, freqPatches, numPatches, patchDim: 1 }, 1, createRng(maskSeed), { ratio });
  assert.deepEqual(yours.idsKeep, Array.from(plan.idsKeep), `with N=${numPatches}, ratio ${ratio}, seed ${maskSeed}: kept tokens differ from the library's (follow the partial Fisher–Yates recipe exactly)`);
  assert.deepEqual(Array.from(yours.mask), Array.from(plan.mask), `with N=${numPatches}, ratio ${ratio}: the mask array does not match idsMasked`);
}

describe('Q1: the mel filterbank', () => {
  it('matches the library for 8 filters on a 64-point DFT at 16 kHz [1 pt]', () => checkFilterbank(8, 64, 16000, 20, 8000));
  it('matches the library for the AudioMAE setting (128 filters, 512-point DFT) [1 pt]', () => checkFilterbank(128, 512, 16000, 20, 8000));
  // BEGIN HIDDEN TESTS
  it('matches the library on unseen filter counts, DFT sizes and band edges [2 pts]', () => {
    const rng = createRng(seed);
    for (let trial = 0; trial < 4; trial++) {
      const melBins = 10 + Math.floor(rng() * 60);
      const fftSize = [256, 512, 1024][Math.floor(rng() * 3)];
      const sampleRate = [8000, 16000, 22050][Math.floor(rng() * 3)];
      const lowHz = Math.floor(rng() * 200);
      const highHz = sampleRate / 2 - Math.floor(rng() * 1000);
      checkFilterbank(melBins, fftSize, sampleRate, lowHz, highHz);
    }
  });
  // END HIDDEN TESTS
});

describe('Q2: patchify', () => {
  it('cuts a 1 × 4 × 4 fbank into four 2 × 2 patches in time-major order [1 pt]', () => {
    const fbank = tf.tensor3d(Float32Array.from({ length: 16 }, (_, i) => i), [1, 4, 4]);
    const tokens = patchify(fbank, 2);
    try {
      assert.deepEqual(tokens.arraySync(), [[[0, 1, 4, 5], [2, 3, 6, 7], [8, 9, 12, 13], [10, 11, 14, 15]]], 'patchify of the 4 × 4 ramp 0…15 with p=2');
    } finally {
      tf.dispose([fbank, tokens]);
    }
  });
  it('matches the library on a batch of 2 × 32 × 16 with p=8 [1 pt]', () => checkPatchify(2, 32, 16, 8, createRng(7)));
  it('rejects an fbank whose frames are not a multiple of the patch size [1 pt]', () => {
    const fbank = tf.zeros([1, 10, 8]) as tf.Tensor3D;
    try {
      assert.throws(() => patchify(fbank, 4), (err: unknown) => err instanceof Error && !/not implemented/.test(err.message), 'patchify of 10 frames with p=4 should throw an Error that says why');
    } finally {
      fbank.dispose();
    }
  });
  // BEGIN HIDDEN TESTS
  it('matches the library on unseen shapes and patch sizes [2 pts]', () => {
    const rng = createRng(seed + 1);
    for (let trial = 0; trial < 3; trial++) {
      const patchSize = 2 + Math.floor(rng() * 6);
      checkPatchify(1 + Math.floor(rng() * 3), patchSize * (1 + Math.floor(rng() * 5)), patchSize * (1 + Math.floor(rng() * 5)), patchSize, rng);
    }
  });
  // END HIDDEN TESTS
});

describe('Q3: unpatchify', () => {
  it('gives back a batch of 2 × 32 × 16 fbanks from p=8 tokens [1 pt]', () => checkUnpatchify(2, 32, 16, 8, createRng(8)));
  // BEGIN HIDDEN TESTS
  it('inverts patchify on unseen shapes and patch sizes [2 pts]', () => {
    const rng = createRng(seed + 2);
    for (let trial = 0; trial < 3; trial++) {
      const patchSize = 2 + Math.floor(rng() * 6);
      checkUnpatchify(1 + Math.floor(rng() * 3), patchSize * (1 + Math.floor(rng() * 5)), patchSize * (1 + Math.floor(rng() * 5)), patchSize, rng);
    }
  });
  // END HIDDEN TESTS
});

describe('Q4: seeded random masking', () => {
  it('hides exactly round(N · ratio) of 64 tokens at ratio 0.75, each token either kept or hidden [1 pt]', () => {
    const { idsKeep, idsMasked, mask } = randomMask(64, 0.75, createRng(3));
    assert.equal(idsKeep.length, 16, `expected 16 visible tokens, got ${idsKeep.length}`);
    assert.equal(idsMasked.length, 48, `expected 48 hidden tokens, got ${idsMasked.length}`);
    assert.deepEqual([...idsKeep, ...idsMasked].sort((a, b) => a - b), Array.from({ length: 64 }, (_, i) => i), 'idsKeep and idsMasked together must hold every token once');
    assert.equal(mask.reduce((a, b) => a + b, 0), 48, 'the mask must have a 1 for each hidden token');
  });
  it('draws the same mask from the same seed and the library’s mask on a 4 × 4 grid [1 pt]', () => {
    assert.deepEqual(randomMask(16, 0.5, createRng(11)).idsKeep, randomMask(16, 0.5, createRng(11)).idsKeep, 'two draws with the same seed differ');
    checkMaskAgainstLibrary(4, 4, 0.5, 11);
  });
  // BEGIN HIDDEN TESTS
  it('matches the library on unseen grids, ratios and seeds, keeping at least one token [2 pts]', () => {
    const rng = createRng(seed + 3);
    for (let trial = 0; trial < 5; trial++) {
      checkMaskAgainstLibrary(1 + Math.floor(rng() * 12), 1 + Math.floor(rng() * 12), Math.floor(rng() * 99) / 100, Math.floor(rng() * 1e6));
    }
    assert.equal(randomMask(4, 0.99, createRng(seed)).idsKeep.length, 1, 'at ratio 0.99 on 4 tokens one token must stay visible');
  });
  // END HIDDEN TESTS
});
