/**
 * `ttt-speech bench [--repeats N] [--warmup N] [--quick] [--cases LIST] [--checkpoint DIR]
 * [--out FILE] [--no-torch] [--torch-threads N] [--torch-device cpu|cuda] [--backend NAME]
 * [--large-batches]` (`npm run bench`): median milliseconds of
 * the project's hot paths on the shipped model, beside a PyTorch reference of the same
 * model and cases when `python3` (or `/usr/bin/python3`) imports torch.
 *
 * Cases (DESIGN.md's `<what>-<group>-<mode>[-B<n>]`): `fbank-4s`, `forward-per-sample`,
 * `ttt-all-per-sample`, `ttt-bias-per-sample`, `ttt-bias-batched-B1|B4|B8|B16` (`ms` covers
 * the whole batch; the notes give ms per clip and the speed-up over per-sample BitFit),
 * `pretrain-step-B8`; with `--large-batches` (the default on the webgpu backend) also
 * `ttt-all-batched-B8|B64` (one copy shared by the clips), `ttt-bias-batched-B64` and
 * `pretrain-step-B64`. `--backend` picks the backend as `TTT_SPEECH_BACKEND` does.
 *
 * Prints a table and writes `runs/bench/latest.json` atomically. Its shape differs from
 * DESIGN.md's plain list: it is `{ info, cases }`, where `cases` is that list of
 * `{ case, backend, ms, torchMs, ratio, notes }` and `info` records date, backend, versions,
 * machine (CPU model and count), repeats and the reference's interpreter and threads.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { BACKEND_ENV } from '../../backend/index.js';
import { DEFAULT_REPEATS, benchCaseNames, formatBenchTable, runBench, type BenchOptions } from '../../bench/index.js';
import { nonNegativeInteger, positiveInteger, seedArgument } from '../arguments.js';

/** Flags of the `bench` sub-command. */
export interface BenchCommandFlags {
  repeats?: number;
  warmup?: number;
  quick?: boolean;
  cases?: string;
  checkpoint?: string;
  out: string;
  /** `false` with `--no-torch`. */
  torch: boolean;
  torchThreads: number;
  torchDevice: 'cpu' | 'cuda';
  seed: number;
  /** Backend name, as `TTT_SPEECH_BACKEND` takes it. */
  backend?: string;
  largeBatches?: boolean;
}

/** The library options the flags ask for. */
export function benchOptions(flags: BenchCommandFlags): BenchOptions {
  return {
    repeats: flags.repeats,
    warmup: flags.warmup,
    quick: flags.quick === true,
    cases: flags.cases === undefined ? undefined : flags.cases.split(',').map((c) => c.trim()).filter((c) => c !== ''),
    checkpoint: flags.checkpoint,
    out: flags.out,
    torch: flags.torch,
    torchThreads: flags.torchThreads,
    torchDevice: flags.torchDevice,
    seed: flags.seed,
    largeBatches: flags.largeBatches,
  };
}

/** Runs the benchmark; returns the text to print (table, notes, where the JSON went). */
export async function runBenchCommand(flags: BenchCommandFlags): Promise<string> {
  // The chooser reads the environment on its first call, which runBench makes.
  if (flags.backend !== undefined) process.env[BACKEND_ENV] = flags.backend;
  const { report, path } = await runBench(benchOptions(flags));
  return formatBenchTable(report) + (path === null ? '' : `\n\nwrote ${path}`);
}

function torchDevice(value: string): 'cpu' | 'cuda' {
  if (value !== 'cpu' && value !== 'cuda') throw new InvalidArgumentError('expected cpu or cuda');
  return value;
}

/** Adds `bench` to the program. */
export function registerBenchCommand(program: Command): void {
  program
    .command('bench')
    .description('time fbank, forward, TTT steps and a pre-training step on the shipped model, next to a PyTorch reference; writes runs/bench/latest.json')
    .option('--repeats <n>', `timed runs per case; the median is reported (default ${DEFAULT_REPEATS.full.repeats}, ${DEFAULT_REPEATS.quick.repeats} with --quick)`, positiveInteger)
    .option('--warmup <n>', `untimed runs before them (default ${DEFAULT_REPEATS.full.warmup}, ${DEFAULT_REPEATS.quick.warmup} with --quick)`, nonNegativeInteger)
    .option('--quick', 'few runs: a smoke test, not a measurement')
    .option('--cases <list>', `comma-separated case names or prefixes (default all: ${benchCaseNames().join(', ')})`)
    .option('--checkpoint <dir>', 'model checkpoint (default: the shipped models/mae-tiny)')
    .option('--out <file>', 'JSON report, written atomically', 'runs/bench/latest.json')
    .option('--no-torch', 'skip the PyTorch reference')
    .option('--torch-threads <n>', 'torch.set_num_threads of the reference (the wasm backend uses one thread)', positiveInteger, 1)
    .option('--torch-device <device>', "the reference's device: cpu, or cuda on a GPU machine (eager, synchronised)", torchDevice, 'cpu')
    .option('--backend <name>', `TF.js backend (tensorflow, webgpu, wasm, cpu), as ${BACKEND_ENV} sets it`)
    .option('--large-batches', 'add the B = 64 cases and all-parameter TTT on shared copies (default on webgpu)')
    .option('--seed <n>', 'seed of the random inputs and masks', seedArgument, 0)
    .action(async (flags: BenchCommandFlags) => {
      process.stdout.write((await runBenchCommand(flags)) + '\n');
    });
}
