/**
 * The slice of the plotly.js figure schema that ttt-speech builds. Figures are plain JSON, so
 * they can be written to disk, sent to a notebook, or handed to `Plotly.newPlot` unchanged.
 */

/** A title as plotly ≥ 3 expects it (bare-string titles were removed in 3.0). */
export interface Title {
  text: string;
  x?: number;
  xanchor?: 'auto' | 'left' | 'center' | 'right';
  font?: Font;
}

/** Font settings. */
export interface Font {
  family?: string;
  size?: number;
  color?: string;
}

/** One axis of a cartesian subplot. */
export interface Axis {
  title: Title;
  type?: 'linear' | 'log' | 'category';
  domain?: [number, number];
  anchor?: string;
  matches?: string;
  range?: [number, number];
  autorange?: boolean | 'reversed';
  rangemode?: 'normal' | 'tozero' | 'nonnegative';
  tickformat?: string;
  dtick?: number;
  tickmode?: 'auto' | 'linear' | 'array';
  tickvals?: number[];
  showgrid?: boolean;
  gridcolor?: string;
  zeroline?: boolean;
  showline?: boolean;
  linecolor?: string;
  ticks?: '' | 'outside' | 'inside';
  automargin?: boolean;
  constrain?: 'range' | 'domain';
  scaleanchor?: string;
}

/** A text label placed on the figure (facet titles). */
export interface Annotation {
  text: string;
  x: number;
  y: number;
  xref: 'paper' | string;
  yref: 'paper' | string;
  xanchor?: 'left' | 'center' | 'right';
  yanchor?: 'top' | 'middle' | 'bottom';
  showarrow: boolean;
  font?: Font;
}

/** Figure-wide layout. `xaxis2`, `yaxis2`, … hold the axes of further subplots. */
export interface Layout {
  title: Title;
  xaxis: Axis;
  yaxis: Axis;
  [axisKey: `xaxis${number}` | `yaxis${number}`]: Axis;
  font?: Font;
  colorway?: string[];
  paper_bgcolor?: string;
  plot_bgcolor?: string;
  margin?: { l?: number; r?: number; t?: number; b?: number; pad?: number };
  height?: number;
  showlegend?: boolean;
  legend?: { title?: Title; orientation?: 'v' | 'h'; x?: number; y?: number; xanchor?: string; yanchor?: string };
  hovermode?: 'closest' | 'x' | 'y' | 'x unified' | false;
  barmode?: 'group' | 'stack' | 'overlay' | 'relative';
  annotations?: Annotation[];
}

/** Error bars of a trace. */
export interface ErrorBars {
  type: 'data';
  array: number[];
  visible: boolean;
  thickness?: number;
  width?: number;
}

/** Fields every trace shares. */
interface TraceBase {
  name?: string;
  xaxis?: string;
  yaxis?: string;
  showlegend?: boolean;
  legendgroup?: string;
  hovertemplate?: string;
  hoverinfo?: string;
}

/** A line / marker trace. `null` in `y` leaves a gap. */
export interface ScatterTrace extends TraceBase {
  type: 'scatter';
  mode: 'lines' | 'markers' | 'lines+markers';
  x: (number | string)[];
  y: (number | null)[];
  line?: { color?: string; width?: number; dash?: string };
  marker?: { color?: string; size?: number };
  error_y?: ErrorBars;
  customdata?: unknown[];
  /** `toself` closes the trace's own outline and fills it (interval bands). */
  fill?: 'none' | 'toself' | 'tonexty';
  fillcolor?: string;
}

/** A bar trace. */
export interface BarTrace extends TraceBase {
  type: 'bar';
  x: string[];
  y: number[];
  marker?: { color?: string };
  error_y?: ErrorBars;
  texttemplate?: string;
  textposition?: 'inside' | 'outside' | 'auto' | 'none';
  cliponaxis?: boolean;
}

/** A colour scale: named (plotly's own) or explicit `[position, colour]` stops. */
export type Colorscale = string | [number, string][];

/** A heatmap trace. `z[row][col]` is drawn at `(x[col], y[row])`; `null` cells are transparent. */
export interface HeatmapTrace extends TraceBase {
  type: 'heatmap';
  z: (number | null)[][];
  x?: (number | string)[];
  y?: (number | string)[];
  x0?: number;
  dx?: number;
  y0?: number;
  dy?: number;
  zmin?: number;
  zmax?: number;
  colorscale?: Colorscale;
  showscale?: boolean;
  colorbar?: { title?: Title; thickness?: number; tickformat?: string };
  texttemplate?: string;
  customdata?: unknown[][];
}

/** Any trace ttt-speech draws. */
export type Trace = ScatterTrace | BarTrace | HeatmapTrace;

/** Options passed to `Plotly.newPlot` alongside the figure. */
export interface PlotConfig {
  responsive?: boolean;
  displaylogo?: boolean;
  displayModeBar?: boolean | 'hover';
}

/** A complete plotly figure. */
export interface Figure {
  data: Trace[];
  layout: Layout;
  config?: PlotConfig;
}
