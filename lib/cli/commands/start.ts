/**
 * `ttt-speech start` (what `npm start` runs): the main job on the built-in offline data. It
 * builds the offline corpus (or reuses a finished one), then runs the main experiment
 * (lib/experiment `MAIN_EXPERIMENT`: the shipped model; speaker ID under white and babble
 * noise at 0 dB; the speaking-style task under the same noise and the gender and age shifts;
 * no TTT, TTT of every encoder parameter, BitFit; 20 steps) into `runs/main`, prints the
 * summary and the path of `report.html`. Stopped and started again, it carries on where it was.
 */
import type { Command } from 'commander';
import { ensureBackend } from '../../backend/index.js';
import { buildCorpus } from '../../corpus/index.js';
import { MAIN_EXPERIMENT, resolveExperimentConfig } from '../../experiment/index.js';
import { describeBuild } from './corpus.js';
import { runAndReport } from './run.js';

/** Adds `start` to the program. */
export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description('the main job on the built-in offline data: build the corpus, run the main experiment, write runs/main/report.html')
    .option('--data <dir>', 'corpus folder (default: $TTT_SPEECH_DATA/offline or ./data/offline)')
    .option('--out <dir>', 'results folder (default runs/main)')
    .option('--fresh', 'ignore results already in the folder')
    .action(async (flags: { data?: string; out?: string; fresh?: boolean }) => {
      const started = Date.now();
      const backend = await ensureBackend();
      const result = await buildCorpus({ outDir: flags.data });
      process.stdout.write(describeBuild(result) + '\n');
      process.stdout.write(`\nbackend     ${backend.name} (${backend.package} ${backend.packageVersion})\n`);
      const config = resolveExperimentConfig({ ...MAIN_EXPERIMENT, corpus: { offline: { dir: flags.data } } }, 'the main experiment');
      process.stdout.write((await runAndReport(config, flags)) + '\n');
      process.stdout.write(`main job finished in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
    });
}
