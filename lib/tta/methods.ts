/**
 * The baselines by name: their published defaults (rescaled to the batch as each paper's own
 * rule says), settings from a config checked key by key, and factories the evaluation loop
 * (lib/ttt `evaluate`) runs like any other method.
 */
import type { MaeModel } from '../model/index.js';
import type { StreamMethodFactory, TttClip } from '../ttt/index.js';
import { DEFAULT_AUGMENT, validateAugment, type SpectrogramAugmentOptions } from './augment.js';
import type { TtaBase, TtaCommonSettings } from './base.js';
import { Cotta, cottaDefaults, type CottaSettings } from './cotta.js';
import { Eata, eataDefaults, type EataSettings } from './eata.js';
import { Memo, memoDefaults, type MemoSettings } from './memo.js';
import { Sar, sarDefaults, type SarSettings } from './sar.js';
import { Suta, sutaDefaults, type SutaSettings } from './suta.js';
import { Tent, tentDefaults, type TentSettings } from './tent.js';

/** The label-free baselines. */
export const TTA_METHODS = ['tent', 'memo', 'eata', 'sar', 'cotta', 'suta'] as const;
/** One of {@link TTA_METHODS}. */
export type TtaMethodName = (typeof TTA_METHODS)[number];

/** Settings of each method. */
export interface TtaSettingsByMethod {
  tent: TentSettings;
  memo: MemoSettings;
  eata: EataSettings;
  sar: SarSettings;
  cotta: CottaSettings;
  suta: SutaSettings;
}

/** Any method's settings. */
export type TtaSettings = TtaSettingsByMethod[TtaMethodName];

/** Settings as a config gives them: any subset of the method's keys (`augment` partly). */
export type TtaSettingsInput = Partial<Omit<TentSettings & MemoSettings & EataSettings & SarSettings & CottaSettings & SutaSettings, 'augment'>> & {
  augment?: Partial<SpectrogramAugmentOptions>;
};

/** Clips per batch for the batch-wise methods when a config names none: the batch of the batched-BitFit runs. */
export const DEFAULT_TTA_BATCH = 8;

/**
 * A method's published defaults at `batch` clips per batch (per-clip methods ignore it) for an
 * encoder of `depth` blocks (SAR's skipped blocks).
 */
export function ttaDefaults(method: TtaMethodName, batch: number = DEFAULT_TTA_BATCH, depth = 12): TtaSettings {
  switch (method) {
    case 'tent': return tentDefaults(batch);
    case 'memo': return memoDefaults();
    case 'eata': return eataDefaults(batch);
    case 'sar': return sarDefaults(batch, depth);
    case 'cotta': return cottaDefaults(batch);
    case 'suta': return sutaDefaults();
    default: throw new Error(`unknown adaptation method '${String(method)}'; use one of ${TTA_METHODS.join(', ')}`);
  }
}

/** How each method rescales its published rate when the batch changes (for `config.json`). */
export const LEARNING_RATE_RULES: Readonly<Record<TtaMethodName, string>> = Object.freeze({
  tent: '2.5e-4 × batch / 64 (SGD, ImageNet-C recipe)',
  memo: '2.5e-4 (per input; its batch is the augmentations)',
  eata: '2.5e-4 × batch / 64 (SGD)',
  sar: '1e-3 × batch / 64, ×2 at batch 1 (SGD, ViT recipe)',
  cotta: '1e-3 × batch / 200 (Adam; linear rule of TENT/SAR, CoTTA states none)',
  suta: '2e-5 (AdamW, per utterance)',
});

/**
 * A method's settings: its defaults at the given batch, then `input` over them. Throws on a
 * key the method does not have, naming it and `source`.
 */
export function resolveTtaSettings<M extends TtaMethodName>(method: M, input: TtaSettingsInput = {}, depth = 12, source: string = method): TtaSettingsByMethod[M] {
  const batch = input.batch ?? ((method === 'memo' || method === 'suta') ? 1 : DEFAULT_TTA_BATCH);
  const defaults = ttaDefaults(method, batch, depth) as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = { ...defaults };
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue;
    if (!(key in defaults) && !(key === 'resetEvery' && defaults.mode !== undefined)) throw new Error(`${source}: ${method} has no setting '${key}' (it has ${Object.keys(defaults).join(', ')})`);
    out[key] = key === 'augment' ? { ...DEFAULT_AUGMENT, ...(value as object) } : value;
  }
  if (out.augment) validateAugment(out.augment as SpectrogramAugmentOptions);
  return out as unknown as TtaSettingsByMethod[M];
}

/** Builds a method on `model`; EATA estimates its Fisher information from the start of `clips`. */
export function createTtaMethod(model: MaeModel, method: TtaMethodName, settings: TtaSettings, clips: readonly TttClip[] = []): TtaBase {
  switch (method) {
    case 'tent': return new Tent(model, settings as TentSettings);
    case 'memo': return new Memo(model, settings as MemoSettings);
    case 'eata': return new Eata(model, settings as EataSettings, clips);
    case 'sar': return new Sar(model, settings as SarSettings);
    case 'cotta': return new Cotta(model, settings as CottaSettings);
    case 'suta': return new Suta(model, settings as SutaSettings);
    default: throw new Error(`unknown adaptation method '${String(method)}'; use one of ${TTA_METHODS.join(', ')}`);
  }
}

/**
 * A baseline as a method for lib/ttt `evaluate`: settings resolved for the model's depth,
 * the run's seed used unless the settings name one, all of them recorded in `config.json`.
 */
export function ttaMethodFactory(method: TtaMethodName, input: TtaSettingsInput, depth: number, source?: string): StreamMethodFactory {
  const settings = resolveTtaSettings(method, input, depth, source);
  const seeded = input.seed !== undefined;
  const common = settings as TtaCommonSettings;
  return {
    group: { tent: 'layernorm', memo: 'all', eata: 'layernorm', sar: `layernorm-skip${(settings as SarSettings).skipLastBlocks}`, cotta: 'all', suta: 'layernorm+patchEmbed' }[method],
    optimizer: common.optimizer,
    batch: common.batch,
    steps: common.steps,
    settings: { method, ...settings, seed: seeded ? settings.seed : 'run seed', learningRateRule: input.learningRate !== undefined ? 'given' : LEARNING_RATE_RULES[method] },
    create: (model, clips, seed) => createTtaMethod(model, method, seeded ? settings : { ...settings, seed }, clips),
  };
}


