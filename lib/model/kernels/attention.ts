/**
 * Multi-head attention `softmax(q kᵀ/√hd) v` as one op with a hand-written gradient, in one
 * of two layouts with the same result ({@link multiHeadAttention} picks by backend, see
 * `backend-traits.ts`), beside its textbook form ({@link textbookMultiHeadAttention}):
 * - one (sample, head) pair at a time with rank-2 products, for wasm: there a batched
 *   (rank-3) `matMul` runs a scalar loop many times slower than the XNNPACK path that
 *   non-transposed rank-2 products take, and autodiff through per-head slices would pay a
 *   full copy of the input per slice; each layer moves its heads with one rank-4 transpose
 *   each way;
 * - all samples and heads at once with rank-4 batched products, for GPUs: a fixed number of
 *   kernels per layer whatever the batch, which is what lets a batch cost about one sample.
 */
import * as tf from '@tensorflow/tfjs';
import { deviceConstant, prefersRank2Products } from './backend-traits.js';
import { customOp } from './custom-op.js';
import { rowBlocks } from './rows.js';

/**
 * `softmax(q kᵀ/√hd) v` for every sample and head, from a fused projection.
 * `qkv: [B·T, 3D]` laid out `[q | k | v]`, each split into heads of `hd = D/H` consecutive
 * columns → `[B·T, D]` (heads concatenated in order).
 * Gradient per head, with `P` the attention weights and `S` the scaled scores:
 * `dV = Pᵀ dO`, `dP = dO Vᵀ`, `dS = P ⊙ (dP − rowsum(dP ⊙ P))`, `dQ = dS K / √hd`, `dK = dSᵀ Q / √hd`.
 */
export function multiHeadAttention(qkv: tf.Tensor2D, batch: number, tokens: number, numHeads: number): tf.Tensor2D {
  return prefersRank2Products() ? attentionPerHead(qkv, batch, tokens, numHeads) : attentionBatched(qkv, batch, tokens, numHeads);
}

/**
 * {@link multiHeadAttention} as autodiff of its textbook layout, `[B, T, 3, H, hd] -> [3, B, H, T, hd]`
 * and batched products: the reference both fast layouts are tested against.
 */
export function textbookMultiHeadAttention(qkv: tf.Tensor2D, batch: number, tokens: number, numHeads: number): tf.Tensor2D {
  checkQkv(qkv, batch, tokens, numHeads);
  const width = qkv.shape[1] / 3;
  const headDim = width / numHeads;
  const parts = tf.transpose(tf.reshape(qkv, [batch, tokens, 3, numHeads, headDim]), [2, 0, 3, 1, 4]); // [3, B, H, T, hd]
  const [q, k, v] = tf.unstack(parts).map((t) => tf.reshape(t, [batch * numHeads, tokens, headDim]) as tf.Tensor3D);
  const p = tf.softmax(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(headDim))); // [B·H, T, T]
  const out = tf.reshape(tf.matMul(p, v), [batch, numHeads, tokens, headDim]);
  return tf.reshape(tf.transpose(out, [0, 2, 1, 3]), [batch * tokens, width]); // [B·T, D]
}

function checkQkv(qkv: tf.Tensor2D, batch: number, tokens: number, numHeads: number): void {
  if (qkv.shape[0] !== batch * tokens || qkv.shape[1] % (3 * numHeads) !== 0) {
    throw new Error(`attention: qkv [${qkv.shape}] does not hold ${batch}×${tokens} tokens of 3 × ${numHeads} heads`);
  }
}

/** The attention layout of one layer. */
interface HeadLayout {
  batch: number;
  tokens: number;
  numHeads: number;
  headDim: number;
}

/** `[B·T, k·H·hd] -> [B, k·H, T, hd]`: each (sample, head) becomes a contiguous `[T, hd]` block. */
function toHeadMajor(x: tf.Tensor, groups: number, { batch, tokens, numHeads, headDim }: HeadLayout): tf.Tensor4D {
  return tf.transpose(tf.reshape(x, [batch, tokens, groups * numHeads, headDim]), [0, 2, 1, 3]);
}

/** Inverse of {@link toHeadMajor}: blocks in (sample, group·head) order back to `[B·T, k·H·hd]`. */
function fromHeadMajor(blocks: tf.Tensor2D[], groups: number, { batch, tokens, numHeads, headDim }: HeadLayout): tf.Tensor2D {
  const stacked = blocks.length === 1 ? blocks[0] : tf.concat(blocks, 0); // [B·k·H·T, hd]
  const grouped = tf.reshape(stacked, [batch, groups * numHeads, tokens, headDim]);
  return tf.reshape(tf.transpose(grouped, [0, 2, 1, 3]), [batch * tokens, groups * numHeads * headDim]);
}

