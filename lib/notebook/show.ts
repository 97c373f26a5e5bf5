/**
 * Rich output in tslab notebooks: plotly figures, audio players, images, tables, Markdown.
 * Each function sends one output; outside a kernel each throws {@link NotInKernelError}.
 */
import { Buffer } from 'node:buffer';
import { encodeWav } from '../audio/index.js';
import { escapeHtml, figureHtml, matrixToPng, plotlyScriptTag, tableHtml } from '../plot/index.js';
import type { Figure, FigureHtmlOptions, MatrixInput, PngOptions, TableInput, TableOptions } from '../plot/index.js';
import { displayBundle, displayDestination, displayWriter } from './writer.js';

/** The MIME type JupyterLab's plotly renderer (the `jupyterlab-plotly` extension) draws. */
export const PLOTLY_MIME = 'application/vnd.plotly.v1+json';

// Kept on globalThis so that the loader is sent once per kernel even if this module is
// evaluated again (a notebook re-importing an edited library).
const LOADED = Symbol.for('ttt-speech.notebook.plotly-loaded');
type LoaderState = { [LOADED]?: number };

/**
 * Sends plotly.js itself as an HTML output, so later figures draw with no network access.
 * {@link showFigure} calls this before its first figure; call it with `force` to send it again
 * (e.g. after clearing all outputs and reloading the page, which drops `window.Plotly`).
 */
export function loadPlotly(options: { force?: boolean } = {}): void {
  const state = globalThis as LoaderState;
  if (!options.force && state[LOADED] === displayDestination()) return;
  displayBundle({ 'text/html': plotlyScriptTag(), 'text/plain': '<plotly.js loaded>' }, 'loadPlotly');
  state[LOADED] = displayDestination();
}

/**
 * The MIME bundle of one figure: plotly JSON (drawn by JupyterLab when `jupyterlab-plotly` is
 * installed, even in untrusted notebooks), HTML (drawn by the classic notebook, trusted Lab and
 * nbconvert's HTML export) and plain text (everything else).
 */
export function figureBundle(figure: Figure, options: FigureHtmlOptions = {}): Record<string, unknown> {
  return {
    [PLOTLY_MIME]: { data: figure.data, layout: figure.layout, config: figure.config },
    'text/html': figureHtml(figure, options),
    'text/plain': `<Figure: ${figure.layout.title.text}>`,
  };
}

/** Shows a plotly figure (sending the plotly.js loader first if this kernel has not had it). */
export function showFigure(figure: Figure, options: FigureHtmlOptions = {}): void {
  displayWriter('showFigure');
  loadPlotly();
  displayBundle(figureBundle(figure, options), 'showFigure');
}

/** An `<audio>` player holding the clip as a 16-bit WAV data URL, with an optional caption. */
export function audioHtml(samples: Float32Array | readonly number[], sampleRate: number, label?: string): string {
  const wav = encodeWav(Float32Array.from(samples), sampleRate, '16');
  const player = `<audio controls preload="metadata" src="data:audio/wav;base64,${Buffer.from(wav).toString('base64')}"></audio>`;
  return label ? `<div><div style="font-weight:600">${escapeHtml(label)}</div>${player}</div>` : player;
}

/** Shows an audio player for mono samples in [-1, 1] (values outside are clipped). */
export function showAudio(samples: Float32Array | readonly number[], sampleRate: number, label?: string): void {
  const seconds = (samples.length / sampleRate).toFixed(2);
  const text = `<Audio${label ? `: ${label}` : ''}, ${seconds} s at ${sampleRate} Hz>`;
  displayBundle({ 'text/html': audioHtml(samples, sampleRate, label), 'text/plain': text }, 'showAudio');
}

/**
 * Shows a matrix as a colour-mapped PNG: spectrogram orientation by default (`matrix[frame][bin]`,
 * low bins at the bottom). PNG outputs render even where a notebook does not run scripts.
 */
export function showImage(matrix: MatrixInput, options: PngOptions = {}): void {
  displayWriter('showImage');
  const image = matrixToPng(matrix, options);
  displayBundle(
    { 'image/png': Buffer.from(image.png).toString('base64'), 'text/plain': `<Image ${image.width}×${image.height}>` },
    'showImage',
  );
}

/** Shows a table given as HTML, as rows of objects, or as `{columns, values}` (e.g. a danfo DataFrame). */
export function showTable(table: string | TableInput, options: TableOptions = {}): void {
  const html = typeof table === 'string' ? table : tableHtml(table, options);
  const rows = typeof table === 'string' ? undefined : Array.isArray(table) ? table.length : (table as { values: readonly unknown[] }).values.length;
  displayBundle({ 'text/html': html, 'text/plain': rows === undefined ? '<Table>' : `<Table: ${rows} rows>` }, 'showTable');
}

/** Shows Markdown (rendered by the front end; the raw text is the fallback). */
export function showMarkdown(text: string): void {
  displayBundle({ 'text/markdown': text, 'text/plain': text }, 'showMarkdown');
}

/** Shows raw HTML. */
export function showHtml(html: string): void {
  displayBundle({ 'text/html': html, 'text/plain': '<HTML>' }, 'showHtml');
}
