/**
 * DEMAND (CC BY-SA 3.0): 16-channel recordings of 18 acoustic environments, about 5 minutes each.
 *
 * Layout: one folder per environment (`DKITCHEN/`, `TBUS/`, …) holding `ch01.wav` … `ch16.wav`;
 * the 16 kHz archives are `<ENV>_16k.zip` (SCAFE exists at 48 kHz only).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ManifestRow } from '../manifest.js';
import type { ParseOptions, ParseResult, SkippedFile } from './common.js';
import { CorpusLayoutError, clipRow, isDirectory, listFiles } from './common.js';

/** Options for {@link parseDemand}. */
export interface DemandOptions extends ParseOptions {
  /**
   * Which microphones to list (1–16), or `'all'`. Default `[1]`: the channels are one scene
   * seen by an array of close microphones, so more channels add near-copies, not variety.
   */
  channels?: number[] | 'all';
}

/** Lists a DEMAND copy: `label` is the environment; extra column `channel`. */
export function parseDemand(root: string, options: DemandOptions = {}): ParseResult {
  const wanted = options.channels ?? [1];
  const envs = readdirSync(root).filter((name) => /^[A-Z]+$/.test(name) && isDirectory(join(root, name)));
  if (envs.length === 0) throw new CorpusLayoutError('DEMAND', root, 'no environment folders such as DKITCHEN/ or TBUS/');
  const rows: ManifestRow[] = [];
  const skipped: SkippedFile[] = [];
  for (const env of envs.sort()) {
    for (const rel of listFiles(root, (name) => /^ch\d{2}\.wav$/i.test(name), env)) {
      const channel = Number(/ch(\d{2})\.wav$/i.exec(rel)![1]);
      if (wanted !== 'all' && !wanted.includes(channel)) continue;
      const row = clipRow(root, rel, { label: env, corpus: 'demand', extra: { channel: String(channel) } }, options, skipped);
      if (row) rows.push(row);
    }
  }
  return { rows, skipped };
}
