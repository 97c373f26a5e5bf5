import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import {
  FrozenWeights,
  attentionBatched,
  attentionPerHead,
  broadcastTokens,
  dense,
  gelu,
  layerNorm,
  maskedMse,
  matMul2d,
  meanOverTokens,
  multiHeadAttention,
  permuteRows,
  rowPermutation,
  textbookBroadcastTokens,
  textbookDense,
  textbookGelu,
  textbookLayerNorm,
  textbookMaskedMse,
  textbookMatMul2d,
  textbookMeanOverTokens,
  textbookMultiHeadAttention,
  textbookPermuteRows,
} from '../lib/model/kernels/index.js';
import { createRng } from '../lib/util/index.js';
import { relativeError } from './helpers/compare.js';

/**
 * Largest relative error, max |fast − textbook| / max |textbook| per tensor, allowed between a
 * fast kernel and its textbook form, for values and for every gradient. Both compute in
 * float32 in different orders; a wrong gradient (a missing term, a transposed product) is off
 * by order 1.
 */
const TOLERANCE = 1e-4;

/** Set to print the worst error measured for each kernel on each backend. */
const REPORT_ENV = 'TTT_SPEECH_KERNEL_ERRORS';

type Op = (...inputs: tf.Tensor[]) => tf.Tensor;

function seeded(shape: number[], seed: number, scale = 1): tf.Tensor {
  const rng = createRng(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: size }, () => scale * (2 * rng() - 1)), shape);
}

/**
 * How far `fast` is from `textbook` on `inputs`: the relative error of the values, and of the
 * gradient with respect to each input of `sum(op(...) · probe)` for a fixed random probe (so
 * every output element carries its own weight, unlike the gradient of a plain sum).
 */
function disagreement(fast: Op, textbook: Op, inputs: tf.Tensor[]): { value: number; grads: number[] } {
  return tf.tidy(() => {
    const expected = textbook(...inputs);
    const probe = seeded(expected.shape, 99);
    const gradsOf = (op: Op) => tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(op(...xs), probe)))(inputs);
    const fastGrads = gradsOf(fast);
    const textbookGrads = gradsOf(textbook);
    const error = (actual: tf.Tensor, reference: tf.Tensor) => {
      assert.deepEqual(actual.shape, reference.shape);
      return relativeError(actual.dataSync(), reference.dataSync());
    };
    return { value: error(fast(...inputs), expected), grads: textbookGrads.map((g, i) => error(fastGrads[i], g)) };
  });
}

const worstByKernel = new Map<string, number>();

/** `fast` and `textbook` agree to {@link TOLERANCE} in value and in the gradient of every input; records the worst error under `kernel`. */
function assertAgree(kernel: string, fast: Op, textbook: Op, inputs: tf.Tensor[], what: string): void {
  const { value, grads } = disagreement(fast, textbook, inputs);
  worstByKernel.set(kernel, Math.max(worstByKernel.get(kernel) ?? 0, value, ...grads));
  assert.ok(value <= TOLERANCE, `${what}: values differ by ${value}`);
  grads.forEach((error, i) => assert.ok(error <= TOLERANCE, `${what}: gradient of input ${i} differs by ${error}`));
}

describe('the kernel agreement check', () => {
  it('notices a gradient off by 0.1 %', () => {
    const squareWithWrongGradient = (x: tf.Tensor, save: (t: tf.Tensor[]) => void) => {
      save([x]);
      return { value: tf.square(x), gradFunc: (dy: tf.Tensor, [sx]: tf.Tensor[]) => tf.mul(dy, tf.mul(sx, 2.002)) };
    };
    const slightlyWrong = tf.customGrad(squareWithWrongGradient as never) as unknown as Op;
    const input = seeded([4, 3], 1);
    const { value, grads } = disagreement(slightlyWrong, (x) => tf.square(x), [input]);
    input.dispose();
    assert.ok(value <= TOLERANCE);
    assert.ok(grads[0] > 5 * TOLERANCE, `a 0.1 % gradient error measured ${grads[0]}`);
  });
});

