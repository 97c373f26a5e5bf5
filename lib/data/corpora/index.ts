/**
 * The real corpora ttt-speech can read, by name: each with its parser and the file that marks
 * the corpus's root folder in an unpacked copy.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ParseOptions, ParseResult } from './common.js';
import { CorpusLayoutError, isDirectory } from './common.js';
import { parseVctk } from './vctk.js';
import { parseCremaD } from './crema-d.js';
import { parseRavdess } from './ravdess.js';
import { parseTess } from './tess.js';
import { parseIemocap } from './iemocap.js';
import { parseVoxCeleb1 } from './voxceleb.js';
import { parseMusan } from './musan.js';
import { parseEsc50 } from './esc50.js';
import { parseDemand } from './demand.js';
import { parseMsSnsd } from './ms-snsd.js';

/** Names of the corpora with a parser. */
export const CORPUS_NAMES = ['vctk', 'crema-d', 'ravdess', 'tess', 'iemocap', 'voxceleb1', 'musan', 'esc-50', 'demand', 'ms-snsd'] as const;

/** A corpus name. */
export type CorpusName = (typeof CORPUS_NAMES)[number];

/** How to turn a local copy of one corpus into manifest rows. */
export interface CorpusParser {
  name: CorpusName;
  /** Whether it is speech with speakers (task corpora) or noise for mixing. */
  kind: 'speech' | 'noise';
  /**
   * Tests whether a folder is this corpus's root; used to find the root inside an unpacked
   * archive, whose top folder name varies.
   */
  isRoot: (dir: string) => boolean;
  /** Lists the corpus (paths relative to the root). */
  parse: (root: string, options?: ParseOptions) => ParseResult;
}

const has = (...rels: string[]) => (dir: string) => rels.every((rel) => existsSync(join(dir, rel)));

const hasAnyDir = (...rels: string[]) => (dir: string) => rels.some((rel) => isDirectory(join(dir, rel)));

/** Every parser, by corpus name. */
export const CORPUS_PARSERS: Readonly<Record<CorpusName, CorpusParser>> = {
  vctk: { name: 'vctk', kind: 'speech', isRoot: has('speaker-info.txt', 'wav48_silence_trimmed'), parse: parseVctk },
  'crema-d': { name: 'crema-d', kind: 'speech', isRoot: has('VideoDemographics.csv', 'AudioWAV'), parse: parseCremaD },
  ravdess: {
    name: 'ravdess',
    kind: 'speech',
    isRoot: (dir) => isDirectory(dir) && readdirSync(dir).some((name) => /^Actor_\d{2}$/.test(name)),
    parse: parseRavdess,
  },
  tess: {
    name: 'tess',
    kind: 'speech',
    isRoot: (dir) => isDirectory(dir) && readdirSync(dir).some((name) => /^(OAF|YAF)_/i.test(name)),
    parse: parseTess,
  },
  iemocap: { name: 'iemocap', kind: 'speech', isRoot: has('Session1/dialog/EmoEvaluation'), parse: parseIemocap },
  voxceleb1: { name: 'voxceleb1', kind: 'speech', isRoot: has('vox1_meta.csv', 'wav'), parse: parseVoxCeleb1 },
  musan: { name: 'musan', kind: 'noise', isRoot: hasAnyDir('noise', 'music', 'speech'), parse: parseMusan },
  'esc-50': { name: 'esc-50', kind: 'noise', isRoot: has('meta/esc50.csv'), parse: parseEsc50 },
  demand: {
    name: 'demand',
    kind: 'noise',
    isRoot: (dir) => isDirectory(dir) && readdirSync(dir).some((name) => existsSync(join(dir, name, 'ch01.wav'))),
    parse: parseDemand,
  },
  'ms-snsd': { name: 'ms-snsd', kind: 'noise', isRoot: hasAnyDir('noise_train', 'noise_test'), parse: parseMsSnsd },
};

/** True if `name` is a corpus ttt-speech knows. */
export function isCorpusName(name: string): name is CorpusName {
  return (CORPUS_NAMES as readonly string[]).includes(name);
}

/**
 * Finds the corpus root at or below `dir` (breadth-first, `maxDepth` levels), since archives
 * unpack into a folder of their own choosing (`ESC-50-master/`, `musan/`, …).
 */
export function findCorpusRoot(name: CorpusName, dir: string, maxDepth = 3): string {
  let level = [dir];
  for (let depth = 0; depth <= maxDepth && level.length > 0; depth++) {
    const found = level.find((candidate) => CORPUS_PARSERS[name].isRoot(candidate));
    if (found) return found;
    level = level.flatMap((parent) =>
      readdirSync(parent, { withFileTypes: true })
        .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
        .map((entry) => join(parent, entry.name)),
    );
  }
  throw new CorpusLayoutError(name, dir, `no ${name} copy found here or up to ${maxDepth} folders below`);
}

export type { ParseOptions, ParseResult, SkippedFile } from './common.js';
export { CorpusLayoutError, ageGroup } from './common.js';
export { parseVctk, parseVctkSpeakerInfo } from './vctk.js';
export type { VctkOptions, VctkSpeaker } from './vctk.js';
export { parseCremaD, parseCremaDDemographics, CREMA_D_EMOTIONS } from './crema-d.js';
export type { CremaDOptions, CremaDActor } from './crema-d.js';
export { parseRavdess, parseRavdessName, RAVDESS_EMOTIONS } from './ravdess.js';
export type { RavdessName } from './ravdess.js';
export { parseTess, normaliseTessEmotion, TESS_SPEAKERS } from './tess.js';
export { parseIemocap, parseIemocapEvaluation, iemocapGender, IEMOCAP_FOUR_CLASS } from './iemocap.js';
export type { IemocapOptions, IemocapEvaluation } from './iemocap.js';
export { parseVoxCeleb1, parseVoxCelebMeta } from './voxceleb.js';
export type { VoxCelebSpeaker } from './voxceleb.js';
export { parseMusan, MUSAN_CATEGORIES } from './musan.js';
export { parseEsc50 } from './esc50.js';
export { parseDemand } from './demand.js';
export type { DemandOptions } from './demand.js';
export { parseMsSnsd, msSnsdType } from './ms-snsd.js';
