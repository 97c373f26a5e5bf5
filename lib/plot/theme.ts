/**
 * Shared look of every figure: a light theme with a colour-blind-safe palette, readable font
 * sizes, and axis titles always present.
 */
import type { Axis, Font, Layout, PlotConfig } from './types.js';

/** Series colours, in order (Tableau 10: distinct under the common colour-vision deficiencies). */
export const PALETTE: readonly string[] = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
];

/** The colour of the `index`-th series, cycling through {@link PALETTE}. */
export function seriesColor(index: number): string {
  return PALETTE[index % PALETTE.length];
}

const FONT: Font = {
  family: 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
  size: 13,
  color: '#222222',
};

/** An axis with the theme's lines and grid and the given title. */
export function axis(title: string, extra: Partial<Axis> = {}): Axis {
  return {
    title: { text: title },
    showline: true,
    linecolor: '#444444',
    ticks: 'outside',
    showgrid: true,
    gridcolor: '#e5e5e5',
    zeroline: false,
    automargin: true,
    ...extra,
  };
}

/** A layout with the theme applied, a left-aligned title and the two main axes. */
export function baseLayout(title: string, xaxis: Axis, yaxis: Axis): Layout {
  return {
    title: { text: title, x: 0.01, xanchor: 'left', font: { size: 16 } },
    xaxis,
    yaxis,
    font: FONT,
    colorway: [...PALETTE],
    paper_bgcolor: '#ffffff',
    plot_bgcolor: '#ffffff',
    margin: { l: 64, r: 24, t: 56, b: 56 },
    hovermode: 'closest',
  };
}

/** Plot options every figure carries: resize with its container, no plotly logo. */
export function defaultConfig(): PlotConfig {
  return { responsive: true, displaylogo: false };
}
