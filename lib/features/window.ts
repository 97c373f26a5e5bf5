/**
 * Analysis windows as Kaldi defines them. All are symmetric ("periodic = false"): the first and
 * last samples mirror each other, which is what Kaldi and torchaudio's Kaldi compliance use.
 */
import type { WindowType } from './options.js';

/** Kaldi's fixed Blackman coefficient (`--blackman-coeff`); the classic window uses 0.42 too. */
const BLACKMAN_COEFF = 0.42;

/** The window of `type` over `size` samples, in float64. */
export function windowFunction(type: WindowType, size: number): Float64Array {
  const out = new Float64Array(size);
  const a = (2 * Math.PI) / (size - 1);
  for (let n = 0; n < size; n++) {
    const hann = 0.5 - 0.5 * Math.cos(a * n);
    switch (type) {
      case 'hanning':
        out[n] = hann;
        break;
      case 'povey':
        // Like Hann but with a less sharp peak; Kaldi's default.
        out[n] = Math.pow(hann, 0.85);
        break;
      case 'hamming':
        out[n] = 0.54 - 0.46 * Math.cos(a * n);
        break;
      case 'rectangular':
        out[n] = 1;
        break;
      case 'blackman':
        out[n] = BLACKMAN_COEFF - 0.5 * Math.cos(a * n) + (0.5 - BLACKMAN_COEFF) * Math.cos(2 * a * n);
        break;
    }
  }
  return out;
}
