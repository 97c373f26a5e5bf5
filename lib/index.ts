/**
 * ttt-speech: test-time training of speech models in TensorFlow.js. This entry re-exports the
 * public face of every folder of the library, so that `import { createModel, tttClip } from
 * 'ttt-speech'` reaches any of it; `ttt-speech/<folder>` (e.g. `ttt-speech/model`) imports one
 * folder alone.
 *
 * lib/corpus comes as the namespace {@link corpus}: its typed manifest rows and columns
 * (`ManifestRow`, `MANIFEST_COLUMNS`, `Gender`, …) share their names with lib/data's general
 * manifest, which is the one every corpus reads and so the one exported by name here.
 * @packageDocumentation
 */
export * from './assignments/index.js';
export * from './audio/index.js';
export * from './backend/index.js';
export * from './bench/index.js';
export * as corpus from './corpus/index.js';
export * from './data/index.js';
export * from './experiment/index.js';
export * from './features/index.js';
export * from './model/index.js';
export * from './notebook/index.js';
export * from './plot/index.js';
export * from './pretrained/index.js';
export * from './shifts/index.js';
export * from './stats/index.js';
export * from './train/index.js';
export * from './tta/index.js';
export * from './ttt/index.js';
export * from './util/index.js';
