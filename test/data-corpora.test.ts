// Each parser is run on a tiny copy of its corpus made here, in the published layout (real
// file names and metadata formats) with generated audio: nothing is downloaded.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadClip, writeWav } from '../lib/audio/index.js';
import {
  CorpusLayoutError,
  findCorpusRoot,
  parseCremaD,
  parseDemand,
  parseEsc50,
  parseIemocap,
  parseIemocapEvaluation,
  parseMsSnsd,
  parseMusan,
  parseRavdess,
  parseTess,
  parseVctk,
  parseVctkSpeakerInfo,
  parseVoxCeleb1,
  prepareCorpus,
  probeAudio,
  readManifestCsv,
  resolveClipPath,
} from '../lib/data/index.js';
import type { ParseResult } from '../lib/data/index.js';
import { verbatimFlac } from './helpers/flac.js';

function tone(seconds: number, sampleRate: number): Float32Array {
  const out = new Float32Array(Math.round(seconds * sampleRate));
  for (let i = 0; i < out.length; i++) out[i] = 0.3 * Math.sin((2 * Math.PI * 220 * i) / sampleRate);
  return out;
}

function wav(root: string, rel: string, seconds = 0.1, sampleRate = 16000): void {
  writeWav(join(root, rel), tone(seconds, sampleRate), sampleRate);
}

function text(root: string, rel: string, content: string): void {
  mkdirSync(dirname(join(root, rel)), { recursive: true });
  writeFileSync(join(root, rel), content);
}

// A canonical WAV header announcing 0 samples: CREMA-D ships one such file.
function emptyWav(root: string, rel: string): void {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(36, 4);
  header.write('WAVEfmt ', 8, 'latin1');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(16000, 24);
  header.writeUInt32LE(32000, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(0, 40);
  mkdirSync(dirname(join(root, rel)), { recursive: true });
  writeFileSync(join(root, rel), header);
}

function flac(root: string, rel: string, seconds = 0.05, sampleRate = 48000): void {
  mkdirSync(dirname(join(root, rel)), { recursive: true });
  writeFileSync(join(root, rel), verbatimFlac(tone(seconds, sampleRate), sampleRate));
}

function byPath(result: ParseResult): Map<string, ParseResult['rows'][number]> {
  return new Map(result.rows.map((row) => [row.path.slice(row.path.lastIndexOf('/') + 1), row]));
}

let root: string;
beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'ttt-corpus-'))));
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('clip headers', () => {
  it('reads duration, rate and channels from a WAV header without decoding', () => {
    wav(root, 'a.wav', 0.25, 22050);
    assert.deepEqual(probeAudio(join(root, 'a.wav')), { format: 'wav', sampleRate: 22050, channels: 1, frames: 5513, durationS: 5513 / 22050 });
  });

  it('reads the FLAC STREAMINFO block', () => {
    flac(root, 'a.flac', 0.5, 48000);
    const header = probeAudio(join(root, 'a.flac'));
    assert.deepEqual(header, { format: 'flac', sampleRate: 48000, channels: 1, frames: 24000, durationS: 0.5 });
  });

  it('returns null for other formats and unreadable headers', () => {
    text(root, 'x.wav', 'not audio');
    text(root, 'y.mp3', 'ID3');
    assert.equal(probeAudio(join(root, 'x.wav')), null);
    assert.equal(probeAudio(join(root, 'y.mp3')), null);
    assert.equal(probeAudio(join(root, 'missing.flac')), null);
  });
});

