/** Running a stream method over a list of clips, outside the evaluation loop (notebooks, tests). */
import type { ClipTrace, StreamMethod, TttClip } from '../ttt/index.js';

/** Feeds `clips` to `method` in order, `method.batch` at a time, and returns every trace in stream order. */
export function runStream(method: StreamMethod, clips: readonly TttClip[]): ClipTrace[] {
  const traces: ClipTrace[] = [];
  for (let start = 0; start < clips.length; start += method.batch) traces.push(...method.adaptBatch(clips.slice(start, start + method.batch)));
  return traces;
}
