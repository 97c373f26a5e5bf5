/**
 * What TTT may change. As in TTT-MAE, only the encoder adapts: the decoder (which defines the
 * reconstruction task) and the classifier head (which reads the encoder) stay as trained, so
 * every group here is a subset of the encoder's parameters.
 */
import type * as tf from '@tensorflow/tfjs';
import { selectParameters, type MaeModel, type ParameterGroupName, type ParameterPredicate } from '../model/index.js';

/**
 * A parameter group for TTT: `all` (every encoder parameter), `bias` (every encoder bias,
 * LayerNorm β included: BitFit), `layernorm`, `lastBlocks:k`, `none` (nothing: the
 * unadapted baseline), or a predicate over parameter names (applied to encoder parameters).
 */
export type TttGroup = ParameterGroupName | 'none' | ParameterPredicate;

/** The encoder variables a group trains, by name, in model order. Throws when a real group selects nothing. */
export function encoderGroup(model: MaeModel, group: TttGroup | string): Map<string, tf.Variable> {
  if (group === 'none') return new Map();
  const inGroup = selectParameters(model, group);
  const out = new Map<string, tf.Variable>();
  for (const [name, variable] of inGroup) if (name.startsWith('encoder.')) out.set(name, variable);
  if (out.size === 0) throw new Error(`parameter group ${groupLabel(group)} selects no encoder parameter`);
  return out;
}

/** A short name of a group for results and logs: the built-in name, or `custom:<function name>`. */
export function groupLabel(group: TttGroup | string): string {
  if (typeof group === 'function') return `custom:${group.name || 'predicate'}`;
  return group;
}

/** What a group trains. */
export interface GroupDescription {
  /** Group label (see {@link groupLabel}). */
  group: string;
  /** Parameter names, in model order. */
  names: string[];
  /** Trained scalars (per clip). */
  count: number;
  /** Bytes of those scalars in float32 (per clip). */
  bytes: number;
}

/** Names, scalar count and bytes of what a group trains on one clip. */
export function describeGroup(model: MaeModel, group: TttGroup | string): GroupDescription {
  const selected = encoderGroup(model, group);
  let count = 0;
  for (const variable of selected.values()) count += variable.size;
  return { group: groupLabel(group), names: [...selected.keys()], count, bytes: 4 * count };
}

/** True when the group has parameters and every one is a vector, so a batch can hold one copy per clip (`[B, 1, d]`). */
export function isVectorGroup(selected: ReadonlyMap<string, tf.Variable>): boolean {
  return selected.size > 0 && [...selected.values()].every((variable) => variable.rank === 1);
}
