/**
 * Benchmarks (`npm run bench`): median milliseconds of the project's hot paths on the shipped
 * model (fbank, classifier forward, one TTT step per group and mode, batched BitFit at several
 * batch sizes, one pre-training step), next to a PyTorch reference of the same model and
 * cases when Python has torch. Case names follow `<what>-<group>-<mode>[-B<n>]`.
 * @packageDocumentation
 */
export { median, timeRuns } from './timing.js';
export type { RepeatSpec, TimedWork, Timing } from './timing.js';
export {
  BATCHED_BITFIT_SIZES,
  BENCH_HEAD_CLASSES,
  FBANK_CLIP_SECONDS,
  LARGE_BATCH_CASES,
  PRETRAIN_BENCH_SETTINGS,
  benchCaseNames,
  benchCases,
  selectCases,
} from './cases.js';
export type { BenchCase, CaseSetup, PreparedCase } from './cases.js';
export {
  DEFAULT_PYTHON_CANDIDATES,
  NO_TORCH_NOTE,
  findTorchPython,
  parseTorchOutput,
  runTorchReference,
  torchReferenceScript,
} from './torch.js';
export type { TorchCaseResult, TorchPython, TorchReferenceOutput, TorchRunOptions } from './torch.js';
export { DEFAULT_BENCH_OUT, DEFAULT_REPEATS, repeatSpec, runBench } from './run.js';
export type { BenchEntry, BenchInfo, BenchOptions, BenchReport, BenchRun, CaseTiming } from './run.js';
export { formatBenchTable } from './format.js';
