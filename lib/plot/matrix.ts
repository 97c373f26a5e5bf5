/**
 * 2-D data as the figure builders accept it: nested arrays, or a flat row-major typed array
 * with its shape (what `tensor.dataSync()` gives).
 */

/** Rows of numbers, or a flat row-major array whose shape is passed alongside. */
export type MatrixInput = readonly ArrayLike<number>[] | Float32Array | Float64Array | readonly number[];

/** `[rows, columns]` of a flat matrix. */
export type MatrixShape = readonly [number, number];

function isNested(matrix: MatrixInput): matrix is readonly ArrayLike<number>[] {
  return Array.isArray(matrix) && matrix.length > 0 && typeof matrix[0] !== 'number';
}

/**
 * Returns the matrix as rows of equal length. Nested input may omit `shape` (it is then checked
 * against it when given); flat input needs it.
 */
export function toRows(matrix: MatrixInput, shape: MatrixShape | undefined, what: string): number[][] {
  if (isNested(matrix)) {
    const rows = matrix.map((row) => Array.from(row));
    const cols = rows[0].length;
    rows.forEach((row, i) => {
      if (row.length !== cols) throw new Error(`${what}: row ${i} has ${row.length} values, row 0 has ${cols}`);
    });
    if (shape && (shape[0] !== rows.length || shape[1] !== cols)) {
      throw new Error(`${what}: shape [${shape}] does not match the ${rows.length}×${cols} rows given`);
    }
    return rows;
  }
  const flat = matrix as ArrayLike<number>;
  if (!shape) throw new Error(`${what}: a flat array needs its shape [rows, columns]`);
  const [rowCount, cols] = shape;
  if (!(Number.isInteger(rowCount) && Number.isInteger(cols) && rowCount > 0 && cols > 0)) {
    throw new Error(`${what}: shape [${shape}] must be two positive integers`);
  }
  if (flat.length !== rowCount * cols) throw new Error(`${what}: ${flat.length} values do not fill shape [${shape}]`);
  const rows: number[][] = [];
  for (let i = 0; i < rowCount; i++) rows.push(Array.from({ length: cols }, (_, j) => flat[i * cols + j]));
  return rows;
}

/** `rows[i][j]` → `out[j][i]`. */
export function transpose(rows: readonly (readonly (number | null)[])[]): (number | null)[][] {
  if (rows.length === 0) return [];
  return rows[0].map((_, j) => rows.map((row) => row[j]));
}

/** Smallest and largest finite value. */
export function finiteRange(rows: readonly (readonly (number | null)[])[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const row of rows) {
    for (const v of row) {
      if (v !== null && Number.isFinite(v)) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
  }
  if (lo > hi) return [0, 1];
  return lo === hi ? [lo - 0.5, hi + 0.5] : [lo, hi];
}

/**
 * Keeps `digits` significant digits and turns non-finite values into `null` (a gap): float32
 * noise digits would otherwise triple the size of every spectrogram figure.
 */
export function roundCell(value: number, digits: number): number | null {
  if (!Number.isFinite(value)) return null;
  return Number(value.toPrecision(digits));
}
