/** Parsers of command-line values shared by several sub-commands. */
import { InvalidArgumentError } from 'commander';

/** A seed: an integer in [0, 2³²), the range of the project's seeded generators. */
export function seedArgument(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new InvalidArgumentError('expected an integer in [0, 2^32)');
  return n;
}

/** A count such as steps, repeats or a batch size: an integer ≥ 1. */
export function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

/** An integer ≥ 0, e.g. warm-up runs or TTT steps (0 = no adaptation). */
export function nonNegativeInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected an integer ≥ 0');
  return n;
}
