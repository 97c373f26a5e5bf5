/**
 * Shift names: the short texts configs, the CLI and results use (`noise:babble@0dB`,
 * `gender:F->M`, `age:young->old`, `clean`) and the typed specs they stand for. One parser
 * and one printer, so a name read back from a results file means what it meant when written.
 */

import { NOISE_CORPUS_FORMS, parseNoiseCorpus } from './noise-corpus.js';

/** Noises the runner generates itself; any other noise name must name a noise corpus (see ./noise-corpus.ts). */
export const GENERATED_NOISES: readonly string[] = ['white', 'pink', 'brown', 'babble'];

/**
 * What changes between the training and the test clips.
 * - `clean`: nothing; the in-domain baseline.
 * - `noise`: the test clips get noise at an SNR (dB on active speech); `noise` is one of
 *   {@link GENERATED_NOISES} or a noise corpus with an optional label (`musan-noise`,
 *   `demand-DKITCHEN`, `esc50-dog`, `ms-snsd`).
 * - `gender`: train on speakers of one gender, test on the other (a natural shift).
 * - `age`: train on one age group, test on another (e.g. `young` → `old`).
 */
export type ShiftSpec =
  | { kind: 'clean' }
  | { kind: 'noise'; noise: string; snrDb: number }
  | { kind: 'gender'; train: 'F' | 'M'; test: 'F' | 'M' }
  | { kind: 'age'; train: string; test: string };

const EXPECTED =
  "expected one of: 'clean'; 'noise:<white|pink|brown|babble|noise corpus>@<SNR>dB' (e.g. noise:white@0dB, noise:babble@-5dB, noise:musan-noise@5dB); " +
  "'gender:<F|M>-><F|M>' (e.g. gender:F->M); 'age:<group>-><group>' (e.g. age:young->old)";

const NOISE = /^noise:([A-Za-z0-9_.\/-]+)@([+-]?\d+(?:\.\d+)?)\s*(?:dB)?$/i;
const GENDER = /^gender:([FM])\s*->\s*([FM])$/i;
// Group names are plain words so that `->` can never be part of one.
const AGE = /^age:([A-Za-z0-9_]+)\s*->\s*([A-Za-z0-9_]+)$/;

function shiftError(text: string, problem = EXPECTED): Error {
  return new Error(`shift '${text}': ${problem}`);
}

/**
 * Reads a shift name: `clean`, `noise:white@0dB`, `noise:babble@-5dB` (the `dB` is optional),
 * `noise:musan-noise@5dB`, `gender:F->M`, `age:young->old`. Generated noise names and `F`/`M`
 * are case-insensitive; a noise-corpus name is kept as written.
 * Throws an error naming the text and the expected forms.
 */
export function parseShift(text: string): ShiftSpec {
  const trimmed = String(text).trim();
  if (trimmed.toLowerCase() === 'clean') return { kind: 'clean' };
  const noise = NOISE.exec(trimmed);
  if (noise !== null) {
    const snrDb = Number(noise[2]);
    if (!Number.isFinite(snrDb)) throw shiftError(text, `the SNR '${noise[2]}' is not a number`);
    const lower = noise[1].toLowerCase();
    if (!GENERATED_NOISES.includes(lower) && !parseNoiseCorpus(noise[1])) {
      throw shiftError(text, `'${noise[1]}' is neither a generated noise (${GENERATED_NOISES.join(', ')}) nor a noise corpus (${NOISE_CORPUS_FORMS})`);
    }
    return { kind: 'noise', noise: GENERATED_NOISES.includes(lower) ? lower : noise[1], snrDb: snrDb === 0 ? 0 : snrDb };
  }
  const gender = GENDER.exec(trimmed);
  if (gender !== null) {
    return { kind: 'gender', train: gender[1].toUpperCase() as 'F' | 'M', test: gender[2].toUpperCase() as 'F' | 'M' };
  }
  const age = AGE.exec(trimmed);
  if (age !== null) return { kind: 'age', train: age[1], test: age[2] };
  throw shiftError(text);
}

/** The canonical name of a shift; `parseShift(shiftName(spec))` gives `spec` back. */
export function shiftName(spec: ShiftSpec): string {
  if (spec.kind === 'clean') return 'clean';
  if (spec.kind === 'noise') return `noise:${spec.noise}@${spec.snrDb}dB`;
  if (spec.kind === 'gender') return `gender:${spec.train}->${spec.test}`;
  if (spec.kind === 'age') return `age:${spec.train}->${spec.test}`;
  throw new Error(`unknown shift kind: ${JSON.stringify(spec)}`);
}
