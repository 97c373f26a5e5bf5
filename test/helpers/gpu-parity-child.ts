// Child process of test/webgpu.test.ts: runs the parity probe on the webgpu backend and writes
// the result (or why no adapter could be had) as JSON to the path in argv[2].
import { writeFileSync } from 'node:fs';
import { ensureBackend } from '../../lib/backend/index.js';
import { parityProbe } from './gpu-parity.js';

const out = process.argv[2];
const leakSteps = Number(process.argv[3] ?? 200);
let exitCode = 0;
try {
  let backend;
  try {
    backend = await ensureBackend({ log: () => {} });
  } catch (err) {
    writeFileSync(out, JSON.stringify({ skipped: err instanceof Error ? err.message : String(err) }));
  }
  if (backend) {
    const result = await parityProbe(leakSteps);
    writeFileSync(out, JSON.stringify({ adapter: backend.adapter, ...result }));
  }
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  exitCode = 1;
}
// Dawn's instance keeps the event loop alive; leave explicitly.
process.exit(exitCode);
