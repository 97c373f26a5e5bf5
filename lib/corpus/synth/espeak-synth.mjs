// SPDX-License-Identifier: GPL-3.0-or-later
//
// espeak-synth: speech synthesis for the ttt-speech offline corpus with eSpeak NG
// (@echogarden/espeak-ng-emscripten, GPL-3.0). This is a separate GPL program: ttt-speech
// (Apache-2.0) never loads eSpeak NG into its own process; lib/corpus runs this file as a
// child process and talks to it over stdin/stdout. The audio it produces is data, not code.
//
// Copyright (C) the ttt-speech authors.
// This program is free software: you can redistribute it and/or modify it under the terms of
// the GNU General Public License as published by the Free Software Foundation, either version
// 3 of the License, or (at your option) any later version. It is distributed WITHOUT ANY
// WARRANTY; see <https://www.gnu.org/licenses/>.
//
// Protocol: JSON lines. On start-up it writes
//   {"ready":true,"sampleRate":22050}
// then, for each request line {"id":N,"variant":"<eSpeak variant file>","text":"...","rate":WPM}
// (handled strictly in arrival order), one line
//   {"id":N,"ok":true,"samples":"<base64 of little-endian int16 PCM at sampleRate>"}
// or {"id":N,"ok":false,"error":"..."}. It exits when stdin closes.
//
// Determinism: eSpeak seeds rand() (breath and aspiration noise) from the clock at start-up,
// so the clock is pinned while the module and the worker start; the rand() state then carries
// from one request to the next, so the same request sequence gives the same audio.

import { createInterface } from 'node:readline';

const protocolOut = process.stdout;
// Anything the module prints must not corrupt the protocol stream.
console.log = (...args) => process.stderr.write(args.join(' ') + '\n');

const VARIANT_DIR = '/usr/share/espeak-ng-data/voices/!v';

async function startEspeak() {
  const realNow = Date.now;
  Date.now = () => 0;
  try {
    const { default: Init } = await import('@echogarden/espeak-ng-emscripten');
    const module = await Init({
      print: (text) => process.stderr.write(`${text}\n`),
      printErr: (text) => process.stderr.write(`${text}\n`),
    });
    const worker = new module.eSpeakNGWorker();
    return { module, worker };
  } finally {
    Date.now = realNow;
  }
}

function send(message) {
  protocolOut.write(JSON.stringify(message) + '\n');
}

function checkRequest(request) {
  if (!Number.isInteger(request.id)) throw new Error('id must be an integer');
  if (typeof request.variant !== 'string' || typeof request.text !== 'string') throw new Error('variant and text must be strings');
  // eSpeak ignores a line with a malformed number without a word: refuse it here instead.
  if (/NaN|Infinity|undefined/.test(request.variant)) throw new Error('the variant file holds a non-number');
  if (!Number.isInteger(request.rate) || request.rate < 80 || request.rate > 450) throw new Error(`rate ${request.rate} is not an integer in [80, 450]`);
}

function synthesize({ module, worker }, request, serial) {
  const name = `ttt-speech-${serial}`;
  const file = `${VARIANT_DIR}/${name}`;
  module.FS.writeFile(file, request.variant);
  try {
    if (worker.set_voice(`en-us+${name}`) !== 0) throw new Error(`eSpeak refused the voice en-us+${name}`);
    worker.set_rate(request.rate);
    worker.set_pitch(50);
    worker.set_range(50);
    const chunks = [];
    worker.synthesize(request.text, (samples) => {
      if (samples && samples.length) chunks.push(Int16Array.from(samples));
      return false;
    });
    const total = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
    const out = new Int16Array(total);
    let at = 0;
    for (const chunk of chunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  } finally {
    module.FS.unlink(file);
  }
}

function toBase64LittleEndian(samples) {
  const bytes = Buffer.alloc(samples.length * 2);
  for (let i = 0; i < samples.length; i++) bytes.writeInt16LE(samples[i], 2 * i);
  return bytes.toString('base64');
}

const espeak = await startEspeak();
send({ ready: true, sampleRate: espeak.worker.get_samplerate() });

let serial = 0;
for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  if (!line.trim()) continue;
  let id = null;
  try {
    const request = JSON.parse(line);
    id = Number.isInteger(request?.id) ? request.id : null;
    checkRequest(request);
    const samples = synthesize(espeak, request, serial++);
    send({ id, ok: true, samples: toBase64LittleEndian(samples) });
  } catch (err) {
    send({ id, ok: false, error: err instanceof Error ? err.message : String(err) });
  }
}
