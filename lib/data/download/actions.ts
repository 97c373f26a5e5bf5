/**
 * The three things one does with a real corpus: download it (where its licence allows),
 * verify what is on disk, and prepare its manifest. Everything lives under one data folder:
 *
 * ```
 * <dataDir>/checksums.lock.json        learned checksums
 * <dataDir>/<corpus>/download-plan.json the files fetched and their expected digests
 * <dataDir>/<corpus>/downloads/…        archives
 * <dataDir>/<corpus>/…                  the unpacked corpus
 * <dataDir>/<corpus>/manifest.csv       the manifest (paths relative to this folder)
 * ```
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeJsonAtomic } from '../../util/atomic.js';
import { packageRoot } from '../../util/paths.js';
import { createProgress } from '../../util/progress.js';
import type { Progress } from '../../util/progress.js';
import { CORPUS_PARSERS, findCorpusRoot } from '../corpora/index.js';
import type { CorpusName, ParseOptions, SkippedFile } from '../corpora/index.js';
import { rebasePaths, writeManifestCsv } from '../manifest.js';
import { extractArchive } from './extract.js';
import { downloadFile } from './fetch-file.js';
import type { DownloadFileResult } from './fetch-file.js';
import type { Checksum } from './hash.js';
import { ChecksumMismatchError, hashFile } from './hash.js';
import { ChecksumLock } from './lock.js';
import { resolveInside } from './safe-path.js';
import { CORPUS_SOURCES, formatLicence, mapLimit } from './sources.js';
import type { RemoteFile } from './sources.js';

/** Environment variable naming the data folder. */
export const DATA_DIR_ENV = 'TTT_SPEECH_DATA';

/** The data folder: `TTT_SPEECH_DATA` if set, else `data/` in the package folder. */
export function defaultDataDir(): string {
  const fromEnv = process.env[DATA_DIR_ENV];
  return fromEnv ? resolve(fromEnv) : join(packageRoot(), 'data');
}

/** The lock file of a data folder. */
export function lockPath(dataDir: string): string {
  return join(dataDir, 'checksums.lock.json');
}

/** A download refused because the corpus's licence restricts use and was not accepted. */
export class LicenceNotAcceptedError extends Error {
  /** The corpus. */
  readonly corpus: CorpusName;

  constructor(corpus: CorpusName, notice: string) {
    super(`${notice}\n${corpus} was not downloaded: rerun with --accept-licence if you accept these terms.`);
    this.name = 'LicenceNotAcceptedError';
    this.corpus = corpus;
  }
}

/** Options shared by the actions. */
export interface DataOptions {
  /** The data folder; default {@link defaultDataDir}. */
  dataDir?: string;
  /** Where messages go; default standard error. */
  log?: (line: string) => void;
}

/** Options for {@link downloadCorpus}. */
export interface DownloadCorpusOptions extends DataOptions {
  /** Accepts a non-commercial or no-derivatives licence (required for those corpora). */
  acceptLicence?: boolean;
  /** `fetch` to use; default the global one. */
  fetch?: typeof fetch;
  /** Unpack archives after downloading (default true). */
  extract?: boolean;
  /** Replaces the corpus's own file list (tests, mirrors). */
  files?: RemoteFile[];
}

/** What {@link downloadCorpus} did. */
export interface DownloadSummary {
  corpus: CorpusName;
  /** `instructions`: the corpus cannot be downloaded here; `instructions` says how to get it. */
  status: 'done' | 'instructions';
  instructions: string;
  downloaded: string[];
  present: string[];
  /** Files whose checksum was learned into the lock file on this run. */
  learned: string[];
  extracted: string[];
}

function logger(options: DataOptions): (line: string) => void {
  return options.log ?? ((line: string) => process.stderr.write(line + '\n'));
}

function lockKey(corpus: CorpusName, file: RemoteFile): string {
  return `${corpus}/${file.dest}`;
}

function planPath(corpusDir: string): string {
  return join(corpusDir, 'download-plan.json');
}

function expectedFor(corpus: CorpusName, file: RemoteFile, lock: ChecksumLock): { checksum?: Checksum; origin?: string } {
  if (file.checksum) return { checksum: file.checksum, origin: file.checksumOrigin ?? 'published' };
  const learned = lock.get(lockKey(corpus, file));
  return learned ? { checksum: learned, origin: `learned on ${learned.recorded}, ${lock.path}` } : {};
}

/** Where `file` goes: inside the corpus folder, or an {@link UnsafePathError} naming the corpus and the URL. */
function destinationOf(corpus: CorpusName, corpusDir: string, file: RemoteFile): string {
  return resolveInside(corpusDir, file.dest, `${corpus}: destination of ${file.url}`);
}

/** Re-hashes an archive already on disk against its published or learned digest. */
async function checkBeforeUnpacking(corpus: CorpusName, file: RemoteFile, archive: string, lock: ChecksumLock, log: (line: string) => void): Promise<void> {
  const expected = expectedFor(corpus, file, lock);
  if (!expected.checksum) {
    log(`${file.dest}: no checksum published or learned, so it is unpacked unchecked`);
    return;
  }
  log(`checking ${file.dest} against its ${expected.checksum.algorithm} before unpacking it …`);
  const actual = await hashFile(archive, expected.checksum.algorithm);
  if (actual !== expected.checksum.hex.toLowerCase()) {
    throw new ChecksumMismatchError(archive, expected.checksum, actual, `${expected.origin ?? 'expected'}; not unpacked: delete it and download again`);
  }
}

