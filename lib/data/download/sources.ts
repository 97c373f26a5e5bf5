/**
 * Where each real corpus comes from, under which licence, and how its files are checked.
 * Checksums are pinned here where the publisher gives one (VCTK's SHA-256, RAVDESS's MD5, the
 * CREMA-D repository at a fixed commit); otherwise they are read from the host's API at
 * download time (Zenodo, Dataverse) or learned once into the lock file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomic } from '../../util/atomic.js';
import type { CorpusName } from '../corpora/index.js';
import { fetchOrExplain } from './fetch-file.js';
import type { Checksum, HashAlgorithm } from './hash.js';
import { hashBytes } from './hash.js';

/** A corpus's licence, as shown before downloading. */
export interface Licence {
  /** Short name, e.g. `CC BY-NC-SA 4.0`. */
  name: string;
  url: string;
  /** Non-commercial or no-derivatives terms: the user must pass `--accept-licence`. */
  restrictive: boolean;
  /** What the terms mean for a user, and whom to credit. */
  summary: string;
}

/** One file to fetch for a corpus. */
export interface RemoteFile {
  url: string;
  /** Path under the corpus folder (`<dataDir>/<corpus>/`), POSIX separators. */
  dest: string;
  size?: number;
  /** The digest the file must have, when known before downloading. */
  checksum?: Checksum;
  /** Where `checksum` comes from, for messages. */
  checksumOrigin?: string;
  /** Unpack into the corpus folder after downloading. */
  extract?: boolean;
}

/** What a download plan may use. */
export interface PlanContext {
  fetch: typeof fetch;
  /** `<dataDir>/<corpus>/`, for caches of listings. */
  corpusDir: string;
  log: (line: string) => void;
}

/** How to obtain one corpus. */
export interface CorpusSource {
  name: CorpusName;
  title: string;
  licence: Licence;
  /** `download`: fetched here; `request`: the user must apply for it; `manual`: fetched by the user with another tool. */
  access: 'download' | 'request' | 'manual';
  /** How to get it and where to put it, for people. */
  instructions: string;
  /** The files to fetch (may call the host's API). */
  plan?: (context: PlanContext) => Promise<RemoteFile[]>;
}

const CC_BY_4 = 'https://creativecommons.org/licenses/by/4.0/';

