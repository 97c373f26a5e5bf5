/**
 * Progress bars drawn in the notebook: one output per report, redrawn in place, so a long
 * training run shows one live bar instead of a scroll of log lines.
 */
import { setProgressRenderer } from '../util/index.js';
import type { Progress, ProgressSpec } from '../util/index.js';
import { escapeHtml } from '../plot/index.js';
import { displayWriter, updatableDisplay } from './writer.js';

/** Least time between two redraws: each one is a message to the front end, and ticks can come thousands per second. */
export const PROGRESS_REDRAW_MS = 200;

/** What a bar shows at one moment. */
export interface ProgressState {
  label: string;
  done: number;
  total: number;
  elapsedMs: number;
  info: string;
  finished: boolean;
}

function formatSeconds(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

function fraction(state: ProgressState): number {
  return state.total > 0 ? Math.min(1, state.done / state.total) : 1;
}

function timing(state: ProgressState): string {
  const share = fraction(state);
  const eta = !state.finished && share > 0 ? `, ETA ${formatSeconds((state.elapsedMs * (1 - share)) / share)}` : '';
  return `${formatSeconds(state.elapsedMs)}${eta}`;
}

/** The bar as HTML (inline styles only: notebook front ends keep those). */
export function progressHtml(state: ProgressState): string {
  const percent = Math.round(100 * fraction(state));
  const color = state.finished ? '#59a14f' : '#4e79a7';
  return (
    '<div style="font:13px/1.6 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;display:flex;align-items:center;gap:10px">' +
    `<span style="min-width:90px">${escapeHtml(state.label)}</span>` +
    '<span style="display:inline-block;width:260px;height:12px;background:#e6e6e6;border-radius:3px;overflow:hidden">' +
    `<span style="display:block;width:${percent}%;height:100%;background:${color}"></span></span>` +
    `<span>${percent}% | ${state.done}/${state.total} | ${timing(state)}</span>` +
    `<span style="color:#666">${escapeHtml(state.info)}</span></div>`
  );
}

/** The bar as text, for front ends that show only `text/plain`. */
export function progressText(state: ProgressState): string {
  const cells = 30;
  const filled = Math.round(cells * fraction(state));
  const bar = '#'.repeat(filled) + '-'.repeat(cells - filled);
  return `${state.label} [${bar}] ${Math.round(100 * fraction(state))}% ${state.done}/${state.total} ${timing(state)} ${state.info}`.trimEnd();
}

/**
 * A progress renderer for `setProgressRenderer` from lib/util: draws an updatable bar in the
 * current cell, redrawn at most every {@link PROGRESS_REDRAW_MS} and always on `stop()`.
 */
export function notebookProgress(spec: ProgressSpec): Progress {
  const display = updatableDisplay('notebookProgress');
  const start = Date.now();
  let done = 0;
  let info = '';
  let lastDraw = -Infinity;
  let stopped = false;
  const draw = (finished: boolean) => {
    const state: ProgressState = { label: spec.label, done, total: spec.total, elapsedMs: Date.now() - start, info, finished };
    display.show({ 'text/html': progressHtml(state), 'text/plain': progressText(state) });
    lastDraw = Date.now();
  };
  draw(false);
  return {
    tick(by = 1, status = '') {
      if (stopped) return;
      done += by;
      info = status;
      if (Date.now() - lastDraw >= PROGRESS_REDRAW_MS) draw(false);
    },
    stop() {
      if (stopped) return;
      stopped = true;
      draw(true);
    },
  };
}

/**
 * Makes every library progress report (training, TTT sweeps, corpus builds) draw as a notebook
 * bar. Throws outside a kernel. Reports stay silent while `TTT_SPEECH_PROGRESS=off`.
 */
export function useNotebookProgress(): void {
  displayWriter('useNotebookProgress');
  setProgressRenderer(notebookProgress);
}
