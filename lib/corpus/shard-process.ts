/**
 * Runs a shard in its own Node process (`shard-runner.ts` under tsx, its build in an installed
 * package, or its bundle in a packed CLI), so that several shards resample and write on several
 * cores; each of those processes starts its own eSpeak program.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { packageRoot } from '../util/index.js';
import type { CorpusRecipe } from './plan.js';
import type { ShardResult } from './shard.js';

/** What a shard process is asked to do. */
export interface ShardJob {
  recipe: CorpusRecipe;
  /** Index into `planCorpus(recipe)`. */
  index: number;
  /** Absolute corpus folder (its `wav/` folder exists). */
  outDir: string;
}

/** One line a shard process writes. */
export type ShardMessage = { clip: string } | { done: true; result: ShardResult } | { error: string };

/** Builds one shard in a child process; `onClip` hears of every WAV written. */
export function runShardProcess(job: ShardJob, onClip: (file: string) => void): Promise<ShardResult> {
  const root = packageRoot();
  // A packed CLI (bench/gpu/pack.mjs) carries the runner bundled as plain JavaScript and no tsx;
  // in the project, cwd = the package folder so that `--import tsx` resolves to its own tsx; an
  // installed package carries no sources, only their build in dist/.
  const bundled = join(root, 'lib', 'corpus', 'shard-runner.mjs');
  const source = join(root, 'lib', 'corpus', 'shard-runner.ts');
  const args = existsSync(bundled) ? [bundled] : existsSync(source) ? ['--import', 'tsx', source] : [join(root, 'dist', 'corpus', 'shard-runner.js')];
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, TTT_SPEECH_ROOT: root },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderrTail = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-4000);
  });
  return new Promise<ShardResult>((resolve, reject) => {
    let outcome: { result: ShardResult } | { error: string } | undefined;
    createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', (line) => {
      let message: ShardMessage;
      try {
        message = JSON.parse(line) as ShardMessage;
      } catch {
        outcome ??= { error: `shard ${job.index} wrote a line that is not JSON: ${line.slice(0, 200)}` };
        return;
      }
      if ('clip' in message) onClip(message.clip);
      else if ('done' in message) outcome = { result: message.result };
      else outcome = { error: message.error };
    });
    child.on('error', (err) => reject(new Error(`cannot start the process for corpus shard ${job.index}: ${err.message}`)));
    child.on('close', (code, signal) => {
      if (outcome && 'result' in outcome && code === 0) resolve(outcome.result);
      else {
        const exit = `exited (${signal ?? `code ${code}`})${stderrTail ? `: ${stderrTail.trim()}` : ''}`;
        const why = outcome && 'error' in outcome ? outcome.error : exit;
        reject(new Error(`corpus shard ${job.index}: ${why}`));
      }
    });
    child.stdin.end(JSON.stringify(job) + '\n');
  });
}
