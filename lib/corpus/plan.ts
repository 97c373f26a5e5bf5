/**
 * The corpus recipe and the plan it expands to: which speakers exist, what each clip says, in
 * which voice, and which shard (synthesis process) makes it. Pure functions of the recipe, so
 * any process can recompute any shard's plan.
 */
import { createRng, deriveSeed } from '../util/index.js';
import { BABBLE_SENTENCES, TASK_SENTENCES, babbleSentenceId } from './sentences.js';
import { espeakPackageVersion } from './synth-client.js';
import { drawClipVoice, drawSpeakers, styleFor, type ClipVoice, type SpeakerVoice } from './voices.js';

/**
 * Named sizes: `full` is the corpus experiments use, `ci` a small one for fast tests, `pretrain`
 * the full corpus plus a pool of 396 voices that only pre-training hears, every clip recorded
 * through a simulated room, microphone and background (docs/ttt-levers.md says why).
 */
export type CorpusPreset = 'full' | 'ci' | 'pretrain';

/** How many speakers and clips a corpus has. */
export interface CorpusSize {
  /** Task speakers per group (4 groups: F/M × young/old). */
  speakersPerGroup: number;
  /** Clips per task speaker (sentence ids 0…n−1). */
  utterancesPerSpeaker: number;
  /** Babble-only speakers per group. */
  babbleSpeakersPerGroup: number;
  /** Clips per babble speaker. */
  babbleUtterancesPerSpeaker: number;
  /** Pre-training-only speakers per group (0: no pool). */
  poolSpeakersPerGroup: number;
  /** Clips per pool speaker. */
  poolUtterancesPerSpeaker: number;
  /** Pass every clip through a seeded recording chain (lib/audio `recordClip`). */
  recording: boolean;
}

const NO_POOL = { poolSpeakersPerGroup: 0, poolUtterancesPerSpeaker: 12, recording: false } as const;

/** The sizes of the presets. */
export const CORPUS_PRESETS: Readonly<Record<CorpusPreset, CorpusSize>> = {
  full: { speakersPerGroup: 6, utterancesPerSpeaker: 20, babbleSpeakersPerGroup: 2, babbleUtterancesPerSpeaker: 10, ...NO_POOL },
  ci: { speakersPerGroup: 2, utterancesPerSpeaker: 8, babbleSpeakersPerGroup: 1, babbleUtterancesPerSpeaker: 4, ...NO_POOL },
  pretrain: {
    speakersPerGroup: 6,
    utterancesPerSpeaker: 20,
    babbleSpeakersPerGroup: 2,
    babbleUtterancesPerSpeaker: 10,
    poolSpeakersPerGroup: 99,
    poolUtterancesPerSpeaker: 12,
    recording: true,
  },
};

/**
 * Version of the generator itself. A stored corpus is reused only if it was made by the same
 * version, so changing how clips are made (voices, sentences, rendering, sharding) or what the
 * manifest holds must raise it. 2: the manifest became a lib/data manifest (`corpus` and
 * `split` columns, lib/data's column order); the audio is unchanged from 1. 3: a pre-training pool
 * (`pool` role, `pretrain` split) and recorded clips, with each clip's room and background in the
 * manifest; a corpus with neither has the audio of 2.
 */
export const CORPUS_RECIPE_VERSION = 3;

/** Everything the corpus's bytes depend on. */
export interface CorpusRecipe extends CorpusSize {
  recipeVersion: number;
  seed: number;
  preset: CorpusPreset;
  /** Version of the eSpeak NG package that synthesises it. */
  espeakVersion: string;
}

/** What a caller may choose about a corpus's content; the rest comes from the preset. */
export interface CorpusRecipeOptions extends Partial<CorpusSize> {
  /** Seed of every random choice (default 1). */
  seed?: number;
  /** Default `full`. */
  preset?: CorpusPreset;
}

/** File and folder names inside a corpus folder. */
export const CORPUS_FILES = { manifest: 'manifest.csv', record: 'corpus.json', wavDir: 'wav' } as const;

function checkCount(name: string, value: number, max: number, min = 1): number {
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`corpus: ${name} must be an integer in [${min}, ${max}], got ${value}`);
  return value;
}

function checkFlag(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new Error(`corpus: ${name} must be true or false, got ${JSON.stringify(value)}`);
  return value;
}

