import type { Command } from 'commander';
import { registerFbankCommand } from './fbank.js';
import { registerCorpusCommand } from './corpus.js';
import { registerDataCommand } from './data.js';
import { registerStartCommand } from './start.js';
import { registerPretrainCommand } from './pretrain.js';
import { registerTttCommand } from './ttt.js';
import { registerBenchCommand } from './bench.js';
import { registerExperimentCommands } from './run.js';
import { registerAssignmentsCommand } from './assignments.js';

/** Adds every sub-command to the program. */
export function registerCommands(program: Command): void {
  registerFbankCommand(program);
  registerCorpusCommand(program);
  registerDataCommand(program);
  registerPretrainCommand(program);
  registerTttCommand(program);
  registerBenchCommand(program);
  registerExperimentCommands(program);
  registerStartCommand(program);
  registerAssignmentsCommand(program);
}