async function getJson(context: PlanContext, url: string): Promise<unknown> {
  const response = await fetchOrExplain(context.fetch, url, { headers: { Accept: 'application/json' } });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status} ${response.statusText}`);
  return response.json();
}

/** Runs `task` over `items` with at most `limit` running at once, keeping order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

// --- CREMA-D: Git LFS objects of the repository at a pinned commit ----------------------------

/** The CREMA-D repository and the commit whose files are fetched. */
export const CREMA_D_REPO = {
  owner: 'CheyneyComputerScience',
  name: 'CREMA-D',
  commit: '1658cd342dff90010aa843eaeebd53610a08b1dc',
  /** Git tree id of `AudioWAV/` at that commit (7 442 LFS pointers). */
  audioTree: '387d831b6b63df157bef95de05ec61dbffc95da3',
  /** Git blob id of `VideoDemographics.csv` at that commit. */
  demographicsBlob: '94a2db22d3b359d3ad90d936640d4cff1ade5b91',
} as const;

/** A Git LFS pointer's object id (SHA-256 of the content) and size. */
export interface LfsPointer {
  oid: string;
  size: number;
}

/** Parses a Git LFS pointer file, or returns `undefined` if the text is not one. */
export function parseLfsPointer(text: string): LfsPointer | undefined {
  const oid = /^oid sha256:([0-9a-f]{64})$/m.exec(text)?.[1];
  const size = /^size (\d+)$/m.exec(text)?.[1];
  return oid && size && text.startsWith('version https://git-lfs.github.com/spec/') ? { oid, size: Number(size) } : undefined;
}

interface TreeEntry {
  path: string;
  type: string;
  sha: string;
}

// Each pointer is checked against the blob id listed in the pinned tree, so the LFS hashes
// are as trustworthy as the commit id itself; they are cached because there are 7 442.
async function cremaDPointers(context: PlanContext): Promise<Record<string, LfsPointer>> {
  const cacheFile = join(context.corpusDir, 'lfs-pointers.json');
  const cache: Record<string, LfsPointer> = existsSync(cacheFile) ? (JSON.parse(readFileSync(cacheFile, 'utf8')) as Record<string, LfsPointer>) : {};
  const { owner, name, commit, audioTree } = CREMA_D_REPO;
  const tree = (await getJson(context, `https://api.github.com/repos/${owner}/${name}/git/trees/${audioTree}`)) as { tree: TreeEntry[]; truncated: boolean };
  if (tree.truncated) throw new Error('the GitHub API truncated the CREMA-D AudioWAV listing');
  const wavs = tree.tree.filter((entry) => entry.type === 'blob' && entry.path.toLowerCase().endsWith('.wav'));
  const missing = wavs.filter((entry) => !cache[entry.path]);
  if (missing.length > 0) context.log(`reading ${missing.length} Git LFS pointers of CREMA-D at ${commit.slice(0, 10)}`);
  let done = 0;
  await mapLimit(missing, 16, async (entry) => {
    const url = `https://raw.githubusercontent.com/${owner}/${name}/${commit}/AudioWAV/${entry.path}`;
    const response = await fetchOrExplain(context.fetch, url);
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (hashBytes(bytes, 'git-sha1') !== entry.sha) throw new Error(`${url}: the pointer does not match blob ${entry.sha} of the pinned tree`);
    const pointer = parseLfsPointer(new TextDecoder().decode(bytes));
    if (!pointer) throw new Error(`${url}: not a Git LFS pointer`);
    cache[entry.path] = pointer;
    if (++done % 500 === 0) writeJsonAtomic(cacheFile, cache);
  });
  writeJsonAtomic(cacheFile, cache);
  return Object.fromEntries(wavs.map((entry) => [entry.path, cache[entry.path]]));
}

async function planCremaD(context: PlanContext): Promise<RemoteFile[]> {
  const { owner, name, commit, demographicsBlob } = CREMA_D_REPO;
  const pointers = await cremaDPointers(context);
  const origin = `Git LFS pointer at ${owner}/${name}@${commit.slice(0, 10)}`;
  const audio = Object.entries(pointers).map(([file, pointer]) => ({
    url: `https://media.githubusercontent.com/media/${owner}/${name}/${commit}/AudioWAV/${file}`,
    dest: `AudioWAV/${file}`,
    size: pointer.size,
    checksum: { algorithm: 'sha256' as HashAlgorithm, hex: pointer.oid },
    checksumOrigin: origin,
  }));
  return [
    {
      url: `https://raw.githubusercontent.com/${owner}/${name}/${commit}/VideoDemographics.csv`,
      dest: 'VideoDemographics.csv',
      checksum: { algorithm: 'git-sha1', hex: demographicsBlob },
      checksumOrigin: `git blob at ${owner}/${name}@${commit.slice(0, 10)}`,
    },
    ...audio,
  ];
}

// --- Zenodo and Dataverse: checksums published by the host's API ------------------------------

interface ZenodoFile {
  key: string;
  size: number;
  checksum: string;
  links: { self?: string; download?: string; content?: string };
}

/** Parses a Zenodo `md5:<hex>` checksum field. */
export function parseZenodoChecksum(field: string): Checksum | undefined {
  const match = /^(md5|sha256):([0-9a-f]+)$/i.exec(field);
  return match ? { algorithm: match[1].toLowerCase() as HashAlgorithm, hex: match[2].toLowerCase() } : undefined;
}

