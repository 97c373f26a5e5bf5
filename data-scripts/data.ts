/**
 * The real-corpus tool on its own: the same commands as `ttt-speech data`, runnable with
 * `npx tsx data-scripts/data.ts <list|info|download|verify|prepare|get> [corpus] [options]`.
 */
import { Command } from 'commander';
import { registerDataCommand } from '../lib/cli/commands/data.js';

const program = new Command('data-scripts').showHelpAfterError();
registerDataCommand(program);
// Make `data` the default so `tsx data-scripts/data.ts download vctk` works without repeating it.
const argv = process.argv.slice(2);
program.parseAsync(['node', 'data-scripts', ...(argv[0] === 'data' ? argv : ['data', ...argv])]).catch((err: unknown) => {
  process.stderr.write(`data-scripts: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
