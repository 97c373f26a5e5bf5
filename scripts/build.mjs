#!/usr/bin/env node
// Builds the installable package: lib/**/*.ts compiled to JavaScript and .d.ts files in dist/
// (tsconfig.build.json), plus the CommonJS helpers that lib/assignments hands to mocha by path,
// which tsc does not copy. `npm pack` runs it (prepack); the project itself runs the sources.
import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const project = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(project, 'dist');

// A file removed from lib/ must not live on in the package.
rmSync(out, { recursive: true, force: true });
const tsc = createRequire(join(project, 'package.json')).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', join(project, 'tsconfig.build.json')], { stdio: 'inherit' });
const helpers = join(project, 'lib', 'assignments');
for (const file of readdirSync(helpers).filter((name) => name.endsWith('.cjs'))) cpSync(join(helpers, file), join(out, 'assignments', file));
process.stderr.write(`[build] ${out}\n`);