async function planZenodo(context: PlanContext, record: number, accept: (key: string) => boolean): Promise<RemoteFile[]> {
  const body = (await getJson(context, `https://zenodo.org/api/records/${record}`)) as { files?: ZenodoFile[] };
  const files = (body.files ?? []).filter((file) => accept(file.key));
  if (files.length === 0) throw new Error(`Zenodo record ${record} lists none of the expected files`);
  return files.map((file) => ({
    url: file.links.content ?? file.links.self ?? `https://zenodo.org/records/${record}/files/${encodeURIComponent(file.key)}?download=1`,
    dest: `downloads/${file.key}`,
    size: file.size,
    checksum: parseZenodoChecksum(file.checksum),
    checksumOrigin: `published by Zenodo record ${record}`,
    extract: file.key.toLowerCase().endsWith('.zip'),
  }));
}

interface DataverseFile {
  label: string;
  directoryLabel?: string;
  dataFile: { id: number; filesize?: number; md5?: string; checksum?: { type: string; value: string } };
}

const DATAVERSE_ALGORITHMS: Readonly<Record<string, HashAlgorithm>> = { MD5: 'md5', 'SHA-1': 'sha1', 'SHA-256': 'sha256' };

async function planDataverse(context: PlanContext, host: string, doi: string): Promise<RemoteFile[]> {
  const body = (await getJson(context, `https://${host}/api/datasets/:persistentId/?persistentId=${doi}`)) as {
    data: { latestVersion: { files: DataverseFile[] } };
  };
  return body.data.latestVersion.files.map((file) => {
    const sum = file.dataFile.checksum;
    const algorithm = sum ? DATAVERSE_ALGORITHMS[sum.type] : file.dataFile.md5 ? 'md5' : undefined;
    const hex = sum?.value ?? file.dataFile.md5;
    const dest = file.directoryLabel ? `${file.directoryLabel}/${file.label}` : file.label;
    const extract = file.label.toLowerCase().endsWith('.zip');
    return {
      url: `https://${host}/api/access/datafile/${file.dataFile.id}`,
      dest: extract ? `downloads/${dest}` : dest,
      size: file.dataFile.filesize,
      checksum: algorithm && hex ? { algorithm, hex: hex.toLowerCase() } : undefined,
      checksumOrigin: `published by ${host} for ${doi}`,
      extract,
    };
  });
}

// --- the corpora ---------------------------------------------------------------------------

