/**
 * A DataFrame as an HTML table, for notebook output (danfo's own `print` writes box-drawing
 * text, which notebooks show poorly, and it has no `to_html`).
 */
import type { FrameLike } from './frame.js';

/** Options for {@link dataFrameToHtml}. */
export interface HtmlTableOptions {
  /** Rows shown before the table is cut with a "… N more rows" line; default 20. */
  maxRows?: number;
  /** Significant decimals kept for non-integer numbers; default 4. */
  digits?: number;
  /** Text of the table's caption, if any. */
  caption?: string;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for use in HTML element content or a quoted attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ESCAPES[ch]);
}

/** Formats one cell: integers as they are, other numbers to `digits` significant places, empty for null/NaN. */
export function formatCell(value: unknown, digits = 4): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return '';
    if (Number.isInteger(value) || !Number.isFinite(value)) return String(value);
    return String(Number(value.toPrecision(digits)));
  }
  return String(value);
}

/**
 * Renders the first `maxRows` rows of a frame as an HTML `<table>`; numbers are right-aligned,
 * every cell is escaped, and a final row says how many rows were left out.
 */
export function dataFrameToHtml(df: FrameLike, options: HtmlTableOptions = {}): string {
  const maxRows = options.maxRows ?? 20;
  const digits = options.digits ?? 4;
  if (!Number.isInteger(maxRows) || maxRows < 0) throw new Error(`dataFrameToHtml: maxRows must be a non-negative integer, got ${maxRows}`);
  const rows = (df.values as unknown[]).map((row) => (Array.isArray(row) ? row : [row]));
  const shown = rows.slice(0, maxRows);
  const head = df.columns.map((name) => `<th>${escapeHtml(name)}</th>`).join('');
  const body = shown.map((cells) => {
    const tds = df.columns.map((_, i) => {
      const value = cells[i];
      const align = typeof value === 'number' ? ' style="text-align:right"' : '';
      return `<td${align}>${escapeHtml(formatCell(value, digits))}</td>`;
    });
    return `<tr>${tds.join('')}</tr>`;
  });
  const hidden = rows.length - shown.length;
  if (hidden > 0) {
    body.push(`<tr><td colspan="${Math.max(1, df.columns.length)}"><em>… ${hidden} more row${hidden === 1 ? '' : 's'}</em></td></tr>`);
  }
  const caption = options.caption ? `<caption>${escapeHtml(options.caption)}</caption>` : '';
  return `<table class="ttt-speech-frame">${caption}<thead><tr>${head}</tr></thead><tbody>${body.join('')}</tbody></table>`;
}
