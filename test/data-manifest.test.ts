import { tableHtml } from '../lib/plot/index.js';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ensureBackend } from '../lib/backend/index.js';
import {
  ManifestError,
  fromDataFrame,
  loadDanfo,
  makeRow,
  parseManifestCsv,
  readManifestCsv,
  rebasePaths,
  resolveClipPath,
  toDataFrame,
  writeManifestCsv,
} from '../lib/data/index.js';
import type { ManifestRow } from '../lib/data/index.js';

const rows: ManifestRow[] = [
  makeRow({ path: 'wav/a.wav', speaker: 'p225', gender: 'F', age: 23, label: 'p225', duration_s: 1.25, corpus: 'vctk', extra: { utt: '001', text: 'Please call "Stella", ask her.' } }),
  makeRow({ path: '/abs/b.wav', speaker: 'p226', gender: 'M', age: null, age_group: 'young', label: 'p226', corpus: 'vctk', split: 'test', extra: { utt: '002' } }),
  makeRow({ path: 'noise/c.wav', label: 'babble', corpus: 'musan', extra: { source: 'free-sound' } }),
];

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'ttt-data-'));
}

describe('manifest CSV', () => {
  let dir: string;
  beforeEach(() => (dir = tempDir()));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('round-trips rows, nulls, quotes and extra columns exactly', () => {
    const file = join(dir, 'manifest.csv');
    writeManifestCsv(file, rows);
    const header = readFileSync(file, 'utf8').split('\n')[0];
    assert.equal(header, 'path,speaker,gender,age,age_group,label,duration_s,corpus,split,utt,text,source');
    const back = readManifestCsv(file);
    // A CSV has every column on every line, so extras missing from a row come back empty.
    assert.deepEqual(back[0], { ...rows[0], extra: { ...rows[0].extra, source: '' } });
    assert.deepEqual(back[1], { ...rows[1], extra: { utt: '002', text: '', source: '' } });
    assert.equal(back[2].age, null);
    assert.equal(back[2].gender, '');
  });

  it('writes atomically: no temporary file is left beside the manifest', () => {
    writeManifestCsv(join(dir, 'm.csv'), rows);
    assert.deepEqual(readdirSync(dir), ['m.csv']);
  });

  it('reads a manifest without the optional columns (as the generated corpus writes it)', () => {
    const text = 'path,speaker,gender,age_group,age,label,utt,role,duration_s\nclips/s01_000.wav,s01,F,young,27,neutral,0,task,2.31\n';
    const [row] = parseManifestCsv(text, 'corpus.csv');
    assert.equal(row.corpus, '');
    assert.equal(row.split, '');
    assert.equal(row.age, 27);
    assert.equal(row.duration_s, 2.31);
    assert.deepEqual(row.extra, { utt: '0', role: 'task' });
  });

  it('names the file, row and column of a bad cell', () => {
    const text = 'path,speaker,gender,age,label\na.wav,s1,F,30,x\nb.wav,s2,female,31,y\n';
    assert.throws(
      () => parseManifestCsv(text, 'bad.csv'),
      (err: unknown) => err instanceof ManifestError && err.file === 'bad.csv' && err.row === 2 && err.column === 'gender' && /bad\.csv: row 2, column 'gender'/.test(err.message),
    );
    assert.throws(() => parseManifestCsv('path,speaker,age,label\na.wav,s,old,x\n', 'ages.csv'), /ages\.csv: row 1, column 'age': expected an age/);
    assert.throws(() => parseManifestCsv('path,speaker,label\n,s,x\n', 'p.csv'), /row 1, column 'path': the path must not be empty/);
  });

  it('quotes the bad value in the error', () => {
    assert.throws(() => parseManifestCsv('path,speaker,gender,label\na.wav,s1,female,x\n', 'g.csv'), /g\.csv: row 1, column 'gender': .*, got "female"$/);
  });

  it('names a missing required column and a duplicated one', () => {
    assert.throws(() => parseManifestCsv('path,speaker\na.wav,s\n', 'm.csv'), /m\.csv: row 0, column 'label': missing/);
    // A corpus with its own columns asks for them, and hears which one is missing.
    assert.throws(() => parseManifestCsv('path,speaker,label,utt\na.wav,s,x,1\n', 'm.csv', { requiredColumns: ['utt', 'role'] }), /m\.csv: row 0, column 'role': missing/);
    assert.equal(parseManifestCsv('path,speaker,label,utt\na.wav,s,x,1\n', 'm.csv', { requiredColumns: ['utt'] })[0].extra.utt, '1');
    assert.throws(() => parseManifestCsv('path,speaker,label,label\na,b,c,d\n', 'm.csv'), /column 'label': appears twice/);
  });

  it('refuses to write an invalid row, naming it', () => {
    const bad = { ...rows[0], duration_s: -1 };
    assert.throws(() => writeManifestCsv(join(dir, 'x.csv'), [rows[1], bad]), /x\.csv: row 2, column 'duration_s'/);
    assert.equal(existsSync(join(dir, 'x.csv')), false);
    const clash = { ...rows[0], extra: { label: 'oops' } };
    assert.throws(() => writeManifestCsv(join(dir, 'y.csv'), [clash]), /extra column 'label' clashes/);
  });

  it('resolves relative paths against a root and rebases them between roots', () => {
    assert.equal(resolveClipPath(rows[0], '/data/vctk'), '/data/vctk/wav/a.wav');
    assert.equal(resolveClipPath(rows[1], '/data/vctk'), '/abs/b.wav');
    const rebased = rebasePaths(rows, '/data/vctk/VCTK-Corpus', '/data/vctk');
    assert.equal(rebased[0].path, 'VCTK-Corpus/wav/a.wav');
    assert.equal(rebased[1].path, '/abs/b.wav');
    assert.equal(rebasePaths(rows, '/elsewhere', '/data/vctk')[0].path, '/elsewhere/wav/a.wav');
  });
});

