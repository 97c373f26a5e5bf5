/**
 * MUSAN (CC BY 4.0): music, speech and noise recordings for data augmentation, 16 kHz.
 *
 * Layout: `musan/{music,speech,noise}/<source>/*.wav` (e.g. `musan/noise/free-sound/noise-free-sound-0000.wav`).
 */
import { join } from 'node:path';
import type { ManifestRow } from '../manifest.js';
import type { ParseOptions, ParseResult, SkippedFile } from './common.js';
import { CorpusLayoutError, clipRow, isDirectory, isWav, listFiles } from './common.js';

/** MUSAN's three categories, which become the labels. */
export const MUSAN_CATEGORIES = ['music', 'speech', 'noise'] as const;

// The archive unpacks to `musan/`; accept that folder or its parent.
function musanRoot(root: string): string {
  if (MUSAN_CATEGORIES.some((c) => isDirectory(join(root, c)))) return '';
  if (isDirectory(join(root, 'musan'))) return 'musan';
  throw new CorpusLayoutError('MUSAN', root, 'no music/, speech/ or noise/ folder (nor musan/ holding them)');
}

/**
 * Lists a MUSAN copy: `label` is the category (music, speech, noise), the `source` extra
 * column the sub-collection (e.g. `free-sound`, `librivox`, `fma`).
 */
export function parseMusan(root: string, options: ParseOptions = {}): ParseResult {
  const base = musanRoot(root);
  const rows: ManifestRow[] = [];
  const skipped: SkippedFile[] = [];
  for (const category of MUSAN_CATEGORIES) {
    const dir = base ? `${base}/${category}` : category;
    if (!isDirectory(join(root, dir))) continue;
    for (const rel of listFiles(root, isWav, dir)) {
      const inside = rel.slice(dir.length + 1).split('/');
      const row = clipRow(
        root,
        rel,
        { label: category, corpus: 'musan', extra: { source: inside.length > 1 ? inside[0] : '' } },
        options,
        skipped,
      );
      if (row) rows.push(row);
    }
  }
  return { rows, skipped };
}
