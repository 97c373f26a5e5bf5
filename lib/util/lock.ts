/**
 * A lock file holding its owner's process id, so that two processes writing one place (two
 * corpus builds into one folder, two graders merging one grades.csv) take turns. A lock whose
 * process is gone (crashed or killed) is taken over instead of blocking every later run.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';

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
  if (!processExists(holder)) rmSync(path, { force: true });
  return false;
}

/**
 * Runs `work` holding the lock file `path`, polling every `pollMs` while another live process
 * (or another caller in this one) holds it. A lock whose process is gone is taken over.
 */
export async function withFileLock<T>(path: string, work: () => T | Promise<T>, pollMs = 200): Promise<T> {
  while (!tryAcquire(path)) await new Promise((resolveWait) => setTimeout(resolveWait, pollMs));
  try {
    return await work();
  } finally {
    rmSync(path, { force: true });
  }
}
