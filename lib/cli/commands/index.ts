import type { Command } from 'commander';
import { registerFbankCommand } from './fbank.js';

/** Adds every sub-command to the program. */
export function registerCommands(program: Command): void {
  void program;
  registerFbankCommand(program);
}
