import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';

let cachedRoot: string | undefined;

function isProjectRoot(dir: string): boolean {
  const file = join(dir, 'package.json');
  if (!existsSync(file)) return false;
  try {
    return JSON.parse(readFileSync(file, 'utf8')).name === 'ttt-speech';
  } catch {
    return false;
  }
}

function walkUp(start: string): string | undefined {
  let dir = resolve(start);
  for (;;) {
    if (isProjectRoot(dir)) return dir;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/**
 * The copy of ttt-speech that code in `dir` would import: how the package is found in a project
 * that installed it, where no folder above is ttt-speech itself.
 */
function installedFrom(dir: string): string | undefined {
  try {
    return dirname(createRequire(join(resolve(dir), 'package.json')).resolve('ttt-speech/package.json'));
  } catch {
    return undefined;
  }
}

/**
 * The folder of the ttt-speech package (where its package.json, shipped model and fixtures live).
 *
 * Library code must not use `import.meta` (the tslab kernel compiles imported .ts files to
 * CommonJS, where it breaks), so the root is found from `TTT_SPEECH_ROOT` (set by the CLI),
 * then by walking up from the working directory, then from the running script, then as the
 * dependency that the working directory or the running script would import.
 */
export function packageRoot(): string {
  if (cachedRoot) return cachedRoot;
  const fromEnv = process.env.TTT_SPEECH_ROOT;
  const found =
    (fromEnv && isProjectRoot(fromEnv) ? resolve(fromEnv) : undefined) ??
    walkUp(process.cwd()) ??
    (process.argv[1] ? walkUp(dirname(process.argv[1])) : undefined) ??
    installedFrom(process.cwd()) ??
    (process.argv[1] ? installedFrom(dirname(process.argv[1])) : undefined);
  if (!found) {
    throw new Error(
      `cannot find the ttt-speech package folder from ${process.cwd()}: set TTT_SPEECH_ROOT to the folder holding its package.json`,
    );
  }
  cachedRoot = found;
  return found;
}

/** The installed version of ttt-speech, read from its package.json. */
export function packageVersion(): string {
  return JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')).version as string;
}
