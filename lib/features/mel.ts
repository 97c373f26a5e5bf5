/**
 * Kaldi's mel filterbank: triangles equally spaced on the mel scale 1127·ln(1 + f/700), each
 * rising from its left neighbour's centre to its own and falling to its right neighbour's
 * centre, evaluated on the mel value of each DFT bin centre (not interpolated in Hz).
 *
 * Kaldi and torchaudio compute the weights in single precision. Near a filter's edge that
 * rounding moves a weight by about 1e-6, which shifts a log energy by 1e-4 when a strong tone
 * sits there, so the weights here repeat their float32 arithmetic step by step (`Math.fround`).
 */

/** Hz to mel, Kaldi's natural-log form (equal to HTK's 2595·log10(1 + f/700)). */
export function melScale(hz: number): number {
  return 1127 * Math.log(1 + hz / 700);
}

/** Mel to Hz, the inverse of {@link melScale}. */
export function inverseMelScale(mel: number): number {
  return 700 * (Math.exp(mel / 1127) - 1);
}

/** A filterbank restricted to the DFT bins that any filter touches. */
export interface MelFilterbank {
  /** Weights, row-major `[binCount, melBins]`: row `i` is DFT bin `firstBin + i`. */
  weights: Float64Array;
  /** First DFT bin with a non-zero weight in some filter. */
  firstBin: number;
  /** Number of DFT bins kept, from `firstBin` on. */
  binCount: number;
  /** Number of filters (columns). */
  melBins: number;
}

/** Settings that define a filterbank. */
export interface MelFilterbankSpec {
  /** Number of triangular filters. */
  melBins: number;
  /** DFT length; bins 0 … `paddedSize / 2 − 1` are weighted (Kaldi gives Nyquist no weight). */
  paddedSize: number;
  /** Sample rate in Hz. */
  sampleRate: number;
  /** Lower edge of the lowest filter in Hz. */
  lowFreqHz: number;
  /** Upper edge of the highest filter in Hz (already resolved against Nyquist). */
  highFreqHz: number;
}

/**
 * Builds the filterbank and trims the DFT bins whose weight is zero in every filter (bin 0
 * below `lowFreq`, the band above `highFreq`), so the DFT never computes bins nobody reads.
 */
export function melFilterbank(spec: MelFilterbankSpec): MelFilterbank {
  const { melBins, paddedSize, sampleRate } = spec;
  const f32 = Math.fround;
  const fftBins = paddedSize / 2;
  const binWidthHz = f32(sampleRate / paddedSize);
  // The band edges are computed in double precision, then everything per bin and filter in single.
  const melLowF64 = melScale(spec.lowFreqHz);
  const melLow = f32(melLowF64);
  const melDelta = f32((melScale(spec.highFreqHz) - melLowF64) / (melBins + 1));
  const melOfBin = (k: number): number => f32(1127 * f32(Math.log(f32(1 + f32(f32(binWidthHz * k) / 700)))));
  const edge = (m: number): number => f32(melLow + f32(m * melDelta));
  const full = new Float64Array(fftBins * melBins);
  let firstBin = fftBins;
  let lastBin = -1;
  for (let k = 0; k < fftBins; k++) {
    const mel = melOfBin(k);
    for (let m = 0; m < melBins; m++) {
      const left = edge(m);
      const centre = edge(m + 1);
      const right = edge(m + 2);
      const up = f32(f32(mel - left) / f32(centre - left));
      const down = f32(f32(right - mel) / f32(right - centre));
      const weight = Math.max(0, Math.min(up, down));
      if (weight > 0) {
        full[k * melBins + m] = weight;
        firstBin = Math.min(firstBin, k);
        lastBin = Math.max(lastBin, k);
      }
    }
  }
  if (lastBin < 0) {
    throw new Error(`fbank: no DFT bin falls inside the mel filters (${spec.lowFreqHz}–${spec.highFreqHz} Hz with ${fftBins} bins); widen the band or lengthen the frame`);
  }
  const binCount = lastBin - firstBin + 1;
  return { weights: full.slice(firstBin * melBins, (lastBin + 1) * melBins), firstBin, binCount, melBins };
}
