/**
 * ESC-50 (CC BY-NC 3.0): 2 000 five-second environmental recordings in 50 classes, 5 folds.
 *
 * Layout: `meta/esc50.csv` with `filename,fold,target,category,esc10,src_file,take`, and the
 * clips in `audio/` (44.1 kHz).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { ManifestRow } from '../manifest.js';
import type { ParseOptions, ParseResult, SkippedFile } from './common.js';
import { CorpusLayoutError, clipRow, requirePath } from './common.js';

const COLUMNS = ['filename', 'fold', 'target', 'category', 'esc10', 'src_file', 'take'];

/**
 * Lists an ESC-50 copy from its metadata: `label` is the category (e.g. `dog`, `rain`); extra
 * columns `fold`, `target`, `esc10`, `src_file`, `take`. Clips from one source recording
 * (`src_file`) are in the same fold, which is why the folds are the split to use.
 */
export function parseEsc50(root: string, options: ParseOptions = {}): ParseResult {
  const metaFile = requirePath('ESC-50', root, 'meta/esc50.csv', 'point at the folder of the ESC-50 repository');
  const records = parse(readFileSync(metaFile, 'utf8'), { bom: true, columns: true, skip_empty_lines: true }) as Record<string, string>[];
  const missing = COLUMNS.filter((c) => records.length > 0 && !(c in records[0]));
  if (missing.length > 0) throw new CorpusLayoutError('ESC-50', root, `meta/esc50.csv lacks column(s) ${missing.join(', ')}`);
  const rows: ManifestRow[] = [];
  const skipped: SkippedFile[] = [];
  for (const record of records) {
    const rel = `audio/${record.filename}`;
    if (!existsSync(join(root, rel))) {
      skipped.push({ path: rel, reason: 'listed in meta/esc50.csv but missing' });
      continue;
    }
    const row = clipRow(
      root,
      rel,
      {
        label: record.category,
        corpus: 'esc-50',
        extra: { fold: record.fold, target: record.target, esc10: record.esc10, src_file: record.src_file, take: record.take },
      },
      options,
      skipped,
    );
    if (row) rows.push(row);
  }
  return { rows, skipped };
}
