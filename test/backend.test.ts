import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { ensureBackend, currentBackend } from '../lib/backend/index.js';

describe('backend chooser', () => {
  it('sets a working backend and reports the same choice on every call', async () => {
    const first = await ensureBackend();
    const second = await ensureBackend();
    assert.equal(first, second);
    assert.equal(tf.getBackend(), first.name);
    assert.equal(currentBackend(), first);
    assert.match(first.tfjsCoreVersion, /^4\./);
    const sum = tf.tidy(() => tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4])).arraySync());
    assert.deepEqual(sum, [4, 6]);
  });

  it('prefers a native, GPU or wasm backend over the pure-JS cpu backend when one loads', async () => {
    const info = await ensureBackend();
    if (info.name === 'cpu') {
      assert.ok(info.skipped.some((s) => s.name === '@tensorflow/tfjs-backend-wasm'), 'cpu chosen without trying wasm');
    } else {
      assert.ok(['tensorflow', 'webgpu', 'wasm'].includes(info.name));
    }
    // An adapter is reported exactly when the backend is webgpu; a software one only when webgpu was asked for.
    assert.equal(info.adapter !== null, info.name === 'webgpu');
    if (info.adapter?.software) assert.match(info.reason, /requested/);
    if (info.name !== 'webgpu' && !process.env.TTT_SPEECH_BACKEND) {
      // The test set-up does not declare asynchronous reads, so webgpu is passed over, with the reason.
      const webgpu = info.skipped.find((s) => s.name === '@tensorflow/tfjs-backend-webgpu');
      assert.ok(webgpu, 'webgpu is missing from the backends tried before wasm');
      if (info.name === 'wasm') assert.match(webgpu.why, /synchronously/);
    }
  });

  it('explains a bad TTT_SPEECH_BACKEND value in a child process', async () => {
    const { spawnSync } = await import('node:child_process');
    const script = "import('./lib/backend/index.ts').then(m => m.ensureBackend()).catch(e => { console.error(e.message); process.exit(3); })";
    const run = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], {
      env: { ...process.env, TTT_SPEECH_BACKEND: 'gpu-please' },
      encoding: 'utf8',
    });
    assert.equal(run.status, 3, run.stderr);
    assert.match(run.stderr, /TTT_SPEECH_BACKEND=gpu-please is not a backend/);
  });
});
