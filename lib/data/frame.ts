/**
 * Manifests as danfo.js DataFrames, for looking at and slicing corpora in notebooks.
 *
 * danfo is loaded on first use, not when `lib/data` is imported: it takes about a second to load
 * (mathjs, xlsx, …) and most users of manifests never need it. danfo requires
 * `@tensorflow/tfjs`, which resolves to the library's own copy; its declared dependency on
 * `@tensorflow/tfjs-node` 3.x is aliased to `@tensorflow/tfjs@4.22.0` in package.json
 * `overrides`, so no native binary and no second tfjs-core get installed. Loading it neither
 * registers nor selects a backend, so the one `lib/backend` chose stays in force.
 */
import type { DataFrame } from 'danfojs-node';
import { MANIFEST_COLUMNS, extraColumns, validateRow } from './manifest.js';
import type { ManifestRow } from './manifest.js';

/** The danfojs-node module. */
export type Danfo = typeof import('danfojs-node');

let danfo: Promise<Danfo> | undefined;

/** Loads danfojs-node once and returns it (later calls share the same module). */
export function loadDanfo(): Promise<Danfo> {
  danfo ??= import('danfojs-node').then((mod) => {
    // Node's ESM loader may wrap this CommonJS package's exports in `default`.
    const wrapped = mod as Danfo & { default?: Danfo };
    return wrapped.default && 'DataFrame' in wrapped.default ? wrapped.default : wrapped;
  });
  return danfo;
}

// danfo infers dtypes from the values; a column of empty strings would come out as int32.
function columnDtype(name: string): 'string' | 'float32' {
  return name === 'age' || name === 'duration_s' ? 'float32' : 'string';
}

/**
 * Makes a DataFrame with the fixed manifest columns followed by the extra columns; empty
 * numbers become `null`. Rows are validated first.
 */
export async function toDataFrame(rows: readonly ManifestRow[]): Promise<DataFrame> {
  const { DataFrame: Frame } = await loadDanfo();
  const checked = rows.map((row, i) => validateRow(row, 'rows', i + 1));
  const columns = [...MANIFEST_COLUMNS, ...extraColumns(checked)];
  // danfo cannot build a frame from empty column arrays, but it can from an empty row list.
  if (checked.length === 0) return new Frame([], { columns });
  const data: Record<string, (string | number | null)[]> = {};
  for (const name of columns) data[name] = [];
  for (const row of checked) {
    for (const name of MANIFEST_COLUMNS) data[name].push(row[name]);
    for (const name of columns.slice(MANIFEST_COLUMNS.length)) data[name].push(row.extra[name] ?? '');
  }
  return new Frame(data, { columns, dtypes: columns.map(columnDtype) });
}

/** What {@link fromDataFrame} reads from a frame: its column names and its values, row by row. */
export interface FrameLike {
  columns: string[];
  values: unknown[] | unknown[][];
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' && Number.isNaN(value)) return '';
  return String(value);
}

function cellNumber(value: unknown): unknown {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value === 'number' && Number.isNaN(value)) return null;
  return value;
}

/**
 * Turns a DataFrame (for instance one filtered with `df.query`) back into validated rows.
 * Columns other than the fixed ones become `extra` text; missing fixed columns other than
 * `path`, `speaker` and `label` default to empty.
 */
export function fromDataFrame(df: FrameLike): ManifestRow[] {
  const columns = df.columns;
  for (const name of ['path', 'speaker', 'label']) {
    if (!columns.includes(name)) throw new Error(`fromDataFrame: the frame has no '${name}' column (it has: ${columns.join(', ')})`);
  }
  const fixed = new Set<string>(MANIFEST_COLUMNS);
  const values = (df.values as unknown[]).map((row) => (Array.isArray(row) ? row : [row]));
  return values.map((cells, index) => {
    const value: Record<string, unknown> = { gender: '', age: null, age_group: '', duration_s: null, corpus: '', split: '' };
    const extra: Record<string, string> = {};
    columns.forEach((name, i) => {
      const cell = cells[i];
      if (name === 'age' || name === 'duration_s') value[name] = cellNumber(cell);
      else if (fixed.has(name)) value[name] = cellText(cell);
      else extra[name] = cellText(cell);
    });
    value.extra = extra;
    return validateRow(value, 'DataFrame', index + 1);
  });
}
