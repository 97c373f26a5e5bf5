/**
 * IEMOCAP (release by licence agreement only; never downloaded here): five sessions of dyadic
 * conversation between one actress and one actor, cut into utterances with emotion labels.
 *
 * Layout under `IEMOCAP_full_release/`: `SessionN/sentences/wav/<dialog>/<utt>.wav` (16 kHz)
 * and `SessionN/dialog/EmoEvaluation/<dialog>.txt`, whose summary lines read
 * `[6.2901 - 8.2357]\tSes01F_impro01_F000\tneu\t[2.5000, 2.5000, 2.5000]`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ManifestRow } from '../manifest.js';
import type { ParseOptions, ParseResult, SkippedFile } from './common.js';
import { CorpusLayoutError, clipRow, isDirectory, isWav, listFiles } from './common.js';

/**
 * The usual 4-class setup (5 531 utterances): excited is merged into happy; frustrated,
 * surprised, fearful, disgusted, other and no-agreement (`xxx`) are dropped.
 */
export const IEMOCAP_FOUR_CLASS: Readonly<Record<string, string>> = {
  neu: 'neutral',
  hap: 'happy',
  exc: 'happy',
  sad: 'sad',
  ang: 'angry',
};

/** One summary line of an EmoEvaluation file. */
export interface IemocapEvaluation {
  utt: string;
  startS: number;
  endS: number;
  /** The three-letter consensus category, e.g. `neu`, `fru`, `xxx`. */
  emotion: string;
  valence: number;
  arousal: number;
  dominance: number;
}

const SUMMARY = /^\[\s*([\d.]+)\s*-\s*([\d.]+)\s*\]\s+(\S+)\s+(\S+)\s+\[\s*([\d.]+)\s*,\s*([\d.]+)\s*,\s*([\d.]+)\s*\]/;

/** Reads the summary lines of one EmoEvaluation file (the per-evaluator lines are ignored). */
export function parseIemocapEvaluation(text: string): IemocapEvaluation[] {
  const out: IemocapEvaluation[] = [];
  for (const line of text.split(/\r?\n/)) {
    const match = SUMMARY.exec(line.trim());
    if (!match) continue;
    const [, start, end, utt, emotion, valence, arousal, dominance] = match;
    out.push({
      utt,
      startS: Number(start),
      endS: Number(end),
      emotion: emotion.toLowerCase(),
      valence: Number(valence),
      arousal: Number(arousal),
      dominance: Number(dominance),
    });
  }
  return out;
}

/** The speaker's sex from an utterance id: the letter before the 3-digit turn index (`…_M000` → M). */
export function iemocapGender(utt: string): 'F' | 'M' | '' {
  const match = /_([FM])\d{3}[a-z]?$/i.exec(utt);
  return match ? (match[1].toUpperCase() as 'F' | 'M') : '';
}

/** Options for {@link parseIemocap}. */
export interface IemocapOptions extends ParseOptions {
  /** Category → label map; categories absent from it are dropped. Default {@link IEMOCAP_FOUR_CLASS}. */
  labels?: Readonly<Record<string, string>>;
}

function sessionFolders(root: string): string[] {
  const sessions = readdirSync(root).filter((name) => /^Session\d+$/.test(name) && isDirectory(join(root, name)));
  if (sessions.length === 0) {
    throw new CorpusLayoutError('IEMOCAP', root, 'no Session1…Session5 folders: point at IEMOCAP_full_release/');
  }
  return sessions.sort();
}

function evaluations(root: string, session: string): Map<string, IemocapEvaluation> {
  const dir = join(root, session, 'dialog', 'EmoEvaluation');
  const byUtt = new Map<string, IemocapEvaluation>();
  if (!isDirectory(dir)) return byUtt;
  for (const name of readdirSync(dir)) {
    if (name.startsWith('.') || !name.endsWith('.txt')) continue;
    for (const evaluation of parseIemocapEvaluation(readFileSync(join(dir, name), 'utf8'))) byUtt.set(evaluation.utt, evaluation);
  }
  return byUtt;
}

/**
 * Lists the labelled utterances of an IEMOCAP copy. `speaker` is session plus sex
 * (`Ses01_F`): each session has one actress and one actor. Extra columns: `utt`, `dialog`,
 * `session`, `kind` (improvised/scripted), `emotion_raw`, `valence`, `arousal`, `dominance`.
 */
export function parseIemocap(root: string, options: IemocapOptions = {}): ParseResult {
  const labels = options.labels ?? IEMOCAP_FOUR_CLASS;
  const rows: ManifestRow[] = [];
  const skipped: SkippedFile[] = [];
  for (const session of sessionFolders(root)) {
    const byUtt = evaluations(root, session);
    const wavDir = `${session}/sentences/wav`;
    if (!isDirectory(join(root, wavDir))) throw new CorpusLayoutError('IEMOCAP', root, `'${wavDir}' not found`);
    const sessionNumber = session.replace('Session', '').padStart(2, '0');
    for (const rel of listFiles(root, isWav, wavDir)) {
      const parts = rel.split('/');
      const utt = parts[parts.length - 1].replace(/\.wav$/i, '');
      const evaluation = byUtt.get(utt);
      if (!evaluation) {
        skipped.push({ path: rel, reason: 'no EmoEvaluation line' });
        continue;
      }
      const label = labels[evaluation.emotion];
      if (!label) {
        skipped.push({ path: rel, reason: `category '${evaluation.emotion}' is not mapped to a label` });
        continue;
      }
      const gender = iemocapGender(utt);
      const dialog = parts[parts.length - 2];
      const row = clipRow(
        root,
        rel,
        {
          speaker: `Ses${sessionNumber}_${gender}`,
          gender,
          label,
          corpus: 'iemocap',
          extra: {
            utt,
            dialog,
            session: sessionNumber,
            kind: /_impro/i.test(dialog) ? 'improvised' : 'scripted',
            emotion_raw: evaluation.emotion,
            valence: String(evaluation.valence),
            arousal: String(evaluation.arousal),
            dominance: String(evaluation.dominance),
          },
        },
        options,
        skipped,
      );
      if (row) rows.push(row);
    }
  }
  return { rows, skipped };
}
