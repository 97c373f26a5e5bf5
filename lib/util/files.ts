/**
 * Reading files that people name: audio clips, configs, manifests, checkpoints. Node reports
 * a wrong path as `ENOENT` or `EISDIR`, which says nothing to someone who just typed the path;
 * these helpers say "no such file" or "is a directory" and put the path first.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import * as YAML from 'yaml';

const FILE_ERROR_WORDS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EISDIR: 'is a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOTDIR: 'a folder on the path is a file',
  ELOOP: 'a loop of symbolic links',
};

/**
 * Plain words for a file-system error (`ENOENT` → "no such file", `EISDIR` → "is a
 * directory", `EACCES` → "permission denied"); other errors keep their own message.
 */
export function describeFileError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const words = code === undefined ? undefined : FILE_ERROR_WORDS[code];
  return words ?? (err instanceof Error ? err.message : String(err));
}

/** Reads a text file; a failure is an Error `<path>: cannot read the <what>: no such file` (or the like). */
export function readTextFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`${path}: cannot read the ${what}: ${describeFileError(err)}`);
  }
}

/** Reads a JSON file; errors name the file and say whether it is unreadable, empty or not valid JSON. */
export function readJsonFile<T = unknown>(path: string, what: string): T {
  const text = readTextFile(path, what);
  if (text.trim() === '') throw new Error(`${path}: the ${what} is empty`);
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new Error(`${path}: the ${what} is not valid JSON: ${(err as Error).message}`);
  }
}

/** The formats {@link readConfigFile} reads. */
export type ConfigFormat = 'JSON' | 'YAML';

/**
 * The format of a config file: `.json` is JSON and `.yaml`/`.yml` YAML; any other name is
 * judged by its content (JSON text starts with `{` or `[`; anything else is read as YAML).
 * Returns the format and, for the error message, why it was chosen.
 */
export function configFormat(path: string, text: string): { format: ConfigFormat; reason: string } {
  const extension = extname(path).toLowerCase();
  if (extension === '.json') return { format: 'JSON', reason: 'by its .json name' };
  if (extension === '.yaml' || extension === '.yml') return { format: 'YAML', reason: `by its ${extension} name` };
  const first = text.trimStart()[0];
  return first === '{' || first === '['
    ? { format: 'JSON', reason: `its name has no .json/.yaml/.yml extension and it starts with '${first}'` }
    : { format: 'YAML', reason: 'its name has no .json/.yaml/.yml extension and it does not start with { or [' };
}

// yaml is CommonJS-compatible ESM: Node's loader exposes it as a namespace, CommonJS compilers
// (the tslab kernel) as `default`. Take either.
const yaml = (YAML as unknown as { default?: typeof YAML }).default ?? YAML;

/**
 * Reads a config file in JSON or YAML (see {@link configFormat}). Errors name the file and the
 * format it was read as: unreadable (no such file, a directory, …), empty (nothing but blanks
 * or comments), or not valid JSON/YAML with the parser's message.
 */
export function readConfigFile(path: string, what: string): unknown {
  const text = readTextFile(path, what);
  if (text.trim() === '') throw new Error(`${path}: the ${what} is empty`);
  const { format, reason } = configFormat(path, text);
  let value: unknown;
  try {
    value = format === 'JSON' ? JSON.parse(text) : yaml.parse(text);
  } catch (err) {
    throw new Error(`${path}: not valid ${format} (read as ${format} ${reason}): ${(err as Error).message}`);
  }
  if (value === null || value === undefined) throw new Error(`${path}: the ${what} is empty (it holds only comments)`);
  return value;
}
