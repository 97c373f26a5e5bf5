// Tiny copies of real corpora in their published layouts (file names, folders, metadata files
// and formats as released), with generated audio, for tests that go through
// `ttt-speech data prepare`. Nothing here is downloaded.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { generateNoise, writeWav } from '../../lib/audio/index.js';
import { createRng } from '../../lib/util/random.js';
import { encodeFlac } from './flac.js';

function text(root: string, rel: string, content: string): void {
  mkdirSync(dirname(join(root, rel)), { recursive: true });
  writeFileSync(join(root, rel), content);
}

/** The spectrum of a generated voice beyond its pitch. */
interface VoiceShape {
  /** Harmonics of F0 summed (default 8). */
  harmonics?: number;
  /**
   * Resonance frequencies in Hz: harmonics near each are raised (up to 3×, 150 Hz wide), as a
   * vocal tract's formants shape a voice, so that two voices of one pitch still differ.
   */
  formants?: readonly number[];
  /** Syllables per second: the rate of the loudness envelope (default 3). */
  syllableRate?: number;
}

/**
 * A voiced sound: harmonics of `f0` falling as 1/k under a 3 Hz syllable envelope, with a noise
 * floor 50 dB down (real recordings have one; log-mel features of exact zeros sit on the log
 * floor).
 */
function voice(f0: number, seconds: number, sampleRate: number, seed: number, shape: VoiceShape = {}): Float32Array {
  const rng = createRng(seed);
  const phase = rng() * 2 * Math.PI;
  const amplitudes = Array.from({ length: shape.harmonics ?? 8 }, (_, i) => {
    const frequency = (i + 1) * f0;
    const boost = (shape.formants ?? []).reduce((sum, formant) => sum + 2 / (1 + ((frequency - formant) / 150) ** 2), 0);
    return (1 + boost) / (i + 1);
  });
  const floor = generateNoise('white', Math.round(seconds * sampleRate), seed);
  return Float32Array.from(floor, (noise, i) => {
    const t = i / sampleRate;
    let sum = 0;
    amplitudes.forEach((amplitude, j) => (sum += amplitude * Math.sin(2 * Math.PI * (j + 1) * f0 * t + (j + 1) * phase)));
    const envelope = 0.5 - 0.5 * Math.cos(2 * Math.PI * (shape.syllableRate ?? 3) * t);
    return 0.12 * envelope * sum + 0.0006 * noise;
  });
}

/** One CREMA-D actor as `VideoDemographics.csv` lists them. */
export interface CremaDFixtureActor {
  id: string;
  age: number;
  sex: 'Male' | 'Female';
}

/** The fixture's actors: young (≤ 30) and old (≥ 50) of both sexes, and one aged 42, in neither age band. */
export const CREMA_D_ACTORS: readonly CremaDFixtureActor[] = [
  { id: '1001', age: 51, sex: 'Male' },
  { id: '1002', age: 21, sex: 'Female' },
  { id: '1003', age: 24, sex: 'Male' },
  { id: '1004', age: 42, sex: 'Female' },
  { id: '1005', age: 29, sex: 'Female' },
  { id: '1006', age: 58, sex: 'Female' },
  { id: '1007', age: 62, sex: 'Male' },
  { id: '1008', age: 26, sex: 'Male' },
  { id: '1009', age: 55, sex: 'Female' },
  { id: '1010', age: 23, sex: 'Female' },
  { id: '1011', age: 67, sex: 'Male' },
  { id: '1012', age: 28, sex: 'Male' },
];

/** The emotion codes and sentence codes the fixture's clips use (a subset of CREMA-D's). */
export const CREMA_D_FIXTURE_EMOTIONS = ['ANG', 'HAP', 'NEU', 'SAD'] as const;
export const CREMA_D_FIXTURE_SENTENCES = ['DFA', 'ITH'] as const;

/**
 * Writes a CREMA-D copy under `root`: `VideoDemographics.csv` (quoted header, as released) and
 * `AudioWAV/<ActorID>_<Sentence>_<Emotion>_XX.wav`, 1 s each at CREMA-D's 16 kHz. The voice's
 * pitch follows sex and emotion so that the label means something to a classifier.
 */
