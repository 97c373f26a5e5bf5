/**
 * The speaker and speaking-style model of the offline corpus: what numbers make one synthetic
 * "speaker" differ from another, and one clip from the next.
 *
 * **How synthetic this is.** Every speaker is eSpeak NG's one English voice with a handful of
 * numbers changed: all speakers share one phoneme table, one prosody model and one accent. They
 * differ only in the parameters below, drawn from group norms. The directions of the group
 * differences follow the literature; the magnitudes are rough, and only the F0 figures were
 * checked against a source:
 *
 * - **Sex.** Speaking F0 is about 120 Hz for men and 210 Hz for women (Traunmüller & Eriksson,
 *   "The frequency range of the voice fundamental in the speech of male and female adults").
 *   Women's formants lie some 15–20 % higher, mostly because the vocal tract is shorter
 *   (Peterson & Barney 1952; Hillenbrand et al. 1995); here formants scale as 17 cm / VTL.
 * - **Age.** After about 55, male F0 rises and female F0 falls (Traunmüller & Eriksson, citing
 *   Hollien); older voices show more jitter, shimmer and breathiness (Xue & Deliyski 2001),
 *   slower speech and slightly lower formants. eSpeak's `flutter` stands in for jitter, its
 *   `roughness` for shimmer, its `breath` for breathiness.
 * - **Speaking styles (emotion-like).** Caricatures of the prosodic correlates of acted emotion
 *   (Banse & Scherer 1996; Juslin & Laukka 2003): F0 level and range, rate, level and spectral
 *   tilt. They are speaking styles, not emotions: results on them are never emotion recognition.
 * - **Individuality.** Uniform length scaling alone makes speakers of one group nearly
 *   interchangeable, so each speaker also gets its own formant pattern (each formant ±4 % SD),
 *   spectral tilt (±10 %) and frication strength (±15 %).
 *
 * @packageDocumentation
 */
import { createRng, deriveSeed, gaussian, type Rng } from '../util/index.js';
import { stratifiedNormals } from './normal.js';

/** Speaker sex as the corpus labels it. */
export type Gender = 'F' | 'M';
/** Age group: young 20–35 years, old 65–80 years. */
export type AgeGroup = 'young' | 'old';
/** `task` speakers make the labelled clips; `babble` speakers only feed babble noise. */
export type SpeakerRole = 'task' | 'babble' | 'pool';
/** One of the four speaker groups, e.g. `F-young`. */
export type SpeakerGroupName = `${Gender}-${AgeGroup}`;

/** A normal distribution given by its mean and standard deviation. */
export interface Norm {
  mean: number;
  sd: number;
}

/** The norms one speaker group is drawn from (see the module notes for sources). */
export interface GroupNorms {
  /** Speaking (median) F0 in Hz. */
  f0Hz: Norm;
  /** Vocal-tract length in cm; formant frequencies scale as {@link REFERENCE_VTL_CM} / VTL. */
  vtlCm: Norm;
  /** Speaking rate in eSpeak words per minute. */
  rateWpm: Norm;
  /** eSpeak `flutter` (slow F0 wobble), the stand-in for jitter. */
  flutter: Norm;
  /** eSpeak `roughness` (0–7), the stand-in for shimmer. */
  roughness: Norm;
  /** eSpeak `breath` (aspiration noise level), the stand-in for breathiness. */
  breath: Norm;
  /** Multiplier on the base F0 span (intonation range). */
  f0Span: Norm;
  /** Ages (years, inclusive) drawn uniformly for the metadata. */
  ageYears: readonly [number, number];
}

/**
 * eSpeak's default voice is treated as a 17 cm (adult male) vocal tract: a speaker with a
 * VTL of L cm gets formants at 100·17/L % of the default.
 */
export const REFERENCE_VTL_CM = 17;

const YOUNG_AGES = [20, 35] as const;
const OLD_AGES = [65, 80] as const;

