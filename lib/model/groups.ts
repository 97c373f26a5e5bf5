/**
 * Named parameters and parameter groups: the sets of variables that training or TTT may
 * change, chosen by name.
 */
import type * as tf from '@tensorflow/tfjs';
import type { MaeModel } from './model.js';
import { flattenParameters } from './parameters.js';

/** Every variable of the model (encoder, decoder, head) by hierarchical name, in a fixed order. */
export function namedParameters(model: MaeModel): Map<string, tf.Variable> {
  return flattenParameters<tf.Variable>(model.params);
}

/** Decides whether a named parameter belongs to a set. */
export type ParameterPredicate = (name: string, variable: tf.Variable) => boolean;

/**
 * Built-in groups: `all`; `bias` (every `*.bias`, LayerNorm β included: BitFit);
 * `layernorm` (γ and β of every LayerNorm); `lastBlocks:k` (the encoder's last k blocks and
 * its final norm).
 */
export type ParameterGroupName = 'all' | 'bias' | 'layernorm' | `lastBlocks:${number}`;

const LAYER_NORM = /(^|\.)norm\d*\.(weight|bias)$/;

/** The predicate of a built-in group; `lastBlocks:k` needs the encoder depth of the model it applies to. */
export function parameterGroup(group: ParameterGroupName | string, encoderDepth: number): (name: string) => boolean {
  if (group === 'all') return () => true;
  if (group === 'bias') return (name) => name.endsWith('.bias');
  if (group === 'layernorm') return (name) => LAYER_NORM.test(name);
  const last = /^lastBlocks:(\d+)$/.exec(group);
  if (last) {
    const k = Number(last[1]);
    if (k < 1 || k > encoderDepth) throw new Error(`parameter group ${group}: k must be in 1…${encoderDepth}`);
    const first = encoderDepth - k;
    return (name) => {
      if (name.startsWith('encoder.norm.')) return true;
      const block = /^encoder\.blocks\.(\d+)\./.exec(name);
      return block !== null && Number(block[1]) >= first;
    };
  }
  throw new Error(`unknown parameter group '${group}'; use all, bias, layernorm, lastBlocks:k or a predicate`);
}

/**
 * The variables in a group or matching a predicate, by name. Combine with a name prefix
 * to restrict a group to one part, e.g. `(n) => n.startsWith('encoder.') && n.endsWith('.bias')`.
 */
export function selectParameters(model: MaeModel, selector: ParameterGroupName | string | ParameterPredicate): Map<string, tf.Variable> {
  const keep: ParameterPredicate =
    typeof selector === 'function' ? selector : ((test) => (name: string) => test(name))(parameterGroup(selector, model.config.depth));
  const out = new Map<string, tf.Variable>();
  for (const [name, variable] of namedParameters(model)) if (keep(name, variable)) out.set(name, variable);
  return out;
}
