/**
 * `ttt-speech run <config>`, `ttt-speech sweep <config> [--shard i/n]` and
 * `ttt-speech report <folder…>`: experiments from a config file (JSON or YAML; see
 * lib/experiment `experimentConfigSchema`), resumable, with a report at the end.
 *
 * ```yaml
 * name: mask-ratio
 * tasks:
 *   - { task: speaker, shifts: ["noise:white@0dB"], maxTest: 48 }
 *   - { task: label, shifts: ["gender:F->M", "age:young->old"] }
 * methods:
 *   - { name: no-ttt }
 *   - { name: ttt-all, group: all }
 *   - { name: ttt-bitfit, group: bias, batch: 8 }
 * ttt: { steps: 20, mask: { ratio: 0.75 } }
 * grid: { ttt.mask.ratio: [0.25, 0.5, 0.75, 0.9] }   # sweep only
 * ```
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Command } from 'commander';
import {
  adaptationTable,
  formatAdaptationTable,
  formatStatisticsTable,
  loadExperimentConfig,
  parseShard,
  runExperiment,
  runFolder,
  runSweep,
  withRunFolder,
  writeReport,
  type ExperimentConfig,
  type ExperimentUnit,
} from '../../experiment/index.js';
import { formatShiftReport, type ShiftReport } from '../../shifts/index.js';
import { readResults } from '../../ttt/index.js';

function shown(path: string): string {
  return relative(process.cwd(), path) || '.';
}

/** Prints each unit's split as it starts: sizes and balance people should see before the numbers. */
function announceUnit(event: { unit: ExperimentUnit; index: number; total: number; report: ShiftReport }): void {
  process.stderr.write(`\n[${event.index + 1}/${event.total}] ${event.unit.condition}\n${formatShiftReport(event.report)}\n`);
}

/** Bytes per condition and method that `config.json` records, if any. */
function readMemory(out: string): Record<string, Record<string, number>> {
  const path = join(out, 'config.json');
  return existsSync(path) ? ((JSON.parse(readFileSync(path, 'utf8')) as { memoryBytes?: Record<string, Record<string, number>> }).memoryBytes ?? {}) : {};
}

/** Runs one experiment, writes its report, and returns the text to print. */
export async function runAndReport(config: ExperimentConfig, flags: { out?: string; shard?: string; fresh?: boolean }): Promise<string> {
  // The report reads what the run wrote: no other run may write the folder until it is made.
  return withRunFolder(runFolder(config, flags.out, flags.shard ? parseShard(flags.shard) : undefined), () => runThenReport(config, flags));
}

async function runThenReport(config: ExperimentConfig, flags: { out?: string; shard?: string; fresh?: boolean }): Promise<string> {
  const result = await runExperiment(config, { out: flags.out, shard: flags.shard ? parseShard(flags.shard) : undefined, resume: flags.fresh !== true, onUnit: announceUnit });
  const report = writeReport([result.out]);
  return [
    '',
    formatStatisticsTable(report.statistics, report.chance),
    '',
    formatAdaptationTable(adaptationTable(readResults(join(result.out, 'results.csv')), readMemory(result.out))),
    '',
    `${result.newRows} new rows in ${result.seconds.toFixed(0)} s`,
    `results  ${shown(result.out)}/results.csv`,
    `summary  ${shown(report.summaryPath)}`,
    `report   ${shown(report.reportPath)}`,
  ].join('\n');
}

/** Adds `run`, `sweep` and `report` to the program. */
export function registerExperimentCommands(program: Command): void {
  program
    .command('run')
    .description('run an experiment config (JSON or YAML): tasks × shifts × methods; resumes an interrupted run; writes report.html')
    .argument('<config>', 'experiment config file')
    .option('--out <dir>', 'results folder (default runs/<name>)')
    .option('--shard <i/n>', 'run only every n-th unit (task × shift), starting at i, into <out>/shard-i-of-n')
    .option('--fresh', 'ignore results already in the folder')
    .action(async (path: string, flags: { out?: string; shard?: string; fresh?: boolean }) => {
      process.stdout.write((await runAndReport(loadExperimentConfig(path), flags)) + '\n');
    });

  program
    .command('sweep')
    .description("run every combination of a config's grid (one folder each); --shard spreads it over processes or machines")
    .argument('<config>', 'experiment config file with a grid')
    .option('--out <dir>', 'sweep folder (default runs/<name>)')
    .option('--shard <i/n>', 'run only every n-th (variant, unit) pair, starting at i, into <out>/shard-i-of-n')
    .action(async (path: string, flags: { out?: string; shard?: string }) => {
      const config = loadExperimentConfig(path);
      const sweep = await runSweep(config, { out: flags.out, shard: flags.shard ? parseShard(flags.shard) : undefined, onUnit: announceUnit });
      const lines = [`${sweep.runs.length} of ${sweep.variants.length} variants run into ${shown(sweep.out)}`];
      if (!flags.shard) {
        const report = writeReport([sweep.out]);
        lines.push(`summary  ${shown(report.summaryPath)}`, `report   ${shown(report.reportPath)}`);
      } else {
        lines.push(`merge the shards with: ttt-speech report ${shown(sweep.out).replace(/shard-\d+-of-\d+$/, '')} `);
      }
      process.stdout.write(lines.join('\n') + '\n');
    });

  program
    .command('report')
    .description('merge results folders (a run, a sweep, its shards) into summary.csv and a self-contained report.html')
    .argument('<folders...>', 'folders holding results.csv (searched three levels down)')
    .option('--out <dir>', 'where to write summary.csv and report.html (default: the first folder)')
    .action((folders: string[], flags: { out?: string }) => {
      const report = writeReport(folders, flags.out);
      process.stdout.write(
        [`merged ${report.folders.length} folder(s): ${report.folders.map((f) => f.path).join(', ')}`, `summary  ${shown(report.summaryPath)}`, `report   ${shown(report.reportPath)}`].join('\n') + '\n',
      );
    });
}