describe('VCTK 0.92', () => {
  const speakerInfo = [
    'ID  AGE  GENDER  ACCENTS  REGION COMMENTS ',
    'p225  23  F    English    Southern  England',
    'p226  22  M    English    Surrey',
    'p280  25  F    Unknown    France (mic2 files unavailable)',
    'p315  18  M    American    Connecticut  (Text unavailable)',
    '',
  ].join('\n');

  function build(): void {
    text(root, 'speaker-info.txt', speakerInfo);
    text(root, 'wav48_silence_trimmed/log.txt', 'trimmed with a VAD\n');
    for (const [speaker, utts, mics] of [
      ['p225', ['001', '002'], [1, 2]],
      ['p226', ['001'], [1, 2]],
      ['p280', ['001'], [1]],
      ['p315', ['001'], [1, 2]],
    ] as const) {
      for (const utt of utts) {
        for (const mic of mics) flac(root, `wav48_silence_trimmed/${speaker}/${speaker}_${utt}_mic${mic}.flac`);
        if (speaker !== 'p315') text(root, `txt/${speaker}/${speaker}_${utt}.txt`, `Please call Stella ${utt}.\n`);
      }
    }
  }

  it('parses speaker-info.txt: regions with spaces, comments in parentheses, ids with or without p', () => {
    const speakers = parseVctkSpeakerInfo(speakerInfo + '362  29  F    American    Louisiana\n');
    assert.deepEqual(speakers.get('p225'), { id: 'p225', age: 23, gender: 'F', accent: 'English', region: 'Southern England', comment: '' });
    assert.equal(speakers.get('p280')!.region, 'France');
    assert.equal(speakers.get('p280')!.comment, 'mic2 files unavailable');
    assert.equal(speakers.get('p315')!.comment, 'Text unavailable');
    assert.equal(speakers.get('p362')!.gender, 'F');
    assert.equal(speakers.size, 5);
  });

  it('lists mic1 by default, labels each clip with its speaker, and keeps p315 without text', () => {
    build();
    const result = parseVctk(root);
    assert.equal(result.rows.length, 5);
    const rows = byPath(result);
    const first = rows.get('p225_001_mic1.flac')!;
    assert.equal(first.path, 'wav48_silence_trimmed/p225/p225_001_mic1.flac');
    assert.equal(first.label, 'p225');
    assert.equal(first.gender, 'F');
    assert.equal(first.age, 23);
    assert.equal(first.age_group, '');
    assert.equal(first.duration_s, 0.05);
    assert.equal(first.corpus, 'vctk');
    assert.deepEqual(first.extra, { utt: '001', mic: '1', accent: 'English', region: 'Southern England', text: 'Please call Stella 001.' });
    assert.equal(rows.get('p315_001_mic1.flac')!.extra.text, '');
    assert.equal(rows.get('p315_001_mic1.flac')!.gender, 'M');
    assert.ok(rows.has('p280_001_mic1.flac'));
    assert.deepEqual(result.skipped, []);
  });

  it('its FLAC clips load as 16 kHz mono clips, the same as the same audio in WAV', async () => {
    build();
    const row = byPath(parseVctk(root)).get('p225_001_mic1.flac')!;
    const clip = await loadClip(join(root, row.path));
    wav(root, 'same-audio.wav', 0.05, 48000);
    const same = await loadClip(join(root, 'same-audio.wav'));
    assert.equal(clip.originalSampleRate, 48000);
    assert.equal(clip.samples.length, Math.round(row.duration_s! * 16000));
    assert.deepEqual(clip.samples, same.samples);
  });

  it('mic2 leaves p280 out and says so; both lists every file', () => {
    build();
    const mic2 = parseVctk(root, { mic: 2 });
    assert.equal(mic2.rows.length, 4);
    assert.ok(mic2.rows.every((r) => r.extra.mic === '2' && r.speaker !== 'p280'));
    assert.deepEqual(mic2.skipped, [{ path: 'wav48_silence_trimmed/p280', reason: 'no mic2 recordings' }]);
    assert.equal(parseVctk(root, { mic: 'both' }).rows.length, 9);
  });

  it('explains a folder that is not a VCTK copy', () => {
    assert.throws(() => parseVctk(root), (err: unknown) => err instanceof CorpusLayoutError && /speaker-info\.txt' not found/.test(err.message));
  });
});

describe('CREMA-D', () => {
  function build(): void {
    text(
      root,
      'VideoDemographics.csv',
      '"ActorID","Age","Sex","Race","Ethnicity"\n1001,51,"Male","Caucasian","Not Hispanic"\n1002,21,"Female","Caucasian","Not Hispanic"\n1004,42,"Female","Caucasian","Not Hispanic"\n',
    );
    wav(root, 'AudioWAV/1001_DFA_ANG_XX.wav');
    wav(root, 'AudioWAV/1002_IEO_HAP_HI.wav');
    wav(root, 'AudioWAV/1004_TIE_NEU_XX.wav');
    emptyWav(root, 'AudioWAV/1001_MTI_SAD_XX.wav');
    wav(root, 'AudioWAV/1099_DFA_SAD_XX.wav');
  }

  it('joins each clip with its actor: age, sex, age group; the emotion becomes the label', () => {
    build();
    const result = parseCremaD(root);
    const rows = byPath(result);
    assert.equal(result.rows.length, 3);
    const angry = rows.get('1001_DFA_ANG_XX.wav')!;
    assert.deepEqual(
      { speaker: angry.speaker, gender: angry.gender, age: angry.age, age_group: angry.age_group, label: angry.label, corpus: angry.corpus },
      { speaker: '1001', gender: 'M', age: 51, age_group: 'old', label: 'angry', corpus: 'crema-d' },
    );
    assert.deepEqual(angry.extra, { sentence: 'DFA', level: 'XX', emotion_raw: 'ANG', race: 'Caucasian', ethnicity: 'Not Hispanic' });
    assert.equal(rows.get('1002_IEO_HAP_HI.wav')!.age_group, 'young');
    assert.equal(rows.get('1002_IEO_HAP_HI.wav')!.gender, 'F');
    assert.equal(rows.get('1004_TIE_NEU_XX.wav')!.age_group, 'middle');
    assert.equal(rows.get('1004_TIE_NEU_XX.wav')!.label, 'neutral');
  });

  it('skips the empty clip and clips of unknown actors, saying why', () => {
    build();
    const reasons = Object.fromEntries(parseCremaD(root).skipped.map((s) => [s.path, s.reason]));
    assert.deepEqual(reasons, {
      'AudioWAV/1001_MTI_SAD_XX.wav': 'the file holds no audio samples',
      'AudioWAV/1099_DFA_SAD_XX.wav': 'actor 1099 is not in VideoDemographics.csv',
    });
  });

  it('takes other age thresholds', () => {
    build();
    const rows = byPath(parseCremaD(root, { youngMax: 45, oldMin: 60 }));
    assert.equal(rows.get('1004_TIE_NEU_XX.wav')!.age_group, 'young');
    assert.equal(rows.get('1001_DFA_ANG_XX.wav')!.age_group, 'middle');
  });
});

describe('RAVDESS', () => {
  it('keeps audio-only speech, maps the emotion code, and reads sex from the actor number', () => {
    wav(root, 'Actor_01/03-01-05-01-02-01-01.wav');
    wav(root, 'Actor_02/03-01-01-01-01-01-02.wav');
    wav(root, 'Actor_02/03-02-03-01-01-01-02.wav'); // song
    wav(root, 'Actor_01/01-01-03-01-01-01-01.wav'); // audio-video modality
    text(root, 'Actor_01/readme.txt', 'x');
    const result = parseRavdess(root);
    const rows = byPath(result);
    assert.equal(result.rows.length, 2);
    const angry = rows.get('03-01-05-01-02-01-01.wav')!;
    assert.deepEqual([angry.speaker, angry.gender, angry.label, angry.age], ['Actor_01', 'M', 'angry', null]);
    assert.deepEqual(angry.extra, { intensity: '01', statement: '02', repetition: '01', emotion_raw: '05' });
    assert.deepEqual([rows.get('03-01-01-01-01-01-02.wav')!.gender, rows.get('03-01-01-01-01-01-02.wav')!.label], ['F', 'neutral']);
    assert.deepEqual(
      result.skipped.map((s) => s.reason),
      ['modality 01, not audio-only', 'song, not speech'],
    );
  });
});

describe('TESS', () => {
  it('normalises pleasant_surprised/ps and fear, and gives OAF and YAF their ages', () => {
    wav(root, 'OAF_angry/OAF_back_angry.wav', 0.1, 24414);
    wav(root, 'OAF_Pleasant_surprise/OAF_back_ps.wav', 0.1, 24414);
    wav(root, 'YAF_pleasant_surprised/YAF_bath_ps.wav', 0.1, 24414);
    wav(root, 'YAF_pleasant_surprised/YAF_bite_pleasant_surprised.wav', 0.1, 24414);
    wav(root, 'OAF_Fear/OAF_bite_fear.wav', 0.1, 24414);
    wav(root, 'YAF_neutral/YAF_neat_neutral.wav', 0.1, 24414);
    const result = parseTess(root);
    const rows = byPath(result);
    assert.equal(result.rows.length, 6);
    assert.deepEqual(result.skipped, []);
    assert.equal(rows.get('OAF_back_ps.wav')!.label, 'surprised');
    assert.equal(rows.get('YAF_bath_ps.wav')!.label, 'surprised');
    assert.equal(rows.get('YAF_bite_pleasant_surprised.wav')!.extra.word, 'bite');
    assert.equal(rows.get('YAF_bite_pleasant_surprised.wav')!.label, 'surprised');
    assert.equal(rows.get('OAF_bite_fear.wav')!.label, 'fearful');
    const old = rows.get('OAF_back_angry.wav')!;
    assert.deepEqual([old.speaker, old.gender, old.age, old.age_group, old.label], ['OAF', 'F', 64, 'old', 'angry']);
    const young = rows.get('YAF_neat_neutral.wav')!;
    assert.deepEqual([young.speaker, young.age, young.age_group, young.extra.word], ['YAF', 26, 'young', 'neat']);
  });
});

describe('IEMOCAP', () => {
  const evaluation = [
    '% [START_TIME - END_TIME] TURN_NAME EMOTION [V, A, D]',
    '',
    '[6.2901 - 8.2357]\tSes01F_impro01_F000\tneu\t[2.5000, 2.5000, 2.5000]',
    'C-E2:\tNeutral;\t()',
    'C-E3:\tNeutral;\t()',
    'A-E3:\tval 3; act 2; dom  2;\t()',
    '',
    '[10.0100 - 11.3925]\tSes01F_impro01_M000\tang\t[2.0000, 3.5000, 3.5000]',
    '',
    '[14.8872 - 18.0175]\tSes01F_impro01_F001\txxx\t[2.5000, 2.5000, 2.5000]',
    '',
    '[19.2900 - 20.7875]\tSes01F_impro01_M001\tfru\t[2.0000, 3.0000, 3.0000]',
    '',
    '[21.3000 - 23.0000]\tSes01F_impro01_F002\texc\t[4.0000, 3.5000, 3.0000]',
    '',
  ].join('\n');

  function build(): void {
    text(root, 'Session1/dialog/EmoEvaluation/Ses01F_impro01.txt', evaluation);
    text(root, 'Session1/dialog/EmoEvaluation/._Ses01F_impro01.txt', '\0\0binary');
    for (const utt of ['F000', 'M000', 'F001', 'M001', 'F002']) wav(root, `Session1/sentences/wav/Ses01F_impro01/Ses01F_impro01_${utt}.wav`);
    text(root, 'Session2/dialog/EmoEvaluation/Ses02M_script01_1.txt', '[1.0000 - 2.5000]\tSes02M_script01_1_F000\tsad\t[1.5000, 2.0000, 2.5000]\n');
    wav(root, 'Session2/sentences/wav/Ses02M_script01_1/Ses02M_script01_1_F000.wav');
  }

  it('reads the summary lines of an EmoEvaluation file and ignores the per-evaluator ones', () => {
    const lines = parseIemocapEvaluation(evaluation);
    assert.equal(lines.length, 5);
    assert.deepEqual(lines[0], { utt: 'Ses01F_impro01_F000', startS: 6.2901, endS: 8.2357, emotion: 'neu', valence: 2.5, arousal: 2.5, dominance: 2.5 });
  });

  it('keeps the 4 classes (excited → happy), drops xxx and fru, and reads sex from the turn id', () => {
    build();
    const result = parseIemocap(root);
    const rows = byPath(result);
    assert.deepEqual([...rows.keys()].sort(), ['Ses01F_impro01_F000.wav', 'Ses01F_impro01_F002.wav', 'Ses01F_impro01_M000.wav', 'Ses02M_script01_1_F000.wav']);
    const male = rows.get('Ses01F_impro01_M000.wav')!;
    assert.deepEqual([male.speaker, male.gender, male.label], ['Ses01_M', 'M', 'angry']);
    assert.equal(rows.get('Ses01F_impro01_F002.wav')!.label, 'happy');
    assert.equal(rows.get('Ses01F_impro01_F002.wav')!.extra.emotion_raw, 'exc');
    const scripted = rows.get('Ses02M_script01_1_F000.wav')!;
    assert.deepEqual([scripted.speaker, scripted.gender, scripted.label, scripted.extra.kind, scripted.extra.session], ['Ses02_F', 'F', 'sad', 'scripted', '02']);
    assert.equal(rows.get('Ses01F_impro01_F000.wav')!.extra.kind, 'improvised');
    assert.deepEqual(
      result.skipped.map((s) => s.reason).sort(),
      ["category 'fru' is not mapped to a label", "category 'xxx' is not mapped to a label"],
    );
  });

  it('asks for IEMOCAP_full_release/ when given the wrong folder', () => {
    assert.throws(() => parseIemocap(root), /point at IEMOCAP_full_release/);
  });
});

describe('VoxCeleb1', () => {
  it('joins clips with vox1_meta.csv', () => {
    text(root, 'vox1_meta.csv', 'VoxCeleb1 ID\tVGGFace1 ID\tGender\tNationality\tSet\nid10001\tA.J._Buckley\tm\tIreland\tdev\nid10270\tEve_Myles\tf\tUK\ttest\n');
    wav(root, 'wav/id10001/1zcIwhmdeo4/00001.wav');
    wav(root, 'wav/id10270/5r0dWxy17C8/00002.wav');
    const rows = parseVoxCeleb1(root).rows;
    assert.deepEqual(rows.map((r) => [r.speaker, r.gender, r.label, r.extra.set, r.extra.video]), [
      ['id10001', 'M', 'id10001', 'dev', '1zcIwhmdeo4'],
      ['id10270', 'F', 'id10270', 'test', '5r0dWxy17C8'],
    ]);
  });
});

describe('noise corpora', () => {
  it('MUSAN: category as label, sub-collection as source; other files ignored', () => {
    wav(root, 'musan/noise/free-sound/noise-free-sound-0000.wav');
    text(root, 'musan/noise/free-sound/ANNOTATIONS', 'noise-free-sound-0000 …\n');
    text(root, 'musan/noise/free-sound/LICENSE', 'CC BY\n');
    wav(root, 'musan/music/fma/music-fma-0000.wav');
    wav(root, 'musan/speech/librivox/speech-librivox-0000.wav');
    const rows = parseMusan(root).rows;
    assert.deepEqual(rows.map((r) => [r.path, r.label, r.extra.source, r.speaker, r.gender]), [
      ['musan/music/fma/music-fma-0000.wav', 'music', 'fma', '', ''],
      ['musan/speech/librivox/speech-librivox-0000.wav', 'speech', 'librivox', '', ''],
      ['musan/noise/free-sound/noise-free-sound-0000.wav', 'noise', 'free-sound', '', ''],
    ]);
    assert.equal(parseMusan(join(root, 'musan')).rows[0].path, 'music/fma/music-fma-0000.wav');
  });

  it('ESC-50: rows from meta/esc50.csv with fold and source columns; missing clips reported', () => {
    text(
      root,
      'meta/esc50.csv',
      'filename,fold,target,category,esc10,src_file,take\n1-100032-A-0.wav,1,0,dog,True,100032,A\n1-100038-A-14.wav,1,14,chirping_birds,False,100038,A\n5-9032-A-0.wav,5,0,dog,True,9032,A\n',
    );
    wav(root, 'audio/1-100032-A-0.wav', 0.2, 44100);
    wav(root, 'audio/1-100038-A-14.wav', 0.2, 44100);
    const result = parseEsc50(root);
    assert.deepEqual(result.rows.map((r) => [r.label, r.extra.fold, r.extra.src_file, r.duration_s]), [
      ['dog', '1', '100032', 0.2],
      ['chirping_birds', '1', '100038', 0.2],
    ]);
    assert.deepEqual(result.skipped, [{ path: 'audio/5-9032-A-0.wav', reason: 'listed in meta/esc50.csv but missing' }]);
  });

  it('DEMAND: environment as label, channel 1 unless asked for more', () => {
    wav(root, 'DKITCHEN/ch01.wav');
    wav(root, 'DKITCHEN/ch02.wav');
    wav(root, 'TBUS/ch01.wav');
    assert.deepEqual(parseDemand(root).rows.map((r) => [r.label, r.extra.channel]), [['DKITCHEN', '1'], ['TBUS', '1']]);
    assert.equal(parseDemand(root, { channels: 'all' }).rows.length, 3);
    assert.deepEqual(parseDemand(root, { channels: [2] }).rows.map((r) => r.path), ['DKITCHEN/ch02.wav']);
  });

  it("MS-SNSD: the type is the file-name prefix, the split the corpus's own folder", () => {
    wav(root, 'noise_train/AirConditioner_1.wav');
    wav(root, 'noise_train/Babble_12.wav');
    wav(root, 'noise_test/Typing_2.wav');
    wav(root, 'clean_train/p234_002.wav');
    assert.deepEqual(parseMsSnsd(root).rows.map((r) => [r.label, r.split]), [['AirConditioner', 'train'], ['Babble', 'train'], ['Typing', 'test']]);
  });
});

describe('preparing a manifest from a local copy', () => {
  it('finds the corpus root inside an unpacked archive and writes paths relative to the manifest', () => {
    const dataDir = join(root, 'data');
    text(root, 'data/esc-50/ESC-50-master/meta/esc50.csv', 'filename,fold,target,category,esc10,src_file,take\n1-100032-A-0.wav,1,0,dog,True,100032,A\n');
    wav(root, 'data/esc-50/ESC-50-master/audio/1-100032-A-0.wav');
    assert.equal(findCorpusRoot('esc-50', join(dataDir, 'esc-50')), join(dataDir, 'esc-50', 'ESC-50-master'));
    const summary = prepareCorpus('esc-50', { dataDir, log: () => {} });
    assert.equal(summary.manifestPath, join(dataDir, 'esc-50', 'manifest.csv'));
    const rows = readManifestCsv(summary.manifestPath);
    assert.equal(rows[0].path, 'ESC-50-master/audio/1-100032-A-0.wav');
    assert.equal(probeAudio(resolveClipPath(rows[0], join(dataDir, 'esc-50')))?.sampleRate, 16000);
  });

  it('writes absolute paths for a copy outside the data folder (--root)', () => {
    wav(root, 'elsewhere/noise_train/Babble_1.wav');
    const summary = prepareCorpus('ms-snsd', { dataDir: join(root, 'data'), root: join(root, 'elsewhere'), log: () => {} });
    assert.equal(readManifestCsv(summary.manifestPath)[0].path, join(root, 'elsewhere', 'noise_train', 'Babble_1.wav'));
  });

  it('says how to get a corpus that is not there', () => {
    assert.throws(() => prepareCorpus('iemocap', { dataDir: join(root, 'data'), log: () => {} }), /never downloaded[\s\S]*--root/);
    assert.throws(() => prepareCorpus('vctk', { dataDir: join(root, 'data'), log: () => {} }), /ttt-speech data download vctk/);
  });
});
