/**
 * CREMA-D (ODbL 1.0 / DbCL 1.0): 7 442 clips of 91 actors (48 M, 43 F, aged 20–74) speaking
 * 12 sentences in 6 emotions; the one corpus here with a real age spread.
 *
 * Layout: `AudioWAV/<ActorID>_<Sentence>_<Emotion>_<Level>.wav` (e.g. `1001_DFA_ANG_XX.wav`)
 * and `VideoDemographics.csv` with the quoted header `"ActorID","Age","Sex","Race","Ethnicity"`.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import type { Gender, ManifestRow } from '../manifest.js';
import type { ParseOptions, ParseResult, SkippedFile } from './common.js';
import { CorpusLayoutError, ageGroup, clipRow, isWav, listFiles, requirePath } from './common.js';

/** CREMA-D's emotion codes and the label each becomes. */
export const CREMA_D_EMOTIONS: Readonly<Record<string, string>> = {
  ANG: 'angry',
  DIS: 'disgust',
  FEA: 'fearful',
  HAP: 'happy',
  NEU: 'neutral',
  SAD: 'sad',
};

/** One actor's line of `VideoDemographics.csv`. */
export interface CremaDActor {
  id: string;
  age: number | null;
  gender: Gender;
  race: string;
  ethnicity: string;
}

/** Parses `VideoDemographics.csv` into actors by id. */
export function parseCremaDDemographics(text: string, source = 'VideoDemographics.csv'): Map<string, CremaDActor> {
  const records = parse(text, { bom: true, columns: true, skip_empty_lines: true, trim: true }) as Record<string, string>[];
  const actors = new Map<string, CremaDActor>();
  for (const [i, record] of records.entries()) {
    const id = record.ActorID;
    if (id === undefined || record.Sex === undefined) {
      throw new CorpusLayoutError('CREMA-D', source, `row ${i + 1} lacks ActorID or Sex (columns: ${Object.keys(record).join(', ')})`);
    }
    const age = Number(record.Age);
    const sex = record.Sex.toLowerCase();
    actors.set(id, {
      id,
      age: record.Age !== '' && Number.isFinite(age) ? age : null,
      gender: sex === 'female' ? 'F' : sex === 'male' ? 'M' : '',
      race: record.Race ?? '',
      ethnicity: record.Ethnicity ?? '',
    });
  }
  return actors;
}

/** Options for {@link parseCremaD}. */
export interface CremaDOptions extends ParseOptions {
  /** Oldest age counted `young` (default 30). */
  youngMax?: number;
  /** Youngest age counted `old` (default 50); ages between are `middle`. */
  oldMin?: number;
}

const FILE = /^(\d{4})_([A-Z]{3})_([A-Z]{3})_([A-Z]{2})\.wav$/i;

/**
 * Lists a CREMA-D copy as emotion-recognition rows, joined with each actor's age and sex.
 * Extra columns: `sentence`, `level` (LO/MD/HI/XX), `emotion_raw`, `race`, `ethnicity`.
 */
export function parseCremaD(root: string, options: CremaDOptions = {}): ParseResult {
  const demographicsFile = requirePath('CREMA-D', root, 'VideoDemographics.csv', 'point at the folder of the CREMA-D repository');
  requirePath('CREMA-D', root, 'AudioWAV', 'the audio lives in AudioWAV/ (fetch it with Git LFS; the zip of the repository holds only pointers)');
  const actors = parseCremaDDemographics(readFileSync(demographicsFile, 'utf8'), demographicsFile);
  const rows: ManifestRow[] = [];
  const skipped: SkippedFile[] = [];
  for (const rel of listFiles(root, isWav, 'AudioWAV')) {
    const name = rel.slice(rel.lastIndexOf('/') + 1);
    const match = FILE.exec(name);
    const emotion = match ? CREMA_D_EMOTIONS[match[3].toUpperCase()] : undefined;
    if (!match || !emotion) {
      skipped.push({ path: rel, reason: 'not an ActorID_Sentence_Emotion_Level.wav name with a known emotion' });
      continue;
    }
    const [, actorId, sentence, emotionCode, level] = match;
    const actor = actors.get(actorId);
    if (!actor) {
      skipped.push({ path: rel, reason: `actor ${actorId} is not in VideoDemographics.csv` });
      continue;
    }
    const row = clipRow(
      root,
      rel,
      {
        speaker: actorId,
        gender: actor.gender,
        age: actor.age,
        age_group: ageGroup(actor.age, options.youngMax, options.oldMin),
        label: emotion,
        corpus: 'crema-d',
        extra: { sentence, level, emotion_raw: emotionCode, race: actor.race, ethnicity: actor.ethnicity },
      },
      options,
      skipped,
    );
    if (row) rows.push(row);
  }
  return { rows, skipped };
}