export function writeCremaDFixture(root: string): void {
  const lines = ['"ActorID","Age","Sex","Race","Ethnicity"', ...CREMA_D_ACTORS.map((a) => `${a.id},${a.age},"${a.sex}","Caucasian","Not Hispanic"`)];
  text(root, 'VideoDemographics.csv', lines.join('\r\n') + '\r\n');
  const pitch = { ANG: 1.1, HAP: 1.2, NEU: 1.0, SAD: 0.85 };
  CREMA_D_ACTORS.forEach((actor, a) => {
    const f0 = (actor.sex === 'Female' ? 210 : 120) * (1 + 0.03 * (a % 4));
    for (const [e, emotion] of CREMA_D_FIXTURE_EMOTIONS.entries()) {
      for (const [s, sentence] of CREMA_D_FIXTURE_SENTENCES.entries()) {
        const path = join(root, 'AudioWAV', `${actor.id}_${sentence}_${emotion}_XX.wav`);
        mkdirSync(dirname(path), { recursive: true });
        writeWav(path, voice(f0 * pitch[emotion], 1, 16000, 1000 * a + 10 * e + s), 16000);
      }
    }
  });
}

/** The MUSAN noise files the fixture writes, by sub-collection, with their lengths in seconds (one shorter than any clip). */
export const MUSAN_FIXTURE_NOISE: Readonly<Record<string, readonly number[]>> = {
  'free-sound': [3, 0.4, 2.5, 4, 1.5, 2],
  'sound-bible': [2, 3.5, 0.8, 2.2],
};

/**
 * Writes a MUSAN copy under `root` as the archive unpacks: `musan/noise/{free-sound,sound-bible}/`
 * with noise files, `musan/music/fma/` and `musan/speech/librivox/` with one file each, and
 * every sub-collection's `ANNOTATIONS` and `LICENSE` files; 16 kHz like MUSAN.
 */
export function writeMusanFixture(root: string): void {
  const colours = ['white', 'pink', 'brown'] as const;
  let seed = 0;
  const collection = (category: string, source: string, lengths: readonly number[]) => {
    const dir = `musan/${category}/${source}`;
    const ids = lengths.map((_, i) => `${category}-${source}-${String(i).padStart(4, '0')}`);
    lengths.forEach((seconds, i) => {
      const samples = Float32Array.from(generateNoise(colours[seed % 3], Math.round(seconds * 16000), ++seed), (v) => 0.05 * v);
      mkdirSync(join(root, dir), { recursive: true });
      writeWav(join(root, dir, `${ids[i]}.wav`), samples, 16000);
    });
    text(root, `${dir}/ANNOTATIONS`, ids.map((id) => `${id} http://example.org/${source}/${id}`).join('\n') + '\n');
    text(root, `${dir}/LICENSE`, `${ids.map((id) => `${id}.wav\tCC BY 4.0`).join('\n')}\n`);
  };
  for (const [source, lengths] of Object.entries(MUSAN_FIXTURE_NOISE)) collection('noise', source, lengths);
  collection('music', 'fma', [2]);
  collection('speech', 'librivox', [2]);
  text(root, 'musan/README', 'MUSAN: a corpus of music, speech and noise.\n');
}

/** One VCTK speaker: their line of `speaker-info.txt` and the voice the fixture gives them. */
export interface VctkFixtureSpeaker {
  id: string;
  age: number;
  gender: 'F' | 'M';
  accent: string;
  /** As the file aligns it: words may be separated by two spaces, and some speakers have none. */
  region: string;
  /** Written in parentheses after the region, as the release does. */
  comment?: string;
  /** Speaking F0 in Hz. */
  f0: number;
  /** Two formant-like resonances in Hz. */
  formants: readonly [number, number];
  /** Syllables per second. */
  rate: number;
}

/**
 * The fixture's speakers: both genders, ages 18 to 38, four accents; one without a region, and
 * one whose text is missing, as p315's is in the release. Each voice has its own pitch,
 * resonances and speaking rate, so a speaker-ID head has something to learn.
 */
export const VCTK_SPEAKERS: readonly VctkFixtureSpeaker[] = [
  { id: 'p225', age: 23, gender: 'F', accent: 'English', region: 'Southern  England', f0: 218, formants: [850, 2300], rate: 3.4 },
  { id: 'p226', age: 22, gender: 'M', accent: 'English', region: 'Surrey', f0: 112, formants: [650, 1800], rate: 2.6 },
  { id: 'p227', age: 38, gender: 'M', accent: 'English', region: 'Cumbria', f0: 138, formants: [720, 1550], rate: 3.0 },
  { id: 'p234', age: 22, gender: 'F', accent: 'Scottish', region: 'West  Dumfries', f0: 196, formants: [930, 2650], rate: 2.8 },
  { id: 'p248', age: 23, gender: 'F', accent: 'Indian', region: '', f0: 242, formants: [780, 2050], rate: 3.8 },
  { id: 'p315', age: 18, gender: 'M', accent: 'American', region: 'Connecticut', comment: 'Text unavailable', f0: 98, formants: [600, 2100], rate: 3.2 },
];

