/**
 * Unpacking downloaded archives with the system's own tools (`unzip`, `tar`): corpora run to
 * gigabytes, and these stream them without holding anything in memory. Windows 10+ and macOS
 * ship a `tar` (bsdtar) that also reads zip files, so `tar` is the fallback for zip.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { writeJsonAtomic } from '../../util/atomic.js';

/** Archive kinds {@link extractArchive} can unpack. */
export type ArchiveKind = 'zip' | 'tar.gz' | 'tar';

/** The kind of archive a file name says it is, or `undefined`. */
export function archiveKind(name: string): ArchiveKind | undefined {
  const lower = name.toLowerCase();
  if (lower.endsWith('.zip')) return 'zip';
  if (lower.endsWith('.tar.gz') || lower.endsWith('.tgz')) return 'tar.gz';
  if (lower.endsWith('.tar')) return 'tar';
  return undefined;
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited with ${code}: ${stderr.trim().slice(-500)}`))));
  });
}

function commandsFor(kind: ArchiveKind, archive: string, destDir: string): [string, string[]][] {
  if (kind === 'zip') {
    return [
      ['unzip', ['-q', '-o', archive, '-d', destDir]],
      ['tar', ['-xf', archive, '-C', destDir]],
    ];
  }
  return [['tar', [kind === 'tar.gz' ? '-xzf' : '-xf', archive, '-C', destDir]]];
}

function markerPath(destDir: string, archive: string): string {
  return join(destDir, `.extracted-${basename(archive)}.json`);
}

/**
 * Unpacks `archive` into `destDir` once: a marker file records the archive's size and
 * modification time, and a later call with the same archive does nothing. Returns whether it
 * unpacked.
 */
export async function extractArchive(archive: string, destDir: string): Promise<boolean> {
  const kind = archiveKind(archive);
  if (!kind) throw new Error(`${archive}: not a .zip, .tar.gz or .tar archive`);
  const stat = statSync(archive);
  const stamp = { size: stat.size, mtimeMs: stat.mtimeMs };
  const marker = markerPath(destDir, archive);
  if (existsSync(marker)) {
    const seen = JSON.parse(readFileSync(marker, 'utf8')) as typeof stamp;
    if (seen.size === stamp.size && seen.mtimeMs === stamp.mtimeMs) return false;
  }
  await mkdir(destDir, { recursive: true });
  const failures: string[] = [];
  for (const [command, args] of commandsFor(kind, archive, destDir)) {
    try {
      await run(command, args);
      writeJsonAtomic(marker, stamp);
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      failures.push(code === 'ENOENT' ? `${command}: not installed` : (err as Error).message);
    }
  }
  throw new Error(`${archive}: could not unpack (${failures.join('; ')}); unpack it into ${destDir} by hand and run prepare`);
}
