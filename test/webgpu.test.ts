import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { formatAdapter, isSoftwareAdapter, type GpuAdapterInfo } from '../lib/backend/index.js';
import { createModel, disposeModel } from '../lib/model/index.js';
import { createPassContext, encoderGroup, readResults, type TttRow } from '../lib/ttt/index.js';
import { resolveExperimentConfig, runExperiment } from '../lib/experiment/index.js';
import { relativeError } from './helpers/compare.js';
import { FULL_CORPUS_DIR, ROOT, fullCorpus } from './helpers/corpus.js';
import { kernelsPerStep, parityProbe, syncRunnerTraces, type ParityResult } from './helpers/gpu-parity.js';
import { MICRO } from './helpers/models.js';

/**
 * Relative error allowed between WebGPU (Mesa's llvmpipe through OpenGL ES) and wasm, as
 * max |a − b| / max |b| per tensor. Both compute in float32 with different summation orders;
 * rounding through the micro model's ~10 layers measured ≤ 1e-6 (loss 1.6e-7, worst gradient
 * 8e-7); a wrong kernel gives errors of order 1. 1e-4 leaves two orders of margin.
 */
const TOLERANCE = 1e-4;

/** BitFit steps on WebGPU over which the tensor count must not move. */
const LEAK_STEPS = 200;

/** Set (as `.ci/run` does) to fail instead of skipping when no WebGPU adapter can be had. */
const REQUIRE_ENV = 'TTT_SPEECH_REQUIRE_WEBGPU';