describe('manifest DataFrames (danfo.js)', () => {
  it('installs exactly one copy of @tensorflow/tfjs-core', () => {
    const found: string[] = [];
    const walk = (dir: string, depth: number): void => {
      if (depth > 8 || !existsSync(dir)) return;
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (!entry.isDirectory()) continue;
        const path = join(dir, entry.name);
        if (entry.name === 'node_modules' || entry.name.startsWith('@')) walk(path, depth + 1);
        else if (dir.endsWith('node_modules') || dir.includes(`node_modules${sep}@`)) {
          const pkg = join(path, 'package.json');
          if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).name === '@tensorflow/tfjs-core') found.push(path);
          walk(join(path, 'node_modules'), depth + 1);
        }
      }
    };
    walk(join(process.cwd(), 'node_modules'), 0);
    assert.deepEqual(found, [join(process.cwd(), 'node_modules', '@tensorflow', 'tfjs-core')]);
    const list = spawnSync('npm', ['ls', '@tensorflow/tfjs-core', '--all', '--json'], { encoding: 'utf8', shell: process.platform === 'win32' });
    const versions = new Set<string>();
    const collect = (node: { version?: string; dependencies?: Record<string, unknown> }, name?: string): void => {
      if (name === '@tensorflow/tfjs-core' && node.version) versions.add(node.version);
      for (const [child, value] of Object.entries(node.dependencies ?? {})) collect(value as typeof node, child);
    };
    collect(JSON.parse(list.stdout));
    assert.deepEqual([...versions], ['4.22.0']);
  });

  it('importing danfojs-node leaves the backend lib/backend chose', async () => {
    const info = await ensureBackend();
    const before = tf.getBackend();
    const dfd = await loadDanfo();
    const df = new dfd.DataFrame({ x: [1, 2, 3] });
    assert.deepEqual(df.shape, [3, 1]);
    assert.equal(tf.getBackend(), before);
    assert.equal(tf.getBackend(), info.name);
    assert.equal(dfd.tensorflow.version_core, tf.version_core);
  });

  it('importing danfojs-node first does not change which backend is chosen (fresh process)', () => {
    const script = (withDanfo: boolean) =>
      `${withDanfo ? "await import('danfojs-node');" : ''}` +
      "const b = await import('./lib/backend/index.ts'); const info = await b.ensureBackend({ log: () => {} });" +
      "const tf = await import('@tensorflow/tfjs'); console.log(JSON.stringify([info.name, tf.getBackend()]));";
    const run = (withDanfo: boolean) => {
      const out = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script(withDanfo)], { encoding: 'utf8' });
      assert.equal(out.status, 0, out.stderr);
      return JSON.parse(out.stdout.trim().split('\n').pop()!) as [string, string];
    };
    const plain = run(false);
    const afterDanfo = run(true);
    assert.deepEqual(afterDanfo, plain);
    assert.equal(plain[0], plain[1]);
  });

  it('converts rows to a DataFrame and back without loss', async () => {
    const df = await toDataFrame(rows);
    assert.deepEqual(df.columns, ['path', 'speaker', 'gender', 'age', 'age_group', 'label', 'duration_s', 'corpus', 'split', 'utt', 'text', 'source']);
    assert.equal(df.dtypes[df.columns.indexOf('split')], 'string');
    const back = fromDataFrame(df);
    assert.deepEqual(back[0], { ...rows[0], extra: { ...rows[0].extra, source: '' } });
    assert.equal(back[1].age, null);
    assert.deepEqual(back[2].extra, { utt: '', text: '', source: 'free-sound' });
  });

  it('keeps working after a danfo query', async () => {
    const df = await toDataFrame(rows);
    const vctk = df.query(df['corpus'].eq('vctk'));
    const back = fromDataFrame(vctk);
    assert.deepEqual(back.map((r) => r.speaker), ['p225', 'p226']);
  });

  it('converts an empty manifest', async () => {
    const df = await toDataFrame([]);
    assert.deepEqual(fromDataFrame(df), []);
  });
});

