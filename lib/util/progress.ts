/**
 * Progress reporting for long work (corpus builds, training, TTT sweeps). Library code asks
 * for a {@link Progress} and ticks it; how it is drawn depends on where we run: a bar in an
 * interactive terminal (cli-progress), a line every 10 % in logs and CI, or whatever renderer
 * a notebook installs with {@link setProgressRenderer}.
 */
import cliProgress from 'cli-progress';

/** A running progress report. */
export interface Progress {
  /** Advances by `by` units (default 1); `info` is a short status shown beside the bar. */
  tick(by?: number, info?: string): void;
  /** Ends the report (draws the final state). Safe to call twice. */
  stop(): void;
}

/** What a progress report is about. */
export interface ProgressSpec {
  /** Short name of the work, e.g. `corpus` or `pretrain`. */
  label: string;
  /** Units of work in all. */
  total: number;
}

/** Makes a {@link Progress} for a spec; install one with {@link setProgressRenderer}. */
export type ProgressRenderer = (spec: ProgressSpec) => Progress;

const silent: Progress = { tick() {}, stop() {} };

function terminalBar(spec: ProgressSpec): Progress {
  const bar = new cliProgress.SingleBar(
    {
      format: `${spec.label.padEnd(10)} {bar} {percentage}% | {value}/{total} | {duration_formatted} elapsed, ETA {eta_formatted} {info}`,
      stream: process.stderr,
      hideCursor: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(spec.total, 0, { info: '' });
  let stopped = false;
  return {
    tick(by = 1, info = '') {
      bar.increment(by, { info });
    },
    stop() {
      if (!stopped) bar.stop();
      stopped = true;
    },
  };
}

function logLines(spec: ProgressSpec): Progress {
  const start = Date.now();
  let done = 0;
  let lastDecile = -1;
  let stopped = false;
  const report = (info: string) => {
    const seconds = ((Date.now() - start) / 1000).toFixed(1);
    process.stderr.write(`[${spec.label}] ${done}/${spec.total} (${Math.round((100 * done) / Math.max(1, spec.total))}%) ${seconds}s ${info}\n`);
  };
  return {
    tick(by = 1, info = '') {
      done += by;
      const decile = Math.floor((10 * done) / Math.max(1, spec.total));
      if (decile > lastDecile) {
        lastDecile = decile;
        report(info);
      }
    },
    stop() {
      if (!stopped && lastDecile < 10) report('');
      stopped = true;
    },
  };
}

let renderer: ProgressRenderer | undefined;

/** Replaces how progress is drawn (e.g. by a notebook display); `undefined` restores the default. */
export function setProgressRenderer(next: ProgressRenderer | undefined): void {
  renderer = next;
}

/**
 * Starts a progress report. `TTT_SPEECH_PROGRESS=off` silences every report (tests use it);
 * otherwise a bar when standard error is a terminal, log lines when it is not.
 */
export function createProgress(spec: ProgressSpec): Progress {
  if (process.env.TTT_SPEECH_PROGRESS === 'off') return silent;
  if (renderer) return renderer(spec);
  return process.stderr.isTTY ? terminalBar(spec) : logLines(spec);
}
