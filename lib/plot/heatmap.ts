/**
 * Heatmaps: spectrograms (time frames across, mel bins upwards), the patches an MAE mask hides,
 * and confusion matrices.
 */
import type { Colorscale, Figure, HeatmapTrace } from './types.js';
import { axis, baseLayout, defaultConfig } from './theme.js';
import { finiteRange, roundCell, toRows, transpose } from './matrix.js';
import type { MatrixInput, MatrixShape } from './matrix.js';

/** Options of {@link heatmapFigure}. */
export interface HeatmapOptions {
  /** Default `Log-mel filterbank`. */
  title?: string;
  /** `[frames, bins]` of a flat array. */
  shape?: MatrixShape;
  /** Default `time frame`, or `time (s)` style labels when `dx` is given. */
  xTitle?: string;
  /** Default `mel bin`. */
  yTitle?: string;
  /** Label of the colour bar; default `log energy`. */
  colorbarTitle?: string;
  /** Default `Viridis`. */
  colorscale?: Colorscale;
  /** Colour range; default the data's finite range. */
  zmin?: number;
  zmax?: number;
  /** x of the first frame and the step between frames (e.g. `dx: 0.01` for seconds at a 10 ms hop); default 0 and 1. */
  x0?: number;
  dx?: number;
  /** y of the first bin and the step between bins; default 0 and 1. */
  y0?: number;
  dy?: number;
  /** Significant digits kept per cell; default 4. */
  digits?: number;
}

function cellRows(fbank: MatrixInput, shape: MatrixShape | undefined, digits: number, what: string): (number | null)[][] {
  return toRows(fbank, shape, what).map((row) => row.map((v) => roundCell(v, digits)));
}

function spectrogramTrace(z: (number | null)[][], options: HeatmapOptions, range: [number, number]): HeatmapTrace {
  return {
    type: 'heatmap',
    name: options.title ?? 'fbank',
    z,
    x0: options.x0 ?? 0,
    dx: options.dx ?? 1,
    y0: options.y0 ?? 0,
    dy: options.dy ?? 1,
    zmin: options.zmin ?? range[0],
    zmax: options.zmax ?? range[1],
    colorscale: options.colorscale ?? 'Viridis',
    colorbar: { title: { text: options.colorbarTitle ?? 'log energy' }, thickness: 14 },
    hovertemplate: `${options.xTitle ?? 'time frame'} %{x}<br>${options.yTitle ?? 'mel bin'} %{y}<br>value %{z:.3g}<extra></extra>`,
  };
}

function spectrogramLayout(title: string, options: HeatmapOptions) {
  // Plotly puts row 0 of `z` at the bottom, which is the spectrogram convention (low bins low).
  return baseLayout(
    title,
    axis(options.xTitle ?? 'time frame', { showgrid: false, ticks: 'outside' }),
    axis(options.yTitle ?? 'mel bin', { showgrid: false, ticks: 'outside' }),
  );
}

/**
 * A spectrogram-style heatmap of `matrix[frame][bin]` (the fbank layout `[frames, melBins]`):
 * frames run along x, bins up the y axis from the origin at the lower left.
 */
export function heatmapFigure(matrix: MatrixInput, options: HeatmapOptions = {}): Figure {
  const title = options.title ?? 'Log-mel filterbank';
  const rows = cellRows(matrix, options.shape, options.digits ?? 4, title);
  const z = transpose(rows); // [frames][bins] -> [bins][frames]: plotly rows are y
  const trace = spectrogramTrace(z, options, finiteRange(z));
  return { data: [trace], layout: spectrogramLayout(title, options), config: defaultConfig() };
}

/** Options of {@link maskedSpectrogramFigure}. */
export type MaskedSpectrogramOptions = Omit<HeatmapOptions, 'title'> & {
  /** Default says how many patches are hidden. */
  title?: string;
  /** Colour of hidden patches; default mid grey. */
  maskColor?: string;
};

/**
 * A fbank with the patches an MAE mask hides painted grey: what the encoder does not see and
 * the decoder must reconstruct. `mask` has one entry per token in time-major order (token
 * `t · freqPatches + f`, as `lib/model` numbers them), non-zero / `true` meaning hidden.
 */