/** {@link multiHeadAttention} with every (sample, head) pair in one rank-4 batched product (the GPU layout). */
export function attentionBatched(qkv: tf.Tensor2D, batch: number, tokens: number, numHeads: number): tf.Tensor2D {
  checkQkv(qkv, batch, tokens, numHeads);
  const width = qkv.shape[1] / 3;
  const layout: HeadLayout = { batch, tokens, numHeads, headDim: width / numHeads };
  const scale = deviceConstant(1 / Math.sqrt(layout.headDim));
  const op = customOp<[tf.Tensor2D], tf.Tensor2D>((input, save) => {
    const [q, k, v] = tf.split(toHeadMajor(input, 3, layout), 3, 1) as tf.Tensor4D[]; // each [B, H, T, hd]
    const p = tf.softmax(tf.mul(tf.matMul(q, k, false, true), scale) as tf.Tensor4D); // [B, H, T, T]
    save([q, k, v, p]);
    return {
      value: fromHeadMajor([tf.matMul(p, v)], 1, layout),
      gradFunc: (dy, [sq, sk, sv, sp]) => {
        const dOut = toHeadMajor(dy, 1, layout); // [B, H, T, hd]
        const dv = tf.matMul(sp as tf.Tensor4D, dOut, true, false);
        const dp = tf.matMul(dOut, sv as tf.Tensor4D, false, true);
        const ds = tf.mul(tf.mul(sp, tf.sub(dp, tf.sum(tf.mul(dp, sp), -1, true))), scale); // [B, H, T, T]
        const dq = tf.matMul(ds as tf.Tensor4D, sk as tf.Tensor4D);
        const dk = tf.matMul(ds as tf.Tensor4D, sq as tf.Tensor4D, true, false);
        return fromHeadMajor([tf.concat([dq, dk, dv], 1) as tf.Tensor as tf.Tensor2D], 3, layout);
      },
    };
  });
  return op(qkv);
}

/** {@link multiHeadAttention} one (sample, head) pair at a time with rank-2 products (the wasm layout). */
export function attentionPerHead(qkv: tf.Tensor2D, batch: number, tokens: number, numHeads: number): tf.Tensor2D {
  checkQkv(qkv, batch, tokens, numHeads);
  const width = qkv.shape[1] / 3;
  const layout: HeadLayout = { batch, tokens, numHeads, headDim: width / numHeads };
  const { headDim } = layout;
  const scale = 1 / Math.sqrt(headDim);
  const pieces = (x: tf.Tensor, groups: number) => rowBlocks(toHeadMajor(x, groups, layout), batch * groups * numHeads, tokens, headDim);
  // Block (b, j) of a [B, 3H, T, hd] layout: j < H are queries, then keys, then values.
  const at = (blocks: tf.Tensor2D[], b: number, j: number) => blocks[b * 3 * numHeads + j];
  const op = customOp<[tf.Tensor2D], tf.Tensor2D>((input, save) => {
    const qkvBlocks = pieces(input, 3);
    const probs: tf.Tensor2D[] = [];
    const outputs: tf.Tensor2D[] = [];
    for (let b = 0; b < batch; b++) {
      for (let h = 0; h < numHeads; h++) {
        const q = at(qkvBlocks, b, h);
        const k = at(qkvBlocks, b, numHeads + h);
        const v = at(qkvBlocks, b, 2 * numHeads + h);
        const p = tf.softmax(tf.mul(tf.matMul(q, tf.transpose(k)), scale) as tf.Tensor2D); // [T, T]
        probs.push(p);
        outputs.push(tf.matMul(p, v)); // [T, hd]
      }
    }
    save([input, ...probs]);
    return {
      value: fromHeadMajor(outputs, 1, layout),
      gradFunc: (dy, [savedInput, ...savedProbs]) => {
        const inputBlocks = pieces(savedInput, 3);
        const dyBlocks = pieces(dy, 1);
        const grads: tf.Tensor2D[] = [];
        for (let b = 0; b < batch; b++) {
          const dq: tf.Tensor2D[] = [];
          const dk: tf.Tensor2D[] = [];
          const dv: tf.Tensor2D[] = [];
          for (let h = 0; h < numHeads; h++) {
            const q = at(inputBlocks, b, h);
            const k = at(inputBlocks, b, numHeads + h);
            const v = at(inputBlocks, b, 2 * numHeads + h);
            const p = savedProbs[b * numHeads + h] as tf.Tensor2D;
            const dOut = dyBlocks[b * numHeads + h];
            dv.push(tf.matMul(tf.transpose(p), dOut));
            const dp = tf.matMul(dOut, tf.transpose(v));
            const ds = tf.mul(tf.mul(p, tf.sub(dp, tf.sum(tf.mul(dp, p), 1, true))), scale); // [T, T]
            dq.push(tf.matMul(ds, k));
            dk.push(tf.matMul(tf.transpose(ds), q));
          }
          grads.push(...dq, ...dk, ...dv);
        }
        return fromHeadMajor(grads, 3, layout);
      },
    };
  });
  return op(qkv);
}
