/**
 * What a TTT mode holds in memory beyond the model: the trained copies and the optimizer's
 * state for them (full fine-tuning keeps both for every encoder parameter, BitFit for the
 * biases only, times B clips when batched), plus the cached transposes of frozen matrices,
 * which are shared by every clip of a run.
 */
import * as tf from '@tensorflow/tfjs';
import type { MaeModel } from '../model/index.js';
import { resolveTttConfig, type TttConfigInput, type TttOptimizerName } from './config.js';
import { encoderGroup, groupLabel, isVectorGroup, type TttGroup } from './groups.js';
import { createOptimizer } from './optimizers.js';
import { createPassContext } from './passes.js';
import { AdaptedParameters } from './state.js';

/** Bytes of one TTT mode. */
export interface MemoryFootprint {
  group: string;
  optimizer: TttOptimizerName;
  /** Clips adapted together, each with its own copy (1: per-sample). */
  batch: number;
  /** Trained scalars in all (per clip × batch). */
  trainedParameters: number;
  /** Bytes of the trained copies (float32). */
  trainedBytes: number;
  /** Bytes of the optimizer state of those copies. */
  slotBytes: number;
  /** `trainedBytes + slotBytes`: what grows with the number of clips adapted at once. */
  totalBytes: number;
  /** The same, measured: growth of `tf.memory().numBytes` with copies and optimizer state live after one update. */
  measuredBytes: number;
  /** Cached transposes of the frozen matrices (once per run, whatever the batch). */
  frozenCacheBytes: number;
}

/**
 * Computes and measures the memory of a mode: a group trained with an optimizer (a name or
 * a config), per sample or with `batch` copies (vector groups only).
 */
export function memoryFootprint(
  model: MaeModel,
  group: TttGroup,
  optimizer: TttOptimizerName | TttConfigInput = 'sgd',
  options: { batch?: number } = {},
): MemoryFootprint {
  const trained = encoderGroup(model, group);
  const config = resolveTttConfig(typeof optimizer === 'string' ? { optimizer } : optimizer, { vectorsOnly: isVectorGroup(trained) });
  const batch = options.batch ?? 1;
  const before = tf.memory().numBytes;
  const context = createPassContext(model, trained);
  const frozenCacheBytes = tf.memory().numBytes - before;
  const start = tf.memory().numBytes;
  const state = new AdaptedParameters(trained, options.batch === undefined ? null : batch);
  const opt = createOptimizer(config, state.variables, state.matrixNames);
  try {
    // Copies share their source's data until their first update; one zero-gradient update gives each its own buffer.
    const zeros = new Map([...state.variables].map(([name, v]) => [name, tf.zerosLike(v)] as [string, tf.Tensor]));
    opt.apply(zeros);
    tf.dispose([...zeros.values()]);
    const measuredBytes = tf.memory().numBytes - start;
    const trainedParameters = state.size;
    const trainedBytes = 4 * trainedParameters;
    const slotBytes = opt.slotsPerParameter * trainedBytes;
    return {
      group: groupLabel(group),
      optimizer: config.optimizer,
      batch,
      trainedParameters,
      trainedBytes,
      slotBytes,
      totalBytes: trainedBytes + slotBytes,
      measuredBytes,
      frozenCacheBytes,
    };
  } finally {
    opt.dispose();
    state.dispose();
    context.frozen.dispose();
  }
}
