/**
 * Keeping downloads inside their corpus folder. Destinations come from hosts' APIs (Zenodo file
 * keys, Dataverse labels, GitHub tree paths) and member names from archives: text written by
 * someone else, which could name `../../.bashrc` or lead through a symbolic link to anywhere.
 * Every such path is checked here before anything is written.
 */
import { existsSync, lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

/** A path from a download plan or an archive that would lead outside the corpus folder. */
export class UnsafePathError extends Error {
  /** The path as given. */
  readonly path: string;
  /** The folder it must stay inside. */
  readonly root: string;

  constructor(root: string, path: string, what: string, problem: string) {
    super(`${what} ${JSON.stringify(path)}: ${problem} (it must stay inside ${root}); refused`);
    this.name = 'UnsafePathError';
    this.path = path;
    this.root = root;
  }
}

/** Whether `target` (absolute) is `root` or lies below it. */
export function isInside(root: string, target: string): boolean {
  const rel = relative(root, target);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/** Where a symbolic link points, resolved through further links where they exist. */
export function linkTarget(link: string): string {
  try {
    return realpathSync(link);
  } catch {
    return resolve(dirname(link), readlinkSync(link)); // dangling: judge the text of the link
  }
}

/**
 * The parts of `path` as a relative path inside a folder, or a reason to refuse it: empty,
 * absolute (POSIX or Windows), or climbing out with `..`. Backslashes count as separators,
 * since on Windows they are.
 */
function lexicalParts(path: string): { parts: string[] } | { problem: string } {
  if (path === '' || path.includes('\0')) return { problem: 'empty, or holds a NUL character' };
  if (isAbsolute(path) || /^[A-Za-z]:/.test(path) || /^[\\/]/.test(path)) return { problem: 'an absolute path' };
  const parts: string[] = [];
  for (const part of path.split(/[\\/]+/)) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) return { problem: "climbs out with '..'" };
      parts.pop();
    } else {
      parts.push(part);
    }
  }
  return { parts };
}

/**
 * Resolves `path` (relative, `/`-separated as hosts and archives write it) inside `root` and
 * returns the absolute result. Throws {@link UnsafePathError}, its message starting with `what`
 * (e.g. `musan.tar.gz: member`), when the path is absolute, climbs out with `..`, or passes
 * through an existing symbolic link that leads outside `root`.
 */
export function resolveInside(root: string, path: string, what: string): string {
  const found = lexicalParts(path);
  if ('problem' in found) throw new UnsafePathError(root, path, what, found.problem);
  const base = resolve(root);
  if (!existsSync(base)) return join(base, ...found.parts); // nothing below it exists yet to lead elsewhere
  const realBase = realpathSync(base);
  let current = base;
  for (const part of found.parts) {
    current = join(current, part);
    let isLink: boolean;
    try {
      isLink = lstatSync(current).isSymbolicLink();
    } catch {
      break; // does not exist yet: neither does anything below it
    }
    if (isLink) {
      const target = linkTarget(current);
      if (!isInside(realBase, target)) {
        throw new UnsafePathError(root, path, what, `leads through the symbolic link ${current} → ${target}`);
      }
    }
  }
  return join(base, ...found.parts);
}
