/**
 * Rich output for tslab notebooks: plotly figures (with plotly.js sent once, offline), audio
 * players, PNG images, tables, Markdown and live progress bars.
 * @packageDocumentation
 */
export { PLOTLY_MIME, loadPlotly, figureBundle, showFigure, audioHtml, showAudio, showImage, showTable, showMarkdown, showHtml } from './show.js';
export { PROGRESS_REDRAW_MS, notebookProgress, useNotebookProgress, progressHtml, progressText } from './progress.js';
export type { ProgressState } from './progress.js';
export {
  NotInKernelError,
  setDisplayWriter,
  displayDestination,
  canDisplay,
  displayWriter,
  displayBundle,
  updatableDisplay,
} from './writer.js';
export type { DisplayMessage, DisplayWriter, UpdatableDisplay } from './writer.js';
