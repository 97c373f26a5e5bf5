/** Parsers of command-line values shared by several sub-commands. */
import { InvalidArgumentError } from 'commander';

/** A seed: an integer in [0, 2³²), the range of the project's seeded generators. */
export function seedArgument(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new InvalidArgumentError('expected an integer in [0, 2^32)');
  return n;
}
