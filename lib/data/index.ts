/**
 * Data in ttt-speech: the manifest format (one row per clip), its CSV and DataFrame forms,
 * parsers that list real corpora in their published layouts, and the download / verify /
 * prepare steps behind `ttt-speech data`.
 * @packageDocumentation
 */
export {
  MANIFEST_COLUMNS,
  REQUIRED_COLUMNS,
  ManifestError,
  manifestRowSchema,
  validateRow,
  makeRow,
  extraColumns,
  parseManifestCsv,
  readManifestCsv,
  formatManifestCsv,
  writeManifestCsv,
  resolveClipPath,
  manifestRoot,
  rebasePaths,
} from './manifest.js';
export type { Gender, ManifestRow, ManifestColumn, ManifestReadOptions } from './manifest.js';
export { loadDanfo, toDataFrame, fromDataFrame } from './frame.js';
export type { Danfo, FrameLike } from './frame.js';
export { probeAudio, probeDuration } from './probe.js';
export type { AudioHeader } from './probe.js';
export * from './corpora/index.js';
export { hashFile, hashBytes, ChecksumMismatchError } from './download/hash.js';
export type { Checksum, HashAlgorithm } from './download/hash.js';
export { ChecksumLock } from './download/lock.js';
export type { LockEntry } from './download/lock.js';
export { downloadFile, partPath, DownloadError, describeNetworkError } from './download/fetch-file.js';
export type { DownloadFileOptions, DownloadFileResult } from './download/fetch-file.js';
export { extractArchive, archiveKind, listArchive } from './download/extract.js';
export type { ArchiveKind, ExtractOptions } from './download/extract.js';
export { resolveInside, UnsafePathError } from './download/safe-path.js';
export { CORPUS_SOURCES, CREMA_D_REPO, formatLicence, parseLfsPointer, parseZenodoChecksum, mapLimit } from './download/sources.js';
export type { CorpusSource, Licence, RemoteFile, PlanContext, LfsPointer } from './download/sources.js';
export {
  DATA_DIR_ENV,
  defaultDataDir,
  lockPath,
  LicenceNotAcceptedError,
  downloadCorpus,
  verifyCorpus,
  prepareCorpus,
} from './download/actions.js';
export type {
  DataOptions,
  DownloadCorpusOptions,
  DownloadSummary,
  VerifiedFile,
  VerifySummary,
  PrepareCorpusOptions,
  PrepareSummary,
} from './download/actions.js';
