/**
 * Experiments: a config (JSON or YAML, validated) names the corpus, tasks, shifts, model,
 * methods and TTT settings; {@link runExperiment} runs it into a folder of `config.json`,
 * `results.csv`, `summary.csv` (resuming an interrupted run), {@link runSweep} runs every
 * point of a grid (or one shard of them), and {@link writeReport} merges folders into
 * `summary.csv` (accuracy with 95 % intervals, top-class shares, paired-bootstrap gains; see
 * {@link summarizeWithIntervals}) and a self-contained `report.html`. Noise shifts also record
 * the clean-twin diagnostic in `diagnostics.csv` ({@link TwinRecorder}).
 * @packageDocumentation
 */
export {
  DEFAULT_METHODS,
  ExperimentConfigError,
  baselineSettings,
  MAIN_EXPERIMENT,
  experimentConfigSchema,
  loadExperimentConfig,
  resolveExperimentConfig,
} from './config.js';
export type { ExperimentConfig, ExperimentConfigInput, ExperimentMethod, ExperimentTask, ExperimentTttSettings } from './config.js';
export { experimentUnits, methodSpec, parseShard, runExperiment, shardItems } from './run.js';
export { RUN_LOCK_FILE, RunFolderBusyError, runFolder, withRunFolder } from './folder.js';
export type { ExperimentUnit, RunOptions, RunResult, Shard } from './run.js';
export { expandGrid, runSweep } from './sweep.js';
export type { SweepOptions, SweepResult, SweepVariant } from './sweep.js';
export { findRunFolders, mergeResults, summarizeVariants, writeReport } from './report.js';
export type { ReportResult, RunFolder, VariantSummary } from './report.js';
export { adaptationTable, formatAdaptationTable, rollingMean, rollingTopShare, streamFigures, streamSection, streamTraces } from './stream-report.js';
export type { AdaptationRow, StreamTrace } from './stream-report.js';
export {
  conditionChance,
  formatGain,
  formatStatisticsCsv,
  formatStatisticsTable,
  gainSentence,
  reportedSteps,
  signed,
  summarizeWithIntervals,
} from './summary.js';
export type { ConditionChance, Gain, StatisticsOptions, StepStatistics } from './summary.js';
export { DIAGNOSTIC_COLUMNS, TwinRecorder, diagnosticsPath, formatDiagnostics, measureTwins, readDiagnostics, summarizeDiagnostics } from './diagnostics.js';
export type { DiagnosticSummary, TwinDiagnostic, TwinRecorderOptions } from './diagnostics.js';
