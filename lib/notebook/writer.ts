/**
 * The channel to the notebook: Jupyter `display_data` messages sent through the running tslab
 * kernel. tslab's public `display.*` sends one MIME type per output, and a plotly figure must
 * travel as several (plotly JSON for JupyterLab's renderer, HTML for everything else), so this
 * uses the writer tslab keeps in `tslab/dist/jupyter` (`lastWriteDisplayData`). That is internal
 * API: package.json pins tslab to the version it was checked against (1.0.22).
 */
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { sep } from 'node:path';

/** The content of a Jupyter `display_data` / `update_display_data` message. */
export interface DisplayMessage {
  /** MIME type → value: text, base64 for binary types, or JSON for `+json` types. */
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  /** `display_id` makes the output updatable in place. */
  transient: { display_id?: string };
}

/** Sends one message; `update` replaces the output that has the same `display_id`. */
export type DisplayWriter = (message: DisplayMessage, update: boolean) => void;

/** Thrown when something is to be shown but no notebook kernel is there to show it. */
export class NotInKernelError extends Error {
  constructor(what: string) {
    super(
      `${what} needs a running tslab notebook kernel (start Jupyter with the ttt-tslab kernel). ` +
        'Outside a notebook, write figures to a file with writeReportHtml from lib/plot.',
    );
    this.name = 'NotInKernelError';
  }
}

let injected: DisplayWriter | undefined;
let destination = 0;

/** Routes every display through `writer` (tests, other front ends); `undefined` goes back to the kernel. */
export function setDisplayWriter(writer: DisplayWriter | undefined): void {
  injected = writer;
  destination++;
}

/** Changes whenever {@link setDisplayWriter} points displays somewhere new (one-time set-up is redone then). */
export function displayDestination(): number {
  return destination;
}

interface TslabJupyterModule {
  lastWriteDisplayData?: DisplayWriter | null;
}

const JUPYTER_MODULE_SUFFIX = `${sep}tslab${sep}dist${sep}jupyter.js`;

let kernelModule: TslabJupyterModule | undefined;

// The kernel loaded tslab/dist/jupyter.js through Node's CommonJS loader before running any
// cell, so its module is found in the module cache. Looking there (rather than requiring tslab)
// loads nothing outside a kernel and always finds the kernel's own copy. The writer itself is
// read on every call: tslab replaces it for each cell it runs.
function kernelWriter(): DisplayWriter | undefined {
  if (!kernelModule) {
    const cache = createRequire(`${process.cwd()}${sep}`).cache;
    for (const [file, entry] of Object.entries(cache)) {
      const exported = entry?.exports as TslabJupyterModule | undefined;
      if (file.endsWith(JUPYTER_MODULE_SUFFIX) && typeof exported?.lastWriteDisplayData === 'function') {
        kernelModule = exported;
        break;
      }
    }
  }
  const writer = kernelModule?.lastWriteDisplayData;
  return typeof writer === 'function' ? writer : undefined;
}

/** Whether displays have somewhere to go: a tslab kernel, or a writer set with {@link setDisplayWriter}. */
export function canDisplay(): boolean {
  return (injected ?? kernelWriter()) !== undefined;
}

/** The writer displays go to; throws {@link NotInKernelError} (naming `what`) when there is none. */
export function displayWriter(what: string): DisplayWriter {
  const writer = injected ?? kernelWriter();
  if (!writer) throw new NotInKernelError(what);
  return writer;
}

/** Sends one output holding every representation in `data`; the front end picks the richest it can draw. */
export function displayBundle(data: Record<string, unknown>, what = 'displayBundle'): void {
  displayWriter(what)({ data, metadata: {}, transient: {} }, false);
}

/** An output that can be redrawn in place (progress bars, live metrics). */
export interface UpdatableDisplay {
  /** Shows `data`: the first call adds the output, later calls replace it. */
  show(data: Record<string, unknown>): void;
}

/** Creates an {@link UpdatableDisplay}; the writer is looked up now, so a missing kernel fails early. */
export function updatableDisplay(what: string): UpdatableDisplay {
  const writer = displayWriter(what);
  const displayId = randomBytes(8).toString('hex');
  let shown = false;
  return {
    show(data) {
      writer({ data, metadata: {}, transient: { display_id: displayId } }, shown);
      shown = true;
    },
  };
}