/** Fills in defaults and checks the sizes; the result fixes the corpus's bytes. */
export function resolveCorpusRecipe(options: CorpusRecipeOptions = {}): CorpusRecipe {
  const preset = options.preset ?? 'full';
  const sizes = CORPUS_PRESETS[preset];
  if (!sizes) throw new Error(`corpus: unknown preset '${preset}' (use ${Object.keys(CORPUS_PRESETS).join(' or ')})`);
  const seed = options.seed ?? 1;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new Error(`corpus: seed must be an integer in [0, 2^32), got ${seed}`);
  return {
    recipeVersion: CORPUS_RECIPE_VERSION,
    seed,
    preset,
    speakersPerGroup: checkCount('speakersPerGroup', options.speakersPerGroup ?? sizes.speakersPerGroup, 99),
    utterancesPerSpeaker: checkCount('utterancesPerSpeaker', options.utterancesPerSpeaker ?? sizes.utterancesPerSpeaker, TASK_SENTENCES.length),
    babbleSpeakersPerGroup: checkCount('babbleSpeakersPerGroup', options.babbleSpeakersPerGroup ?? sizes.babbleSpeakersPerGroup, 99),
    babbleUtterancesPerSpeaker: checkCount(
      'babbleUtterancesPerSpeaker',
      options.babbleUtterancesPerSpeaker ?? sizes.babbleUtterancesPerSpeaker,
      BABBLE_SENTENCES.length,
    ),
    poolSpeakersPerGroup: checkCount('poolSpeakersPerGroup', options.poolSpeakersPerGroup ?? sizes.poolSpeakersPerGroup, 249, 0),
    poolUtterancesPerSpeaker: checkCount('poolUtterancesPerSpeaker', options.poolUtterancesPerSpeaker ?? sizes.poolUtterancesPerSpeaker, TASK_SENTENCES.length),
    recording: checkFlag('recording', options.recording ?? sizes.recording),
    espeakVersion: espeakPackageVersion(),
  };
}

/** One clip to make: who says what, in which voice, and where it goes. */
export interface ClipPlan {
  speaker: SpeakerVoice;
  utt: number;
  sentence: number;
  text: string;
  voice: ClipVoice;
  /** Path relative to the corpus folder. */
  file: string;
  /** Seed of the clip's floor noise. */
  noiseSeed: number;
}

/**
 * Pool speaker `index` reads task sentences from its own starting point (7 apart, coprime with the
 * 40 sentences), so the pool as a whole says every sentence about equally often.
 */
function poolSentence(speakerIndex: number, utt: number): number {
  return (speakerIndex * 7 + utt) % TASK_SENTENCES.length;
}

function planSpeaker(recipe: CorpusRecipe, speaker: SpeakerVoice, speakerIndex: number): ClipPlan[] {
  const { role } = speaker;
  const count = role === 'task' ? recipe.utterancesPerSpeaker : role === 'pool' ? recipe.poolUtterancesPerSpeaker : recipe.babbleUtterancesPerSpeaker;
  return Array.from({ length: count }, (_, utt) => {
    const style = role === 'babble' ? 'neutral' : styleFor(speakerIndex, utt);
    const clipRng = createRng(deriveSeed(recipe.seed, `clip:${speaker.id}:${utt}`));
    const sentence = role === 'task' ? utt : role === 'pool' ? poolSentence(speakerIndex, utt) : babbleSentenceId(utt);
    return {
      speaker,
      utt,
      sentence,
      text: role === 'babble' ? BABBLE_SENTENCES[utt] : TASK_SENTENCES[sentence],
      voice: drawClipVoice(speaker, style, clipRng),
      file: `${CORPUS_FILES.wavDir}/${speaker.id}_${String(utt).padStart(2, '0')}_${style}.wav`,
      noiseSeed: deriveSeed(recipe.seed, `noise:${speaker.id}:${utt}`),
    };
  });
}

/**
 * Speakers per synthesis process. Each process pays ~0.5 s to start and warm up eSpeak, so one
 * per speaker would waste a third of the synthesis time; the number is fixed (not derived from
 * the core count) because a shard's audio depends on which clips share its process.
 */
export const SPEAKERS_PER_SHARD = 4;

/**
 * Every clip of the corpus, grouped in shards of {@link SPEAKERS_PER_SHARD} consecutive speakers:
 * task speakers first, then babble speakers, then the pool, each speaker's clips in utterance
 * order. Adding a pool leaves the task and babble shards (and so their audio) as they were.
 */
export function planCorpus(recipe: CorpusRecipe): ClipPlan[][] {
  const task = drawSpeakers(recipe.seed, 'task', recipe.speakersPerGroup);
  const babble = drawSpeakers(recipe.seed, 'babble', recipe.babbleSpeakersPerGroup);
  const pool = recipe.poolSpeakersPerGroup > 0 ? drawSpeakers(recipe.seed, 'pool', recipe.poolSpeakersPerGroup) : [];
  const perSpeaker = [task, babble, pool].flatMap((speakers) => speakers.map((s, i) => planSpeaker(recipe, s, i)));
  const shards: ClipPlan[][] = [];
  for (let i = 0; i < perSpeaker.length; i += SPEAKERS_PER_SHARD) shards.push(perSpeaker.slice(i, i + SPEAKERS_PER_SHARD).flat());
  return shards;
}
