/**
 * The three passes a TTT step makes, each in its own `tf.tidy`: MAE loss with gradients of
 * the working copies, MAE loss alone, and classification of the whole clips. Frozen weights
 * go through the cached-transpose path (`FrozenWeights`), so their gradients are never formed.
 */
import * as tf from '@tensorflow/tfjs';
import { FrozenWeights, forwardClassifier, forwardMae, namedParameters, type MaeModel, type MaskPlan } from '../model/index.js';
import type { AdaptedParameters } from './state.js';

/** What a pass needs besides its inputs. */
export interface PassContext {
  model: MaeModel;
  /** Transposes of every matrix TTT does not train. */
  frozen: FrozenWeights;
}

/** Per-sample losses and the gradients of the working copies (by name; the caller disposes them). */
export interface LossAndGradients {
  /** `[B]` losses, one per batch row. */
  losses: Float32Array;
  grads: Map<string, tf.Tensor>;
}

/**
 * How the per-sample losses combine into the objective: `sum` gives each row's own copy
 * exactly the gradient of that row's loss (batched BitFit); `mean` trains shared weights on
 * the average (a batch of clips adapting one set of weights).
 */
export type LossReduction = 'sum' | 'mean';

/**
 * MAE losses of `fbanks` `[B, frames, mels]` under `plan`, and gradients of the copies in
 * `state`. `nanRows` poisons the gradient of those rows (the whole gradient for shared
 * copies) with NaN; see `TttHooks.forceNaN`.
 */
export function lossAndGradients(
  context: PassContext,
  state: AdaptedParameters,
  fbanks: tf.Tensor3D,
  plan: MaskPlan,
  reduction: LossReduction,
  nanRows: readonly number[] = [],
): LossAndGradients {
  const { losses, grads } = lossAndGradientTensors(context, state, fbanks, plan, reduction, nanRows);
  try {
    return { losses: losses.dataSync() as Float32Array, grads };
  } finally {
    losses.dispose();
  }
}

/**
 * {@link lossAndGradients} that reads the losses back asynchronously: the only way on the
 * webgpu backend in Node, which has no synchronous read from the GPU.
 */
export async function lossAndGradientsAsync(
  context: PassContext,
  state: AdaptedParameters,
  fbanks: tf.Tensor3D,
  plan: MaskPlan,
  reduction: LossReduction,
  nanRows: readonly number[] = [],
): Promise<LossAndGradients> {
  const { losses, grads } = lossAndGradientTensors(context, state, fbanks, plan, reduction, nanRows);
  try {
    return { losses: (await losses.data()) as Float32Array, grads };
  } finally {
    losses.dispose();
  }
}

/** {@link lossAndGradients} before the read-back: the losses `[B]` as a tensor (the caller disposes both). */
export function lossAndGradientTensors(
  context: PassContext,
  state: AdaptedParameters,
  fbanks: tf.Tensor3D,
  plan: MaskPlan,
  reduction: LossReduction,
  nanRows: readonly number[],
): { losses: tf.Tensor; grads: Map<string, tf.Tensor> } {
  const names = [...state.variables.keys()];
  const variables = [...state.variables.values()];
  let perSample: tf.Tensor | undefined;
  const [losses, ...grads] = tf.tidy(() => {
    const { grads: byVariable } = tf.variableGrads(() => {
      const { loss } = forwardMae(context.model, fbanks, plan, {
        params: state.parameters(context.model),
        perSample: true,
        context: { frozen: context.frozen },
      }); // [B]
      perSample = tf.keep(loss);
      return (reduction === 'sum' ? tf.sum(loss) : tf.mean(loss)) as tf.Scalar;
    }, variables);
    const factor = nanRows.length > 0 ? nanFactor(state, fbanks.shape[0], nanRows) : undefined;
    const out = variables.map((variable) => {
      const g = byVariable[variable.name] ?? tf.zerosLike(variable);
      return factor ? tf.mul(g, factor) : g;
    });
    return [perSample as tf.Tensor, ...out];
  });
  return { losses, grads: new Map(names.map((name, i) => [name, grads[i]])) };
}

/** NaN for the poisoned rows and 1 elsewhere, shaped to multiply a gradient (`[B, 1, 1]` for per-row copies). */
function nanFactor(state: AdaptedParameters, batch: number, rows: readonly number[]): tf.Tensor {
  if (state.batch === null) return tf.scalar(NaN);
  const values = new Float32Array(batch).fill(1);
  for (const row of rows) values[row] = NaN;
  return tf.tensor3d(values, [batch, 1, 1]);
}

/** MAE losses `[B]` of `fbanks` under `plan` with the copies in `state`, no gradient. */
export function maeLosses(context: PassContext, state: AdaptedParameters, fbanks: tf.Tensor3D, plan: MaskPlan): Float32Array {
  const losses = maeLossTensor(context, state, fbanks, plan);
  try {
    return losses.dataSync() as Float32Array;
  } finally {
    losses.dispose();
  }
}

/** {@link maeLosses} before the read-back (the caller disposes the tensor). */
export function maeLossTensor(context: PassContext, state: AdaptedParameters, fbanks: tf.Tensor3D, plan: MaskPlan): tf.Tensor {
  return tf.tidy(
    () => forwardMae(context.model, fbanks, plan, { params: state.parameters(context.model), perSample: true, context: { frozen: context.frozen } }).loss,
  );
}

/** Class logits of whole clips with the copies in `state`. */
export interface Classification {
  /** `[B, classes]` row-major. */
  logits: Float32Array;
  numClasses: number;
  /** Arg-max per row. */
  predicted: number[];
}

/** Classifies whole (unmasked) fbanks `[B, frames, mels]` with the encoder copies in `state` and the frozen head. */
export function classify(context: PassContext, state: AdaptedParameters, fbanks: tf.Tensor3D): Classification {
  const logits = logitTensor(context, state, fbanks);
  try {
    return classification(logits.dataSync() as Float32Array, logits.shape[1]);
  } finally {
    logits.dispose();
  }
}

/** {@link classify} before the read-back: logits `[B, classes]` (the caller disposes them). */
export function logitTensor(context: PassContext, state: AdaptedParameters, fbanks: tf.Tensor3D): tf.Tensor2D {
  return tf.tidy(() =>
    forwardClassifier(context.model, fbanks, { encoder: state.parameters(context.model).encoder, context: { frozen: context.frozen } }),
  );
}

/** Predictions from row-major logits with `numClasses` columns. */
export function classification(values: Float32Array, numClasses: number): Classification {
  const batch = values.length / numClasses;
  const predicted = Array.from({ length: batch }, (_, b) => argMax(values, b * numClasses, numClasses));
  return { logits: values, numClasses, predicted };
}

/** Index of the largest of `length` values from `offset`; a NaN row gives class 0. */
function argMax(values: Float32Array, offset: number, length: number): number {
  let best = 0;
  for (let i = 1; i < length; i++) if (values[offset + i] > values[offset + best]) best = i;
  return best;
}

/**
 * A pass context for training `trained` (model variables by name): every other matrix of the
 * model is frozen. Dispose `frozen` when the run ends.
 */
export function createPassContext(model: MaeModel, trained: ReadonlyMap<string, tf.Variable>): PassContext {
  const frozen: tf.Variable[] = [];
  for (const [name, variable] of namedParameters(model)) if (variable.rank === 2 && !trained.has(name)) frozen.push(variable);
  return { model, frozen: new FrozenWeights(frozen) };
}