/**
 * The four speaker groups. F0: Traunmüller & Eriksson (with Hollien for the age trend); VTL and
 * formants: Peterson & Barney 1952, Hillenbrand et al. 1995; jitter, shimmer, breathiness with
 * age: Xue & Deliyski 2001. The eSpeak units (flutter, roughness, breath) were tuned by ear and
 * by measurement, not taken from a source.
 */
export const SPEAKER_GROUPS: Readonly<Record<SpeakerGroupName, GroupNorms>> = {
  'F-young': {
    f0Hz: { mean: 210, sd: 18 }, vtlCm: { mean: 14.8, sd: 0.5 }, rateWpm: { mean: 175, sd: 12 },
    flutter: { mean: 3, sd: 1 }, roughness: { mean: 0.5, sd: 0.5 }, breath: { mean: 3, sd: 1 },
    f0Span: { mean: 1, sd: 0.15 }, ageYears: YOUNG_AGES,
  },
  'F-old': {
    f0Hz: { mean: 185, sd: 18 }, vtlCm: { mean: 15.2, sd: 0.5 }, rateWpm: { mean: 150, sd: 12 },
    flutter: { mean: 12, sd: 3 }, roughness: { mean: 3, sd: 1 }, breath: { mean: 5, sd: 1 },
    f0Span: { mean: 1, sd: 0.15 }, ageYears: OLD_AGES,
  },
  'M-young': {
    f0Hz: { mean: 118, sd: 12 }, vtlCm: { mean: 17.2, sd: 0.6 }, rateWpm: { mean: 175, sd: 12 },
    flutter: { mean: 3, sd: 1 }, roughness: { mean: 0.5, sd: 0.5 }, breath: { mean: 0.5, sd: 0.5 },
    f0Span: { mean: 1, sd: 0.15 }, ageYears: YOUNG_AGES,
  },
  'M-old': {
    f0Hz: { mean: 135, sd: 14 }, vtlCm: { mean: 17.7, sd: 0.6 }, rateWpm: { mean: 150, sd: 12 },
    flutter: { mean: 12, sd: 3 }, roughness: { mean: 3, sd: 1 }, breath: { mean: 2, sd: 1 },
    f0Span: { mean: 1, sd: 0.15 }, ageYears: OLD_AGES,
  },
};

/** The groups in the order speakers are numbered. */
export const SPEAKER_GROUP_NAMES: readonly SpeakerGroupName[] = ['F-young', 'F-old', 'M-young', 'M-old'];

/** The speaking styles (emotion-like), in the order they rotate through a speaker's sentences. */
export const SPEAKING_STYLE_NAMES = ['neutral', 'happy', 'angry', 'sad'] as const;
/** A speaking style (emotion-like); used as the corpus's `label`. */
export type SpeakingStyleName = (typeof SPEAKING_STYLE_NAMES)[number];

/** How a speaking style changes a speaker's voice. */
export interface SpeakingStyle {
  /** Multiplier on the speaker's F0. */
  f0Factor: number;
  /** Multiplier on the F0 span (intonation range). */
  spanFactor: number;
  /** Multiplier on the speaking rate. */
  rateFactor: number;
  /** Level change in dB. */
  levelDb: number;
  /** Multiplier on the high-frequency bands of eSpeak's `tone`: above 1 flattens the spectral tilt. */
  tiltFactor: number;
  /** Added to eSpeak `breath`. */
  breathAdd: number;
}

/**
 * The four speaking styles (emotion-like). Directions follow reviews of acted vocal emotion
 * (Banse & Scherer 1996; Juslin & Laukka 2003): happy and angry raise F0 level, range, rate and
 * level, angry most in level and high-frequency energy; sad lowers them all and adds breath.
 * The sizes are caricatures chosen to be learnable, not measurements.
 */
export const SPEAKING_STYLES: Readonly<Record<SpeakingStyleName, SpeakingStyle>> = {
  neutral: { f0Factor: 1.0, spanFactor: 1.0, rateFactor: 1.0, levelDb: 0, tiltFactor: 1.0, breathAdd: 0 },
  happy: { f0Factor: 1.15, spanFactor: 1.6, rateFactor: 1.08, levelDb: 2, tiltFactor: 1.1, breathAdd: 0 },
  angry: { f0Factor: 1.1, spanFactor: 1.4, rateFactor: 1.12, levelDb: 5, tiltFactor: 1.35, breathAdd: 0 },
  sad: { f0Factor: 0.92, spanFactor: 0.5, rateFactor: 0.82, levelDb: -4, tiltFactor: 0.75, breathAdd: 2 },
};

