/**
 * Sweeps: a config's `grid` names settings and the values to try; every combination is a
 * *variant*, run into its own folder `<out>/<variant>/`. With a shard, one process takes every
 * n-th (variant, unit) pair and writes under `<out>/shard-<i>-of-<n>/`, so shards never share
 * a file and any scheduler (a Slurm job array, a CI matrix) can spread a sweep over machines;
 * `report` merges the folders afterwards.
 */
import { join, resolve } from 'node:path';
import { writeJsonAtomic } from '../util/index.js';
import { resolveExperimentConfig, type ExperimentConfig } from './config.js';
import { experimentUnits, runExperiment, shardItems, type ExperimentUnit, type RunOptions, type RunResult, type Shard } from './run.js';

/** One point of a grid. */
export interface SweepVariant {
  /** Folder name: `path=value` pairs joined by `__`, e.g. `ttt.mask.ratio=0.5__seed=1`. */
  name: string;
  /** The settings this variant changes. */
  settings: Record<string, number | string | boolean>;
  config: ExperimentConfig;
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  keys.slice(0, -1).forEach((key) => {
    const next = node[key];
    if (next !== undefined && (typeof next !== 'object' || next === null || Array.isArray(next))) {
      throw new Error(`grid key '${path}': '${key}' is not an object in the config`);
    }
    node[key] = next ?? {};
    node = node[key] as Record<string, unknown>;
  });
  node[keys[keys.length - 1]] = value;
}

function variantName(settings: Record<string, number | string | boolean>): string {
  const name = Object.entries(settings)
    .map(([key, value]) => `${key}=${String(value)}`)
    .join('__');
  return name.replace(/[^A-Za-z0-9._=+-]/g, '-') || 'base';
}

/** Every combination of the grid's values applied to the config (the config itself when there is no grid), each validated. */
export function expandGrid(config: ExperimentConfig): SweepVariant[] {
  const grid = Object.entries(config.grid ?? {});
  let points: Record<string, number | string | boolean>[] = [{}];
  for (const [path, values] of grid) points = points.flatMap((point) => values.map((value) => ({ ...point, [path]: value })));
  const { grid: _grid, ...base } = config;
  return points.map((settings) => {
    const copy = JSON.parse(JSON.stringify(base)) as Record<string, unknown>;
    for (const [path, value] of Object.entries(settings)) {
      if (path === 'grid' || path.startsWith('grid.')) throw new Error(`grid key '${path}' cannot change the grid`);
      setPath(copy, path, value);
    }
    const name = variantName(settings);
    return { name, settings, config: resolveExperimentConfig(copy, `grid point ${name}`) };
  });
}

/** Options of {@link runSweep}. */
export interface SweepOptions extends Omit<RunOptions, 'out' | 'shard'> {
  /** Default `runs/<name>`. */
  out?: string;
  shard?: Shard;
}

/** What {@link runSweep} returns. */
export interface SweepResult {
  /** Folder this process wrote (the shard's folder when sharded). */
  out: string;
  variants: SweepVariant[];
  runs: { variant: string; result: RunResult }[];
}

/** Runs every variant of the grid (or this shard's share of (variant, unit) pairs). */
export async function runSweep(config: ExperimentConfig, options: SweepOptions = {}): Promise<SweepResult> {
  const variants = expandGrid(config);
  const base = resolve(options.out ?? join('runs', config.name));
  const out = options.shard ? join(base, `shard-${options.shard.index}-of-${options.shard.count}`) : base;
  const pairs = variants.flatMap((variant) => experimentUnits(variant.config).map((unit) => ({ variant, unit })));
  const mine = shardItems(pairs, options.shard);
  writeJsonAtomic(join(out, 'sweep.json'), {
    name: config.name,
    grid: config.grid ?? {},
    variants: variants.map((v) => ({ name: v.name, settings: v.settings })),
    shard: options.shard ?? null,
    pairs: mine.map((p) => ({ variant: p.variant.name, condition: p.unit.condition })),
  });
  const runs: SweepResult['runs'] = [];
  for (const variant of variants) {
    const conditions = new Set(mine.filter((p) => p.variant === variant).map((p) => p.unit.condition));
    if (conditions.size === 0) continue;
    const only: ExperimentUnit[] = experimentUnits(variant.config).filter((unit) => conditions.has(unit.condition));
    // One head folder for every variant: a head depends on checkpoint, split, head settings and
    // seed (its file name says so), not on TTT settings, so variants share what they can.
    const result = await runExperiment(variant.config, { ...options, out: join(out, variant.name), shard: undefined, units: only, headCache: options.headCache ?? join(out, 'heads') });
    runs.push({ variant: variant.name, result });
  }
  return { out, variants, runs };
}
