/**
 * Small, seeded statistics for reading TTT results honestly: Wilson and percentile-bootstrap
 * intervals of an accuracy, the paired-bootstrap interval of an accuracy gain over the same
 * clips, chance levels and the share of predictions on the most predicted class.
 * @packageDocumentation
 */
export { DEFAULT_CONFIDENCE, normalQuantile, quantileSorted, wilsonInterval } from './interval.js';
export type { Interval } from './interval.js';
export { DEFAULT_RESAMPLES, bootstrapMean, pairedBootstrapGain } from './bootstrap.js';
export type { BootstrapEstimate, BootstrapOptions } from './bootstrap.js';
export { chanceLevels, topClassShare } from './classes.js';
export type { ChanceLevels } from './classes.js';