/** One synthetic speaker: group membership plus the numbers that make its voice. */
export interface SpeakerVoice {
  /** `s01`, `s02`, … for task speakers, `b01`, … for babble speakers, `p001`, … for the pre-training pool. */
  id: string;
  role: SpeakerRole;
  gender: Gender;
  ageGroup: AgeGroup;
  /** Age in years (metadata only: eSpeak has no age model). */
  age: number;
  /** Speaking F0 in Hz before style and per-clip variation. */
  f0Hz: number;
  /** Multiplier on the base F0 span. */
  f0Span: number;
  vtlCm: number;
  rateWpm: number;
  flutter: number;
  roughness: number;
  breath: number;
  /** Multipliers on formants F1–F5 on top of the length scaling (the speaker's own tract shape). */
  formantDeviation: readonly number[];
  /** Multiplier on the high-frequency `tone` bands (the speaker's own spectral tilt). */
  tilt: number;
  /** Multiplier on consonant (frication) strength. */
  frication: number;
}

/** Standard deviations of the per-speaker idiosyncrasy (log scale). */
export const IDIOSYNCRASY_SD = { formant: 0.04, tilt: 0.1, frication: 0.15 } as const;

/** Standard deviations of the per-clip variation: F0 and rate on a log scale, gain in dB. */
export const CLIP_VARIATION_SD = { f0Log: 0.04, rateLog: 0.06, gainDb: 2 } as const;

/**
 * The noise floor, in dB below the clip's speech level, drawn uniformly per clip. eSpeak writes
 * exact zeros in pauses; without a floor, log-mel features of pauses sit on the log floor and
 * any added noise moves them so far that every classifier drops to chance.
 */
export const NOISE_FLOOR_DB: readonly [number, number] = [40, 55];

const FORMANTS_WITH_DEVIATION = 5;

/** `s07` / `b03` / `p123`: role letter plus a one-based number (three digits for the pool). */
export function speakerId(role: SpeakerRole, index: number): string {
  const letter = role === 'task' ? 's' : role === 'babble' ? 'b' : 'p';
  return `${letter}${String(index + 1).padStart(role === 'pool' ? 3 : 2, '0')}`;
}

function drawNorm(norm: Norm, z: number): number {
  return norm.mean + norm.sd * z;
}

/**
 * Draws `perGroup` speakers for each of the four groups, numbered group by group
 * (F-young, F-old, M-young, M-old). Group parameters are stratified (see
 * {@link stratifiedNormals}); idiosyncrasy and age are independent draws per speaker. The result
 * depends only on `seed`, `role` and `perGroup`.
 */
