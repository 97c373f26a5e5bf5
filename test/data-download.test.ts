// Downloads are tested against an HTTP server on 127.0.0.1 started here; host APIs (GitHub,
// Zenodo, Dataverse) are replaced by a fake fetch. Nothing leaves the machine.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { writeWav } from '../lib/audio/index.js';
import { registerDataCommand } from '../lib/cli/commands/data.js';
import {
  CORPUS_SOURCES,
  CREMA_D_REPO,
  ChecksumLock,
  ChecksumMismatchError,
  DownloadError,
  LicenceNotAcceptedError,
  UnsafePathError,
  describeNetworkError,
  downloadCorpus,
  downloadFile,
  extractArchive,
  hashBytes,
  lockPath,
  parseLfsPointer,
  parseZenodoChecksum,
  partPath,
  prepareCorpus,
  readManifestCsv,
  verifyCorpus,
} from '../lib/data/index.js';
import { createRng } from '../lib/util/index.js';

function randomBytes(length: number, seed: number): Buffer {
  const rng = createRng(seed);
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = Math.floor(rng() * 256);
  return out;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const md5 = (bytes: Uint8Array) => createHash('md5').update(bytes).digest('hex');

/** A file server that honours Range unless told not to, and can cut its first response short. */
class TestServer {
  content = randomBytes(300_000, 1);
  ranges: (string | undefined)[] = [];
  cutNextAfter: number | undefined;
  ignoreRange = false;
  private server: Server;

  constructor() {
    this.server = createServer((req, res) => this.handle(req, res));
  }

  start(): Promise<void> {
    return new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  url(path = '/file.bin'): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    if (req.url === '/missing') {
      res.writeHead(404).end();
      return;
    }
    this.ranges.push(req.headers.range);
    const match = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = match && !this.ignoreRange ? Number(match[1]) : 0;
    if (start >= this.content.length && match && !this.ignoreRange) {
      res.writeHead(416, { 'Content-Range': `bytes */${this.content.length}` }).end();
      return;
    }
    const body = this.content.subarray(start);
    const headers: Record<string, string | number> = { 'Content-Length': body.length, 'Accept-Ranges': 'bytes' };
    if (start > 0) headers['Content-Range'] = `bytes ${start}-${this.content.length - 1}/${this.content.length}`;
    res.writeHead(start > 0 ? 206 : 200, headers);
    if (this.cutNextAfter !== undefined) {
      const cut = this.cutNextAfter;
      this.cutNextAfter = undefined;
      // Give the client time to take in what was sent before the connection drops.
      res.write(body.subarray(0, cut), () => setTimeout(() => res.destroy(), 300));
      return;
    }
    res.end(body);
  }
}

let server: TestServer;
let dir: string;
const quiet = () => {};

beforeEach(async () => {
  server = new TestServer();
  await server.start();
  dir = mkdtempSync(join(tmpdir(), 'ttt-download-'));
});
afterEach(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('resumable, verified downloads', () => {
  it('resumes an interrupted download with a Range request and renames only when complete', async () => {
    const dest = join(dir, 'file.bin');
    server.cutNextAfter = 100_000;
    await assert.rejects(downloadFile({ url: server.url(), dest, retries: 0 }));
    assert.equal(existsSync(dest), false, 'no file under the final name before it is complete');
    const partial = statSync(partPath(dest)).size;
    assert.ok(partial > 0 && partial < server.content.length, `part file holds ${partial} bytes`);

    const result = await downloadFile({ url: server.url(), dest, expected: { algorithm: 'sha256', hex: sha256(server.content) } });
    assert.equal(result.status, 'downloaded');
    assert.equal(result.resumedFrom, partial);
    assert.deepEqual(server.ranges, [undefined, `bytes=${partial}-`]);
    assert.ok(readFileSync(dest).equals(server.content));
    assert.equal(existsSync(partPath(dest)), false);
  });

  it('retries a cut connection within one call, resuming each time', async () => {
    const dest = join(dir, 'file.bin');
    server.cutNextAfter = 50_000;
    const result = await downloadFile({ url: server.url(), dest, retries: 1 });
    assert.equal(server.ranges.length, 2);
    assert.match(server.ranges[1] ?? '', /^bytes=\d+-$/);
    assert.deepEqual(result.checksum, { algorithm: 'sha256', hex: sha256(server.content) });
  });

  it('starts again from zero when the server ignores Range', async () => {
    const dest = join(dir, 'file.bin');
    server.cutNextAfter = 100_000;
    await assert.rejects(downloadFile({ url: server.url(), dest, retries: 0 }));
    server.ignoreRange = true;
    await downloadFile({ url: server.url(), dest, expected: { algorithm: 'md5', hex: md5(server.content) } });
    assert.ok(readFileSync(dest).equals(server.content));
  });

  it('treats a part file that is already whole (416) as complete', async () => {
    const dest = join(dir, 'file.bin');
    writeFileSync(partPath(dest), server.content);
    const result = await downloadFile({ url: server.url(), dest });
    assert.equal(result.resumedFrom, server.content.length);
    assert.ok(readFileSync(dest).equals(server.content));
  });

  it('deletes the download and keeps no final file when the checksum does not match', async () => {
    const dest = join(dir, 'file.bin');
    const wrong = { algorithm: 'sha256' as const, hex: '0'.repeat(64) };
    await assert.rejects(
      downloadFile({ url: server.url(), dest, expected: wrong, expectedOrigin: 'pinned' }),
      (err: unknown) => err instanceof ChecksumMismatchError && /expected 0{64} \(pinned\)/.test(err.message),
    );
    assert.equal(existsSync(dest), false);
    assert.equal(existsSync(partPath(dest)), false);
  });

  it('reports an HTTP error without retrying a 404', async () => {
    await assert.rejects(downloadFile({ url: server.url('/missing'), dest: join(dir, 'x'), retries: 3 }), /HTTP 404/);
  });

  it('leaves a file already under its final name alone', async () => {
    const dest = join(dir, 'file.bin');
    writeFileSync(dest, 'done');
    assert.equal((await downloadFile({ url: server.url(), dest })).status, 'present');
    assert.equal(server.ranges.length, 0);
  });
});

describe('checksum lock and verify', () => {
  const files = () => [{ url: server.url(), dest: 'downloads/noise.bin' }];

  it('learns an unpublished checksum on the first download and holds later downloads to it', async () => {
    const dataDir = join(dir, 'data');
    const first = await downloadCorpus('musan', { dataDir, files: files(), log: quiet });
    assert.deepEqual(first.learned, ['downloads/noise.bin']);
    const entry = ChecksumLock.load(lockPath(dataDir)).get('musan/downloads/noise.bin');
    assert.equal(entry?.algorithm, 'sha256');
    assert.equal(entry?.hex, sha256(server.content));
    assert.equal(entry?.size, server.content.length);

    const again = await downloadCorpus('musan', { dataDir, files: files(), log: quiet });
    assert.deepEqual([again.present, again.learned], [['downloads/noise.bin'], []]);

    rmSync(join(dataDir, 'musan', 'downloads', 'noise.bin'));
    server.content = randomBytes(300_000, 2); // the upstream file changed
    await assert.rejects(downloadCorpus('musan', { dataDir, files: files(), log: quiet }), (err: unknown) => err instanceof ChecksumMismatchError && /checksums\.lock\.json/.test(err.message));
    assert.equal(existsSync(join(dataDir, 'musan', 'downloads', 'noise.bin')), false);
  });

  it('verify re-hashes every downloaded file against the lock and reports corruption and loss', async () => {
    const dataDir = join(dir, 'data');
    await downloadCorpus('musan', { dataDir, files: files(), log: quiet });
    assert.equal((await verifyCorpus('musan', { dataDir, log: quiet })).ok, true);

    const path = join(dataDir, 'musan', 'downloads', 'noise.bin');
    const bytes = readFileSync(path);
    bytes[1234] ^= 0xff;
    writeFileSync(path, bytes);
    const corrupted = await verifyCorpus('musan', { dataDir, log: quiet });
    assert.equal(corrupted.ok, false);
    assert.equal(corrupted.files[0].status, 'mismatch');
    assert.match(corrupted.files[0].detail ?? '', /sha256 is [0-9a-f]{64}, expected/);

    rmSync(path);
    assert.deepEqual((await verifyCorpus('musan', { dataDir, log: quiet })).files.map((f) => f.status), ['missing']);
  });

  it('verify explains that nothing was downloaded yet', async () => {
    await assert.rejects(verifyCorpus('vctk', { dataDir: join(dir, 'data'), log: quiet }), /ttt-speech data download vctk/);
  });

  it('a published checksum is used and not copied into the lock', async () => {
    const dataDir = join(dir, 'data');
    const published = [{ url: server.url(), dest: 'downloads/x.bin', checksum: { algorithm: 'md5' as const, hex: md5(server.content) }, checksumOrigin: 'published' }];
    const summary = await downloadCorpus('demand', { dataDir, files: published, log: quiet });
    assert.deepEqual(summary.learned, []);
    assert.deepEqual(ChecksumLock.load(lockPath(dataDir)).keys(), []);
    assert.equal((await verifyCorpus('demand', { dataDir, log: quiet })).ok, true);
  });
});

describe('licences and corpora that are never downloaded', () => {
  const refuseFetch = (() => {
    throw new Error('fetch must not be called');
  }) as unknown as typeof fetch;

  for (const corpus of ['ravdess', 'tess', 'esc-50'] as const) {
    it(`${corpus}: refuses without --accept-licence, before any request, and prints the licence`, async () => {
      await assert.rejects(
        downloadCorpus(corpus, { dataDir: dir, fetch: refuseFetch, log: quiet }),
        (err: unknown) => err instanceof LicenceNotAcceptedError && err.message.includes(CORPUS_SOURCES[corpus].licence.name) && /--accept-licence/.test(err.message),
      );
    });
  }

  it('downloads an NC corpus once the licence is accepted', async () => {
    const summary = await downloadCorpus('ravdess', { dataDir: dir, acceptLicence: true, files: [{ url: server.url(), dest: 'downloads/a.bin' }], log: quiet });
    assert.deepEqual(summary.downloaded, ['downloads/a.bin']);
  });

  for (const corpus of ['iemocap', 'voxceleb1', 'ms-snsd'] as const) {
    it(`${corpus}: prints how to get it and fetches nothing`, async () => {
      const lines: string[] = [];
      const summary = await downloadCorpus(corpus, { dataDir: dir, fetch: refuseFetch, acceptLicence: true, log: (l) => lines.push(l) });
      assert.equal(summary.status, 'instructions');
      assert.match(summary.instructions, /ttt-speech data prepare .* --root/);
      assert.match(lines.join('\n'), /Licence:/);
    });
  }

  it('pins the published checksums of VCTK and RAVDESS', async () => {
    const context = { fetch: refuseFetch, corpusDir: dir, log: quiet };
    const [vctk] = await CORPUS_SOURCES.vctk.plan!(context);
    assert.deepEqual(vctk.checksum, { algorithm: 'sha256', hex: 'f96258be9fdc2cbff6559541aae7ea4f59df3fcaf5cf963aae5ca647357e359c' });
    const [ravdess] = await CORPUS_SOURCES.ravdess.plan!(context);
    assert.deepEqual(ravdess.checksum, { algorithm: 'md5', hex: 'bc696df654c87fed845eb13823edef8a' });
  });
});

/** A fetch that answers from a table of URL → body, and fails for anything else. */
function fakeFetch(answers: Record<string, string | object>): typeof fetch {
  return (async (input: string | URL | Request) => {
    const url = String(input);
    const body = answers[url];
    if (body === undefined) return new Response('not found', { status: 404 });
    return new Response(typeof body === 'string' ? body : JSON.stringify(body), { status: 200 });
  }) as typeof fetch;
}

describe('download plans from host APIs', () => {
  const pointer = (oid: string, size: number) => `version https://git-lfs.github.com/spec/v1\noid sha256:${oid}\nsize ${size}\n`;

  it('CREMA-D: checks each LFS pointer against the pinned tree and takes the SHA-256 it names', async () => {
    const { owner, name, commit, audioTree } = CREMA_D_REPO;
    const good = pointer('c6f94b2592487c7556bd86df7df6e8f4420d1b9c11414aeec9d8e5e640b51495', 72862);
    const answers: Record<string, string | object> = {
      [`https://api.github.com/repos/${owner}/${name}/git/trees/${audioTree}`]: {
        truncated: false,
        tree: [{ path: '1001_DFA_ANG_XX.wav', type: 'blob', sha: hashBytes(Buffer.from(good), 'git-sha1') }],
      },
      [`https://raw.githubusercontent.com/${owner}/${name}/${commit}/AudioWAV/1001_DFA_ANG_XX.wav`]: good,
    };
    const files = await CORPUS_SOURCES['crema-d'].plan!({ fetch: fakeFetch(answers), corpusDir: dir, log: quiet });
    assert.equal(files.length, 2);
    assert.deepEqual(files[0].checksum, { algorithm: 'git-sha1', hex: CREMA_D_REPO.demographicsBlob });
    assert.deepEqual(files[1], {
      url: `https://media.githubusercontent.com/media/${owner}/${name}/${commit}/AudioWAV/1001_DFA_ANG_XX.wav`,
      dest: 'AudioWAV/1001_DFA_ANG_XX.wav',
      size: 72862,
      checksum: { algorithm: 'sha256', hex: 'c6f94b2592487c7556bd86df7df6e8f4420d1b9c11414aeec9d8e5e640b51495' },
      checksumOrigin: `Git LFS pointer at ${owner}/${name}@${commit.slice(0, 10)}`,
    });
    // The pointers are cached: a second plan needs only the tree listing.
    delete answers[`https://raw.githubusercontent.com/${owner}/${name}/${commit}/AudioWAV/1001_DFA_ANG_XX.wav`];
    assert.equal((await CORPUS_SOURCES['crema-d'].plan!({ fetch: fakeFetch(answers), corpusDir: dir, log: quiet })).length, 2);

    answers[`https://raw.githubusercontent.com/${owner}/${name}/${commit}/AudioWAV/1001_DFA_ANG_XX.wav`] = pointer('0'.repeat(64), 1);
    await assert.rejects(
      CORPUS_SOURCES['crema-d'].plan!({ fetch: fakeFetch(answers), corpusDir: join(dir, 'fresh'), log: quiet }),
      /does not match blob/,
    );
  });

  it('the git blob id of a file is checked like any other digest', () => {
    // `git hash-object` of "hello\n"
    assert.equal(hashBytes(Buffer.from('hello\n'), 'git-sha1'), 'ce013625030ba8dba906f756967f9e9ca394464a');
  });

  it('DEMAND: takes the 16 kHz archives (and SCAFE at 48 kHz) with the MD5s Zenodo publishes', async () => {
    const record = {
      files: [
        { key: 'DKITCHEN_16k.zip', size: 10, checksum: 'md5:0123456789abcdef0123456789abcdef', links: { self: 'https://zenodo.org/api/records/1227121/files/DKITCHEN_16k.zip/content' } },
        { key: 'DKITCHEN_48k.zip', size: 30, checksum: 'md5:ffffffffffffffffffffffffffffffff', links: {} },
        { key: 'SCAFE_48k.zip', size: 30, checksum: 'md5:eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee', links: {} },
      ],
    };
    const files = await CORPUS_SOURCES.demand.plan!({ fetch: fakeFetch({ 'https://zenodo.org/api/records/1227121': record }), corpusDir: dir, log: quiet });
    assert.deepEqual(files.map((f) => [f.dest, f.checksum?.hex.slice(0, 4), f.extract]), [
      ['downloads/DKITCHEN_16k.zip', '0123', true],
      ['downloads/SCAFE_48k.zip', 'eeee', true],
    ]);
    assert.equal(files[1].url, 'https://zenodo.org/records/1227121/files/SCAFE_48k.zip?download=1');
    assert.deepEqual(parseZenodoChecksum('md5:ABC'), { algorithm: 'md5', hex: 'abc' });
  });

  it('TESS: lists the Dataverse files with their folders and MD5s', async () => {
    const dataset = {
      data: {
        latestVersion: {
          files: [
            { label: 'OAF_back_angry.wav', directoryLabel: 'OAF_angry', dataFile: { id: 11, filesize: 5, checksum: { type: 'MD5', value: 'AA' } } },
            { label: 'TESS.zip', dataFile: { id: 12, filesize: 9, md5: 'bb' } },
          ],
        },
      },
    };
    const url = 'https://borealisdata.ca/api/datasets/:persistentId/?persistentId=doi:10.5683/SP2/E8H2MF';
    const files = await CORPUS_SOURCES.tess.plan!({ fetch: fakeFetch({ [url]: dataset }), corpusDir: dir, log: quiet });
    assert.deepEqual(files.map((f) => [f.url, f.dest, f.checksum, f.extract]), [
      ['https://borealisdata.ca/api/access/datafile/11', 'OAF_angry/OAF_back_angry.wav', { algorithm: 'md5', hex: 'aa' }, false],
      ['https://borealisdata.ca/api/access/datafile/12', 'downloads/TESS.zip', { algorithm: 'md5', hex: 'bb' }, true],
    ]);
  });

  it('parses Git LFS pointers', () => {
    assert.deepEqual(parseLfsPointer(pointer('a'.repeat(64), 42)), { oid: 'a'.repeat(64), size: 42 });
    assert.equal(parseLfsPointer('RIFF....WAVE'), undefined);
  });
});

describe('download, unpack and prepare, end to end', () => {
  it('fetches an archive, unpacks it once, and writes the manifest', async function () {
    if (spawnSync('tar', ['--version']).status !== 0) this.skip();
    const tree = join(dir, 'tree');
    writeWav(join(tree, 'musan', 'noise', 'free-sound', 'noise-free-sound-0000.wav'), new Float32Array(1600).fill(0.1), 16000);
    writeWav(join(tree, 'musan', 'music', 'fma', 'music-fma-0000.wav'), new Float32Array(3200).fill(0.1), 16000);
    const archive = join(dir, 'musan.tar.gz');
    assert.equal(spawnSync('tar', ['-czf', archive, '-C', tree, 'musan']).status, 0);
    server.content = readFileSync(archive);
    const dataDir = join(dir, 'data');
    const files = [{ url: server.url(), dest: 'downloads/musan.tar.gz', extract: true }];

    const first = await downloadCorpus('musan', { dataDir, files, log: quiet });
    assert.deepEqual(first.extracted, ['downloads/musan.tar.gz']);
    assert.ok(existsSync(join(dataDir, 'musan', 'musan', 'noise', 'free-sound', 'noise-free-sound-0000.wav')));
    assert.deepEqual((await downloadCorpus('musan', { dataDir, files, log: quiet })).extracted, [], 'unpacked only once');

    prepareCorpus('musan', { dataDir, log: quiet });
    const rows = readManifestCsv(join(dataDir, 'musan', 'manifest.csv'));
    assert.deepEqual(rows.map((r) => [r.path, r.label, r.duration_s]), [
      ['musan/music/fma/music-fma-0000.wav', 'music', 0.2],
      ['musan/noise/free-sound/noise-free-sound-0000.wav', 'noise', 0.1],
    ]);
  });
});

describe('ttt-speech data (command line)', () => {
  function program(): Command {
    const root = new Command('ttt-speech').exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {} });
    registerDataCommand(root);
    return root;
  }

  it('verify succeeds on intact files and fails on a corrupted one', async () => {
    const dataDir = join(dir, 'data');
    await downloadCorpus('musan', { dataDir, files: [{ url: server.url(), dest: 'downloads/n.bin' }], log: quiet });
    const stderr = process.stderr.write;
    const stdout = process.stdout.write;
    process.stderr.write = (() => true) as typeof process.stderr.write;
    process.stdout.write = (() => true) as typeof process.stdout.write;
    try {
      await program().parseAsync(['node', 'ttt-speech', 'data', 'verify', 'musan', '--data-dir', dataDir]);
      writeFileSync(join(dataDir, 'musan', 'downloads', 'n.bin'), 'tampered');
      await assert.rejects(program().parseAsync(['node', 'ttt-speech', 'data', 'verify', 'musan', '--data-dir', dataDir]), /1 of 1 file\(s\) missing, mismatched/);
      await assert.rejects(program().parseAsync(['node', 'ttt-speech', 'data', 'download', 'tess', '--data-dir', dataDir]), /--accept-licence/);
    } finally {
      process.stderr.write = stderr;
      process.stdout.write = stdout;
    }
  });

  it('rejects an unknown corpus name', async () => {
    await assert.rejects(program().parseAsync(['node', 'ttt-speech', 'data', 'prepare', 'timit']), /invalid|Allowed choices/i);
  });

  it('prepare writes the manifest of a local copy (--root)', async () => {
    mkdirSync(join(dir, 'copy', 'noise_test'), { recursive: true });
    writeWav(join(dir, 'copy', 'noise_test', 'Typing_2.wav'), new Float32Array(800).fill(0.1), 16000);
    const stdout = process.stdout.write;
    const stderr = process.stderr.write;
    process.stdout.write = (() => true) as typeof process.stdout.write;
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      await program().parseAsync(['node', 'ttt-speech', 'data', 'prepare', 'ms-snsd', '--root', join(dir, 'copy'), '--data-dir', join(dir, 'data')]);
    } finally {
      process.stdout.write = stdout;
      process.stderr.write = stderr;
    }
    assert.deepEqual(readManifestCsv(join(dir, 'data', 'ms-snsd', 'manifest.csv')).map((r) => [r.label, r.split]), [['Typing', 'test']]);
  });
});

