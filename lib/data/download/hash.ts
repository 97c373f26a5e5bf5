/**
 * File digests for download checks. Each corpus publishes a different kind: SHA-256 (VCTK,
 * Git LFS pointers), MD5 (Zenodo, Dataverse), or a git blob id for files kept in a repository.
 */
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';

/** Digest kinds a checksum can be given in. `git-sha1` is git's blob id: SHA-1 of `blob <size>\0` + content. */
export type HashAlgorithm = 'sha256' | 'sha1' | 'md5' | 'git-sha1';

/** An expected digest. */
export interface Checksum {
  algorithm: HashAlgorithm;
  /** Lower-case hex. */
  hex: string;
}

/** Hashes a file by streaming it; `onBytes` is told how many bytes each chunk had (for progress). */
export async function hashFile(path: string, algorithm: HashAlgorithm, onBytes?: (bytes: number) => void): Promise<string> {
  const hash = createHash(algorithm === 'git-sha1' ? 'sha1' : algorithm);
  if (algorithm === 'git-sha1') hash.update(`blob ${statSync(path).size}\0`);
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
    onBytes?.((chunk as Buffer).length);
  }
  return hash.digest('hex');
}

/** Hashes bytes in memory (small files such as LFS pointers). */
export function hashBytes(bytes: Uint8Array, algorithm: HashAlgorithm): string {
  const hash = createHash(algorithm === 'git-sha1' ? 'sha1' : algorithm);
  if (algorithm === 'git-sha1') hash.update(`blob ${bytes.length}\0`);
  hash.update(bytes);
  return hash.digest('hex');
}

/** A downloaded or stored file whose digest is not the one expected. */
export class ChecksumMismatchError extends Error {
  /** The file that was checked. */
  readonly file: string;
  /** What was expected. */
  readonly expected: Checksum;
  /** What the file hashed to. */
  readonly actual: string;

  constructor(file: string, expected: Checksum, actual: string, origin: string) {
    super(`${file}: ${expected.algorithm} is ${actual}, expected ${expected.hex} (${origin})`);
    this.name = 'ChecksumMismatchError';
    this.file = file;
    this.expected = expected;
    this.actual = actual;
  }
}
