/**
 * Line charts of several series, optionally split into one panel (facet) per condition with
 * shared axes. Both accuracy figures are built on this.
 */
import type { Annotation, Axis, Figure, ScatterTrace } from './types.js';
import { axis, baseLayout, defaultConfig, seriesColor } from './theme.js';

/** One point of one series in one facet. */
export interface SeriesPoint {
  /** Panel the point belongs to; `''` for a figure without facets. */
  facet: string;
  series: string;
  x: number;
  y: number;
  /** How many samples `y` is a proportion of: adds a binomial standard-error bar (unless `low`/`high` are given). */
  n?: number;
  /** Lower end of an interval around `y` (e.g. a 95 % confidence interval); with `high`, drawn as a shaded band. */
  low?: number;
  /** Upper end of the interval around `y`. */
  high?: number;
}

/** A horizontal line across one panel: a level to read the curves against (chance, the unadapted model). */
export interface ReferenceLine {
  /** Panel it belongs to (`''` for a figure without facets). */
  facet: string;
  /** Legend entry, shared by the lines of that name in every panel. */
  name: string;
  y: number;
  /** plotly dash style; default `dash`. */
  dash?: 'dash' | 'dot' | 'dashdot' | 'solid';
  /** Default a neutral grey. */
  color?: string;
  /** An interval around `y`, shaded across the panel. */
  low?: number;
  high?: number;
}

/** How to draw a {@link facetedLineFigure}. */
export interface FacetSpec {
  title: string;
  xTitle: string;
  yTitle: string;
  /** `y` values are proportions in [0, 1], shown as percentages. */
  proportion: boolean;
  /** What one series is, e.g. `method` (the legend title). */
  seriesLabel: string;
  /** What one facet is, e.g. `condition` (for error messages). */
  facetLabel: string;
  /** Panels per row; default 3. */
  columns?: number;
  /** Put ticks only at integer x values that occur, thinned to at most about 7 per panel, when the x range is this short or shorter. */
  integerTicksUpTo?: number;
  /** Horizontal reference lines, drawn under the series. */
  references?: readonly ReferenceLine[];
}

const PANEL_HEIGHT = 300;
const H_GAP = 0.07;
const V_GAP = 0.16;

/** Distinct values in order of first appearance (the order the caller wrote them in). */
export function firstSeen<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

function standardError(proportion: number, n: number): number {
  return n > 0 ? Math.sqrt((proportion * (1 - proportion)) / n) : 0;
}

function checkUnique(points: readonly SeriesPoint[], spec: FacetSpec): void {
  const seen = new Set<string>();
  for (const p of points) {
    const key = JSON.stringify([p.facet, p.series, p.x]);
    if (seen.has(key)) {
      const where = p.facet ? ` in ${spec.facetLabel} '${p.facet}'` : '';
      throw new Error(
        `${spec.title}: two points for ${spec.seriesLabel} '${p.series}'${where} at ${spec.xTitle} ${p.x}; aggregate the rows first (one per ${spec.seriesLabel}, ${spec.facetLabel} and x)`,
      );
    }
    seen.add(key);
  }
}

function axisSuffix(index: number): string {
  return index === 0 ? '' : String(index + 1);
}

/** `#rrggbb` → `rgba(r, g, b, alpha)`, for translucent bands in a series' colour. */
export function translucent(color: string, alpha: number): string {
  const match = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color);
  if (!match) return color;
  const [r, g, b] = match.slice(1).map((hex) => parseInt(hex, 16));
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
}

function hasInterval(point: SeriesPoint): point is SeriesPoint & { low: number; high: number } {
  return point.low !== undefined && point.high !== undefined && Number.isFinite(point.low) && Number.isFinite(point.high);
}

/** A closed outline from `high` along x and back along `low`, filled: the band of an interval. */
function bandTrace(xs: readonly number[], lows: readonly number[], highs: readonly number[], name: string, color: string, facetIndex: number): ScatterTrace {
  return {
    type: 'scatter',
    mode: 'lines',
    name,
    legendgroup: name,
    showlegend: false,
    x: [...xs, ...[...xs].reverse()],
    y: [...highs, ...[...lows].reverse()],
    fill: 'toself',
    fillcolor: translucent(color, 0.14),
    line: { color: 'rgba(0, 0, 0, 0)', width: 0 },
    hoverinfo: 'skip',
    xaxis: `x${axisSuffix(facetIndex)}`,
    yaxis: `y${axisSuffix(facetIndex)}`,
  };
}