describe('paths from hosts and archives stay inside the corpus folder', () => {
  /** A fetch that answers the given API URLs, records every URL asked for, and fails the rest. */
  function recordingFetch(answers: Record<string, string | object>): { fetch: typeof fetch; asked: string[] } {
    const asked: string[] = [];
    const inner = fakeFetch(answers);
    return { asked, fetch: ((input: string | URL | Request, init?: RequestInit) => (asked.push(String(input)), inner(input, init))) as typeof fetch };
  }

  const refusal = (path: string, problem: RegExp) => (err: unknown) => err instanceof UnsafePathError && err.path === path && problem.test(err.message);

  it('refuses a files-list destination that is absolute or climbs out, before fetching anything', async () => {
    const dataDir = join(dir, 'data');
    for (const [dest, problem] of [
      ['../escape.bin', /climbs out with '\.\.'/],
      ['downloads/../../escape.bin', /climbs out with '\.\.'/],
      ['/tmp/escape.bin', /an absolute path/],
      ['C:\\escape.bin', /an absolute path/],
    ] as const) {
      await assert.rejects(downloadCorpus('musan', { dataDir, files: [{ url: server.url(), dest }], log: quiet }), refusal(dest, problem));
    }
    assert.deepEqual(server.ranges, [], 'nothing was fetched');
    assert.equal(existsSync(join(dataDir, 'escape.bin')), false);
  });

  it('refuses a Zenodo file key that climbs out, naming the corpus and the URL', async () => {
    const key = '../../../evil_16k.zip';
    const { fetch: doFetch, asked } = recordingFetch({
      'https://zenodo.org/api/records/1227121': { files: [{ key, size: 1, checksum: 'md5:00', links: { self: 'https://zenodo.org/evil' } }] },
    });
    await assert.rejects(
      downloadCorpus('demand', { dataDir: join(dir, 'data'), fetch: doFetch, log: quiet }),
      (err: unknown) => refusal(`downloads/${key}`, /^demand: destination of https:\/\/zenodo\.org\/evil .*climbs out/)(err),
    );
    assert.deepEqual(asked, ['https://zenodo.org/api/records/1227121']);
  });

  it('refuses Dataverse labels that are absolute or climb out', async () => {
    const url = 'https://borealisdata.ca/api/datasets/:persistentId/?persistentId=doi:10.5683/SP2/E8H2MF';
    for (const [file, dest, problem] of [
      [{ label: 'passwd', directoryLabel: '/etc', dataFile: { id: 1 } }, '/etc/passwd', /an absolute path/],
      [{ label: 'x.wav', directoryLabel: '../..', dataFile: { id: 2 } }, '../../x.wav', /climbs out/],
    ] as const) {
      const { fetch: doFetch, asked } = recordingFetch({ [url]: { data: { latestVersion: { files: [file] } } } });
      await assert.rejects(downloadCorpus('tess', { dataDir: join(dir, 'data'), fetch: doFetch, acceptLicence: true, log: quiet }), refusal(dest, problem));
      assert.deepEqual(asked, [url]);
    }
  });

  it('refuses a GitHub tree path that climbs out', async () => {
    const { owner, name, commit, audioTree } = CREMA_D_REPO;
    const pointer = `version https://git-lfs.github.com/spec/v1\noid sha256:${'a'.repeat(64)}\nsize 10\n`;
    const path = '../../../evil.wav';
    const { fetch: doFetch, asked } = recordingFetch({
      [`https://api.github.com/repos/${owner}/${name}/git/trees/${audioTree}`]: { truncated: false, tree: [{ path, type: 'blob', sha: hashBytes(Buffer.from(pointer), 'git-sha1') }] },
      [`https://raw.githubusercontent.com/${owner}/${name}/${commit}/AudioWAV/${path}`]: pointer,
    });
    await assert.rejects(downloadCorpus('crema-d', { dataDir: join(dir, 'data'), fetch: doFetch, log: quiet }), refusal(`AudioWAV/${path}`, /climbs out/));
    assert.ok(asked.every((url) => !url.startsWith('https://media.githubusercontent.com/')), 'no audio was fetched');
  });

  it('refuses a destination that leads through a symbolic link out of the corpus folder', async () => {
    const dataDir = join(dir, 'data');
    const outside = join(dir, 'outside');
    mkdirSync(outside);
    mkdirSync(join(dataDir, 'musan'), { recursive: true });
    symlinkSync(outside, join(dataDir, 'musan', 'downloads'));
    await assert.rejects(
      downloadCorpus('musan', { dataDir, files: [{ url: server.url(), dest: 'downloads/noise.bin' }], log: quiet }),
      refusal('downloads/noise.bin', /leads through the symbolic link .*downloads → .*outside/),
    );
    assert.deepEqual(readdirSync(outside), []);
  });

  it('verify refuses a download plan that was edited to point outside', async () => {
    const dataDir = join(dir, 'data');
    mkdirSync(join(dataDir, 'musan'), { recursive: true });
    writeFileSync(join(dataDir, 'musan', 'download-plan.json'), JSON.stringify({ corpus: 'musan', files: [{ url: server.url(), dest: '../../secret' }] }));
    await assert.rejects(verifyCorpus('musan', { dataDir, log: quiet }), refusal('../../secret', /climbs out/));
  });

  describe('archives', () => {
    let tree: string;
    let dest: string;
    let outside: string;
    beforeEach(function () {
      if (spawnSync('tar', ['--version']).status !== 0) this.skip();
      tree = join(dir, 'tree');
      dest = join(dir, 'corpus');
      outside = join(dir, 'outside');
      for (const folder of [tree, dest, outside]) mkdirSync(folder, { recursive: true });
      writeFileSync(join(tree, 'ok.txt'), 'fine\n');
    });
    const tar = (...args: string[]) => assert.equal(spawnSync('tar', args).status, 0, `tar ${args.join(' ')}`);

    it('refuses a member that climbs out before unpacking anything', async () => {
      writeFileSync(join(dir, 'escape.txt'), 'escaped\n');
      const archive = join(dir, 'evil.tar');
      tar('-cPf', archive, '-C', tree, 'ok.txt', '../escape.txt');
      await assert.rejects(extractArchive(archive, dest), (err: unknown) => refusal('../escape.txt', /^.*evil\.tar: member "\.\.\/escape\.txt": climbs out/)(err));
      assert.deepEqual(readdirSync(dest), [], 'not even the harmless member was unpacked');
    });

    it('removes the link a failed unpack leaves pointing outside, and says so', async () => {
      // A link to `outside`, then a file "through" it: tar refuses the file but keeps the link.
      symlinkSync(outside, join(dir, 'link'));
      mkdirSync(join(tree, 'link'));
      writeFileSync(join(tree, 'link', 'payload'), 'written outside?\n');
      const archive = join(dir, 'trick.tar');
      tar('-cf', archive, '-C', dir, 'link');
      tar('-rf', archive, '-C', tree, 'link/payload');
      await assert.rejects(extractArchive(archive, dest), /could not unpack [\s\S]*removed 1 symbolic link\(s\) it left pointing outside .*link → .*outside/);
      assert.throws(() => lstatSync(join(dest, 'link')), /ENOENT/);
      assert.deepEqual(readdirSync(outside), []);
    });

    it('refuses an archive whose link points outside even when it unpacks, and keeps links that stay inside', async () => {
      symlinkSync('/', join(tree, 'root'));
      symlinkSync('ok.txt', join(tree, 'alias'));
      const archive = join(dir, 'links.tar');
      tar('-cf', archive, '-C', tree, 'ok.txt', 'alias', 'root');
      await assert.rejects(extractArchive(archive, dest), /links\.tar: refused: removed 1 symbolic link.*root → \//);
      assert.throws(() => lstatSync(join(dest, 'root')), /ENOENT/);
      assert.equal(readFileSync(join(dest, 'alias'), 'utf8'), 'fine\n');
      await assert.rejects(extractArchive(archive, dest), /refused/, 'no marker: the next run checks again');
    });

    it('refuses a zip member that climbs out', async function () {
      if (spawnSync('unzip', ['-v']).status !== 0 || spawnSync('python3', ['--version']).status !== 0) this.skip();
      const archive = join(dir, 'evil.zip');
      const made = spawnSync('python3', ['-c', `import zipfile\nz = zipfile.ZipFile(${JSON.stringify(archive)}, 'w')\nz.writestr('ok.txt', 'fine')\nz.writestr('../../evil.txt', 'x')\nz.close()`]);
      assert.equal(made.status, 0, String(made.stderr));
      await assert.rejects(extractArchive(archive, dest), refusal('../../evil.txt', /climbs out/));
      assert.deepEqual(readdirSync(dest), []);
    });
  });

  it('checks an archive already on disk against its checksum before unpacking it again', async function () {
    if (spawnSync('tar', ['--version']).status !== 0) this.skip();
    const tree = join(dir, 'tree');
    writeWav(join(tree, 'musan', 'noise', 'free-sound', 'noise-free-sound-0000.wav'), new Float32Array(1600).fill(0.1), 16000);
    const archive = join(dir, 'musan.tar.gz');
    assert.equal(spawnSync('tar', ['-czf', archive, '-C', tree, 'musan']).status, 0);
    const original = readFileSync(archive);
    server.content = original;
    const dataDir = join(dir, 'data');
    const files = [{ url: server.url(), dest: 'downloads/musan.tar.gz', extract: true }];
    await downloadCorpus('musan', { dataDir, files, log: quiet });

    // The archive on disk is replaced by another one (a bad copy, a tampered file).
    writeWav(join(tree, 'musan', 'noise', 'free-sound', 'planted.wav'), new Float32Array(1600).fill(0.1), 16000);
    const onDisk = join(dataDir, 'musan', 'downloads', 'musan.tar.gz');
    assert.equal(spawnSync('tar', ['-czf', onDisk, '-C', tree, 'musan']).status, 0);
    await assert.rejects(downloadCorpus('musan', { dataDir, files, log: quiet }), (err: unknown) => err instanceof ChecksumMismatchError && /checksums\.lock\.json; not unpacked/.test(err.message));
    assert.equal(existsSync(join(dataDir, 'musan', 'musan', 'noise', 'free-sound', 'planted.wav')), false);

    // The same bytes again (a new modification time): checked, found good, unpacked.
    writeFileSync(onDisk, original);
    assert.deepEqual((await downloadCorpus('musan', { dataDir, files, log: quiet })).extracted, ['downloads/musan.tar.gz']);
  });
});

describe('network failures name the URL and the cause', () => {
  it('a refused connection: ECONNREFUSED, not just "fetch failed"', async () => {
    const closed = new TestServer();
    await closed.start();
    const url = closed.url();
    await closed.stop();
    await assert.rejects(downloadFile({ url, dest: join(dir, 'x.bin'), retries: 0 }), (err: unknown) => {
      assert.ok(err instanceof DownloadError, String(err));
      assert.equal(err.url, url);
      assert.match(err.message, new RegExp(`^${url.replace(/[.]/g, '\\.')}: cannot connect: .*ECONNREFUSED.*\\(connection refused`));
      return true;
    });
  });

  it('no network: the host API URL and ENOTFOUND, as undici reports them in err.cause', async () => {
    const offline = (async (input: string | URL | Request) => {
      const host = new URL(String(input)).hostname;
      throw new TypeError('fetch failed', { cause: Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND', hostname: host }) });
    }) as typeof fetch;
    await assert.rejects(
      downloadCorpus('demand', { dataDir: dir, fetch: offline, log: quiet }),
      /DownloadError: https:\/\/zenodo\.org\/api\/records\/1227121: cannot connect: getaddrinfo ENOTFOUND zenodo\.org \(host not found/,
    );
  });

  it('reads the cause inside an AggregateError (one error per address tried)', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED ::1:9'), { code: 'ECONNREFUSED' });
    const err = new TypeError('fetch failed', { cause: new AggregateError([refused], '') });
    assert.match(describeNetworkError(err), /^connect ECONNREFUSED ::1:9 \(connection refused/);
  });
});
