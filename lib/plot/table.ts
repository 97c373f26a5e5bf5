/**
 * Small HTML tables for reports and notebooks: rows of objects, or anything with `columns` and
 * `values` (a danfo.js DataFrame has both).
 */

/** Rows as objects (columns in order of first appearance), or column names plus row values. */
export type TableInput = readonly Record<string, unknown>[] | { columns: readonly string[]; values: readonly unknown[] };

/** Options of {@link tableHtml}. */
export interface TableOptions {
  /** Rows shown before a "… N more rows" line; default 50. */
  maxRows?: number;
  /** Significant digits of non-integer numbers; default 4. */
  digits?: number;
  caption?: string;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ESCAPES[ch]);
}

function formatValue(value: unknown, digits: number): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return '';
    return Number.isInteger(value) || !Number.isFinite(value) ? String(value) : String(Number(value.toPrecision(digits)));
  }
  return String(value);
}

function normalise(input: TableInput): { columns: string[]; rows: unknown[][] } {
  if (Array.isArray(input)) {
    const records = input as readonly Record<string, unknown>[];
    const columns = [...new Set(records.flatMap((row) => Object.keys(row)))];
    return { columns, rows: records.map((row) => columns.map((name) => row[name])) };
  }
  const frame = input as { columns: readonly string[]; values: readonly unknown[] };
  return { columns: [...frame.columns], rows: frame.values.map((row) => (Array.isArray(row) ? row : [row])) };
}

/** Renders a table with escaped cells, right-aligned numbers, and a note on rows left out. */
export function tableHtml(input: TableInput, options: TableOptions = {}): string {
  const { columns, rows } = normalise(input);
  const maxRows = options.maxRows ?? 50;
  const digits = options.digits ?? 4;
  const head = columns.map((name) => `<th>${escapeHtml(name)}</th>`).join('');
  const body = rows.slice(0, maxRows).map((cells) => {
    const tds = columns.map((_, i) => {
      const align = typeof cells[i] === 'number' ? ' style="text-align:right"' : '';
      return `<td${align}>${escapeHtml(formatValue(cells[i], digits))}</td>`;
    });
    return `<tr>${tds.join('')}</tr>`;
  });
  const hidden = rows.length - Math.min(rows.length, maxRows);
  if (hidden > 0) body.push(`<tr><td colspan="${Math.max(1, columns.length)}"><em>… ${hidden} more row${hidden === 1 ? '' : 's'}</em></td></tr>`);
  const caption = options.caption ? `<caption>${escapeHtml(options.caption)}</caption>` : '';
  return `<table class="ttt-table">${caption}<thead><tr>${head}</tr></thead><tbody>${body.join('')}</tbody></table>`;
}
