/**
 * The lock file of learned checksums (`<dataDir>/checksums.lock.json`). Where a corpus
 * publishes no checksum, the first complete download's SHA-256 is recorded here; every later
 * download and every `verify` must then match it, so a silently changed upstream file is
 * noticed rather than mixed into an experiment.
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeJsonAtomic } from '../../util/atomic.js';
import type { Checksum } from './hash.js';

/** One file's record. */
export interface LockEntry extends Checksum {
  /** Size in bytes. */
  size: number;
  /** Where it was downloaded from. */
  url: string;
  /** When it was learned (ISO 8601). */
  recorded: string;
}

interface LockFileContent {
  version: 1;
  files: Record<string, LockEntry>;
}

/** Learned checksums, keyed by path relative to the data folder (`musan/downloads/musan.tar.gz`). */
export class ChecksumLock {
  /** The lock file's path. */
  readonly path: string;
  private readonly files: Record<string, LockEntry>;

  private constructor(path: string, files: Record<string, LockEntry>) {
    this.path = path;
    this.files = files;
  }

  /** Reads the lock file, or starts an empty one if there is none yet. */
  static load(path: string): ChecksumLock {
    if (!existsSync(path)) return new ChecksumLock(path, {});
    let content: LockFileContent;
    try {
      content = JSON.parse(readFileSync(path, 'utf8')) as LockFileContent;
    } catch (err) {
      throw new Error(`${path}: not valid JSON (${(err as Error).message}); fix or delete it to re-learn checksums`);
    }
    if (content.version !== 1 || typeof content.files !== 'object' || content.files === null) {
      throw new Error(`${path}: not a version 1 checksum lock`);
    }
    return new ChecksumLock(path, { ...content.files });
  }

  /** The record for `key`, if any. */
  get(key: string): LockEntry | undefined {
    return this.files[key];
  }

  /** Records `entry` and writes the lock file at once, so an interrupted run keeps what it learned. */
  set(key: string, entry: LockEntry): void {
    this.files[key] = entry;
    this.save();
  }

  /** Keys in the lock, sorted. */
  keys(): string[] {
    return Object.keys(this.files).sort();
  }

  private save(): void {
    const sorted = Object.fromEntries(this.keys().map((key) => [key, this.files[key]]));
    writeJsonAtomic(this.path, { version: 1, files: sorted } satisfies LockFileContent);
  }
}