for (const backend of ['cpu', 'wasm']) {
  describe(`fast kernels match autodiff of their textbook forms on ${backend}`, () => {
    let previous: string;
    let tensorsBefore: number;

    before(async () => {
      previous = tf.getBackend();
      // Registers wasm where another backend was chosen for the run (a test may load a backend; the library does not).
      if (backend === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
      assert.ok(await tf.setBackend(backend), `the ${backend} backend did not start`);
      worstByKernel.clear();
      tensorsBefore = tf.memory().numTensors;
    });

    after(async () => {
      assert.equal(tf.memory().numTensors, tensorsBefore, 'the kernels or the checks left tensors behind');
      if (process.env[REPORT_ENV]) {
        for (const [kernel, error] of worstByKernel) console.log(`  ${backend} ${kernel}: worst relative error ${error.toExponential(2)}`);
      }
      await tf.setBackend(previous);
    });

    it('matMul2d, with a constant and with a variable right operand', () => {
      for (const [rows, inner, cols] of [[1, 4, 6], [5, 7, 3], [33, 16, 48]]) {
        const a = seeded([rows, inner], 1);
        const b = seeded([inner, cols], 2);
        const variable = tf.variable(b);
        const fast = (x: tf.Tensor, y: tf.Tensor) => matMul2d(x as tf.Tensor2D, y as tf.Tensor2D);
        const textbook = (x: tf.Tensor, y: tf.Tensor) => textbookMatMul2d(x as tf.Tensor2D, y as tf.Tensor2D);
        assertAgree('matMul2d', fast, textbook, [a, b], `matMul2d ${rows}×${inner}×${cols}`);
        assertAgree('matMul2d', fast, textbook, [a, variable], `matMul2d ${rows}×${inner}×${cols}, variable`);
        tf.dispose([a, b, variable]);
      }
    });

    it('dense with shared and per-sample biases, trained and frozen weights, batch 1 and 3', () => {
      for (const batch of [1, 3]) {
        const x = seeded([batch, 5, 6], 3);
        const initial = seeded([6, 4], 4);
        const w = tf.variable(initial);
        const shared = seeded([4], 5);
        const perSample = seeded([batch, 1, 4], 6);
        const fast = (xs: tf.Tensor, ws: tf.Tensor, bs: tf.Tensor) => dense(xs, { weight: ws, bias: bs });
        const textbook = (xs: tf.Tensor, ws: tf.Tensor, bs: tf.Tensor) => textbookDense(xs, { weight: ws, bias: bs });
        assertAgree('dense', fast, textbook, [x, w, shared], `dense B=${batch}, shared bias`);
        assertAgree('dense', fast, textbook, [x, w, perSample], `dense B=${batch}, per-sample bias`);
        const frozen = new FrozenWeights([w]);
        try {
          for (const bias of [shared, perSample]) {
            assertAgree(
              'dense',
              (xs, bs) => dense(xs, { weight: w, bias: bs }, { frozen }),
              (xs, bs) => textbookDense(xs, { weight: w, bias: bs }),
              [x, bias],
              `dense B=${batch}, frozen weight, bias [${bias.shape}]`,
            );
          }
        } finally {
          frozen.dispose();
        }
        tf.dispose([x, initial, w, shared, perSample]);
      }
      const rows = seeded([7, 6], 7);
      const [w, b] = [seeded([6, 4], 8), seeded([4], 9)];
      assertAgree('dense', (xs, ws, bs) => dense(xs, { weight: ws, bias: bs }), (xs, ws, bs) => textbookDense(xs, { weight: ws, bias: bs }), [rows, w, b], 'dense rank 2');
      tf.dispose([rows, w, b]);
    });

    it('layerNorm with shared, per-sample and mixed affine vectors, batch 1 and 3', () => {
      for (const [batch, eps] of [[1, 1e-6], [3, 1e-5]]) {
        const x = seeded([batch, 4, 8], 10, 3);
        const [gamma, beta] = [seeded([8], 11), seeded([8], 12)];
        const [gammaRows, betaRows] = [seeded([batch, 1, 8], 13), seeded([batch, 1, 8], 14)];
        const fast = (xs: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => layerNorm(xs, { weight: g, bias: b }, eps);
        const textbook = (xs: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => textbookLayerNorm(xs, { weight: g, bias: b }, eps);
        assertAgree('layerNorm', fast, textbook, [x, gamma, beta], `layerNorm B=${batch}, shared`);
        assertAgree('layerNorm', fast, textbook, [x, gammaRows, betaRows], `layerNorm B=${batch}, per-sample`);
        assertAgree('layerNorm', fast, textbook, [x, gamma, betaRows], `layerNorm B=${batch}, mixed`);
        tf.dispose([x, gamma, beta, gammaRows, betaRows]);
      }
    });

    it('gelu over the range where its curve bends', () => {
      for (const shape of [[1, 5, 16], [6, 10]]) {
        const x = seeded(shape, 15, 4);
        assertAgree('gelu', (xs) => gelu(xs), (xs) => textbookGelu(xs), [x], `gelu [${shape}]`);
        x.dispose();
      }
    });

    it('multi-head attention in both layouts and as dispatched, batch 1 and more', () => {
      const layouts: [string, (qkv: tf.Tensor2D, b: number, t: number, h: number) => tf.Tensor2D][] = [
        ['per (sample, head)', attentionPerHead],
        ['batched', attentionBatched],
        ['dispatched', multiHeadAttention],
      ];
      for (const [batch, tokens, heads, headDim] of [[1, 5, 3, 4], [2, 5, 3, 4], [3, 9, 4, 2]]) {
        const qkv = seeded([batch * tokens, 3 * heads * headDim], 16, 2);
        const textbook = (x: tf.Tensor) => textbookMultiHeadAttention(x as tf.Tensor2D, batch, tokens, heads);
        for (const [name, attention] of layouts) {
          const fast = (x: tf.Tensor) => attention(x as tf.Tensor2D, batch, tokens, heads);
          assertAgree(`attention ${name}`, fast, textbook, [qkv], `attention ${name}, B=${batch} T=${tokens} H=${heads} hd=${headDim}`);
        }
        qkv.dispose();
      }
    });

    it('masked MSE (batch mean and per sample), including a sample that hides nothing', () => {
      const cases: [number[], number[]][] = [
        [[1, 4, 6], [1, 0, 1, 1]],
        [[2, 4, 6], [1, 0, 1, 1, 0, 0, 0, 0]],
        [[3, 5, 2], [0, 1, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1, 0, 0]],
      ];
      for (const [shape, hidden] of cases) {
        const mask = tf.tensor2d(hidden, [shape[0], shape[1]]);
        const goal = seeded(shape, 17);
        const pred = seeded(shape, 18);
        for (const perSample of [false, true]) {
          assertAgree(
            'maskedMse',
            (p) => maskedMse(p as tf.Tensor3D, goal, mask, perSample),
            (p) => textbookMaskedMse(p as tf.Tensor3D, goal, mask, perSample),
            [pred],
            `masked MSE [${shape}], perSample=${perSample}`,
          );
        }
        tf.dispose([mask, goal, pred]);
      }
    });

    it('mean over tokens, batch 1 and 3', () => {
      for (const shape of [[1, 5, 4], [3, 5, 4]]) {
        const x = seeded(shape, 19);
        assertAgree('meanOverTokens', (xs) => meanOverTokens(xs as tf.Tensor3D), (xs) => textbookMeanOverTokens(xs as tf.Tensor3D), [x], `mean over tokens [${shape}]`);
        x.dispose();
      }
    });

    it('token broadcast to one sample, to several, and to its own shape', () => {
      const token = seeded([1, 1, 5], 20);
      for (const shape of [[1, 4, 5], [3, 4, 5], [1, 1, 5]]) {
        assertAgree('broadcastTokens', (t) => broadcastTokens(t, shape), (t) => textbookBroadcastTokens(t, shape), [token], `broadcast to [${shape}]`);
      }
      token.dispose();
    });

    it('row permutation of one row and of several', () => {
      for (const order of [[0], [3, 0, 4, 1, 2], [5, 2, 7, 0, 6, 1, 3, 4]]) {
        const perm = rowPermutation(Int32Array.from(order));
        const x = seeded([order.length, 3], 21);
        assertAgree('permuteRows', (xs) => permuteRows(xs as tf.Tensor2D, perm), (xs) => textbookPermuteRows(xs as tf.Tensor2D, perm), [x], `permute [${order}]`);
        x.dispose();
      }
      assert.throws(() => rowPermutation(Int32Array.from([0, 0, 1])), /out of range or repeated/);
    });
  });
}
