/**
 * Recorded noise: a set of noise files (or parts of files) that clips draw from. Each clip
 * draws one file and a start in it from its own seed, so a clip gets the same noise whichever
 * run, set or order it is in; the noise is decoded, resampled to the clip's rate, looped when
 * shorter than the clip, and mixed with {@link mixAtSnr}, exactly as generated noise is.
 */
import { AudioFileError } from './errors.js';
import { DEFAULT_SILENCE_THRESHOLD_DB, loadClip, type Clip } from './clip.js';
import { mixAtSnr } from './mix.js';
import { createRng, deriveSeed } from '../util/random.js';

/** One noise recording, or the part of it one role may use. */
export interface NoiseFile {
  /** The audio file (absolute, or relative to the working directory). */
  path: string;
  /**
   * Where the usable part starts and ends, as fractions of the recording's length; default the
   * whole file (0 to 1). A recording shared between roles (a noise type with a single
   * recording) gives each role its own stretch.
   */
  from?: number;
  to?: number;
  /** How the file is named in reports; default `path`. */
  name?: string;
}

/** Options of {@link NoiseFiles}. */
export interface NoiseFilesOptions {
  /** Names the set in errors, e.g. `musan-noise`. */
  name: string;
  /** Decoded recordings kept in memory; default 8 (a DEMAND environment is ~20 MB at 16 kHz). */
  cacheSize?: number;
  /** Called with every file a clip draws (e.g. to list the files a split used). */
  onDraw?: (file: NoiseFile, clip: string) => void;
}

// Below this level a sample counts as silence when the ends of a recording are trimmed: the
// same threshold as a silent clip (validateClip's −90 dBFS).
const SILENCE = 10 ** (DEFAULT_SILENCE_THRESHOLD_DB / 20);

/**
 * A set of noise files to draw from. Files are kept in path order, so which file a seed picks
 * does not depend on the order they were listed in.
 */
export class NoiseFiles {
  /** The files, sorted by path (then start). */
  readonly files: readonly NoiseFile[];
  /** The set's name, as given. */
  readonly name: string;
  private readonly cacheSize: number;
  private readonly onDraw?: (file: NoiseFile, clip: string) => void;
  private readonly cache = new Map<string, Promise<Float32Array>>();

  constructor(files: readonly NoiseFile[], options: NoiseFilesOptions) {
    if (files.length === 0) throw new Error(`noise '${options.name}': no noise files to draw from`);
    for (const file of files) {
      const from = file.from ?? 0;
      const to = file.to ?? 1;
      if (!(from >= 0 && to <= 1 && from < to)) throw new Error(`noise '${options.name}': ${file.path}: the part [${from}, ${to}) is not within [0, 1)`);
    }
    this.files = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : (a.from ?? 0) - (b.from ?? 0)));
    this.name = options.name;
    this.cacheSize = options.cacheSize ?? 8;
    this.onDraw = options.onDraw;
  }

  /** The file a seed picks (uniformly). */
  pick(seed: number): NoiseFile {
    return this.files[Math.floor(createRng(seed)() * this.files.length)];
  }

  /**
   * The usable part of a file at `sampleRate`: decoded, downmixed, resampled, cut to
   * `[from, to)`, with digital silence trimmed from both ends (ESC-50 pads short events with
   * it to 5 s; a stretch of it has no power to scale to an SNR).
   */
  async samples(file: NoiseFile, sampleRate: number): Promise<Float32Array> {
    const whole = await this.recording(file.path, sampleRate);
    let start = Math.floor((file.from ?? 0) * whole.length);
    let end = Math.floor((file.to ?? 1) * whole.length);
    while (start < end && Math.abs(whole[start]) < SILENCE) start++;
    while (end > start && Math.abs(whole[end - 1]) < SILENCE) end--;
    if (end === start) throw new AudioFileError(file.path, `noise '${this.name}': the part used here [${file.from ?? 0}, ${file.to ?? 1}) is silent`);
    return whole.subarray(start, end);
  }

  /**
   * Returns a new clip with noise from this set mixed in at `snrDb` (on active speech, see
   * {@link mixAtSnr}). `seed` picks the file (`deriveSeed(seed, 'file')`) and the start in it
   * (`deriveSeed(seed, 'offset')`, as {@link addNoise} does); the clip's own samples are not
   * changed. Errors name the clip and the noise file.
   */
  async addTo(clip: Clip, spec: { snrDb: number; seed: number }): Promise<Clip> {
    const file = this.pick(deriveSeed(spec.seed, 'file'));
    const noise = await this.samples(file, clip.sampleRate);
    let samples: Float32Array;
    try {
      samples = mixAtSnr(clip.samples, noise, spec.snrDb, { sampleRate: clip.sampleRate, seed: deriveSeed(spec.seed, 'offset') });
    } catch (error) {
      throw new Error(`${clip.source}: cannot mix noise '${this.name}' from ${file.path}: ${(error as Error).message}`);
    }
    this.onDraw?.(file, clip.source);
    return { ...clip, samples };
  }

  /** A whole recording at a rate, from the cache (least recently used goes first). */
  private recording(path: string, sampleRate: number): Promise<Float32Array> {
    const key = `${sampleRate}:${path}`;
    let entry = this.cache.get(key);
    if (entry) {
      this.cache.delete(key);
    } else {
      // Noise may be quieter than speech but never silent as a whole: loadClip's checks stand.
      entry = loadClip(path, { sampleRate }).then((clip) => clip.samples);
      entry.catch(() => this.cache.delete(key));
    }
    this.cache.set(key, entry);
    while (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value as string);
    return entry;
  }
}
