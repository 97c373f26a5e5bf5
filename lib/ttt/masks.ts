/**
 * The masks of TTT steps. Each (clip, step) draws its own mask from a seed derived from the
 * run seed, the clip id and the step, so a clip gets the same masks whether it is adapted
 * alone, in a batch at any position, or after a resume.
 */
import { patchGrid, randomMasking, type MaeModel, type MaskPlan } from '../model/index.js';
import { createRng, deriveSeed } from '../util/index.js';
import type { TttConfig } from './config.js';

/** The seed of the mask that clip `clipKey` uses at `step`. */
export function maskSeed(seed: number, clipKey: string, step: number): number {
  return deriveSeed(deriveSeed(seed, `clip:${clipKey}`), `step:${step}`);
}

/** One clip's mask for one step (a plan for a batch of one). */
export function stepMask(model: MaeModel, config: Pick<TttConfig, 'seed' | 'mask'>, clipKey: string, step: number): MaskPlan {
  return randomMasking(patchGrid(model.config), 1, createRng(maskSeed(config.seed, clipKey, step)), config.mask);
}

/** Plans of single samples stacked into one plan for the batch, in order. They must keep the same number of tokens. */
export function stackMasks(plans: readonly MaskPlan[]): MaskPlan {
  if (plans.length === 0) throw new Error('stackMasks: no plans');
  const first = plans[0];
  for (const plan of plans) {
    if (plan.numPatches !== first.numPatches || plan.keepCount !== first.keepCount) {
      throw new Error(`stackMasks: plans keep ${plan.keepCount} and ${first.keepCount} of ${plan.numPatches} tokens; they must agree`);
    }
  }
  if (plans.length === 1) return first;
  const concat = <A extends Int32Array | Float32Array>(pick: (plan: MaskPlan) => A, make: new (n: number) => A): A => {
    const parts = plans.map(pick);
    const out = new make(parts.reduce((n, part) => n + part.length, 0));
    let offset = 0;
    for (const part of parts) {
      out.set(part, offset);
      offset += part.length;
    }
    return out;
  };
  return {
    strategy: first.strategy,
    ratio: first.ratio,
    batch: plans.reduce((n, plan) => n + plan.batch, 0),
    numPatches: first.numPatches,
    keepCount: first.keepCount,
    maskCount: first.maskCount,
    idsKeep: concat((p) => p.idsKeep, Int32Array),
    idsMasked: concat((p) => p.idsMasked, Int32Array),
    idsShuffle: concat((p) => p.idsShuffle, Int32Array),
    idsRestore: concat((p) => p.idsRestore, Int32Array),
    mask: concat((p) => p.mask, Float32Array),
  };
}
