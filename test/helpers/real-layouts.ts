// Tiny copies of real corpora in their published layouts (file names, folders, metadata files
// and formats as released), with generated audio, for tests that go through
// `ttt-speech data prepare`. Nothing here is downloaded.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { generateNoise, writeWav } from '../../lib/audio/index.js';
import { createRng } from '../../lib/util/random.js';

function text(root: string, rel: string, content: string): void {
  mkdirSync(dirname(join(root, rel)), { recursive: true });
  writeFileSync(join(root, rel), content);
}

/**
 * A voiced sound: eight harmonics of `f0` under a 3 Hz syllable envelope, with a noise floor
 * 50 dB down (real recordings have one; log-mel features of exact zeros sit on the log floor).
 */
function voice(f0: number, seconds: number, sampleRate: number, seed: number): Float32Array {
  const rng = createRng(seed);
  const phase = rng() * 2 * Math.PI;
  const floor = generateNoise('white', Math.round(seconds * sampleRate), seed);
  return Float32Array.from(floor, (noise, i) => {
    const t = i / sampleRate;
    let sum = 0;
    for (let k = 1; k <= 8; k++) sum += Math.sin(2 * Math.PI * k * f0 * t + k * phase) / k;
    const envelope = 0.5 - 0.5 * Math.cos(2 * Math.PI * 3 * t);
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
