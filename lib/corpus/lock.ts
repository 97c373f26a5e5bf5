/**
 * A lock file per corpus folder, so that two builds into one folder (two test runs, a test run
 * and `npm start`) never interleave: one deletes what the other is writing otherwise. The
 * second waits, then usually finds the corpus complete and reuses it.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const LOCK_NAME = '.corpus-build.lock';
const POLL_MS = 500;

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

function tryAcquire(path: string): boolean {
  try {
    writeFileSync(path, String(process.pid), { flag: 'wx' });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  let holder = Number.NaN;
  try {
    holder = Number(readFileSync(path, 'utf8'));
  } catch {
    return false; // released between our two looks: try again on the next poll
  }
  // A lock left by a build that crashed or was killed must not block every later build.
  if (!processExists(holder)) rmSync(path, { force: true });
  return false;
}

/**
 * Runs `work` holding `<dir>/.corpus-build.lock`, waiting while another live process (or another
 * build in this one) holds it. A lock whose process is gone is taken over.
 */
export async function withCorpusLock<T>(dir: string, work: () => Promise<T>): Promise<T> {
  const path = join(dir, LOCK_NAME);
  while (!tryAcquire(path)) await new Promise((resolveWait) => setTimeout(resolveWait, POLL_MS));
  try {
    return await work();
  } finally {
    rmSync(path, { force: true });
  }
}