export function maskedSpectrogramFigure(
  fbank: MatrixInput,
  mask: ArrayLike<number | boolean>,
  patchSize: number,
  options: MaskedSpectrogramOptions = {},
): Figure {
  const rows = cellRows(fbank, options.shape, options.digits ?? 4, 'maskedSpectrogramFigure');
  const frames = rows.length;
  const bins = rows[0].length;
  if (!(Number.isInteger(patchSize) && patchSize > 0)) throw new Error(`maskedSpectrogramFigure: patchSize must be a positive integer, got ${patchSize}`);
  if (frames % patchSize !== 0 || bins % patchSize !== 0) {
    throw new Error(`maskedSpectrogramFigure: a ${frames}×${bins} fbank is not tiled by ${patchSize}×${patchSize} patches`);
  }
  const freqPatches = bins / patchSize;
  const tokens = (frames / patchSize) * freqPatches;
  if (mask.length !== tokens) throw new Error(`maskedSpectrogramFigure: mask has ${mask.length} entries, the fbank has ${tokens} patches`);

  const hidden = (frame: number, bin: number) => Boolean(mask[Math.floor(frame / patchSize) * freqPatches + Math.floor(bin / patchSize)]);
  const range = finiteRange(rows);
  const visible = rows.map((row, t) => row.map((v, b) => (hidden(t, b) ? null : v)));
  const covered = rows.map((row, t) => row.map((_, b) => (hidden(t, b) ? 1 : null)));
  let hiddenCount = 0;
  for (let i = 0; i < tokens; i++) if (mask[i]) hiddenCount++;

  const title = options.title ?? `Masked patches: ${hiddenCount} of ${tokens} hidden (${Math.round((100 * hiddenCount) / tokens)}%)`;
  const seen = spectrogramTrace(transpose(visible), { ...options, title: 'visible' }, range);
  const grey = options.maskColor ?? '#9e9e9e';
  const overlay: HeatmapTrace = {
    type: 'heatmap',
    name: 'masked',
    z: transpose(covered),
    x0: seen.x0,
    dx: seen.dx,
    y0: seen.y0,
    dy: seen.dy,
    zmin: 0,
    zmax: 1,
    colorscale: [
      [0, grey],
      [1, grey],
    ],
    showscale: false,
    hoverinfo: 'skip',
  };
  return { data: [seen, overlay], layout: spectrogramLayout(title, options), config: defaultConfig() };
}

/** Options of {@link confusionMatrixFigure}. */
export interface ConfusionMatrixOptions {
  /** Default reports accuracy and sample count. */
  title?: string;
  /** Show each row as proportions of its true class (recall per class); default false (counts). */
  normalize?: boolean;
}

const BLUES: [number, string][] = [
  [0, '#f7fbff'],
  [0.125, '#deebf7'],
  [0.25, '#c6dbef'],
  [0.375, '#9ecae1'],
  [0.5, '#6baed6'],
  [0.625, '#4292c6'],
  [0.75, '#2171b5'],
  [0.875, '#08519c'],
  [1, '#08306b'],
];

/**
 * A confusion matrix: `matrix[true][predicted]` counts, true classes down the y axis (first
 * label on top, as tables read), predictions across, every cell labelled.
 */
export function confusionMatrixFigure(labels: readonly string[], matrix: MatrixInput, options: ConfusionMatrixOptions = {}): Figure {
  const k = labels.length;
  const counts = toRows(matrix, [k, k], 'confusionMatrixFigure');
  if (new Set(labels).size !== k) throw new Error('confusionMatrixFigure: labels must be distinct');
  const total = counts.reduce((sum, row) => sum + row.reduce((a, b) => a + b, 0), 0);
  const correct = counts.reduce((sum, row, i) => sum + row[i], 0);
  const shown = options.normalize
    ? counts.map((row) => {
        const rowTotal = row.reduce((a, b) => a + b, 0);
        return row.map((v) => (rowTotal > 0 ? v / rowTotal : 0));
      })
    : counts;
  const accuracy = total > 0 ? `${((100 * correct) / total).toFixed(1)}%` : 'n/a';
  const title = options.title ?? `Confusion matrix (accuracy ${accuracy}, n = ${total})`;
  const trace: HeatmapTrace = {
    type: 'heatmap',
    name: 'confusion',
    z: shown,
    x: [...labels],
    y: [...labels],
    zmin: 0,
    zmax: options.normalize ? 1 : Math.max(1, ...counts.flat()),
    colorscale: BLUES,
    texttemplate: options.normalize ? '%{z:.0%}' : '%{z}',
    customdata: counts,
    colorbar: { title: { text: options.normalize ? 'share of true class' : 'count' }, thickness: 14, ...(options.normalize ? { tickformat: '.0%' } : {}) },
    hovertemplate: 'true %{y}<br>predicted %{x}<br>count %{customdata}<extra></extra>',
  };
  const layout = baseLayout(
    title,
    axis('predicted', { type: 'category', showgrid: false }),
    axis('true', { type: 'category', showgrid: false, autorange: 'reversed' }),
  );
  return { data: [trace], layout, config: defaultConfig() };
}
