/**
 * Test clips from manifest rows: load each file, optionally add noise at an SNR, and turn it
 * into a model input with the recipe the model was trained with (lib/pretrained replays the
 * checkpoint's fbank, pad or crop and normalisation). The result is what every TTT runner takes.
 */
import { addNoise, type NoiseFiles, type NoiseType } from '../audio/index.js';
import { isTaskSpeech } from '../corpus/index.js';
import { manifestRoot, readManifestCsv, type ManifestRow } from '../data/index.js';
import { loadRowClip, type ClipRow, type Pretrained } from '../pretrained/index.js';
import { deriveSeed } from '../util/index.js';
import type { TttClip } from './types.js';

/** Noise added to every test clip. */
export interface NoiseCondition {
  /** A generated noise, or with `files` the name of the recorded noise (e.g. `musan-noise`). */
  type: NoiseType | 'babble' | (string & {});
  /** SNR on active speech, dB. */
  snrDb: number;
  /** Seeds the noise; each clip draws from `deriveSeed(seed, path)`. Default 0. */
  seed?: number;
  /** Recorded noise to draw from instead of generating it (a noise corpus, see lib/shifts `openNoiseCorpus`). */
  files?: NoiseFiles;
}

/** The name of a condition in results: `clean`, or `noise:<type>@<snr>dB`. */
export function conditionName(noise?: NoiseCondition): string {
  return noise ? `noise:${noise.type}@${noise.snrDb}dB` : 'clean';
}

/** Parses `white@0`, `babble@5dB`, `pink@-5` (type, then the SNR in dB) into a condition. */
export function parseNoiseCondition(text: string, seed = 0): NoiseCondition {
  const match = /^(white|pink|brown|babble)@(-?\d+(?:\.\d+)?)(?:dB)?$/i.exec(text.trim());
  if (!match) throw new Error(`noise '${text}': expected <white|pink|brown|babble>@<SNR dB>, e.g. white@0`);
  return { type: match[1].toLowerCase() as NoiseCondition['type'], snrDb: Number(match[2]), seed };
}

/** Which clips of a manifest to test on, and how. */
export interface ManifestClipSpec {
  /** Path of a manifest in lib/data's format (any corpus, the offline one included); relative clip paths start from its folder. */
  manifest: string;
  /** The model whose inputs to make (see lib/pretrained). */
  pretrained: Pick<Pretrained, 'inputsOf'>;
  /** Class names in the order of the head's outputs. */
  labels: readonly string[];
  /** A row's class name; default its `label` column. */
  labelOf?: (row: ManifestRow) => string;
  /** Default: every row whose `role` (an extra column of the offline corpus) is `task` or absent. */
  filter?: (row: ManifestRow) => boolean;
  noise?: NoiseCondition;
}

/** How {@link prepareTestClips} turns rows into model inputs. */
export interface PrepareClipsOptions<R extends ClipRow> {
  /** The model whose inputs to make. */
  pretrained: Pick<Pretrained, 'inputsOf'>;
  /** Folder that relative clip paths start from (the manifest's folder). */
  root: string;
  /** Class index of each row (its position in the head's outputs). */
  classOf: (row: R, index: number) => number;
  noise?: NoiseCondition;
  /** Clips of talkers never tested, for babble noise. */
  babbleTalkers?: readonly Float32Array[];
}

/**
 * Loads rows' clips, adds the noise (generated, or drawn from `noise.files`; each clip's from
 * `deriveSeed(noise.seed, path)`, so a clip gets the same noise whichever run or set it is in)
 * and makes model inputs; ids are the rows' paths. Every way of testing clips (manifest specs,
 * experiment shifts, notebooks) goes through here.
 */
export async function prepareTestClips<R extends ClipRow>(rows: readonly R[], options: PrepareClipsOptions<R>): Promise<TttClip[]> {
  const { noise, babbleTalkers } = options;
  if (noise?.type === 'babble' && (!babbleTalkers || babbleTalkers.length === 0)) {
    throw new Error('babble noise needs clips of talkers who are never tested (babbleTalkers)');
  }
  const inputs = await options.pretrained.inputsOf(rows, {
    root: options.root,
    transform: noise
      ? (clip, row) => {
          const seed = deriveSeed(noise.seed ?? 0, row.path);
          if (noise.files) return noise.files.addTo(clip, { snrDb: noise.snrDb, seed });
          return addNoise(clip, { type: noise.type as NoiseType | 'babble', snrDb: noise.snrDb, seed, babbleTalkers: babbleTalkers as Float32Array[] | undefined });
        }
      : undefined,
  });
  return rows.map((row, i) => ({ id: row.path, fbank: inputs[i], label: options.classOf(row, i) }));
}

/** Loads and prepares the clips a spec selects; ids are the manifest paths. */
export async function loadTestClips(spec: ManifestClipSpec): Promise<TttClip[]> {
  const root = manifestRoot(spec.manifest);
  const all = readManifestCsv(spec.manifest);
  const rows = all.filter(spec.filter ?? isTaskSpeech);
  if (rows.length === 0) throw new Error(`no clips of ${spec.manifest} pass the filter`);
  const labelOf = spec.labelOf ?? ((row: ManifestRow) => row.label);
  const labels = rows.map((row) => {
    const label = spec.labels.indexOf(labelOf(row));
    if (label < 0) throw new Error(`${row.path}: label '${labelOf(row)}' is not one of ${spec.labels.join(', ')}`);
    return label;
  });
  const babbleRows = spec.noise?.type === 'babble' ? all.filter((row) => row.extra.role === 'babble') : [];
  if (spec.noise?.type === 'babble' && babbleRows.length === 0) throw new Error(`babble noise needs babble-speaker clips; ${spec.manifest} has none`);
  const babbleTalkers = await Promise.all(babbleRows.map(async (row) => (await loadRowClip(row, root)).samples));
  return prepareTestClips(rows, { pretrained: spec.pretrained, root, classOf: (_, i) => labels[i], noise: spec.noise, babbleTalkers });
}
