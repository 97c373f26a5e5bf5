/**
 * Figures for ttt-speech results: builders that turn plain data into plotly figure JSON, PNG
 * rendering of matrices, HTML tables, and self-contained HTML reports.
 * @packageDocumentation
 */
export type {
  Figure,
  Trace,
  ScatterTrace,
  BarTrace,
  HeatmapTrace,
  Layout,
  Axis,
  Title,
  Font,
  Annotation,
  ErrorBars,
  Colorscale,
  PlotConfig,
} from './types.js';
export { PALETTE, seriesColor } from './theme.js';
export { accuracyVsStepsFigure, accuracyVsSnrFigure } from './accuracy.js';
export type { AccuracyStepRow, AccuracySnrRow, AccuracyFigureOptions, AccuracyStepsOptions } from './accuracy.js';
export { integerTickValues, translucent, wrapPanelTitle } from './facets.js';
export type { ReferenceLine } from './facets.js';
export { barFigure, lineFigure } from './charts.js';
export type { Bar, BarFigureOptions, LineSeries, LineFigureOptions } from './charts.js';
export { heatmapFigure, maskedSpectrogramFigure, confusionMatrixFigure } from './heatmap.js';
export type { HeatmapOptions, MaskedSpectrogramOptions, ConfusionMatrixOptions } from './heatmap.js';
export type { MatrixInput, MatrixShape } from './matrix.js';
export { matrixToPng } from './image.js';
export type { PngOptions, PngImage } from './image.js';
export { colorAt } from './colormap.js';
export type { ColormapName } from './colormap.js';
export { tableHtml, escapeHtml } from './table.js';
export type { TableInput, TableOptions } from './table.js';
export {
  PLOTLY_BUNDLE,
  DEFAULT_FIGURE_HEIGHT,
  plotlyScript,
  plotlyScriptTag,
  escapeScriptText,
  scriptJson,
  figureHtml,
  reportHtml,
  writeReportHtml,
} from './html.js';
export type { FigureHtmlOptions, Report, ReportSection } from './html.js';