export function drawSpeakers(seed: number, role: SpeakerRole, perGroup: number): SpeakerVoice[] {
  if (!Number.isInteger(perGroup) || perGroup < 1) throw new Error(`speakers per group must be a positive integer, got ${perGroup}`);
  const speakers: SpeakerVoice[] = [];
  for (const group of SPEAKER_GROUP_NAMES) {
    const norms = SPEAKER_GROUPS[group];
    const groupRng = createRng(deriveSeed(seed, `group:${role}:${group}`));
    const z = {
      f0Hz: stratifiedNormals(perGroup, groupRng),
      vtlCm: stratifiedNormals(perGroup, groupRng),
      rateWpm: stratifiedNormals(perGroup, groupRng),
      flutter: stratifiedNormals(perGroup, groupRng),
      roughness: stratifiedNormals(perGroup, groupRng),
      breath: stratifiedNormals(perGroup, groupRng),
      f0Span: stratifiedNormals(perGroup, groupRng),
    };
    const [gender, ageGroup] = group.split('-') as [Gender, AgeGroup];
    for (let i = 0; i < perGroup; i++) {
      const id = speakerId(role, speakers.length);
      const own = createRng(deriveSeed(seed, `speaker:${id}`));
      const [ageLo, ageHi] = norms.ageYears;
      speakers.push({
        id,
        role,
        gender,
        ageGroup,
        age: ageLo + Math.floor(own() * (ageHi - ageLo + 1)),
        f0Hz: drawNorm(norms.f0Hz, z.f0Hz[i]),
        f0Span: Math.max(0.3, drawNorm(norms.f0Span, z.f0Span[i])),
        vtlCm: drawNorm(norms.vtlCm, z.vtlCm[i]),
        rateWpm: drawNorm(norms.rateWpm, z.rateWpm[i]),
        flutter: Math.max(0, drawNorm(norms.flutter, z.flutter[i])),
        roughness: Math.max(0, drawNorm(norms.roughness, z.roughness[i])),
        breath: Math.max(0, drawNorm(norms.breath, z.breath[i])),
        formantDeviation: Array.from({ length: FORMANTS_WITH_DEVIATION }, () => Math.exp(gaussian(own, 0, IDIOSYNCRASY_SD.formant))),
        tilt: Math.exp(gaussian(own, 0, IDIOSYNCRASY_SD.tilt)),
        frication: Math.exp(gaussian(own, 0, IDIOSYNCRASY_SD.frication)),
      });
    }
  }
  return speakers;
}

/**
 * The style of a task speaker's utterance: rotating through the four styles, offset by speaker,
 * so every speaker has every style equally often and each sentence appears in every style.
 */
export function styleFor(speakerIndex: number, utterance: number): SpeakingStyleName {
  return SPEAKING_STYLE_NAMES[(speakerIndex + utterance) % SPEAKING_STYLE_NAMES.length];
}

/** Everything that sets how one clip sounds: speaker, style, and this clip's own variation. */
export interface ClipVoice {
  speaker: SpeakerVoice;
  style: SpeakingStyleName;
  /** Target speaking F0 (Hz) after style and per-clip variation. */
  f0Hz: number;
  /** Speaking rate (eSpeak wpm) after style and per-clip variation. */
  rateWpm: number;
  /** Gain applied to eSpeak's output, in dB, before any limiting. */
  gainDb: number;
  /** Noise floor in dB below the clip's speech level. */
  floorDb: number;
  /** Silence (with noise floor) before the speech, in seconds. */
  leadS: number;
  /** Silence (with noise floor) after the speech, in seconds. */
  trailS: number;
}

/** eSpeak's output is loud enough that angry clips with a high draw would clip without headroom. */
const HEADROOM_DB = -7;
const LEAD_S: readonly [number, number] = [0.1, 0.3];
const TRAIL_S: readonly [number, number] = [0.15, 0.35];

function uniform(rng: Rng, [lo, hi]: readonly [number, number]): number {
  return lo + (hi - lo) * rng();
}

/** Draws one clip's variation (F0, rate, gain, noise floor, padding) around a speaker and style. */
export function drawClipVoice(speaker: SpeakerVoice, style: SpeakingStyleName, rng: Rng): ClipVoice {
  const s = SPEAKING_STYLES[style];
  return {
    speaker,
    style,
    f0Hz: speaker.f0Hz * s.f0Factor * Math.exp(gaussian(rng, 0, CLIP_VARIATION_SD.f0Log)),
    rateWpm: speaker.rateWpm * s.rateFactor * Math.exp(gaussian(rng, 0, CLIP_VARIATION_SD.rateLog)),
    gainDb: HEADROOM_DB + s.levelDb + gaussian(rng, 0, CLIP_VARIATION_SD.gainDb),
    floorDb: uniform(rng, NOISE_FLOOR_DB),
    leadS: uniform(rng, LEAD_S),
    trailS: uniform(rng, TRAIL_S),
  };
}

/** A voice parameter that cannot be written into an eSpeak variant file. */
export class VoiceParameterError extends Error {
  constructor(speaker: string, field: string, value: number, range: readonly [number, number]) {
    super(`speaker ${speaker}: eSpeak field '${field}' = ${value} is not a finite number in [${range[0]}, ${range[1]}]`);
    this.name = 'VoiceParameterError';
  }
}

