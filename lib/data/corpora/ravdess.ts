/**
 * RAVDESS (CC BY-NC-SA 4.0): 24 actors (12 F, 12 M) saying two statements in 8 emotions.
 *
 * Layout: `Actor_NN/MM-VV-EE-II-SS-RR-AA.wav`, where the seven fields are modality (01 full
 * AV, 02 video, 03 audio), vocal channel (01 speech, 02 song), emotion (01–08), intensity
 * (01 normal, 02 strong), statement (01, 02), repetition (01, 02) and actor (01–24; odd
 * actors are male, even female). No ages are published.
 */
import type { ManifestRow } from '../manifest.js';
import type { ParseOptions, ParseResult, SkippedFile } from './common.js';
import { clipRow, isWav, listFiles } from './common.js';

/** Emotion codes 01–08 and their labels. */
export const RAVDESS_EMOTIONS: Readonly<Record<string, string>> = {
  '01': 'neutral',
  '02': 'calm',
  '03': 'happy',
  '04': 'sad',
  '05': 'angry',
  '06': 'fearful',
  '07': 'disgust',
  '08': 'surprised',
};

/** The seven fields of a RAVDESS file name. */
export interface RavdessName {
  modality: string;
  vocalChannel: string;
  emotion: string;
  intensity: string;
  statement: string;
  repetition: string;
  actor: string;
}

/** Splits a RAVDESS file name into its fields, or returns `undefined` if it is not one. */
export function parseRavdessName(name: string): RavdessName | undefined {
  const match = /^(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})\.wav$/i.exec(name);
  if (!match) return undefined;
  const [, modality, vocalChannel, emotion, intensity, statement, repetition, actor] = match;
  return { modality, vocalChannel, emotion, intensity, statement, repetition, actor };
}

/**
 * Lists the audio-only speech files of a RAVDESS copy (modality 03, vocal channel 01); song
 * files and other modalities are skipped, so the song archive may be unpacked alongside.
 * Extra columns: `intensity`, `statement`, `repetition`, `emotion_raw`.
 */
export function parseRavdess(root: string, options: ParseOptions = {}): ParseResult {
  const rows: ManifestRow[] = [];
  const skipped: SkippedFile[] = [];
  for (const rel of listFiles(root, isWav)) {
    const name = rel.slice(rel.lastIndexOf('/') + 1);
    const fields = parseRavdessName(name);
    if (!fields) {
      skipped.push({ path: rel, reason: 'not a MM-VV-EE-II-SS-RR-AA.wav name' });
      continue;
    }
    if (fields.modality !== '03' || fields.vocalChannel !== '01') {
      skipped.push({ path: rel, reason: fields.vocalChannel === '02' ? 'song, not speech' : `modality ${fields.modality}, not audio-only` });
      continue;
    }
    const label = RAVDESS_EMOTIONS[fields.emotion];
    if (!label) {
      skipped.push({ path: rel, reason: `unknown emotion code ${fields.emotion}` });
      continue;
    }
    const actorNumber = Number(fields.actor);
    const row = clipRow(
      root,
      rel,
      {
        speaker: `Actor_${fields.actor}`,
        gender: actorNumber % 2 === 1 ? 'M' : 'F',
        label,
        corpus: 'ravdess',
        extra: { intensity: fields.intensity, statement: fields.statement, repetition: fields.repetition, emotion_raw: fields.emotion },
      },
      options,
      skipped,
    );
    if (row) rows.push(row);
  }
  return { rows, skipped };
}
