/**
 * The offline corpus: a multi-speaker English speech corpus that ttt-speech builds from npm
 * packages alone, deterministically from a seed. 24 task speakers (F/M × young/old × 6) read 20
 * sentences each in four speaking styles (emotion-like); 8 babble-only speakers provide babble
 * noise. Audio is synthesised by eSpeak NG in a separate GPL-3.0 program (never in this
 * process); see `voices.ts` for what the speakers are and how synthetic they are.
 *
 * ```ts
 * const corpus = await buildCorpus({ preset: 'ci', outDir: 'data/offline-ci' });
 * const rows = readManifest(corpus.manifestPath); // typed: row.sentence, row.role, row.durationS
 * const same = readManifestCsv(corpus.manifestPath); // lib/data rows: the same file, as every corpus reads
 * ```
 * The manifest is a lib/data manifest (`corpus` = `offline`, `split` = `train` / `test` /
 * `babble`) with the corpus's own facts as extra columns; see `manifest.ts`.
 * @packageDocumentation
 */
export { buildCorpus, defaultCorpusDir, defaultDataDir } from './build.js';
export type { CorpusBuildResult, CorpusOptions, CorpusRecord } from './build.js';
export { planCorpus, resolveCorpusRecipe, CORPUS_FILES, CORPUS_PRESETS, CORPUS_RECIPE_VERSION, SPEAKERS_PER_SHARD } from './plan.js';
export type { ClipPlan, CorpusPreset, CorpusRecipe, CorpusRecipeOptions, CorpusSize } from './plan.js';
export type { ClipAdjustments } from './shard.js';
export {
  readManifest,
  parseManifest,
  formatManifest,
  toDataRow,
  fromDataRow,
  offlineSplit,
  isTaskSpeech,
  ManifestError,
  MANIFEST_COLUMNS,
  OFFLINE_EXTRA_COLUMNS,
  OFFLINE_CORPUS_NAME,
  HELD_OUT_SENTENCES,
} from './manifest.js';
export type { ManifestRow } from './manifest.js';
export { summarizeCorpus, formatCorpusSummary } from './summary.js';
export type { CorpusSummary } from './summary.js';
export { CORPUS_SAMPLE_RATE, MIN_CLIP_S, MAX_CLIP_S } from './render.js';
export { TASK_SENTENCES, BABBLE_SENTENCES } from './sentences.js';
export {
  SPEAKER_GROUPS,
  SPEAKER_GROUP_NAMES,
  SPEAKING_STYLES,
  SPEAKING_STYLE_NAMES,
  REFERENCE_VTL_CM,
  IDIOSYNCRASY_SD,
  CLIP_VARIATION_SD,
  NOISE_FLOOR_DB,
  drawSpeakers,
  drawClipVoice,
  espeakVariant,
  styleFor,
  VoiceParameterError,
} from './voices.js';
export type {
  AgeGroup,
  ClipVoice,
  Gender,
  GroupNorms,
  Norm,
  SpeakerGroupName,
  SpeakerRole,
  SpeakerVoice,
  SpeakingStyle,
  SpeakingStyleName,
} from './voices.js';
