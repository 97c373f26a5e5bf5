/**
 * The typed side of the eSpeak NG synthesis program. eSpeak NG is GPL-3.0 and ttt-speech is
 * Apache-2.0, so eSpeak never runs in this process: `synth/espeak-synth.mjs` (a separate GPL
 * program) runs as a child process and answers JSON lines over stdin/stdout. This file only
 * spawns it and speaks its protocol.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { packageRoot } from '../util/index.js';

/** The npm package holding the eSpeak NG WebAssembly build (read by the child only). */
export const ESPEAK_PACKAGE = '@echogarden/espeak-ng-emscripten';

/** One synthesis request: a voice (eSpeak variant file), a sentence and a rate. */
export interface SynthRequest {
  /** Contents of an eSpeak NG variant file, applied on top of `en-us`. */
  variant: string;
  /** The sentence to speak. */
  text: string;
  /** Speaking rate in eSpeak words per minute (integer, 80–450). */
  rate: number;
}

/** Synthesised audio: int16 PCM at eSpeak's native rate. */
export interface SynthAudio {
  samples: Int16Array;
  sampleRate: number;
}

/** What the program writes once it is ready. */
interface ReadyMessage {
  ready: true;
  sampleRate: number;
}

/** What the program writes for each request. */
type ResponseMessage = { id: number; ok: true; samples: string } | { id: number | null; ok: false; error: string };

/** A running synthesis program. Requests are answered strictly in the order they were sent. */
export interface SynthSession {
  /** eSpeak's output rate (22 050 Hz). */
  readonly sampleRate: number;
  /** Sends a request at once (requests may be queued) and resolves with its audio. */
  synthesize(request: SynthRequest): Promise<SynthAudio>;
  /** Closes the program's input and waits for it to exit. */
  close(): Promise<void>;
}

/** The synthesis program's path inside the package. */
export function synthProgramPath(): string {
  return join(packageRoot(), 'lib', 'corpus', 'synth', 'espeak-synth.mjs');
}

/** The installed version of the eSpeak NG package (read from its package.json, never imported). */
export function espeakPackageVersion(): string {
  const requireFromRoot = createRequire(join(packageRoot(), 'package.json'));
  const file = requireFromRoot.resolve(`${ESPEAK_PACKAGE}/package.json`);
  return JSON.parse(readFileSync(file, 'utf8')).version as string;
}

function decodeSamples(base64: string): Int16Array {
  const bytes = Buffer.from(base64, 'base64');
  const samples = new Int16Array(bytes.length >> 1);
  for (let i = 0; i < samples.length; i++) samples[i] = bytes.readInt16LE(2 * i);
  return samples;
}

interface Pending {
  id: number;
  resolve: (audio: SynthAudio) => void;
  reject: (err: Error) => void;
}

/**
 * Starts one synthesis program. Each session has its own eSpeak start-up (with a pinned
 * clock), so a given sequence of requests always yields the same audio; callers that want
 * reproducible output must send the same requests in the same order to a fresh session.
 */
export async function openSynthSession(): Promise<SynthSession> {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [synthProgramPath()], {
    cwd: packageRoot(),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderrTail = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-4000);
  });
  const describeExit = (code: number | null, signal: NodeJS.Signals | null): Error =>
    new Error(`the eSpeak synthesis program exited (${signal ?? `code ${code}`})${stderrTail ? `: ${stderrTail.trim()}` : ''}`);

  const pending: Pending[] = [];
  let failure: Error | undefined;
  let nextId = 0;
  let sampleRate = 0;
  let onReady: { resolve: () => void; reject: (err: Error) => void } | undefined;
  const ready = new Promise<void>((resolve, reject) => (onReady = { resolve, reject }));

  const failAll = (err: Error) => {
    failure ??= err;
    onReady?.reject(failure);
    for (const p of pending.splice(0)) p.reject(failure);
  };
  child.on('error', (err) => failAll(new Error(`cannot start the eSpeak synthesis program: ${err.message}`)));
  child.on('exit', (code, signal) => failAll(describeExit(code, signal)));
  child.stdin.on('error', (err) => failAll(new Error(`the eSpeak synthesis program stopped reading: ${err.message}`)));

  const lines = createInterface({ input: child.stdout, crlfDelay: Infinity });
  lines.on('line', (line) => {
    let message: ReadyMessage | ResponseMessage;
    try {
      message = JSON.parse(line) as ReadyMessage | ResponseMessage;
    } catch {
      failAll(new Error(`the eSpeak synthesis program wrote a line that is not JSON: ${line.slice(0, 200)}`));
      return;
    }
    if ('ready' in message) {
      sampleRate = message.sampleRate;
      onReady?.resolve();
      return;
    }
    const head = pending.shift();
    if (!head || message.id !== head.id) {
      failAll(new Error(`the eSpeak synthesis program answered request ${message.id}, expected ${head?.id ?? 'none'}`));
      return;
    }
    if (message.ok === true) head.resolve({ samples: decodeSamples(message.samples), sampleRate });
    else head.reject(new Error(`eSpeak could not synthesise request ${head.id}: ${message.error}`));
  });

  await ready;
  return {
    sampleRate,
    synthesize(request: SynthRequest): Promise<SynthAudio> {
      if (failure) return Promise.reject(failure);
      const id = nextId++;
      return new Promise<SynthAudio>((resolve, reject) => {
        pending.push({ id, resolve, reject });
        child.stdin.write(JSON.stringify({ id, ...request }) + '\n');
      });
    },
    close(): Promise<void> {
      return new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) {
          resolve();
          return;
        }
        child.once('exit', () => resolve());
        child.stdin.end();
      });
    },
  };
}
