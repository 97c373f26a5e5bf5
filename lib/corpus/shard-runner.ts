/**
 * Entry point of a shard process (run by `shard-process.ts`, never imported): builds one shard
 * so that shards render on several cores at once. Protocol, JSON lines: one {@link ShardJob}
 * on stdin; on stdout a `{"clip": path}` line per WAV written, then `{"done": true, "result": …}`
 * or `{"error": message}` (exit code 1).
 */
import { buildShard } from './shard.js';
import type { ShardJob, ShardMessage } from './shard-process.js';

const protocolOut = process.stdout;
// Nothing a library prints may corrupt the protocol stream.
console.log = (...args: unknown[]) => process.stderr.write(args.map(String).join(' ') + '\n');

function send(message: ShardMessage): void {
  protocolOut.write(JSON.stringify(message) + '\n');
}

async function readJob(): Promise<ShardJob> {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return JSON.parse(text) as ShardJob;
}

try {
  const job = await readJob();
  const result = await buildShard(job.recipe, job.index, job.outDir, (file) => send({ clip: file }));
  send({ done: true, result });
} catch (err) {
  send({ error: err instanceof Error ? err.message : String(err) });
  process.exitCode = 1;
}
