import { readFileSync } from 'node:fs';
import { describeFileError } from '../util/files.js';

/**
 * An input file that ttt-speech cannot use. The message always starts with the file and then
 * says what is wrong with it, so a bad clip deep inside a corpus is easy to find.
 */
export class AudioFileError extends Error {
  /** The file (or a name for in-memory data) the problem was found in. */
  readonly file: string;
  /** What is wrong, without the file name. */
  readonly problem: string;

  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'AudioFileError';
    this.file = file;
    this.problem = problem;
  }
}

/**
 * Reads an audio file's bytes. A failure is an {@link AudioFileError} saying why in words
 * ("cannot read: no such file", "… is a directory", "… permission denied").
 */
export function readAudioBytes(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new AudioFileError(path, `cannot read: ${describeFileError(err)}`);
  }
}