function seriesTrace(points: SeriesPoint[], series: string, color: string, facetIndex: number, spec: FacetSpec): ScatterTrace {
  const sorted = [...points].sort((a, b) => a.x - b.x);
  const yFormat = spec.proportion ? ':.1%' : ':.4g';
  const trace: ScatterTrace = {
    type: 'scatter',
    mode: 'lines+markers',
    name: series,
    legendgroup: series,
    x: sorted.map((p) => p.x),
    y: sorted.map((p) => (Number.isFinite(p.y) ? p.y : null)),
    line: { color, width: 2 },
    marker: { color, size: 7 },
    xaxis: `x${axisSuffix(facetIndex)}`,
    yaxis: `y${axisSuffix(facetIndex)}`,
    hovertemplate: `%{fullData.name}<br>${spec.xTitle}: %{x}<br>${spec.yTitle}: %{y${yFormat}}<extra></extra>`,
  };
  if (sorted.every(hasInterval)) {
    trace.customdata = sorted.map((p) => [p.low, p.high, p.n ?? '']);
    const range = spec.proportion ? '[%{customdata[0]:.1%}, %{customdata[1]:.1%}]' : '[%{customdata[0]:.4g}, %{customdata[1]:.4g}]';
    trace.hovertemplate = trace.hovertemplate?.replace('<extra>', `<br>95 % interval ${range}${sorted.every((p) => p.n !== undefined) ? '<br>n = %{customdata[2]}' : ''}<extra>`);
  } else if (sorted.every((p) => p.n !== undefined)) {
    trace.error_y = { type: 'data', array: sorted.map((p) => standardError(p.y, p.n as number)), visible: true, thickness: 1.2, width: 3 };
    trace.customdata = sorted.map((p) => p.n);
    trace.hovertemplate = trace.hovertemplate?.replace('<extra>', '<br>n = %{customdata}<extra>');
  }
  return trace;
}

/** The most x ticks a panel gets: more crowd each other in a third of a page's width. */
const MAX_TICKS = 7;

/**
 * Ticks at the integer x values that occur (the steps that were run), thinned to multiples of
 * 1, 2, 5, 10, … so a panel holds at most about {@link MAX_TICKS}, the last value always kept.
 */
export function integerTickValues(xs: readonly number[]): number[] {
  const values = [...new Set(xs)].sort((a, b) => a - b);
  if (values.length <= MAX_TICKS) return values;
  const span = values[values.length - 1] - values[0];
  const spacing = [1, 2, 5, 10, 20, 25, 50, 100, 200, 500, 1000].find((d) => span / d <= MAX_TICKS - 1) ?? Math.ceil(span / (MAX_TICKS - 1));
  const last = values[values.length - 1];
  const kept = values.filter((x) => x % spacing === 0);
  // The last step is the one every table quotes; keep it unless a kept tick sits right next to it.
  if (!kept.includes(last) && !(kept.length > 0 && last - kept[kept.length - 1] < spacing / 2)) kept.push(last);
  return kept;
}

function xTicks(points: readonly SeriesPoint[], spec: FacetSpec): Partial<Axis> {
  const xs = points.map((p) => p.x);
  const span = Math.max(...xs) - Math.min(...xs);
  const integers = xs.every(Number.isInteger);
  return integers && spec.integerTicksUpTo !== undefined && span <= spec.integerTicksUpTo ? { tickmode: 'array', tickvals: integerTickValues(xs) } : {};
}

/** Characters of a bold 13 px panel title that fit in a panel `width` (a fraction of a ~1000 px plot area). */
function titleCharacters(width: number): number {
  return Math.max(12, Math.floor((width * 1000) / 8.5));
}

/** A panel title broken into lines that fit its panel, at `/`, spaces or `:` where it can be. */
export function wrapPanelTitle(text: string, characters: number): string[] {
  const lines: string[] = [];
  let rest = text;
  while (rest.length > characters) {
    const window = rest.slice(0, characters + 1);
    const cut = Math.max(window.lastIndexOf('/'), window.lastIndexOf(' '), window.lastIndexOf(':'));
    const at = cut > 0 ? cut + 1 : characters;
    lines.push(rest.slice(0, at).trimEnd());
    rest = rest.slice(at).trimStart();
  }
  lines.push(rest);
  return lines;
}

function referenceTraces(lines: readonly ReferenceLine[], facetIndex: number, xRange: [number, number], inLegend: Set<string>): ScatterTrace[] {
  const traces: ScatterTrace[] = [];
  for (const line of lines) {
    const color = line.color ?? '#7f7f7f';
    const x = [xRange[0], xRange[1]];
    if (line.low !== undefined && line.high !== undefined && Number.isFinite(line.low) && Number.isFinite(line.high)) {
      traces.push(bandTrace(x, [line.low, line.low], [line.high, line.high], line.name, color, facetIndex));
    }
    traces.push({
      type: 'scatter',
      mode: 'lines',
      name: line.name,
      legendgroup: line.name,
      showlegend: !inLegend.has(line.name),
      x,
      y: [line.y, line.y],
      line: { color, width: 1.5, dash: line.dash ?? 'dash' },
      hovertemplate: `${line.name.replace(/</g, '&lt;')}: %{y${':.1%'}}<extra></extra>`,
      xaxis: `x${axisSuffix(facetIndex)}`,
      yaxis: `y${axisSuffix(facetIndex)}`,
    });
    inLegend.add(line.name);
  }
  return traces;
}

