/**
 * `ttt-speech start` (what `npm start` runs): the main job on the built-in offline data. It
 * builds the offline corpus (or reuses a finished one) and prints its summary.
 */
import type { Command } from 'commander';
import { ensureBackend } from '../../backend/index.js';
import { buildCorpus } from '../../corpus/index.js';
import { describeBuild } from './corpus.js';

/** Adds `start` to the program. */
export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description('the main job on the built-in offline data: build the offline corpus and print its summary')
    .option('--data <dir>', 'corpus folder (default: $TTT_SPEECH_DATA/offline or ./data/offline)')
    .action(async (flags: { data?: string }) => {
      const backend = await ensureBackend();
      const result = await buildCorpus({ outDir: flags.data });
      process.stdout.write(describeBuild(result) + '\n');
      process.stdout.write(`\nbackend     ${backend.name} (${backend.package} ${backend.packageVersion})\n`);
    });
}
