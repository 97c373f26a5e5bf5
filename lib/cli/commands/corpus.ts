/**
 * `ttt-speech corpus`: builds the offline corpus (or finds it already built) and prints what it
 * holds.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { seedArgument } from '../arguments.js';
import { buildCorpus, CORPUS_PRESETS, formatCorpusSummary, type CorpusBuildResult, type CorpusPreset } from '../../corpus/index.js';

/** Parsed flags of the `corpus` sub-command. */
export interface CorpusCommandFlags {
  /** Corpus folder (default `<data dir>/offline`). */
  out?: string;
  /** Seed of every random choice (default 1). */
  seed: number;
  /** `full` (default), `ci` or `pretrain`. */
  preset: CorpusPreset;
  /** Rebuild even if a complete corpus with the same recipe exists. */
  force?: boolean;
}

function presetArgument(value: string): CorpusPreset {
  if (!(value in CORPUS_PRESETS)) throw new InvalidArgumentError(`expected ${Object.keys(CORPUS_PRESETS).join(', ')}`);
  return value as CorpusPreset;
}

/** The text the command prints: where the corpus is, whether it was built now, then the summary. */
export function describeBuild(result: CorpusBuildResult): string {
  const how = result.reused ? `reused (built earlier in ${result.buildSeconds.toFixed(1)} s)` : `built in ${result.buildSeconds.toFixed(1)} s`;
  const { faster, padded, limited } = result.adjustments;
  return [
    `corpus      ${result.outDir}`,
    `            ${how}; seed ${result.recipe.seed}, preset ${result.recipe.preset}, eSpeak NG package ${result.recipe.espeakVersion}`,
    `manifest    ${result.manifestPath}`,
    `adjusted    ${faster} clips spoken faster to fit 4 s, ${padded} padded to 1 s, ${limited} turned down to avoid clipping`,
    '',
    formatCorpusSummary(result),
  ].join('\n');
}

/** Adds `corpus` to the program. */
export function registerCorpusCommand(program: Command): void {
  program
    .command('corpus')
    .description('build the offline speech corpus (synthetic speakers, speaking styles) and print a summary')
    .option('--out <dir>', 'corpus folder (default: $TTT_SPEECH_DATA/offline or ./data/offline)')
    .option('--seed <n>', 'seed of every random choice', seedArgument, 1)
    .option('--preset <name>', 'full (24 speakers x 20 clips), ci (8 x 8, for tests) or pretrain (full + 396 pool voices x 12, every clip recorded)', presetArgument, 'full' as CorpusPreset)
    .option('--force', 'rebuild even if a complete corpus with the same recipe exists')
    .action(async (flags: CorpusCommandFlags) => {
      const result = await buildCorpus({ outDir: flags.out, seed: flags.seed, preset: flags.preset, force: flags.force });
      process.stdout.write(describeBuild(result) + '\n');
    });
}