/**
 * Builds the figure: one trace per series and facet, colours fixed per series across facets,
 * one legend entry per series, facets laid out `columns` to a row sharing both axes.
 */
export function facetedLineFigure(points: readonly SeriesPoint[], spec: FacetSpec): Figure {
  if (points.length === 0) throw new Error(`${spec.title}: no data to plot`);
  checkUnique(points, spec);
  const facets = firstSeen(points.map((p) => p.facet));
  const series = firstSeen(points.map((p) => p.series));
  const columns = Math.max(1, Math.min(spec.columns ?? 3, facets.length));
  const rows = Math.ceil(facets.length / columns);
  const width = (1 - H_GAP * (columns - 1)) / columns;
  const titleLines = new Map(facets.map((facet) => [facet, wrapPanelTitle(facet, titleCharacters(width))]));
  const mostLines = Math.max(1, ...[...titleLines.values()].map((lines) => lines.length));
  // Each extra line of panel title needs about 18 px more between rows of ~300 px panels.
  const vGap = V_GAP + (mostLines - 1) * 0.05;
  const height = (1 - vGap * (rows - 1)) / rows;
  const yExtra: Partial<Axis> = spec.proportion ? { tickformat: '.0%' } : {};
  const xExtra = xTicks(points, spec);

  // A lone named facet gets no panel title, so the figure title names it instead.
  const title = facets.length === 1 && facets[0] !== '' ? `${spec.title}: ${facets[0]}` : spec.title;
  const figure: Figure = {
    data: [],
    layout: baseLayout(title, axis(spec.xTitle, xExtra), axis(spec.yTitle, yExtra)),
    config: defaultConfig(),
  };
  const layout = figure.layout;
  layout.legend = { title: { text: spec.seriesLabel } };
  layout.showlegend = true;
  const annotations: Annotation[] = [];
  const inLegend = new Set<string>();

  facets.forEach((facet, f) => {
    const column = f % columns;
    const row = Math.floor(f / columns);
    const x0 = column * (width + H_GAP);
    const yTop = 1 - row * (height + vGap);
    const suffix = axisSuffix(f);
    // Only the outer panels carry axis titles, as in any small-multiples chart.
    const bottomOfColumn = f + columns >= facets.length;
    const xAxis = axis(bottomOfColumn ? spec.xTitle : '', { ...xExtra, domain: [x0, x0 + width], anchor: `y${suffix}` });
    const yAxis = axis(column === 0 ? spec.yTitle : '', { ...yExtra, domain: [yTop - height, yTop], anchor: `x${suffix}` });
    if (f > 0) {
      xAxis.matches = 'x';
      yAxis.matches = 'y';
    }
    if (facets.length > 1) {
      layout[`xaxis${suffix}` as 'xaxis'] = xAxis;
      layout[`yaxis${suffix}` as 'yaxis'] = yAxis;
      annotations.push({
        text: (titleLines.get(facet) as string[]).map((line) => `<b>${line.replace(/</g, '&lt;')}</b>`).join('<br>'),
        x: x0 + width / 2,
        y: yTop,
        xref: 'paper',
        yref: 'paper',
        xanchor: 'center',
        yanchor: 'bottom',
        showarrow: false,
        font: { size: 13 },
      });
    }
    const inFacet = points.filter((p) => p.facet === facet);
    const xRange: [number, number] = [Math.min(...inFacet.map((p) => p.x)), Math.max(...inFacet.map((p) => p.x))];
    figure.data.push(...referenceTraces((spec.references ?? []).filter((line) => line.facet === facet), f, xRange, inLegend));
    series.forEach((name, s) => {
      const own = points.filter((p) => p.facet === facet && p.series === name).sort((a, b) => a.x - b.x);
      if (own.length === 0) return;
      if (own.every(hasInterval)) figure.data.push(bandTrace(own.map((p) => p.x), own.map((p) => p.low as number), own.map((p) => p.high as number), name, seriesColor(s), f));
      const trace = seriesTrace(own, name, seriesColor(s), f, spec);
      trace.showlegend = !inLegend.has(name);
      inLegend.add(name);
      figure.data.push(trace);
    });
  });

  if (facets.length > 1) {
    layout.annotations = annotations;
    // Room above each row for its panel titles, however many lines they wrapped to.
    const titleHeight = 18 * mostLines;
    layout.height = 120 + rows * (PANEL_HEIGHT + titleHeight);
    layout.margin = { ...layout.margin, t: 80 + titleHeight };
  }
  return figure;
}
