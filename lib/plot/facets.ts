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
  /** How many samples `y` is a proportion of: adds a binomial standard-error bar. */
  n?: number;
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
  /** Put a tick at every integer x when the x range is this short or shorter. */
  integerTicksUpTo?: number;
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
  if (sorted.every((p) => p.n !== undefined)) {
    trace.error_y = { type: 'data', array: sorted.map((p) => standardError(p.y, p.n as number)), visible: true, thickness: 1.2, width: 3 };
    trace.customdata = sorted.map((p) => p.n);
    trace.hovertemplate = trace.hovertemplate?.replace('<extra>', '<br>n = %{customdata}<extra>');
  }
  return trace;
}

function xTicks(points: readonly SeriesPoint[], spec: FacetSpec): Partial<Axis> {
  const xs = points.map((p) => p.x);
  const span = Math.max(...xs) - Math.min(...xs);
  const integers = xs.every(Number.isInteger);
  return integers && spec.integerTicksUpTo !== undefined && span <= spec.integerTicksUpTo ? { dtick: 1 } : {};
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
  const height = (1 - V_GAP * (rows - 1)) / rows;
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
    const yTop = 1 - row * (height + V_GAP);
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
        text: `<b>${facet.replace(/</g, '&lt;')}</b>`,
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
    series.forEach((name, s) => {
      const own = points.filter((p) => p.facet === facet && p.series === name);
      if (own.length === 0) return;
      const trace = seriesTrace(own, name, seriesColor(s), f, spec);
      trace.showlegend = !inLegend.has(name);
      inLegend.add(name);
      figure.data.push(trace);
    });
  });

  if (facets.length > 1) {
    layout.annotations = annotations;
    layout.height = 120 + rows * PANEL_HEIGHT;
    layout.margin = { ...layout.margin, t: 80 };
  }
  return figure;
}
