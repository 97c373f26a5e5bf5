/**
 * Unpacking downloaded archives with the system's own tools (`unzip`, `tar`): corpora run to
 * gigabytes, and these stream them without holding anything in memory. Windows 10+ and macOS
 * ship a `tar` (bsdtar) that also reads zip files, so `tar` is the fallback for zip.
 *
 * An archive is written by someone else, so its member list is read first and a member that
 * would land outside the folder (an absolute name, `..`) stops the unpack before it starts.
 * Symbolic links are looked at afterwards, whether the unpack worked or not: a link member
 * pointing outside is removed (the tools refuse to write through it, but leave it behind).
 */
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { writeJsonAtomic } from '../../util/atomic.js';
import { isInside, linkTarget, resolveInside } from './safe-path.js';

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

/** Runs a command and returns its standard output; rejects with its exit code and the end of its standard error. */
function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolveRun(Buffer.concat(stdout).toString('utf8')) : reject(new Error(`${command} exited with ${code}: ${stderr.trim().slice(-500)}`)),
    );
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

function listCommandsFor(kind: ArchiveKind, archive: string): [string, string[]][] {
  if (kind === 'zip') {
    return [
      ['unzip', ['-Z1', archive]],
      ['tar', ['-tf', archive]],
    ];
  }
  return [['tar', [kind === 'tar.gz' ? '-tzf' : '-tf', archive]]];
}

/** Runs the first of `commands` that works; the error lists why each failed. */
async function runFirst(commands: [string, string[]][], archive: string, doing: string): Promise<string> {
  const failures: string[] = [];
  for (const [command, args] of commands) {
    try {
      return await run(command, args);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      failures.push(code === 'ENOENT' ? `${command}: not installed` : (err as Error).message);
    }
  }
  throw new Error(`${archive}: could not ${doing} (${failures.join('; ')})`);
}

/** The member names of an archive, as its tool lists them. */
export async function listArchive(archive: string): Promise<string[]> {
  const kind = archiveKind(archive);
  if (!kind) throw new Error(`${archive}: not a .zip, .tar.gz or .tar archive`);
  const listing = await runFirst(listCommandsFor(kind, archive), archive, 'list its members');
  return listing.split('\n').filter((line) => line !== '');
}

/**
 * Removes the symbolic links among `members` (unpacked in `destDir`) that lead outside it, and
 * returns them as `link → target` lines.
 */
function removeEscapingLinks(members: readonly string[], destDir: string): string[] {
  const realDest = realpathSync(destDir);
  const removed: string[] = [];
  for (const member of members) {
    const path = resolve(destDir, member);
    try {
      if (!lstatSync(path).isSymbolicLink()) continue;
    } catch {
      continue; // not unpacked
    }
    const target = linkTarget(path);
    if (isInside(realDest, target)) continue;
    rmSync(path, { force: true });
    removed.push(`${path} → ${target}`);
  }
  return removed;
}

function markerPath(destDir: string, archive: string): string {
  return join(destDir, `.extracted-${basename(archive)}.json`);
}

/** Options of {@link extractArchive}. */
export interface ExtractOptions {
  /** Runs only when the archive is about to be unpacked (e.g. to check its digest first); may throw to stop it. */
  beforeUnpack?: () => Promise<void>;
}

/**
 * Unpacks `archive` into `destDir` once: a marker file records the archive's size and
 * modification time, and a later call with the same archive does nothing. Returns whether it
 * unpacked. Refuses, before unpacking anything, an archive with a member that would land
 * outside `destDir`; after unpacking (or failing to), removes symbolic links that point outside
 * `destDir`, and refuses the archive if there were any.
 */
export async function extractArchive(archive: string, destDir: string, options: ExtractOptions = {}): Promise<boolean> {
  const kind = archiveKind(archive);
  if (!kind) throw new Error(`${archive}: not a .zip, .tar.gz or .tar archive`);
  const stat = statSync(archive);
  const stamp = { size: stat.size, mtimeMs: stat.mtimeMs };
  const marker = markerPath(destDir, archive);
  if (existsSync(marker)) {
    const seen = JSON.parse(readFileSync(marker, 'utf8')) as typeof stamp;
    if (seen.size === stamp.size && seen.mtimeMs === stamp.mtimeMs) return false;
  }
  await options.beforeUnpack?.();
  await mkdir(destDir, { recursive: true });
  const members = await listArchive(archive);
  for (const member of members) resolveInside(destDir, member, `${archive}: member`);
  let failure: Error | undefined;
  try {
    await runFirst(commandsFor(kind, archive, destDir), archive, 'unpack');
  } catch (err) {
    failure = err as Error;
  }
  const removed = removeEscapingLinks(members, destDir);
  const links = removed.length > 0 ? `removed ${removed.length} symbolic link(s) it left pointing outside ${destDir}: ${removed.join(', ')}` : '';
  if (failure) throw new Error(`${failure.message}${links ? `; ${links}` : ''}; unpack it into ${destDir} by hand and run prepare`);
  if (links) throw new Error(`${archive}: refused: ${links}`);
  writeJsonAtomic(marker, stamp);
  return true;
}
