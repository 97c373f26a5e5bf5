// Headless Chromium (Debian's `chromium`, which .ci/run installs) for checking that pages
// draw offline: the DOM after scripts ran, and a screenshot kept under test-artifacts/.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './corpus.js';

/** Where Debian installs it. */
export const CHROMIUM = '/usr/bin/chromium';

/** Whether the browser is there (tests skip with a note when it is not). */
export function hasChromium(): boolean {
  return existsSync(CHROMIUM);
}

/** Runs headless Chromium with a fresh profile under `scratch` and returns its stdout. */
export function chromium(scratch: string, profile: string, args: string[]): string {
  const result = spawnSync(
    CHROMIUM,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--hide-scrollbars',
      `--user-data-dir=${join(scratch, profile)}`,
      '--virtual-time-budget=15000',
      ...args,
    ],
    { encoding: 'utf8', timeout: 90_000, maxBuffer: 64 * 1024 * 1024 },
  );
  if (result.status !== 0) throw new Error(`chromium exited with ${result.status}: ${result.stderr}`);
  return result.stdout;
}

/** The page's DOM after its scripts ran. */
export function renderedDom(scratch: string, page: string): string {
  return chromium(scratch, 'profile-dom', ['--dump-dom', `file://${page}`]);
}

/** Screenshots the page into test-artifacts/<name>; returns the file's size in bytes. */
export function screenshot(scratch: string, page: string, name: string, height = 3400): number {
  const artifacts = join(ROOT, 'test-artifacts');
  mkdirSync(artifacts, { recursive: true });
  const shot = join(artifacts, name);
  rmSync(shot, { force: true });
  chromium(scratch, 'profile-shot', [`--window-size=1200,${height}`, `--screenshot=${shot}`, `file://${page}`]);
  return statSync(shot).size;
}
