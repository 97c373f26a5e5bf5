// Model configs shared by the unit tests.
import { resolveModelConfig, type ModelConfig } from '../../lib/model/index.js';

/** A model small enough for unit tests: 32 frames × 32 mels, 8×8 patches (a 4 × 4 grid). */
export const MICRO: ModelConfig = resolveModelConfig({
  preset: 'tiny',
  name: 'micro',
  inputFrames: 32,
  melBins: 32,
  patchSize: 8,
  embedDim: 32,
  depth: 2,
  numHeads: 2,
  decoderEmbedDim: 16,
  decoderDepth: 1,
  decoderNumHeads: 2,
});
