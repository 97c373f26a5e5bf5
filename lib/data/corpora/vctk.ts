/**
 * VCTK 0.92 (CC BY 4.0): 110 English speakers with various accents, each reading about 400
 * sentences, recorded with two microphones.
 *
 * Layout: `speaker-info.txt`, `txt/pNNN/pNNN_UUU.txt`, and
 * `wav48_silence_trimmed/pNNN/pNNN_UUU_mic{1,2}.flac`. p315's text was lost and p280 has
 * no mic2 recordings.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ManifestRow, Gender } from '../manifest.js';
import type { ParseOptions, ParseResult, SkippedFile } from './common.js';
import { clipRow, listFiles, requirePath } from './common.js';

/** One line of `speaker-info.txt`. */
export interface VctkSpeaker {
  /** As used in file names, e.g. `p225`. */
  id: string;
  age: number | null;
  gender: Gender;
  accent: string;
  region: string;
  /** Text in parentheses, e.g. `mic2 files unavailable`. */
  comment: string;
}

/**
 * Parses `speaker-info.txt`. Columns are aligned with runs of spaces, but REGION may itself
 * contain spaces ("Southern  England") and a trailing comment sits in parentheses, so only
 * the first four fields are split on whitespace.
 */
export function parseVctkSpeakerInfo(text: string): Map<string, VctkSpeaker> {
  const speakers = new Map<string, VctkSpeaker>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || /^ID\s/i.test(line)) continue;
    const match = /^(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s*(.*)$/.exec(line);
    if (!match) continue;
    const [, rawId, rawAge, rawGender, accent, rest] = match;
    // Releases before 0.92 wrote ids without the `p` that file names carry.
    const id = /^\d/.test(rawId) ? `p${rawId}` : rawId;
    const comments = [...rest.matchAll(/\(([^)]*)\)/g)].map((m) => m[1].trim());
    const region = rest.replace(/\([^)]*\)/g, ' ').replace(/\s+/g, ' ').trim();
    const age = Number(rawAge);
    const gender = rawGender.toUpperCase();
    speakers.set(id, {
      id,
      age: Number.isFinite(age) ? age : null,
      gender: gender === 'F' || gender === 'M' ? gender : '',
      accent,
      region,
      comment: comments.join('; '),
    });
  }
  return speakers;
}

/** Options for {@link parseVctk}. */
export interface VctkOptions extends ParseOptions {
  /** Which microphone's recordings: 1 (default, the omni-directional DPA 4035), 2, or both. */
  mic?: 1 | 2 | 'both';
  /** Read `txt/` into a `text` column (default true). */
  text?: boolean;
}

const FILE = /^([a-z]+\d+)_(\d{3})_mic([12])\.flac$/i;
const AUDIO_DIR = 'wav48_silence_trimmed';

function readText(root: string, speaker: string, utt: string): string {
  const file = join(root, 'txt', speaker, `${speaker}_${utt}.txt`);
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
}

/**
 * Lists a VCTK 0.92 copy as manifest rows for speaker identification: `label` is the speaker.
 * Extra columns: `utt`, `mic`, `accent`, `region`, `text`. Ages are known but span only
 * 18–38, so `age_group` is left empty.
 */
export function parseVctk(root: string, options: VctkOptions = {}): ParseResult {
  const mic = options.mic ?? 1;
  const info = readFileSync(requirePath('VCTK', root, 'speaker-info.txt', 'point at the folder holding speaker-info.txt'), 'utf8');
  requirePath('VCTK', root, AUDIO_DIR, `expected the 0.92 release's ${AUDIO_DIR}/ folder`);
  const speakers = parseVctkSpeakerInfo(info);
  const rows: ManifestRow[] = [];
  const skipped: SkippedFile[] = [];
  const seenMics = new Map<string, Set<string>>();
  for (const rel of listFiles(root, () => true, AUDIO_DIR)) {
    const name = rel.slice(rel.lastIndexOf('/') + 1);
    const match = FILE.exec(name);
    if (!match) {
      if (!/\.(txt|log)$/i.test(name)) skipped.push({ path: rel, reason: 'not a pNNN_UUU_micN.flac name' });
      continue;
    }
    const [, speakerId, utt, micNumber] = match;
    if (!seenMics.has(speakerId)) seenMics.set(speakerId, new Set());
    seenMics.get(speakerId)!.add(micNumber);
    if (mic !== 'both' && String(mic) !== micNumber) continue;
    const speaker = speakers.get(speakerId);
    const row = clipRow(
      root,
      rel,
      {
        speaker: speakerId,
        gender: speaker?.gender ?? '',
        age: speaker?.age ?? null,
        label: speakerId,
        corpus: 'vctk',
        extra: {
          utt,
          mic: micNumber,
          accent: speaker?.accent ?? '',
          region: speaker?.region ?? '',
          text: options.text === false ? '' : readText(root, speakerId, utt),
        },
      },
      options,
      skipped,
    );
    if (row) rows.push(row);
  }
  if (mic !== 'both') {
    for (const [speakerId, mics] of seenMics) {
      if (!mics.has(String(mic))) skipped.push({ path: `${AUDIO_DIR}/${speakerId}`, reason: `no mic${mic} recordings` });
    }
  }
  return { rows, skipped };
}
