// Files that people name — configs, manifests, checkpoints — fail with the path first and the
// problem in words: "no such file", "is a directory", "is empty", "not valid JSON/YAML".
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readPretrainConfig } from '../lib/train/index.js';
import { readManifestCsv } from '../lib/data/index.js';
import { loadExperimentConfig } from '../lib/experiment/index.js';
import { readCheckpointConfig } from '../lib/model/index.js';
import { configFormat, describeFileError, readConfigFile } from '../lib/util/index.js';

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'ttt-files-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const EXPERIMENT_YAML = 'name: a\ntasks:\n  - task: label\n    shifts: ["gender:F->M"]\n';
const EXPERIMENT_JSON = '{ "name": "a", "tasks": [{ "task": "label", "shifts": ["gender:F->M"] }] }';

describe('file-system errors in words', () => {
  it('says "no such file", "is a directory" and "permission denied" for ENOENT, EISDIR and EACCES', () => {
    const error = (code: string) => Object.assign(new Error(`${code}: raw`), { code });
    assert.equal(describeFileError(error('ENOENT')), 'no such file');
    assert.equal(describeFileError(error('EISDIR')), 'is a directory');
    assert.equal(describeFileError(error('EACCES')), 'permission denied');
    assert.equal(describeFileError(new Error('something else')), 'something else');
  });

  it('names the path: a manifest that is missing or a folder', () => {
    assert.throws(() => readManifestCsv(join(dir, 'absent.csv')), /absent\.csv: cannot read: no such file$/);
    assert.throws(() => readManifestCsv(dir), new RegExp(`${dir}: cannot read: is a directory$`));
  });
});

describe('config files: JSON or YAML, by name or by content', () => {
  it('reads .json as JSON and .yaml/.yml as YAML', () => {
    assert.deepEqual(readConfigFile(write('a.json', '{ "x": 1 }'), 'config'), { x: 1 });
    assert.deepEqual(readConfigFile(write('a.yaml', 'x: 1\n'), 'config'), { x: 1 });
    assert.deepEqual(readConfigFile(write('a.yml', 'x: [1, 2]\n'), 'config'), { x: [1, 2] });
  });

  it('judges any other name by content: { or [ first means JSON, anything else YAML', () => {
    assert.equal(configFormat('run.conf', '  { "x": 1 }').format, 'JSON');
    assert.equal(configFormat('run.conf', '[1]').format, 'JSON');
    assert.equal(configFormat('run.conf', '# comment\nx: 1').format, 'YAML');
    assert.deepEqual(readConfigFile(write('run.conf', 'x: 1\n'), 'config'), { x: 1 });
    assert.deepEqual(readConfigFile(write('run.txt', '{ "x": 1 }'), 'config'), { x: 1 });
  });

  it('names the format it tried in a parse error, and why it chose it', () => {
    assert.throws(() => readConfigFile(write('broken.txt', '{ "x": 1, '), 'config'), /broken\.txt: not valid JSON \(read as JSON .*starts with '\{'\)/);
    assert.throws(() => readConfigFile(write('broken.cfg', 'x: [1, 2\n'), 'config'), /broken\.cfg: not valid YAML \(read as YAML .*does not start with/);
    assert.throws(() => readConfigFile(write('broken.json', 'x: 1'), 'config'), /broken\.json: not valid JSON \(read as JSON by its \.json name\)/);
  });

  it('says a file is empty, or holds only comments', () => {
    assert.throws(() => readConfigFile(write('empty.yaml', '\n  \n'), 'experiment config'), /empty\.yaml: the experiment config is empty$/);
    assert.throws(() => readConfigFile(write('comments.yaml', '# nothing yet\n'), 'config'), /comments\.yaml: the config is empty \(it holds only comments\)/);
  });

  it('says a config path is missing or a folder', () => {
    assert.throws(() => readConfigFile(join(dir, 'missing.yaml'), 'config'), /missing\.yaml: cannot read the config: no such file$/);
    mkdirSync(join(dir, 'folder.json'));
    assert.throws(() => readConfigFile(join(dir, 'folder.json'), 'config'), /folder\.json: cannot read the config: is a directory$/);
  });
});

describe('experiment and pretrain configs use the same reader', () => {
  it('an experiment config in JSON under another name, and in YAML', () => {
    assert.equal(loadExperimentConfig(write('exp.config', EXPERIMENT_JSON)).name, 'a');
    assert.equal(loadExperimentConfig(write('exp.conf', EXPERIMENT_YAML)).name, 'a');
    assert.throws(() => loadExperimentConfig(write('exp.cfg', EXPERIMENT_JSON.slice(0, -3))), /exp\.cfg: not valid JSON/);
    assert.throws(() => loadExperimentConfig(write('blank.yaml', '')), /blank\.yaml: the experiment config is empty/);
  });

  it('a pretrain config in JSON or YAML; errors name the file and the format', () => {
    assert.deepEqual(readPretrainConfig(write('pre.json', '{ "seed": 3 }')).seed, 3);
    assert.deepEqual(readPretrainConfig(write('pre.yaml', 'seed: 4\n')).seed, 4);
    assert.deepEqual(readPretrainConfig(write('pre.txt', '{ "seed": 5 }')).seed, 5);
    assert.throws(() => readPretrainConfig(write('bad.txt', '{ "seed": ')), /bad\.txt: not valid JSON \(read as JSON/);
    assert.throws(() => readPretrainConfig(write('bad.yaml', 'seed: [')), /bad\.yaml: not valid YAML/);
    assert.throws(() => readPretrainConfig(write('blank.json', ' \n')), /blank\.json: the pretrain config is empty/);
    assert.throws(() => readPretrainConfig(join(dir, 'none.json')), /none\.json: cannot read the pretrain config: no such file/);
    assert.throws(() => readPretrainConfig(write('typed.json', '{ "seed": "x" }')), /typed\.json: seed:/);
  });
});

describe('checkpoint files', () => {
  it('a config.json that is not valid JSON is named in the error', () => {
    const checkpoint = join(dir, 'ckpt');
    mkdirSync(checkpoint);
    writeFileSync(join(checkpoint, 'config.json'), '{ "format": "ttt-speech-checkpoint", ');
    assert.throws(() => readCheckpointConfig(checkpoint), new RegExp(`${join(checkpoint, 'config.json')}: the checkpoint config is not valid JSON`));
  });

  it('an empty config.json and a config.json that is a folder are named too', () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    writeFileSync(join(empty, 'config.json'), '');
    assert.throws(() => readCheckpointConfig(empty), /empty\/config\.json: the checkpoint config is empty/);
    const folder = join(dir, 'folder');
    mkdirSync(join(folder, 'config.json'), { recursive: true });
    assert.throws(() => readCheckpointConfig(folder), /folder\/config\.json: cannot read the checkpoint config: is a directory/);
  });
});
