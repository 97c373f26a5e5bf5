#!/usr/bin/env node
// Launcher for the ttt-speech CLI; tells the library where its package folder is. In the project
// it runs the TypeScript sources through tsx, so development needs no build step; an installed
// package carries no sources, only their build in dist/ (npm run build).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.env.TTT_SPEECH_ROOT ??= root;
const source = join(root, 'lib', 'cli', 'main.ts');
let entry = join(root, 'dist', 'cli', 'main.js');
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  entry = source;
}
const { main } = await import(pathToFileURL(entry).href);
await main(process.argv);
