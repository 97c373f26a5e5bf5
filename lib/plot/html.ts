/**
 * Figures as HTML: the inlined plotly.js bundle, one snippet per figure, and self-contained
 * report files that open offline in any browser.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { packageRoot, writeFileAtomic } from '../util/index.js';
import type { Figure } from './types.js';
import { defaultConfig } from './theme.js';
import { escapeHtml } from './table.js';

/**
 * The plotly.js build that is inlined: the cartesian bundle (scatter, bar, heatmap, …; 1.4 MB
 * against 4.8 MB for the full one) covers every figure in this folder. Version 3 or later is
 * required, because 2.x registers itself with require.js (present in Jupyter pages) instead of
 * setting `window.Plotly`.
 */
export const PLOTLY_BUNDLE = 'plotly.js-cartesian-dist-min/plotly-cartesian.min.js';

/** Figure height in pixels when neither the caller nor the layout gives one. */
export const DEFAULT_FIGURE_HEIGHT = 420;

let plotlySource: string | undefined;

/** The minified plotly.js source (read once from `node_modules`). */
export function plotlyScript(): string {
  if (plotlySource === undefined) {
    const resolver = createRequire(join(packageRoot(), 'package.json'));
    plotlySource = readFileSync(resolver.resolve(PLOTLY_BUNDLE), 'utf8');
  }
  return plotlySource;
}

/** Makes text safe inside an inline `<script>`: the HTML parser ends the element at any `</script`. */
export function escapeScriptText(source: string): string {
  return source.replace(/<\/(script)/gi, '<\\/$1');
}

/** A `<script>` element that defines `window.Plotly` with no network access. */
export function plotlyScriptTag(): string {
  return `<script type="text/javascript">${escapeScriptText(plotlyScript())}</script>`;
}

/** Serialises a value as a JavaScript expression that cannot close or comment out its `<script>`. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** Options of {@link figureHtml}. */
export interface FigureHtmlOptions {
  /** Height in pixels; default the layout's height, else {@link DEFAULT_FIGURE_HEIGHT}. */
  height?: number;
  /** Element id; default a random one (ids must be unique within a page). */
  id?: string;
}

/**
 * A `<div>` plus a script that draws `figure` into it once plotly.js is present. The script
 * polls (every 50 ms, for up to 20 s) because in notebooks the output's scripts may run before
 * its element is attached, and the plotly loader output may render after the figure.
 */
export function figureHtml(figure: Figure, options: FigureHtmlOptions = {}): string {
  const id = options.id ?? `ttt-figure-${randomBytes(6).toString('hex')}`;
  if (!/^[A-Za-z][\w-]*$/.test(id)) throw new Error(`figureHtml: '${id}' is not a usable element id`);
  const height = options.height ?? figure.layout.height ?? DEFAULT_FIGURE_HEIGHT;
  const spec = scriptJson({ data: figure.data, layout: figure.layout, config: figure.config ?? defaultConfig() });
  const draw =
    `(function(){var s=${spec};var k=0;function go(){var el=document.getElementById("${id}");` +
    'if(window.Plotly&&el){Plotly.newPlot(el,s.data,s.layout||{},s.config||{});}else if(k++<400){setTimeout(go,50);}}go();})();';
  return `<div id="${id}" class="ttt-figure" style="width:100%;height:${height}px"></div><script type="text/javascript">${draw}</script>`;
}

/** One section of a report, drawn in this order: heading, text, figures, tables. */
export interface ReportSection {
  heading: string;
  /** Plain text; blank lines separate paragraphs. */
  text?: string;
  figures?: Figure[];
  /** Ready-made HTML tables (e.g. from `tableHtml`), inserted as they are. */
  tablesHtml?: string[];
}

/** A report: a title and its sections. */
export interface Report {
  title: string;
  sections: ReportSection[];
}

const REPORT_CSS = `
body { margin: 0; background: #fafafa; color: #222; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 32px 64px; }
h1 { font-size: 26px; margin: 8px 0 24px; }
h2 { font-size: 20px; margin: 40px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.ttt-figure { background: #fff; margin: 16px 0; border: 1px solid #eee; }
table.ttt-table { border-collapse: collapse; margin: 16px 0; font-size: 14px; background: #fff; display: block; max-width: 100%; overflow-x: auto; }
table.ttt-table th, table.ttt-table td { border: 1px solid #ddd; padding: 4px 10px; }
table.ttt-table th { background: #f2f2f2; text-align: left; }
table.ttt-table caption { caption-side: top; text-align: left; font-weight: 600; padding: 4px 0; }
`;

function paragraphs(text: string): string {
  return text
    .split(/\n\s*\n/)
    .map((block) => block.trim())
    .filter((block) => block.length > 0)
    .map((block) => `<p>${escapeHtml(block)}</p>`)
    .join('\n');
}

function sectionHtml(section: ReportSection): string {
  const parts = [`<section>`, `<h2>${escapeHtml(section.heading)}</h2>`];
  if (section.text) parts.push(paragraphs(section.text));
  for (const figure of section.figures ?? []) parts.push(figureHtml(figure));
  for (const table of section.tablesHtml ?? []) parts.push(table);
  parts.push('</section>');
  return parts.join('\n');
}

/** The report as one HTML document; plotly.js is inlined once, and only when there are figures. */
export function reportHtml(report: Report): string {
  const hasFigures = report.sections.some((section) => (section.figures ?? []).length > 0);
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(report.title)}</title>`,
    `<style>${REPORT_CSS}</style>`,
    hasFigures ? plotlyScriptTag() : '',
    '</head>',
    '<body>',
    '<main>',
    `<h1>${escapeHtml(report.title)}</h1>`,
    ...report.sections.map(sectionHtml),
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** Writes {@link reportHtml} to `path` atomically: readers never see a half-written report. */
export function writeReportHtml(path: string, report: Report): void {
  writeFileAtomic(path, reportHtml(report));
}
