// Entry point of the packed CLI (bench/gpu/pack.mjs): the project folder it needs (package.json,
// the shipped model, the PyTorch reference) travels as `root/` next to the bundle.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../lib/cli/main.js';

process.env.TTT_SPEECH_ROOT ??= join(dirname(fileURLToPath(import.meta.url)), 'root');
await main(process.argv);
