// The full offline corpus for tests that need real-sized data. Kept between runs under
// test-artifacts/ (ignored by git): a complete corpus there is reused at once.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCorpus, type CorpusBuildResult } from '../../lib/corpus/index.js';

/** The project root. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where the tests' full corpus (preset `full`, seed 1) lives. */
export const FULL_CORPUS_DIR = join(ROOT, 'test-artifacts', 'corpus', 'full-seed1');

/** Builds the full corpus once (about 40 s on 2 cores), then reuses it. */
export function fullCorpus(): Promise<CorpusBuildResult> {
  return buildCorpus({ preset: 'full', seed: 1, outDir: FULL_CORPUS_DIR });
}