describe('tables of manifests (lib/plot tableHtml)', () => {
  const frame = {
    columns: ['name', 'score', 'n'],
    values: [
      ['<b>&"x"', 0.123456789, 3],
      ['plain', null, 4],
      ['third', Number.NaN, 5],
    ],
  };

  it('escapes cells and headers, rounds numbers and right-aligns them', () => {
    const html = tableHtml({ columns: ['a<b', ...frame.columns.slice(1)], values: frame.values });
    assert.match(html, /<th>a&lt;b<\/th>/);
    assert.match(html, /<td>&lt;b&gt;&amp;&quot;x&quot;<\/td>/);
    assert.match(html, /<td style="text-align:right">0\.1235<\/td>/);
    assert.match(html, /<td style="text-align:right">3<\/td>/);
    assert.doesNotMatch(html, /NaN|null/);
  });

  it('cuts long tables with a "… N more rows" line', () => {
    const html = tableHtml(frame, { maxRows: 1, digits: 2 });
    assert.equal((html.match(/<tr>/g) ?? []).length, 3); // header, one row, the note
    assert.match(html, /… 2 more rows/);
    assert.match(html, />0\.12</);
    assert.doesNotMatch(tableHtml(frame, { maxRows: 3 }), /more row/);
    assert.match(tableHtml(frame, { maxRows: 2 }), /… 1 more row</);
  });

  it('renders a danfo DataFrame of a manifest', async () => {
    const html = tableHtml(await toDataFrame(rows), { maxRows: 2, caption: 'VCTK & MUSAN' });
    assert.match(html, /<caption>VCTK &amp; MUSAN<\/caption>/);
    assert.match(html, /&quot;Stella&quot;/);
    assert.match(html, /… 1 more row</);
  });
});