/**
 * Progress of one file in bytes. The bar starts at the first response, when the size is known
 * (archive hosts rarely publish sizes in advance); without a size there is no bar.
 */
function byteProgress(label: string): { onProgress: (received: number, total: number | undefined) => void; stop: () => void } {
  let progress: Progress | undefined;
  let shown = 0;
  return {
    onProgress(received, total) {
      if (!progress && total !== undefined) {
        progress = createProgress({ label, total });
        shown = 0;
      }
      // A restart from byte 0 (server ignored Range) makes `received` drop; the bar never goes back.
      if (progress && received > shown) {
        progress.tick(received - shown);
        shown = received;
      }
    },
    stop: () => progress?.stop(),
  };
}

/**
 * Downloads a corpus into `<dataDir>/<corpus>/`: prints its licence, refuses restrictive
 * licences without `acceptLicence`, fetches each file (resuming, checking digests, learning
 * unknown ones into the lock file) and unpacks archives. For corpora that cannot be downloaded
 * it returns their instructions and fetches nothing.
 */
export async function downloadCorpus(corpus: CorpusName, options: DownloadCorpusOptions = {}): Promise<DownloadSummary> {
  const log = logger(options);
  const source = CORPUS_SOURCES[corpus];
  const summary: DownloadSummary = { corpus, status: 'done', instructions: source.instructions, downloaded: [], present: [], learned: [], extracted: [] };
  const notice = formatLicence(source);
  if (source.access !== 'download' || (!source.plan && !options.files)) {
    log(notice);
    return { ...summary, status: 'instructions' };
  }
  if (source.licence.restrictive && !options.acceptLicence) throw new LicenceNotAcceptedError(corpus, notice);
  log(notice);
  log(source.instructions);
  const dataDir = options.dataDir ?? defaultDataDir();
  const corpusDir = join(dataDir, corpus);
  const doFetch = options.fetch ?? fetch;
  const files = options.files ?? (await source.plan!({ fetch: doFetch, corpusDir, log }));
  // Destinations come from hosts' APIs: every one is checked before anything is fetched or written.
  const destinations = new Map(files.map((file) => [file, destinationOf(corpus, corpusDir, file)]));
  writeJsonAtomic(planPath(corpusDir), { corpus, files });
  const lock = ChecksumLock.load(lockPath(dataDir));
  // Many small files (CREMA-D, TESS) get one bar counting files; a few archives, one byte bar each, in turn.
  const manyFiles = files.length > 50;
  const fileProgress = manyFiles ? createProgress({ label: corpus, total: files.length }) : undefined;
  try {
    await mapLimit(files, manyFiles ? 8 : 1, async (file) => {
      const expected = expectedFor(corpus, file, lock);
      const bytes = manyFiles ? undefined : byteProgress(file.dest.slice(file.dest.lastIndexOf('/') + 1));
      let result: DownloadFileResult;
      try {
        result = await downloadFile({
          url: file.url,
          dest: destinations.get(file)!,
          size: file.size,
          expected: expected.checksum,
          expectedOrigin: expected.origin,
          fetch: doFetch,
          onProgress: bytes?.onProgress,
        });
      } finally {
        bytes?.stop();
      }
      fileProgress?.tick(1, file.dest);
      (result.status === 'downloaded' ? summary.downloaded : summary.present).push(file.dest);
      if (result.status === 'downloaded' && !expected.checksum && result.checksum) {
        lock.set(lockKey(corpus, file), { ...result.checksum, size: result.size, url: file.url, recorded: new Date().toISOString() });
        summary.learned.push(file.dest);
      }
    });
  } finally {
    fileProgress?.stop();
  }
  if (options.extract !== false) {
    for (const file of files.filter((f) => f.extract)) {
      const archive = destinations.get(file)!;
      // An archive fetched by this run was checked on arrival; one already on disk may have
      // changed since, so it is checked again before it is unpacked again.
      const beforeUnpack = summary.downloaded.includes(file.dest) ? undefined : () => checkBeforeUnpacking(corpus, file, archive, lock, log);
      log(`unpacking ${file.dest} …`);
      if (await extractArchive(archive, corpusDir, { beforeUnpack })) summary.extracted.push(file.dest);
    }
  }
  log(`${corpus}: ${summary.downloaded.length} downloaded, ${summary.present.length} already present, ${summary.learned.length} checksum(s) learned into ${lock.path}`);
  return summary;
}

/** One file's state as found by {@link verifyCorpus}. */
export interface VerifiedFile {
  dest: string;
  status: 'ok' | 'mismatch' | 'missing' | 'unchecked';
  /** For `mismatch`: what the file hashed to and what was expected. */
  detail?: string;
}

