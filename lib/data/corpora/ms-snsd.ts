/**
 * MS-SNSD (noise: CC0 and CC BY-SA 3.0): typed noise clips for speech enhancement, 16 kHz.
 *
 * Layout: `noise_train/` and `noise_test/`, file names `<Type>_<N>.wav` (`Babble_1.wav`,
 * `AirConditioner_10.wav`); the type is the name up to the last `_`.
 */
import { join } from 'node:path';
import type { ManifestRow } from '../manifest.js';
import type { ParseOptions, ParseResult, SkippedFile } from './common.js';
import { CorpusLayoutError, clipRow, isDirectory, isWav, listFiles } from './common.js';

const SPLITS: Readonly<Record<string, string>> = { noise_train: 'train', noise_test: 'test' };

/** The noise type of an MS-SNSD file name (`AirConditioner_10.wav` → `AirConditioner`), or `undefined`. */
export function msSnsdType(name: string): string | undefined {
  return /^(.+?)_\d+\.wav$/i.exec(name)?.[1];
}

/**
 * Lists the noise clips of an MS-SNSD copy: `label` is the type, `split` the corpus's own
 * train/test division (its folder).
 */
export function parseMsSnsd(root: string, options: ParseOptions = {}): ParseResult {
  const folders = Object.keys(SPLITS).filter((dir) => isDirectory(join(root, dir)));
  if (folders.length === 0) throw new CorpusLayoutError('MS-SNSD', root, 'no noise_train/ or noise_test/ folder');
  const rows: ManifestRow[] = [];
  const skipped: SkippedFile[] = [];
  for (const dir of folders) {
    for (const rel of listFiles(root, isWav, dir)) {
      const type = msSnsdType(rel.slice(rel.lastIndexOf('/') + 1));
      if (!type) {
        skipped.push({ path: rel, reason: 'not a Type_N.wav name' });
        continue;
      }
      const row = clipRow(root, rel, { label: type, corpus: 'ms-snsd', split: SPLITS[dir] }, options, skipped);
      if (row) rows.push(row);
    }
  }
  return { rows, skipped };
}
