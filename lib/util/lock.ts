/**
 * A lock file holding its owner's process id, so that two processes writing one place (two
 * corpus builds into one folder, two graders merging one grades.csv, two runs of an experiment)
 * take turns, or the second stops. A lock whose process is gone (crashed or killed) is taken
 * over instead of blocking every later run.
 */
import { linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

/** Whether a process with this id exists (signal 0 tests without sending anything). */
function processExists(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** What one attempt at the lock found. */
type Attempt = { state: 'taken' } | { state: 'held'; holder: number } | { state: 'freed' };

function tryAcquire(path: string): Attempt {
  // The id is written first and the file linked into place whole, so that nobody ever reads a
  // lock file still empty and takes its live owner for a dead one.
  const draft = `${path}.tmp-${process.pid}`;
  writeFileSync(draft, String(process.pid));
  try {
    linkSync(draft, path);
    return { state: 'taken' };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    rmSync(draft, { force: true });
  }
  let holder: number;
  try {
    holder = Number(readFileSync(path, 'utf8'));
  } catch {
    return { state: 'freed' }; // released between our two looks
  }
  if (processExists(holder)) return { state: 'held', holder };
  rmSync(path, { force: true });
  return { state: 'freed' };
}

/** The lock is held by a live process (this one included) and the caller chose not to wait. */
export class FileLockBusyError extends Error {
  /**
   * @param path - the lock file
   * @param holder - process id of its owner
   */
  constructor(
    readonly path: string,
    readonly holder: number,
  ) {
    super(`${path} is held by process ${holder}`);
    this.name = 'FileLockBusyError';
  }
}

/** Options of {@link withFileLock}. */
export interface FileLockOptions {
  /** Milliseconds between looks while another process holds the lock (default 200). */
  pollMs?: number;
  /** Wait for the holder to let go (default), or throw a {@link FileLockBusyError} at once. */
  wait?: boolean;
}

/**
 * Runs `work` holding the lock file `path`. While another live process (or another caller in
 * this one) holds it, waits, polling, or throws a {@link FileLockBusyError} when
 * `options.wait` is false. A lock whose process is gone is taken over.
 */
export async function withFileLock<T>(path: string, work: () => T | Promise<T>, options: FileLockOptions = {}): Promise<T> {
  const { pollMs = 200, wait = true } = options;
  for (let attempt = tryAcquire(path); attempt.state !== 'taken'; attempt = tryAcquire(path)) {
    if (attempt.state === 'freed') continue;
    if (!wait) throw new FileLockBusyError(path, attempt.holder);
    await new Promise((resolveWait) => setTimeout(resolveWait, pollMs));
  }
  try {
    return await work();
  } finally {
    rmSync(path, { force: true });
  }
}