/** What {@link verifyCorpus} found. */
export interface VerifySummary {
  corpus: CorpusName;
  /** True when every file is present and matches its checksum. */
  ok: boolean;
  files: VerifiedFile[];
}

/**
 * Re-hashes every file a download fetched (as listed in its `download-plan.json`) against
 * the published, pinned or learned checksum; reports missing files and mismatches.
 */
export async function verifyCorpus(corpus: CorpusName, options: DataOptions = {}): Promise<VerifySummary> {
  const log = logger(options);
  const dataDir = options.dataDir ?? defaultDataDir();
  const corpusDir = join(dataDir, corpus);
  if (!existsSync(planPath(corpusDir))) {
    throw new Error(`${corpus}: nothing downloaded into ${corpusDir} yet (no download-plan.json); run: ttt-speech data download ${corpus}`);
  }
  const { files } = JSON.parse(readFileSync(planPath(corpusDir), 'utf8')) as { files: RemoteFile[] };
  const lock = ChecksumLock.load(lockPath(dataDir));
  const paths = new Map(files.map((file) => [file, destinationOf(corpus, corpusDir, file)]));
  const present = files.filter((f) => existsSync(paths.get(f)!));
  const totalBytes = present.reduce((sum, f) => sum + statSync(paths.get(f)!).size, 0);
  const progress = createProgress({ label: `verify ${corpus}`, total: totalBytes });
  const results: VerifiedFile[] = [];
  try {
    for (const file of files) {
      const path = paths.get(file)!;
      if (!existsSync(path)) {
        results.push({ dest: file.dest, status: 'missing' });
        continue;
      }
      const expected = expectedFor(corpus, file, lock);
      if (!expected.checksum) {
        progress.tick(statSync(path).size);
        results.push({ dest: file.dest, status: 'unchecked', detail: 'no checksum published or learned' });
        continue;
      }
      const actual = await hashFile(path, expected.checksum.algorithm, (bytes) => progress.tick(bytes));
      if (actual === expected.checksum.hex.toLowerCase()) results.push({ dest: file.dest, status: 'ok' });
      else results.push({ dest: file.dest, status: 'mismatch', detail: new ChecksumMismatchError(path, expected.checksum, actual, expected.origin ?? '').message });
    }
  } finally {
    progress.stop();
  }
  const count = (status: VerifiedFile['status']) => results.filter((r) => r.status === status).length;
  log(`${corpus}: ${count('ok')} ok, ${count('mismatch')} mismatched, ${count('missing')} missing, ${count('unchecked')} without a checksum`);
  for (const bad of results.filter((r) => r.status === 'mismatch' || r.status === 'missing').slice(0, 20)) {
    log(`  ${bad.status}: ${bad.detail ?? bad.dest}`);
  }
  return { corpus, ok: count('ok') === results.length, files: results };
}

/** Options for {@link prepareCorpus}. */
export interface PrepareCorpusOptions extends DataOptions {
  /** A local copy elsewhere (IEMOCAP, VoxCeleb, a shared disk); default the corpus folder in the data folder. */
  root?: string;
  /** Options passed to the corpus's parser (e.g. `{ mic: 2 }` for VCTK). */
  parse?: ParseOptions & Record<string, unknown>;
}

/** What {@link prepareCorpus} wrote. */
export interface PrepareSummary {
  corpus: CorpusName;
  manifestPath: string;
  /** The folder the parser read (the corpus root found under the given folder). */
  root: string;
  rows: number;
  skipped: SkippedFile[];
}

/**
 * Runs the corpus's parser on its local copy and writes `<dataDir>/<corpus>/manifest.csv`,
 * with paths relative to that folder when the copy lies inside it and absolute otherwise.
 */
export function prepareCorpus(corpus: CorpusName, options: PrepareCorpusOptions = {}): PrepareSummary {
  const log = logger(options);
  const dataDir = options.dataDir ?? defaultDataDir();
  const corpusDir = join(dataDir, corpus);
  const searchFrom = resolve(options.root ?? corpusDir);
  if (!existsSync(searchFrom)) {
    const hint = CORPUS_SOURCES[corpus].access === 'download' ? `run: ttt-speech data download ${corpus}` : CORPUS_SOURCES[corpus].instructions;
    throw new Error(`${corpus}: ${searchFrom} does not exist; ${hint}`);
  }
  const root = findCorpusRoot(corpus, searchFrom);
  const result = CORPUS_PARSERS[corpus].parse(root, options.parse);
  if (result.rows.length === 0) throw new Error(`${corpus}: no clips found under ${root}`);
  const manifestPath = join(corpusDir, 'manifest.csv');
  writeManifestCsv(manifestPath, rebasePaths(result.rows, root, corpusDir));
  log(`${corpus}: ${result.rows.length} clips from ${root} → ${manifestPath}` + (result.skipped.length ? `; ${result.skipped.length} file(s) skipped` : ''));
  const reasons = new Map<string, number>();
  for (const s of result.skipped) reasons.set(s.reason, (reasons.get(s.reason) ?? 0) + 1);
  for (const [reason, n] of reasons) log(`  skipped ${n}: ${reason}`);
  return { corpus, manifestPath, root, rows: result.rows.length, skipped: result.skipped };
}
