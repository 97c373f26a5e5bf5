/**
 * Matrices as PNG images: a light-weight alternative to a heatmap figure (no plotly needed, and
 * it renders even where a notebook's scripts do not run).
 */
import { encode } from 'fast-png';
import { colorAt } from './colormap.js';
import type { ColormapName } from './colormap.js';
import { finiteRange, toRows } from './matrix.js';
import type { MatrixInput, MatrixShape } from './matrix.js';

/** Options of {@link matrixToPng}. */
export interface PngOptions {
  /** `[rows, columns]` of a flat array. */
  shape?: MatrixShape;
  /** Pixel size of the PNG; cells are repeated (nearest neighbour). Default: the data's size, enlarged by a whole factor until its longer side is at least 256 px. */
  width?: number;
  height?: number;
  /** Default `viridis`. */
  colormap?: ColormapName;
  /** Values mapped to the two ends of the colour map; default the finite data range. */
  min?: number;
  max?: number;
  /**
   * `spectrogram` (default): `matrix[frame][bin]`, frames left to right, bin 0 at the bottom.
   * `image`: `matrix[row][column]`, row 0 at the top.
   */
  orientation?: 'spectrogram' | 'image';
}

/** An encoded PNG and its pixel size. */
export interface PngImage {
  png: Uint8Array;
  width: number;
  height: number;
}

// A view of the data in picture order: (column, row-from-top) -> value.
interface Raster {
  width: number;
  height: number;
  at(x: number, y: number): number;
}

function raster(rows: number[][], orientation: 'spectrogram' | 'image'): Raster {
  if (orientation === 'image') return { width: rows[0].length, height: rows.length, at: (x, y) => rows[y][x] };
  const bins = rows[0].length;
  return { width: rows.length, height: bins, at: (x, y) => rows[x][bins - 1 - y] };
}

function outputSize(source: Raster, options: PngOptions): [number, number] {
  const enlarge = Math.max(1, Math.ceil(256 / Math.max(source.width, source.height)));
  const width = options.width ?? source.width * enlarge;
  const height = options.height ?? source.height * enlarge;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new Error(`matrixToPng: width and height must be positive integers, got ${width}×${height}`);
  }
  return [width, height];
}

/** Colours a matrix with a colour map and encodes it as an 8-bit RGBA PNG; non-finite cells are transparent. */
export function matrixToPng(matrix: MatrixInput, options: PngOptions = {}): PngImage {
  const rows = toRows(matrix, options.shape, 'matrixToPng');
  const source = raster(rows, options.orientation ?? 'spectrogram');
  const [width, height] = outputSize(source, options);
  const [dataMin, dataMax] = finiteRange(rows);
  const lo = options.min ?? dataMin;
  const hi = options.max ?? dataMax;
  const span = hi > lo ? hi - lo : 1;
  const colormap = options.colormap ?? 'viridis';
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    const sy = Math.floor((y * source.height) / height);
    for (let x = 0; x < width; x++) {
      const v = source.at(Math.floor((x * source.width) / width), sy);
      if (!Number.isFinite(v)) continue;
      const [r, g, b] = colorAt(colormap, (v - lo) / span);
      const o = (y * width + x) * 4;
      rgba[o] = r;
      rgba[o + 1] = g;
      rgba[o + 2] = b;
      rgba[o + 3] = 255;
    }
  }
  return { png: encode({ width, height, data: rgba, channels: 4, depth: 8 }), width, height };
}
