/**
 * Sample-rate conversion with libsamplerate (Secret Rabbit Code) compiled to WebAssembly, via
 * `@alexanderolsen/libsamplerate-js`: a band-limited sinc resampler, not linear interpolation,
 * so downsampling does not alias into the mel bands.
 */
import * as libsamplerateModule from '@alexanderolsen/libsamplerate-js';

// A CommonJS package marked `__esModule`: its exports sit on `default` under Node's ESM loader
// and on the namespace itself under CommonJS compilers (the tslab kernel). Take either.
const libsamplerate = (libsamplerateModule as unknown as { default?: typeof libsamplerateModule }).default ?? libsamplerateModule;

/** libsamplerate converters, best first. */
export type ResampleQuality = 'best' | 'medium' | 'fastest';

const CONVERTER: Record<ResampleQuality, number> = { best: 0, medium: 1, fastest: 2 };

type Converter = Awaited<ReturnType<typeof libsamplerate.create>>;

// Creating a converter costs ~10 ms (WASM instance and filter tables) against ~80 ms to convert
// a 3 s clip, and `simple()` keeps no state between calls (checked: repeated and fresh
// conversions are identical), so one converter per rate pair and quality is reused.
const converters = new Map<string, Promise<Converter>>();

function converterFor(fromRate: number, toRate: number, quality: ResampleQuality): Promise<Converter> {
  const key = `${fromRate}>${toRate}:${quality}`;
  let converter = converters.get(key);
  if (!converter) {
    converter = libsamplerate.create(1, fromRate, toRate, { converterType: CONVERTER[quality] as never });
    converters.set(key, converter);
    converter.catch(() => converters.delete(key));
  }
  return converter;
}

/**
 * Resamples mono audio from `fromRate` to `toRate` Hz. Returns the input unchanged (same array)
 * when the rates are equal.
 */
export async function resample(
  samples: Float32Array,
  fromRate: number,
  toRate: number,
  quality: ResampleQuality = 'best',
): Promise<Float32Array> {
  if (!(fromRate > 0) || !(toRate > 0)) throw new Error(`resample: invalid rates ${fromRate} -> ${toRate}`);
  if (fromRate === toRate) return samples;
  const converter = await converterFor(fromRate, toRate, quality);
  return converter.simple(samples);
}