/**
 * Rounds and range-checks one number for the variant file. eSpeak silently ignores a whole line
 * with a malformed number (a `NaN` pitch once put every speaker at ~105 Hz), so a bad value
 * must fail here, loudly.
 */
function field(speaker: string, name: string, value: number, range: readonly [number, number]): number {
  const rounded = Math.round(value);
  if (!Number.isFinite(value) || rounded < range[0] || rounded > range[1]) throw new VoiceParameterError(speaker, name, value, range);
  return rounded;
}

function clamp(value: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, value));
}

/** Half the base F0 span: at span 1 the pitch moves from 0.675·F0 to 1.175·F0. */
const BASE_SPAN = 0.5;
/** Where eSpeak's realised median F0 sits inside `pitch lo hi` (measured). */
const MEDIAN_POSITION = 0.65;
const BREATH_MAX = 12;

/** The range a speaking rate must fall in for eSpeak (words per minute). */
export const ESPEAK_RATE_WPM: readonly [number, number] = [80, 450];

/** The rate passed to eSpeak, rounded and range-checked like every other number. */
export function espeakRate(clip: ClipVoice): number {
  return field(clip.speaker.id, 'rate', clip.rateWpm, ESPEAK_RATE_WPM);
}

/**
 * The eSpeak NG variant file for one clip (applied on top of `en-us`). Every number is checked
 * before it is written; see {@link VoiceParameterError}.
 *
 * - `pitch lo hi` is centred so that the median lands on the target F0: eSpeak's realised
 *   median sits at about lo + 0.65·(hi − lo).
 * - `formant k f 100 100` scales formant k's frequency by the length factor and the speaker's
 *   deviation.
 * - `tone` is eSpeak's equaliser (frequency/amplitude pairs); scaling the 1.2 and 2 kHz
 *   amplitudes changes the spectral tilt.
 */
export function espeakVariant(clip: ClipVoice): string {
  const { speaker } = clip;
  const id = speaker.id;
  const style = SPEAKING_STYLES[clip.style];
  const span = BASE_SPAN * speaker.f0Span * style.spanFactor;
  const pitchLo = field(id, 'pitch low', clip.f0Hz * (1 - MEDIAN_POSITION * span), [20, 600]);
  const pitchHi = field(id, 'pitch high', clip.f0Hz * (1 + (1 - MEDIAN_POSITION) * span), [pitchLo, 900]);
  const scale = (100 * REFERENCE_VTL_CM) / speaker.vtlCm;
  const formants = Array.from({ length: 8 }, (_, k) => {
    const percent = field(id, `formant ${k + 1}`, scale * (speaker.formantDeviation[k] ?? 1), [50, 200]);
    return `formant ${k + 1} ${percent} 100 100`;
  });
  const breath = field(id, 'breath', clamp(speaker.breath + style.breathAdd, 0, BREATH_MAX), [0, BREATH_MAX]);
  const tilt = style.tiltFactor * speaker.tilt;
  const tone1200 = field(id, 'tone 1200 Hz', clamp(135 * tilt, 0, 255), [0, 255]);
  const tone2000 = field(id, 'tone 2000 Hz', clamp(110 * tilt * tilt, 0, 255), [0, 255]);
  const consonants = field(id, 'consonants', 100 * speaker.frication, [10, 400]);
  return [
    'language variant',
    'name ttt-speech',
    `gender ${speaker.gender === 'F' ? 'female' : 'male'}`,
    `pitch ${pitchLo} ${pitchHi}`,
    `flutter ${field(id, 'flutter', speaker.flutter, [0, 100])}`,
    `roughness ${field(id, 'roughness', clamp(speaker.roughness, 0, 7), [0, 7])}`,
    'formant 0 100 100 100',
    ...formants,
    `consonants ${consonants} ${consonants}`,
    `breath ${Array(8).fill(breath).join(' ')}`,
    `tone 600 170 1200 ${tone1200} 2000 ${tone2000}`,
    '',
  ].join('\n');
}
