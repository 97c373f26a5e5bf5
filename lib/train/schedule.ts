/**
 * Learning-rate schedule: linear warm-up, then half a cosine down to a floor (as MAE).
 */

/** A warm-up + cosine schedule over `totalSteps` updates. */
export interface CosineSchedule {
  /** Peak learning rate, reached at the end of warm-up. */
  learningRate: number;
  /** Floor at the end; default 0. */
  minLearningRate?: number;
  /** Updates of linear warm-up from 0 (default 0). */
  warmupSteps?: number;
  /** Updates in the whole run. */
  totalSteps: number;
}

/** Learning rate for update number `step` (0-based). */
export function cosineLearningRate(step: number, schedule: CosineSchedule): number {
  const { learningRate, totalSteps } = schedule;
  const floor = schedule.minLearningRate ?? 0;
  const warmup = Math.min(schedule.warmupSteps ?? 0, totalSteps);
  // (step + 1) so the first update already moves; it reaches the peak on the last warm-up step.
  if (step < warmup) return (learningRate * (step + 1)) / warmup;
  const span = Math.max(1, totalSteps - warmup);
  const progress = Math.min(1, (step - warmup) / span);
  return floor + (learningRate - floor) * 0.5 * (1 + Math.cos(Math.PI * progress));
}
