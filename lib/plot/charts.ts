/**
 * General-purpose charts: grouped bars (e.g. BitFit against full TTT per condition) and line
 * plots of raw series (loss curves, learning-rate schedules).
 */
import type { BarTrace, Figure, ScatterTrace } from './types.js';
import { axis, baseLayout, defaultConfig, seriesColor } from './theme.js';
import { firstSeen } from './facets.js';

/** One bar. */
export interface Bar {
  /** Position on the x axis, e.g. the condition. */
  category: string;
  value: number;
  /** Bars of the same series share a colour and a legend entry, e.g. `BitFit` or `full`. */
  series?: string;
  /** Half-length of an error bar, if any. */
  error?: number;
}

/** Titles and scale of a {@link barFigure}. */
export interface BarFigureOptions {
  title: string;
  xTitle: string;
  yTitle: string;
  /** Values are proportions in [0, 1], shown as percentages. */
  proportion?: boolean;
}

/**
 * Grouped bars: one colour per series, bars of a category side by side, each labelled with its
 * value so small differences can be read off without hovering.
 */
export function barFigure(bars: readonly Bar[], options: BarFigureOptions): Figure {
  if (bars.length === 0) throw new Error(`${options.title}: no bars to plot`);
  const seriesNames = firstSeen(bars.map((bar) => bar.series ?? ''));
  const format = options.proportion ? '.1%' : '.3g';
  const data: BarTrace[] = seriesNames.map((series, s) => {
    const own = bars.filter((bar) => (bar.series ?? '') === series);
    const trace: BarTrace = {
      type: 'bar',
      name: series || options.yTitle,
      x: own.map((bar) => bar.category),
      y: own.map((bar) => bar.value),
      marker: { color: seriesColor(s) },
      texttemplate: `%{y:${format}}`,
      textposition: 'outside',
      cliponaxis: false,
      hovertemplate: `%{fullData.name}<br>%{x}: %{y:${format}}<extra></extra>`,
    };
    if (own.some((bar) => bar.error !== undefined)) {
      trace.error_y = { type: 'data', array: own.map((bar) => bar.error ?? 0), visible: true, thickness: 1.2, width: 4 };
    }
    return trace;
  });
  const layout = baseLayout(
    options.title,
    axis(options.xTitle, { type: 'category', showgrid: false }),
    axis(options.yTitle, { rangemode: 'tozero', ...(options.proportion ? { tickformat: '.0%' } : {}) }),
  );
  layout.barmode = 'group';
  layout.showlegend = seriesNames.length > 1 || seriesNames[0] !== '';
  return { data, layout, config: defaultConfig() };
}

/** One line of a {@link lineFigure}. */
export interface LineSeries {
  name: string;
  y: ArrayLike<number>;
  /** x of each point; default 0, 1, 2, … */
  x?: ArrayLike<number>;
}

/** Titles and scale of a {@link lineFigure}. */
export interface LineFigureOptions {
  title: string;
  xTitle: string;
  yTitle: string;
  /** Logarithmic y axis (losses spanning decades). */
  logY?: boolean;
  /** Draw a marker at every point; default only when a series has 50 points or fewer. */
  markers?: boolean;
}

/** Line plot of raw series; non-finite values leave gaps instead of breaking the scale. */
export function lineFigure(series: readonly LineSeries[], options: LineFigureOptions): Figure {
  if (series.length === 0) throw new Error(`${options.title}: no series to plot`);
  const data: ScatterTrace[] = series.map((line, s) => {
    const y = Array.from(line.y, (v) => (Number.isFinite(v) ? v : null));
    const x = line.x ? Array.from(line.x) : y.map((_, i) => i);
    if (x.length !== y.length) throw new Error(`${options.title}: series '${line.name}' has ${x.length} x values but ${y.length} y values`);
    const markers = options.markers ?? y.length <= 50;
    return {
      type: 'scatter',
      mode: markers ? 'lines+markers' : 'lines',
      name: line.name,
      x,
      y,
      line: { color: seriesColor(s), width: 2 },
      marker: { color: seriesColor(s), size: 6 },
      hovertemplate: `%{fullData.name}<br>${options.xTitle}: %{x}<br>${options.yTitle}: %{y:.4g}<extra></extra>`,
    };
  });
  const layout = baseLayout(options.title, axis(options.xTitle), axis(options.yTitle, options.logY ? { type: 'log' } : {}));
  layout.showlegend = series.length > 1;
  return { data, layout, config: defaultConfig() };
}
