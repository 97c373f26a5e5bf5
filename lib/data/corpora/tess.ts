/**
 * TESS, the Toronto emotional speech set (CC BY-NC-ND 4.0): 200 target words said in 7
 * emotions by two actresses, OAF (64 years) and YAF (26 years) — an age pair with everything
 * else held fixed.
 *
 * Layout: folders `OAF_angry/` … `YAF_pleasant_surprised/` (capitalisation varies between
 * copies), files `OAF_back_angry.wav`, `YAF_back_ps.wav`.
 */
import type { ManifestRow } from '../manifest.js';
import type { ParseOptions, ParseResult, SkippedFile } from './common.js';
import { clipRow, isWav, listFiles } from './common.js';

/** The two speakers and their published ages. */
export const TESS_SPEAKERS: Readonly<Record<string, { age: number; age_group: string }>> = {
  OAF: { age: 64, age_group: 'old' },
  YAF: { age: 26, age_group: 'young' },
};

// The same emotion appears as `ps`, `pleasant_surprise` and `pleasant_surprised`, and TESS
// says `fear` where the other corpora say `fearful`.
const EMOTIONS: Readonly<Record<string, string>> = {
  angry: 'angry',
  disgust: 'disgust',
  fear: 'fearful',
  happy: 'happy',
  neutral: 'neutral',
  ps: 'surprised',
  pleasant_surprise: 'surprised',
  pleasant_surprised: 'surprised',
  sad: 'sad',
};

/** Maps a TESS emotion as written in a file or folder name to the shared label, or `undefined`. */
export function normaliseTessEmotion(raw: string): string | undefined {
  return EMOTIONS[raw.toLowerCase()];
}

/**
 * Lists a TESS copy as emotion rows. The emotion is read from the file name (its last `_`
 * field) and, failing that, from the folder. Extra columns: `word`, `emotion_raw`.
 */
export function parseTess(root: string, options: ParseOptions = {}): ParseResult {
  const rows: ManifestRow[] = [];
  const skipped: SkippedFile[] = [];
  for (const rel of listFiles(root, isWav)) {
    const parts = rel.split('/');
    const name = parts[parts.length - 1].replace(/\.wav$/i, '');
    const folder = parts.length > 1 ? parts[parts.length - 2] : '';
    const match = /^(OAF|YAF)_(.+?)_(pleasant_surprised?|[A-Za-z]+)$/i.exec(name);
    if (!match) {
      skipped.push({ path: rel, reason: 'not a SPEAKER_word_emotion.wav name' });
      continue;
    }
    const speaker = match[1].toUpperCase();
    const folderEmotion = /^(?:OAF|YAF)_(.+)$/i.exec(folder)?.[1] ?? '';
    const label = normaliseTessEmotion(match[3]) ?? normaliseTessEmotion(folderEmotion);
    if (!label) {
      skipped.push({ path: rel, reason: `unknown emotion '${match[3]}'` });
      continue;
    }
    const person = TESS_SPEAKERS[speaker];
    const row = clipRow(
      root,
      rel,
      {
        speaker,
        gender: 'F',
        age: person.age,
        age_group: person.age_group,
        label,
        corpus: 'tess',
        extra: { word: match[2].toLowerCase(), emotion_raw: match[3] },
      },
      options,
      skipped,
    );
    if (row) rows.push(row);
  }
  return { rows, skipped };
}
