/**
 * A results CSV that grows as clips finish and survives interruption. All rows of a clip (or
 * of a batch of clips) go to the file in one append followed by fsync, so after a crash the
 * file holds whole clips plus at most one torn write at the end. Opening it again keeps the
 * clips whose rows are all there, drops the torn tail (rewriting the file atomically when it
 * had one), and reports which (condition, method, clip) triples are done, so a resumed run
 * neither repeats nor misses a row.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { writeFileAtomic } from '../util/index.js';
import { formatRows, parseRows, resultsHeader, type TttRow } from './results.js';

/** The key of one clip's rows under one method and condition. */
export function clipKey(condition: string, method: string, clip: string): string {
  return JSON.stringify([condition, method, clip]);
}

/** An open results file. */
export class ResultsFile {
  private fd: number | null;

  private constructor(
    readonly path: string,
    /** Rows kept from an earlier run, in file order. */
    readonly previous: TttRow[],
    /** Keys (see {@link clipKey}) of the clips whose rows are complete. */
    readonly completed: Set<string>,
    /** Rows of incomplete clips or a torn line that were dropped on opening. */
    readonly dropped: { rows: number; tornLine: boolean },
  ) {
    this.fd = openSync(path, 'a');
  }

  /**
   * Opens `path` for appending, creating it with a header when absent. `expectedSteps`
   * gives K for a (condition, method), so a clip counts as complete when it has exactly the
   * rows of steps 0 … K; rows of methods it does not know (`undefined`) are kept as they are.
   */
  static open(path: string, expectedSteps: (condition: string, method: string) => number | undefined): ResultsFile {
    if (!existsSync(path)) {
      writeFileAtomic(path, resultsHeader());
      return new ResultsFile(path, [], new Set(), { rows: 0, tornLine: false });
    }
    const text = readFileSync(path, 'utf8');
    const lastNewline = text.lastIndexOf('\n');
    const whole = lastNewline < 0 ? '' : text.slice(0, lastNewline + 1);
    const tornLine = whole.length !== text.length;
    if (!whole.startsWith(resultsHeader())) {
      if (whole.length === 0) {
        writeFileAtomic(path, resultsHeader());
        return new ResultsFile(path, [], new Set(), { rows: 0, tornLine });
      }
      throw new Error(`${path} is not a TTT results file (its header differs); choose another output folder`);
    }
    const rows = parseRows(whole);
    const byClip = new Map<string, TttRow[]>();
    for (const row of rows) {
      const key = clipKey(row.condition, row.method, row.clip);
      byClip.set(key, [...(byClip.get(key) ?? []), row]);
    }
    const completed = new Set<string>();
    for (const [key, clipRows] of byClip) {
      const { condition, method } = clipRows[0];
      const steps = expectedSteps(condition, method);
      if (steps === undefined || isComplete(clipRows, steps)) completed.add(key);
    }
    const kept = rows.filter((row) => completed.has(clipKey(row.condition, row.method, row.clip)));
    if (tornLine || kept.length !== rows.length) writeFileAtomic(path, resultsHeader() + formatRows(kept));
    return new ResultsFile(path, kept, completed, { rows: rows.length - kept.length, tornLine });
  }

  /** Appends rows and forces them to disk before returning. */
  append(rows: readonly TttRow[]): void {
    if (this.fd === null) throw new Error(`${this.path} is closed`);
    if (rows.length === 0) return;
    writeSync(this.fd, formatRows(rows));
    fsyncSync(this.fd);
    for (const row of rows) this.completed.add(clipKey(row.condition, row.method, row.clip));
  }

  /** Closes the file. Safe to call twice. */
  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

function isComplete(rows: readonly TttRow[], steps: number): boolean {
  if (rows.length !== steps + 1) return false;
  const seen = new Set(rows.map((row) => row.step));
  for (let step = 0; step <= steps; step++) if (!seen.has(step)) return false;
  return true;
}

/** Every row of a results file (after dropping a torn last line); for reports that read finished runs. */
export function readResults(path: string): TttRow[] {
  const text = readFileSync(path, 'utf8');
  return parseRows(text.slice(0, text.lastIndexOf('\n') + 1));
}
