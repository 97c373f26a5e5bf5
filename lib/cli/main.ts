/**
 * The `ttt-speech` command line. Each sub-command lives in `commands/` and only calls the
 * public faces of `lib/` folders.
 */
import { Command } from 'commander';
import { packageVersion } from '../util/paths.js';
import { registerCommands } from './commands/index.js';

/** Builds the CLI program (exported so tests can run it in-process). */
export function buildProgram(): Command {
  const program = new Command('ttt-speech')
    .description('Test-time training of speech models: offline corpus, log-mel features, ViT masked autoencoder, TTT.')
    .version(packageVersion())
    .showHelpAfterError()
    .configureOutput({ outputError: (text, write) => write(text) });
  registerCommands(program);
  return program;
}

/** Runs the CLI with `argv` (as `process.argv`), turning errors into a message and exit code 1. */
export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    process.stderr.write(`ttt-speech: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