/** Runs the parity probe in a child process on the webgpu backend (Mesa's software renderer when there is no GPU). */
function probeOnWebGpu(): (ParityResult & { adapter: GpuAdapterInfo }) | { skipped: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ttt-webgpu-'));
  try {
    const out = join(dir, 'result.json');
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'test/helpers/gpu-parity-child.ts', out, String(LEAK_STEPS)], {
      env: { ...process.env, TTT_SPEECH_BACKEND: 'webgpu', EGL_PLATFORM: process.env.EGL_PLATFORM ?? 'surfaceless', XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? tmpdir() },
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(run.status, 0, `the webgpu child failed (status ${run.status}, signal ${run.signal}):\n${run.stderr.slice(-3000)}`);
    return JSON.parse(readFileSync(out, 'utf8'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('WebGPU backend', () => {
  it('recognises software adapters by name and formats an adapter for the log', () => {
    const mesa = { vendor: '', architecture: '', device: 'llvmpipe-llvm-15-0-6-256-bits-', description: 'OpenGL ES 3.2 Mesa 22.3.6' };
    assert.equal(isSoftwareAdapter(mesa), true);
    assert.equal(isSoftwareAdapter({ vendor: 'google', architecture: '', device: 'SwiftShader Device (Subzero)', description: '' }), true);
    assert.equal(isSoftwareAdapter({ vendor: 'nvidia', architecture: 'hopper', device: 'NVIDIA H200', description: 'NVIDIA: 550.54' }), false);
    assert.equal(isSoftwareAdapter({ vendor: 'nvidia', architecture: '', device: '', description: '' }, true), true);
    const line = formatAdapter({ ...mesa, software: true, dawnFlags: ['backend=opengles'], featureLevel: 'compatibility' });
    assert.match(line, /llvmpipe.*Mesa 22\.3\.6.*software renderer.*backend=opengles.*compatibility/);
  });

  it('names the reason when webgpu is requested and no adapter can be had', () => {
    // EGL told to use X11 with no display: neither Vulkan (no driver here) nor OpenGL ES finds an adapter.
    const script = "import('./lib/backend/index.ts').then(m => m.ensureBackend()).then(() => process.exit(0), e => { console.error(e.message); process.exit(3); })";
    const run = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], {
      env: { ...process.env, TTT_SPEECH_BACKEND: 'webgpu', EGL_PLATFORM: 'x11', DISPLAY: '' },
      encoding: 'utf8',
    });
    if (run.status === 0) return; // a hardware GPU answered: nothing to explain on this machine
    assert.equal(run.status, 3, run.stderr);
    assert.match(run.stderr, /TTT_SPEECH_BACKEND=webgpu was requested but could not be loaded .*no WebGPU adapter: .*found no/);
  });

  it('the GPU layout issues the same kernels per TTT step at B = 1 and B = 8 (cpu backend, in process)', async function () {
    // The cpu backend takes the layout GPUs take (batched attention, gather, transpose flags), so the count needs no GPU.
    const previous = tf.getBackend();
    await tf.setBackend('cpu');
    try {
      const model = createModel(MICRO, 3);
      const context = createPassContext(model, encoderGroup(model, 'bias'));
      try {
        const one = await kernelsPerStep(model, context, 1);
        const eight = await kernelsPerStep(model, context, 8);
        assert.ok(one > 100, `only ${one} kernels in a TTT step: the profile missed the step`);
        assert.equal(eight, one, `kernels per batched-BitFit step: ${one} at B = 1, ${eight} at B = 8`);
      } finally {
        context.frozen.dispose();
        disposeModel(model);
      }
    } finally {
      await tf.setBackend(previous);
    }
  });

  it('matches wasm on the software renderer: loss, every gradient, batched vs per-sample BitFit, kernels, uploads, checkpoint, no leak', async function () {
    this.timeout(180_000);
    const gpu = probeOnWebGpu();
    if ('skipped' in gpu) {
      if (process.env[REQUIRE_ENV]) assert.fail(`${REQUIRE_ENV} is set but no WebGPU adapter could be had: ${gpu.skipped}`);
      console.log(`      (skipped: no WebGPU adapter: ${gpu.skipped})`);
      this.skip();
    }
    assert.equal(gpu.backend, 'webgpu');
    assert.ok(gpu.adapter && typeof gpu.adapter.device === 'string', 'the child reported no adapter');
    const wasm = await parityProbe(2);
    assert.equal(wasm.backend, tf.getBackend());
    // On wasm the asynchronous runners give exactly what the synchronous ones give.
    const sync = syncRunnerTraces();
    assert.deepEqual(wasm.runners, sync);

    const lossError = Math.abs(gpu.loss - wasm.loss) / Math.abs(wasm.loss);
    assert.ok(lossError <= TOLERANCE, `MAE loss: webgpu ${gpu.loss}, ${wasm.backend} ${wasm.loss}`);
    assert.deepEqual(Object.keys(gpu.grads).sort(), Object.keys(wasm.grads).sort());
    let worst = { name: '', error: 0 };
    for (const [name, expected] of Object.entries(wasm.grads)) {
      const error = relativeError(gpu.grads[name], expected);
      if (error > worst.error) worst = { name, error };
    }
    assert.ok(worst.error <= TOLERANCE, `gradient of ${worst.name}: relative error ${worst.error}`);

    // One batched-BitFit step equals the per-clip steps, on the GPU itself and against wasm.
    assert.ok(relativeError(gpu.bitfitBatched.losses, gpu.bitfitPerSample.losses) <= TOLERANCE, 'batched and per-clip BitFit losses differ');
    for (const [name, expected] of Object.entries(gpu.bitfitPerSample.biases)) {
      assert.ok(relativeError(gpu.bitfitBatched.biases[name], expected) <= TOLERANCE, `${name} after one batched BitFit step differs from the per-clip step`);
      assert.ok(relativeError(gpu.bitfitBatched.biases[name], wasm.bitfitBatched.biases[name]) <= TOLERANCE, `${name} after one BitFit step: webgpu differs from wasm`);
    }

    assert.equal(gpu.kernels.B8, gpu.kernels.B1, `kernels per step on webgpu: ${gpu.kernels.B1} at B = 1, ${gpu.kernels.B8} at B = 8`);
    // Uploads are the step's data (mask plan indices, the mask): constants are cached, so their number does not grow either.
    assert.equal(gpu.uploads.B8, gpu.uploads.B1, `uploads per step on webgpu: ${gpu.uploads.B1} at B = 1, ${gpu.uploads.B8} at B = 8`);
    assert.ok(gpu.uploads.B1 <= 10, `${gpu.uploads.B1} uploads per BitFit step: a constant or a ones() gradient is uploaded again`);
    assert.deepEqual(gpu.checkpoint.mismatched, [], 'parameters that changed through a checkpoint saved and loaded on webgpu');
    assert.equal(gpu.checkpoint.tensors, Object.keys(wasm.grads).length);
    // The TTT runners, reading asynchronously on the GPU, follow the same trajectory as on wasm.
    const steps = (traces: { loss: number; logits: number[] }[][]) => traces.flat();
    const gpuSteps = [...steps(gpu.runners.bitfit), ...gpu.runners.perSample];
    const wasmSteps = [...steps(wasm.runners.bitfit), ...wasm.runners.perSample];
    assert.equal(gpuSteps.length, wasmSteps.length);
    assert.ok(relativeError(gpuSteps.map((s) => s.loss), wasmSteps.map((s) => s.loss)) <= TOLERANCE, 'TTT runner losses differ from wasm');
    assert.ok(relativeError(gpuSteps.flatMap((s) => s.logits), wasmSteps.flatMap((s) => s.logits)) <= TOLERANCE, 'TTT runner logits differ from wasm');

    assert.equal(gpu.leak.steps, LEAK_STEPS);
    assert.equal(gpu.leak.after, gpu.leak.before, `tensors before and after ${LEAK_STEPS} steps on webgpu`);
    console.log(
      `      webgpu on ${formatAdapter(gpu.adapter)}: loss error ${lossError.toExponential(1)}, worst gradient ${worst.error.toExponential(1)} (${worst.name}), ` +
        `${gpu.kernels.B1} kernels and ${gpu.uploads.B1} uploads per step at B = 1 and 8, ${gpu.msPerStep.toFixed(0)} ms per BitFit step at B = 2`,
    );
  });

  it('runs an experiment to the end (ridge head, no-ttt, ttt-all, batched BitFit) with the summary of a wasm run', async function () {
    this.timeout(600_000);
    await fullCorpus();
    const dir = mkdtempSync(join(tmpdir(), 'ttt-webgpu-run-'));
    try {
      const config = {
        name: 'webgpu-run',
        corpus: { offline: { preset: 'full', seed: 1, dir: FULL_CORPUS_DIR } },
        checkpoint: join(ROOT, 'models', 'mae-tiny'),
        tasks: [{ task: 'label', shifts: ['noise:white@5dB'], maxTest: 2, maxTrain: 12 }],
        methods: [{ name: 'no-ttt' }, { name: 'ttt-all', group: 'all' }, { name: 'ttt-bitfit-B2', group: 'bias', batch: 2 }],
        ttt: { steps: 1 },
        head: { kind: 'ridge' },
        seed: 0,
      };
      const path = join(dir, 'config.json');
      writeFileSync(path, JSON.stringify(config));
      const run = spawnSync(process.execPath, ['bin/ttt-speech.mjs', 'run', path, '--out', join(dir, 'webgpu')], {
        env: { ...process.env, TTT_SPEECH_BACKEND: 'webgpu', TTT_SPEECH_PROGRESS: 'off', EGL_PLATFORM: process.env.EGL_PLATFORM ?? 'surfaceless', XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? tmpdir() },
        encoding: 'utf8',
        timeout: 540_000,
      });
      if (run.status !== 0 && /no WebGPU adapter|could not be loaded/.test(run.stderr)) {
        if (process.env[REQUIRE_ENV]) assert.fail(`${REQUIRE_ENV} is set but no WebGPU adapter could be had: ${run.stderr.slice(-500)}`);
        this.skip();
      }
      assert.equal(run.status, 0, `the webgpu run failed (status ${run.status}, signal ${run.signal}):\n${run.stderr.slice(-3000)}`);
      const wasm = await runExperiment(resolveExperimentConfig(config), { out: join(dir, 'wasm') });
      const recorded = JSON.parse(readFileSync(join(dir, 'webgpu', 'config.json'), 'utf8')) as { backend?: string; diagnostics?: string };
      assert.equal(recorded.backend, 'webgpu');
      assert.match(recorded.diagnostics ?? '', /not recorded/);
      const outcome = (r: TttRow) => `${r.condition}|${r.method}|${r.clip}|${r.step}|${r.predicted}`;
      const gpuRows = readResults(join(dir, 'webgpu', 'results.csv'));
      const wasmRows = readResults(join(dir, 'wasm', 'results.csv'));
      assert.equal(gpuRows.length, wasmRows.length);
      assert.equal(gpuRows.length, 2 * (1 + 2 + 2));
      // Float32 sums in another order may flip a near-tie: allow one clip per condition, as the summary comparison does.
      const differing = gpuRows.map(outcome).filter((key) => !wasmRows.map(outcome).includes(key));
      assert.ok(differing.length <= 1, `rows that differ from wasm: ${differing.join(', ')}`);
      for (const row of gpuRows) {
        const twin = wasmRows.find((w) => w.method === row.method && w.clip === row.clip && w.step === row.step)!;
        assert.ok(Math.abs(row.loss - twin.loss) <= 1e-3 * Math.abs(twin.loss) || !Number.isFinite(twin.loss), `${row.method} ${row.clip} step ${row.step}: loss ${row.loss} on webgpu, ${twin.loss} on wasm`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