/** Every corpus's source, by name. */
export const CORPUS_SOURCES: Readonly<Record<CorpusName, CorpusSource>> = {
  vctk: {
    name: 'vctk',
    title: 'CSTR VCTK Corpus 0.92 (110 English speakers, 44 h, 48 kHz FLAC)',
    licence: {
      name: 'CC BY 4.0',
      url: CC_BY_4,
      restrictive: false,
      summary: 'Free to use, share and adapt, commercially too, with credit: Yamagishi, Veaux & MacDonald (2019), CSTR VCTK Corpus 0.92, University of Edinburgh, doi:10.7488/ds/2645.',
    },
    access: 'download',
    instructions: 'Downloads VCTK-Corpus-0.92.zip (about 11.7 GB) from the Edinburgh DataShare (handle 10283/3443) and unpacks it (about 12 GB more).',
    plan: async () => [
      {
        url: 'https://datashare.ed.ac.uk/bitstream/handle/10283/3443/VCTK-Corpus-0.92.zip',
        dest: 'downloads/VCTK-Corpus-0.92.zip',
        checksum: { algorithm: 'sha256', hex: 'f96258be9fdc2cbff6559541aae7ea4f59df3fcaf5cf963aae5ca647357e359c' },
        checksumOrigin: 'pinned (as published with torchaudio)',
        extract: true,
      },
    ],
  },
  'crema-d': {
    name: 'crema-d',
    title: 'CREMA-D (91 actors, 7 442 clips, 6 emotions, ages 20–74)',
    licence: {
      name: 'ODbL 1.0 / DbCL 1.0',
      url: 'https://opendatacommons.org/licenses/odbl/1-0/',
      restrictive: false,
      summary: 'Free to use, commercially too, with credit (Cao et al. 2014, IEEE Trans. Affective Computing 5(4)); a database you publish that is derived from it must be shared under the ODbL.',
    },
    access: 'download',
    instructions: `Downloads AudioWAV/ (7 442 WAV files, about 600 MB, Git LFS objects) and VideoDemographics.csv from github.com/${CREMA_D_REPO.owner}/${CREMA_D_REPO.name} at commit ${CREMA_D_REPO.commit}.`,
    plan: planCremaD,
  },
  ravdess: {
    name: 'ravdess',
    title: 'RAVDESS speech audio (24 actors, 1 440 clips, 8 emotions)',
    licence: {
      name: 'CC BY-NC-SA 4.0',
      url: 'https://creativecommons.org/licenses/by-nc-sa/4.0/',
      restrictive: true,
      summary: 'Non-commercial use only; adaptations must be shared alike; credit Livingstone & Russo (2018), PLoS ONE 13(5): e0196391.',
    },
    access: 'download',
    instructions: 'Downloads Audio_Speech_Actors_01-24.zip (about 208 MB) from Zenodo record 1188976 and unpacks it.',
    plan: async () => [
      {
        url: 'https://zenodo.org/records/1188976/files/Audio_Speech_Actors_01-24.zip?download=1',
        dest: 'downloads/Audio_Speech_Actors_01-24.zip',
        checksum: { algorithm: 'md5', hex: 'bc696df654c87fed845eb13823edef8a' },
        checksumOrigin: 'pinned (published by Zenodo record 1188976)',
        extract: true,
      },
    ],
  },
  tess: {
    name: 'tess',
    title: 'Toronto emotional speech set (2 speakers aged 26 and 64, 2 800 clips, 7 emotions)',
    licence: {
      name: 'CC BY-NC-ND 4.0',
      url: 'https://creativecommons.org/licenses/by-nc-nd/4.0/',
      restrictive: true,
      summary: 'Non-commercial use only; no modified copies may be shared; credit Dupuis & Pichora-Fuller (2010), University of Toronto, doi:10.5683/SP2/E8H2MF.',
    },
    access: 'download',
    instructions: 'Downloads the files of Borealis Dataverse dataset doi:10.5683/SP2/E8H2MF (about 300 MB), checked against the MD5s the Dataverse publishes.',
    plan: (context) => planDataverse(context, 'borealisdata.ca', 'doi:10.5683/SP2/E8H2MF'),
  },
  iemocap: {
    name: 'iemocap',
    title: 'IEMOCAP (10 actors in 5 sessions, 4-class emotion: 5 531 utterances)',
    licence: {
      name: 'USC SAIL IEMOCAP release agreement',
      url: 'https://sail.usc.edu/iemocap/iemocap_release.htm',
      restrictive: true,
      summary: 'Released for research by signed agreement only; never redistributed.',
    },
    access: 'request',
    instructions:
      'IEMOCAP is never downloaded by ttt-speech. Request it from USC SAIL (https://sail.usc.edu/iemocap/iemocap_release.htm), unpack it, then run:\n' +
      '  ttt-speech data prepare iemocap --root /path/to/IEMOCAP_full_release',
  },
  voxceleb1: {
    name: 'voxceleb1',
    title: 'VoxCeleb1 (1 251 speakers from interviews)',
    licence: {
      name: 'audio: copyright of its owners; metadata: CC BY 4.0',
      url: 'https://www.robots.ox.ac.uk/~vgg/data/voxceleb/',
      restrictive: true,
      summary: 'The audio is available to researchers on request; check the terms you were given.',
    },
    access: 'request',
    instructions:
      'VoxCeleb is never downloaded by ttt-speech. Request access at https://www.robots.ox.ac.uk/~vgg/data/voxceleb/, unpack the VoxCeleb1 dev and test parts into one wav/ folder, put vox1_meta.csv beside it, then run:\n' +
      '  ttt-speech data prepare voxceleb1 --root /path/to/voxceleb1',
  },
  musan: {
    name: 'musan',
    title: 'MUSAN (music, speech and noise for augmentation, 109 h, 16 kHz)',
    licence: {
      name: 'CC BY 4.0',
      url: CC_BY_4,
      restrictive: false,
      summary: 'Free to use with credit: Snyder, Chen & Povey (2015), MUSAN, arXiv:1510.08484 (individual files carry their own compatible licences, listed in the corpus).',
    },
    access: 'download',
    instructions: 'Downloads musan.tar.gz (about 11 GB) from OpenSLR resource 17 and unpacks it; no checksum is published, so the first download\'s SHA-256 is recorded in checksums.lock.json.',
    plan: async () => [{ url: 'https://www.openslr.org/resources/17/musan.tar.gz', dest: 'downloads/musan.tar.gz', extract: true }],
  },
  'esc-50': {
    name: 'esc-50',
    title: 'ESC-50 (2 000 environmental recordings, 50 classes)',
    licence: {
      name: 'CC BY-NC 3.0',
      url: 'https://creativecommons.org/licenses/by-nc/3.0/',
      restrictive: true,
      summary: 'Non-commercial use only; credit Piczak (2015), ESC: Dataset for Environmental Sound Classification, ACM MM; the clips come from freesound.org.',
    },
    access: 'download',
    instructions: 'Downloads the ESC-50 repository archive (about 600 MB) from GitHub and unpacks it; its SHA-256 is recorded in checksums.lock.json on first download.',
    plan: async () => [
      { url: 'https://github.com/karolpiczak/ESC-50/archive/refs/heads/master.zip', dest: 'downloads/ESC-50-master.zip', extract: true },
    ],
  },
  demand: {
    name: 'demand',
    title: 'DEMAND (18 noise environments, 16 channels, about 5 min each)',
    licence: {
      name: 'CC BY-SA 3.0',
      url: 'https://creativecommons.org/licenses/by-sa/3.0/',
      restrictive: false,
      summary: 'Free to use with credit (Thiemann, Ito & Vincent 2013, doi:10.5281/zenodo.1227121); adaptations must be shared alike.',
    },
    access: 'download',
    instructions: 'Downloads the 16 kHz archives <ENV>_16k.zip (and SCAFE_48k.zip, the one environment without a 16 kHz version) from Zenodo record 1227121, checked against Zenodo\'s MD5s.',
    plan: (context) => planZenodo(context, 1227121, (key) => /_16k\.zip$/i.test(key) || key === 'SCAFE_48k.zip'),
  },
  'ms-snsd': {
    name: 'ms-snsd',
    title: 'MS-SNSD noise (typed noise clips, 16 kHz)',
    licence: {
      name: 'noise clips: CC0 and CC BY-SA 3.0 (code: MIT)',
      url: 'https://github.com/microsoft/MS-SNSD',
      restrictive: false,
      summary: 'Free to use; clips under CC BY-SA 3.0 need credit and share-alike (see the repository README).',
    },
    access: 'manual',
    instructions:
      'Clone the repository (git clone https://github.com/microsoft/MS-SNSD), then run:\n' + '  ttt-speech data prepare ms-snsd --root /path/to/MS-SNSD',
  },
};

/** The licence notice printed before a download. */
export function formatLicence(source: CorpusSource): string {
  const { licence } = source;
  return [
    `${source.title}`,
    `Licence: ${licence.name} — ${licence.url}`,
    licence.summary,
    licence.restrictive && source.access === 'download' ? 'These terms restrict use: pass --accept-licence to confirm you accept them.' : '',
  ]
    .filter(Boolean)
    .join('\n');
}
