/**
 * VoxCeleb1 (audio by request only; metadata CC BY 4.0): 1 251 celebrities speaking in
 * interviews. Only a local copy is ever read.
 *
 * Layout: `wav/<speaker id>/<YouTube id>/<NNNNN>.wav` and the tab-separated `vox1_meta.csv`
 * with `VoxCeleb1 ID, VGGFace1 ID, Gender, Nationality, Set`.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import type { Gender, ManifestRow } from '../manifest.js';
import type { ParseOptions, ParseResult, SkippedFile } from './common.js';
import { clipRow, isWav, listFiles, requirePath } from './common.js';

/** One celebrity's line of `vox1_meta.csv`. */
export interface VoxCelebSpeaker {
  id: string;
  name: string;
  gender: Gender;
  nationality: string;
  /** `dev` or `test`. */
  set: string;
}

/** Parses `vox1_meta.csv` (tab-separated despite its name). */
export function parseVoxCelebMeta(text: string): Map<string, VoxCelebSpeaker> {
  const records = parse(text, { bom: true, delimiter: '\t', columns: (h: string[]) => h.map((c) => c.trim()), skip_empty_lines: true, trim: true, relax_quotes: true }) as Record<string, string>[];
  const speakers = new Map<string, VoxCelebSpeaker>();
  for (const r of records) {
    const gender = (r.Gender ?? '').toUpperCase();
    const id = r['VoxCeleb1 ID'];
    if (!id) continue;
    speakers.set(id, { id, name: r['VGGFace1 ID'] ?? '', gender: gender === 'F' || gender === 'M' ? gender : '', nationality: r.Nationality ?? '', set: r.Set ?? '' });
  }
  return speakers;
}

/** Lists a VoxCeleb1 copy for speaker identification (`label` = speaker id); extra columns `video`, `nationality`, `set`. */
export function parseVoxCeleb1(root: string, options: ParseOptions = {}): ParseResult {
  const meta = parseVoxCelebMeta(readFileSync(requirePath('VoxCeleb1', root, 'vox1_meta.csv', 'place vox1_meta.csv beside wav/'), 'utf8'));
  requirePath('VoxCeleb1', root, 'wav', 'unpack the dev and test parts into wav/');
  const rows: ManifestRow[] = [];
  const skipped: SkippedFile[] = [];
  for (const rel of listFiles(root, isWav, 'wav')) {
    const parts = rel.split('/');
    if (parts.length !== 4) {
      skipped.push({ path: rel, reason: 'not at wav/<speaker>/<video>/<n>.wav' });
      continue;
    }
    const speaker = meta.get(parts[1]);
    const row = clipRow(
      root,
      rel,
      {
        speaker: parts[1],
        gender: speaker?.gender ?? '',
        label: parts[1],
        corpus: 'voxceleb1',
        extra: { video: parts[2], nationality: speaker?.nationality ?? '', set: speaker?.set ?? '' },
      },
      options,
      skipped,
    );
    if (row) rows.push(row);
  }
  return { rows, skipped };
}