// Utterance numbers each fixture speaker has, with both microphones.
const VCTK_FIXTURE_UTTERANCES = ['001', '002', '003', '004', '005'] as const;

/** A clip the VCTK fixture wrote. */
export interface VctkFixtureClip {
  /** Relative to the corpus root, e.g. `wav48_silence_trimmed/p225/p225_001_mic1.flac`. */
  path: string;
  speaker: string;
  utt: string;
  mic: 1 | 2;
  /** Samples in the file, at 48 kHz. */
  samples: number;
}

const VCTK_SENTENCES = ['Please call Stella.', 'Ask her to bring these things with her from the store.', 'Six spoons of fresh snow peas.', 'Five thick slabs of blue cheese.', 'We also need a small plastic snake.'];

/** 16-bit PCM as FLAC stores it, clipped to the range. */
function pcm16(samples: Float32Array): Int32Array {
  return Int32Array.from(samples, (v) => Math.max(-32768, Math.min(32767, Math.round(v * 32768))));
}

/**
 * Writes a VCTK 0.92 copy under `root` as its zip unpacks: `speaker-info.txt` (the release's
 * header and space-aligned columns), `txt/<speaker>/<speaker>_<utt>.txt` (none for p315), and
 * `wav48_silence_trimmed/<speaker>/<speaker>_<utt>_mic{1,2}.flac` with the folder's `log.txt`:
 * 48 kHz 16-bit mono FLAC from libFLAC's encoder. Clip lengths differ by speaker and utterance,
 * each a whole number of 16 kHz samples, within 2.0–2.45 s: shorter than the shipped model's
 * 2.56 s input, so its inputs end in padding, but not so much shorter that the padding, which
 * follows the utterance's length rather than the speaker, dominates what a head sees. mic2
 * holds the same voice, quieter, as the second microphone stood further away. Returns every
 * clip written.
 */
export async function writeVctkFixture(root: string): Promise<VctkFixtureClip[]> {
  const info = VCTK_SPEAKERS.map((s) => `${s.id}  ${s.age}  ${s.gender}    ${s.accent}    ${s.region}${s.comment ? `  (${s.comment})` : ''}`.trimEnd());
  text(root, 'speaker-info.txt', ['ID  AGE  GENDER  ACCENTS  REGION COMMENTS ', ...info, ''].join('\n'));
  text(root, 'wav48_silence_trimmed/log.txt', 'Silence at the start and end of each recording was trimmed.\n');
  const clips: VctkFixtureClip[] = [];
  for (const [s, speaker] of VCTK_SPEAKERS.entries()) {
    for (const [u, utt] of VCTK_FIXTURE_UTTERANCES.entries()) {
      if (!speaker.comment?.includes('Text unavailable')) text(root, `txt/${speaker.id}/${speaker.id}_${utt}.txt`, `${VCTK_SENTENCES[u]}\n`);
      const samples16k = 32000 + 1280 * u + 320 * s;
      // Pitch moves a little from sentence to sentence; the speaker stays recognisable.
      const f0 = speaker.f0 * (1 + 0.02 * ((u % 3) - 1));
      const near = voice(f0, samples16k / 16000, 48000, 100 * s + u, { harmonics: Math.floor(4000 / f0), formants: speaker.formants, syllableRate: speaker.rate });
      for (const mic of [1, 2] as const) {
        const path = `wav48_silence_trimmed/${speaker.id}/${speaker.id}_${utt}_mic${mic}.flac`;
        const samples = mic === 1 ? near : near.map((v) => 0.6 * v);
        mkdirSync(dirname(join(root, path)), { recursive: true });
        writeFileSync(join(root, path), await encodeFlac([pcm16(samples)], { sampleRate: 48000, bitsPerSample: 16 }));
        clips.push({ path, speaker: speaker.id, utt, mic, samples: samples.length });
      }
    }
  }
  return clips;
}
