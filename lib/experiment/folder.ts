/**
 * The run folder: where a run writes (`runs/<name>` unless told), and the lock that keeps a
 * second process out while one writes it. Two runs appending to one `results.csv` would both
 * store every clip (resume skips only what was there when each started) and each would print a
 * summary of rows the other was still writing.
 *
 * The second run stops at once rather than waiting: a run lasts minutes to hours, so a process
 * that sat waiting would look hung, and writing the same folder twice is a mistake (a config
 * started twice, shards launched without folders of their own) that the message lets the user
 * put right. A lock whose process is gone (killed, crashed) is taken over, so an interrupted run
 * resumes as before.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FileLockBusyError, withFileLock } from '../util/index.js';

/** The lock file inside a run folder, holding the id of the process that writes it. */
export const RUN_LOCK_FILE = '.run.lock';

/**
 * The absolute folder a run of `config` writes: `out`, else `runs/<name>` in the working
 * directory; a shard `i/n` writes `shard-i-of-n` inside it, so shards run at once each hold a
 * folder of their own (`report` merges them).
 */
export function runFolder(config: { name: string }, out?: string, shard?: { index: number; count: number }): string {
  const base = resolve(out ?? join('runs', config.name));
  return shard ? join(base, `shard-${shard.index}-of-${shard.count}`) : base;
}

/** The process's command line where the system shows it (Linux), to tell the user which run it is. */
function describeProcess(pid: number): string {
  if (pid === process.pid) return 'this process';
  try {
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    return command ? `process ${pid}: ${command}` : `process ${pid}`;
  } catch {
    return `process ${pid}`;
  }
}

/** Another run is writing the folder. */
export class RunFolderBusyError extends Error {
  /**
   * @param folder - the run folder
   * @param holder - process id of the run that writes it
   */
  constructor(
    readonly folder: string,
    readonly holder: number,
  ) {
    super(`${folder} is being written by another run (${describeProcess(holder)}); wait for it to end, or give this run a folder of its own (--out)`);
    this.name = 'RunFolderBusyError';
  }
}

/** The folders the current chain of calls holds, so that a run inside a command that locked its folder goes on. */
const heldHere = new AsyncLocalStorage<ReadonlySet<string>>();

/**
 * Runs `work` as the only writer of `folder` (created if missing); throws a
 * {@link RunFolderBusyError} naming the folder and the other process when another run holds it.
 * Calls nested inside `work` may take the same folder again; a concurrent call in this process
 * may not.
 */
export async function withRunFolder<T>(folder: string, work: () => Promise<T>): Promise<T> {
  const absolute = resolve(folder);
  const held = heldHere.getStore();
  if (held?.has(absolute)) return work();
  mkdirSync(absolute, { recursive: true });
  const lockPath = join(absolute, RUN_LOCK_FILE);
  try {
    return await withFileLock(lockPath, () => heldHere.run(new Set([...(held ?? []), absolute]), work), { wait: false });
  } catch (err) {
    if (err instanceof FileLockBusyError && err.path === lockPath) throw new RunFolderBusyError(absolute, err.holder);
    throw err;
  }
}
