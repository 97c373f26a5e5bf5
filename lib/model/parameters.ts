/**
 * Parameters as a typed tree of tensors with stable hierarchical names
 * (`encoder.blocks.3.attn.qkv.bias`, `encoder.norm.weight`, `decoder.pred.weight`,
 * `head.fc.bias`, …). The model owns a tree of `tf.Variable`s; forward passes take a tree of
 * any tensors, so a caller can substitute some leaves (e.g. per-sample bias copies `[B, 1, d]`
 * for batched BitFit) without touching the model.
 */
import * as tf from '@tensorflow/tfjs';

/** Weights of an affine map: `weight: [in, out]`, `bias: [out]` (or `[B, 1, out]` as an override). */
export interface DenseParams<T extends tf.Tensor = tf.Variable> {
  /** `[in, out]`. */
  weight: T;
  /** `[out]`, or `[B, 1, out]` per sample. */
  bias: T;
}

/** LayerNorm affine vectors: `weight` (γ) and `bias` (β), `[d]` (or `[B, 1, d]` as overrides). */
export interface LayerNormParams<T extends tf.Tensor = tf.Variable> {
  /** Scale γ. */
  weight: T;
  /** Shift β. */
  bias: T;
}

/** Multi-head self-attention: fused query/key/value projection `[D, 3D]` and output projection `[D, D]`. */
export interface AttentionParams<T extends tf.Tensor = tf.Variable> {
  /** `[D, 3D]`, output laid out `[q | k | v]`. */
  qkv: DenseParams<T>;
  /** `[D, D]`. */
  proj: DenseParams<T>;
}

/** Two-layer GELU MLP: `fc1: [D, mlpRatio·D]`, `fc2: [mlpRatio·D, D]`. */
export interface MlpParams<T extends tf.Tensor = tf.Variable> {
  /** Widening layer. */
  fc1: DenseParams<T>;
  /** Narrowing layer. */
  fc2: DenseParams<T>;
}

/** One pre-norm transformer block. */
export interface BlockParams<T extends tf.Tensor = tf.Variable> {
  /** Before attention. */
  norm1: LayerNormParams<T>;
  attn: AttentionParams<T>;
  /** Before the MLP. */
  norm2: LayerNormParams<T>;
  mlp: MlpParams<T>;
}

/** The ViT encoder. Position embeddings are fixed and live outside the tree. */
export interface EncoderParams<T extends tf.Tensor = tf.Variable> {
  /** Linear patch embedding `[p², D]` (a stride-p convolution written as a dense layer on flattened patches). */
  patchEmbed: DenseParams<T>;
  /** Learned class token `[1, 1, D]`, present when the config asks for one. */
  clsToken?: T;
  /** Transformer blocks, first to last. */
  blocks: BlockParams<T>[];
  /** Final LayerNorm. */
  norm: LayerNormParams<T>;
}

/** The MAE decoder. */
export interface DecoderParams<T extends tf.Tensor = tf.Variable> {
  /** Encoder width to decoder width, `[D, Dd]`. */
  embed: DenseParams<T>;
  /** Learned placeholder for every hidden token, `[1, 1, Dd]`. */
  maskToken: T;
  /** Transformer blocks, first to last. */
  blocks: BlockParams<T>[];
  /** Final LayerNorm. */
  norm: LayerNormParams<T>;
  /** Decoder width to patch values, `[Dd, p²]`. */
  pred: DenseParams<T>;
}

/** A classifier on pooled encoder tokens: linear (`fc` only) or MLP (`hidden`, GELU, `fc`). */
export interface HeadParams<T extends tf.Tensor = tf.Variable> {
  /** Hidden layer of the MLP head, `[D, hidden]`. */
  hidden?: DenseParams<T>;
  /** Output layer, `[D or hidden, classes]`. */
  fc: DenseParams<T>;
}

/** Every parameter of a model, by part. */
export interface MaeParams<T extends tf.Tensor = tf.Variable> {
  encoder: EncoderParams<T>;
  decoder: DecoderParams<T>;
  /** Present once a head is attached. */
  head?: HeadParams<T>;
}

/** Anything made of nested objects and arrays with tensors at the leaves (`undefined` members are skipped). */
export type ParamTree = tf.Tensor | object;

/**
 * Visits every tensor of a tree in a fixed order (object keys as created, array indices
 * ascending) with its dotted name.
 */
export function forEachParameter(tree: ParamTree, visit: (name: string, tensor: tf.Tensor) => void, prefix = ''): void {
  if (tree instanceof tf.Tensor) {
    visit(prefix, tree);
    return;
  }
  const entries: [string, unknown][] = Array.isArray(tree)
    ? tree.map((child, i) => [String(i), child])
    : Object.entries(tree);
  for (const [key, child] of entries) {
    if (child === undefined || child === null || typeof child !== 'object') continue;
    forEachParameter(child, visit, prefix ? `${prefix}.${key}` : key);
  }
}

/** Every tensor of a tree by dotted name, in tree order. */
export function flattenParameters<T extends tf.Tensor = tf.Tensor>(tree: ParamTree, prefix = ''): Map<string, T> {
  const out = new Map<string, T>();
  forEachParameter(tree, (name, tensor) => out.set(name, tensor as T), prefix);
  return out;
}

/**
 * A copy of a tree's structure with each leaf replaced by `replace(name, leaf)` (the same
 * leaf when it returns `undefined`). Types stay those of the input tree, with tensor leaves.
 */
export function mapParameters<P extends object>(
  tree: P,
  replace: (name: string, tensor: tf.Tensor) => tf.Tensor | undefined,
  prefix = '',
): P {
  const walk = (node: unknown, name: string): unknown => {
    if (node instanceof tf.Tensor) return replace(name, node) ?? node;
    if (Array.isArray(node)) return node.map((child, i) => walk(child, name ? `${name}.${i}` : String(i)));
    if (node !== null && typeof node === 'object') {
      const out: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(node)) {
        out[key] = child === undefined ? undefined : walk(child, name ? `${name}.${key}` : key);
      }
      return out;
    }
    return node;
  };
  return walk(tree, prefix) as P;
}

/**
 * The tree with some leaves replaced by name (e.g. `encoder.blocks.0.attn.qkv.bias` → a
 * `[B, 1, 576]` per-sample copy). Every name must exist in the tree.
 */
export function withOverrides<P extends object>(tree: P, overrides: ReadonlyMap<string, tf.Tensor>, prefix = ''): P {
  const used = new Set<string>();
  const out = mapParameters(tree, (name) => {
    const replacement = overrides.get(name);
    if (replacement) used.add(name);
    return replacement;
  }, prefix);
  for (const name of overrides.keys()) {
    if (!used.has(name)) throw new Error(`override '${name}' names no parameter of this model`);
  }
  return out;
}

/** Disposes every tensor of a tree. */
export function disposeParameters(tree: ParamTree): void {
  forEachParameter(tree, (_, tensor) => tensor.dispose());
}

/** Total number of scalars in a tree. */
export function countParameters(tree: ParamTree): number {
  let total = 0;
  forEachParameter(tree, (_, tensor) => (total += tensor.size));
  return total;
}
