#!/usr/bin/env node
// Launcher for the ttt-speech CLI: runs the TypeScript sources through tsx, so the package
// needs no build step, and tells the library where its package folder is.
import { register } from 'tsx/esm/api';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.env.TTT_SPEECH_ROOT ??= root;
register();
const { main } = await import(join(root, 'lib/cli/main.ts'));
await main(process.argv);
