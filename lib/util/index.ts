/**
 * Small shared helpers: seeded randomness, atomic writes, lock files, progress reports, package paths,
 * and reading the files people name (configs, JSON) with errors that say what is wrong.
 * @packageDocumentation
 */
export { createRng, deriveSeed, gaussian, shuffled } from './random.js';
export type { Rng } from './random.js';
export { writeFileAtomic, writeJsonAtomic } from './atomic.js';
export { FileLockBusyError, withFileLock } from './lock.js';
export type { FileLockOptions } from './lock.js';
export { createProgress, setProgressRenderer } from './progress.js';
export type { Progress, ProgressSpec, ProgressRenderer } from './progress.js';
export { packageRoot, packageVersion } from './paths.js';
export { describeFileError, readTextFile, readJsonFile, readConfigFile, configFormat } from './files.js';
export type { ConfigFormat } from './files.js';
