/**
 * Making one shard: synthesise its clips in a fresh eSpeak process, render them to 16 kHz WAVs,
 * and return their manifest rows. A shard's bytes depend only on the recipe and its index:
 * eSpeak's random state carries from clip to clip inside its process, so the process is new for
 * every shard and always receives the same requests in the same order.
 */
import { join } from 'node:path';
import { recordClip, writeWav, type RecordingInfo } from '../audio/index.js';
import { createRng, deriveSeed } from '../util/index.js';
import { OFFLINE_CORPUS_NAME, offlineSplit, type ManifestRow } from './manifest.js';
import { planCorpus, type ClipPlan, type CorpusRecipe } from './plan.js';
import { CORPUS_SAMPLE_RATE, MAX_CLIP_S, MIN_CLIP_S, maxSpeechSamples, renderClip, type RenderedClip } from './render.js';
import { openSynthSession, type SynthSession } from './synth-client.js';
import { ESPEAK_RATE_WPM, espeakRate, espeakVariant } from './voices.js';

/** How many clips needed a correction to stay within the corpus's rules. */
export interface ClipAdjustments {
  /** Spoken faster than planned so the clip fits in 4 s. */
  faster: number;
  /** Tail silence lengthened so the clip lasts 1 s. */
  padded: number;
  /** Gain lowered so the peak does not clip. */
  limited: number;
}

/** The outcome of one shard. */
export interface ShardResult {
  rows: ManifestRow[];
  adjustments: ClipAdjustments;
}

/** eSpeak output of one clip and the rate that produced it. */
interface SpeechTake {
  speech: Int16Array;
  sampleRate: number;
  rateWpm: number;
}

const MAX_RETIMES = 4;

/**
 * Synthesises a shard. All first takes are sent at once; clips too long for 4 s are then redone
 * faster, in clip order, round by round. The request sequence is thus a function of the audio
 * alone, which keeps eSpeak's carried random state reproducible.
 */
async function synthesizeShard(session: SynthSession, shard: readonly ClipPlan[]): Promise<SpeechTake[]> {
  const variants = shard.map((plan) => espeakVariant(plan.voice));
  const rates = shard.map((plan) => espeakRate(plan.voice));
  const request = async (i: number, rateWpm: number): Promise<SpeechTake> => {
    const audio = await session.synthesize({ variant: variants[i], text: shard[i].text, rate: rateWpm });
    return { speech: audio.samples, sampleRate: audio.sampleRate, rateWpm };
  };
  const takes = await Promise.all(shard.map((_, i) => request(i, rates[i])));
  const limitOf = (i: number) => maxSpeechSamples(shard[i].voice, takes[i].sampleRate);
  for (let round = 0; round < MAX_RETIMES; round++) {
    const tooLong = shard.map((_, i) => i).filter((i) => takes[i].speech.length > limitOf(i));
    if (tooLong.length === 0) return takes;
    const retaken = await Promise.all(
      tooLong.map((i) => {
        const faster = Math.ceil(takes[i].rateWpm * (takes[i].speech.length / limitOf(i)) * 1.02);
        return request(i, Math.min(ESPEAK_RATE_WPM[1], faster));
      }),
    );
    tooLong.forEach((i, k) => (takes[i] = retaken[k]));
  }
  const stuck = shard.findIndex((_, i) => takes[i].speech.length > limitOf(i));
  if (stuck >= 0) throw new Error(`corpus: ${shard[stuck].file} stays longer than ${MAX_CLIP_S} s even at ${ESPEAK_RATE_WPM[1]} wpm`);
  return takes;
}

function manifestRow(plan: ClipPlan, take: SpeechTake, clip: RenderedClip, recording: RecordingInfo | null): ManifestRow {
  const { speaker, voice } = plan;
  return {
    path: plan.file,
    speaker: speaker.id,
    gender: speaker.gender,
    ageGroup: speaker.ageGroup,
    age: speaker.age,
    label: voice.style,
    corpus: OFFLINE_CORPUS_NAME,
    split: offlineSplit(speaker.role, plan.sentence),
    utt: plan.utt,
    sentence: plan.sentence,
    text: plan.text,
    role: speaker.role,
    durationS: clip.samples.length / CORPUS_SAMPLE_RATE,
    f0TargetHz: voice.f0Hz,
    vtlCm: speaker.vtlCm,
    rateWpm: take.rateWpm,
    gainDb: clip.gainDb,
    floorDb: voice.floorDb,
    rt60S: recording?.rt60S ?? null,
    directToReverbDb: recording?.directToReverbDb ?? null,
    backgroundSnrDb: recording?.floorSnrDb ?? null,
  };
}

/**
 * Builds shard `index` of `recipe` into `outDir` (whose `wav/` folder must exist) and returns its
 * manifest rows in plan order. `onClip` hears of every WAV written.
 */
export async function buildShard(
  recipe: CorpusRecipe,
  index: number,
  outDir: string,
  onClip: (file: string) => void = () => {},
): Promise<ShardResult> {
  const shard = planCorpus(recipe)[index];
  if (!shard) throw new Error(`corpus: the recipe has no shard ${index}`);
  const session = await openSynthSession();
  let takes: SpeechTake[];
  try {
    takes = await synthesizeShard(session, shard);
  } finally {
    await session.close();
  }
  const rows: ManifestRow[] = [];
  const adjustments: ClipAdjustments = { faster: 0, padded: 0, limited: 0 };
  for (const [i, plan] of shard.entries()) {
    const clip = await renderClip(takes[i].speech, takes[i].sampleRate, plan.voice, createRng(plan.noiseSeed));
    const seconds = clip.samples.length / CORPUS_SAMPLE_RATE;
    if (seconds < MIN_CLIP_S || seconds > MAX_CLIP_S) {
      throw new Error(`corpus: ${plan.file} lasts ${seconds.toFixed(3)} s, outside ${MIN_CLIP_S}–${MAX_CLIP_S} s`);
    }
    // Coloured-noise backgrounds only: a shard holds just four voices, too few for a babble
    // background that is not made of the clip's neighbours.
    const recorded = recipe.recording
      ? recordClip(clip.samples, deriveSeed(recipe.seed, `recording:${plan.file}`), { sampleRate: CORPUS_SAMPLE_RATE })
      : null;
    writeWav(join(outDir, plan.file), recorded?.samples ?? clip.samples, CORPUS_SAMPLE_RATE, '16');
    rows.push(manifestRow(plan, takes[i], clip, recorded?.info ?? null));
    if (takes[i].rateWpm !== espeakRate(plan.voice)) adjustments.faster++;
    if (clip.padded) adjustments.padded++;
    if (clip.limited) adjustments.limited++;
    onClip(plan.file);
  }
  return { rows, adjustments };
}
