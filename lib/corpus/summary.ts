/**
 * What a corpus holds, in numbers: the counts a user checks before trusting it (balance by
 * group, style counts, durations) and a plain-text table of them.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { ManifestRow } from './manifest.js';
import { SPEAKER_GROUP_NAMES, SPEAKING_STYLE_NAMES, type SpeakerGroupName } from './voices.js';

/** Counts and durations of a corpus (from its manifest rows). */
export interface CorpusSummary {
  /** Clips of every role. */
  clips: number;
  /** Clips by role. */
  clipsByRole: { task: number; babble: number; pool: number };
  /** Distinct speakers by role. */
  speakers: { task: number; babble: number; pool: number };
  /** Distinct task speakers per group (`F-young`, …). */
  taskSpeakersByGroup: Record<SpeakerGroupName, number>;
  /** Distinct task speakers per gender. */
  taskSpeakersByGender: { F: number; M: number };
  /** Distinct task speakers per age group. */
  taskSpeakersByAgeGroup: { young: number; old: number };
  /** Task clips per label (speaking style). */
  labels: Record<string, number>;
  /** Fewest and most task clips of any task speaker. */
  utterancesPerSpeaker: { min: number; max: number };
  /** Clip durations in seconds (all roles). */
  durationS: { total: number; mean: number; min: number; max: number };
  /** Bytes of the listed WAV files, or `null` when no corpus folder was given. */
  bytesOnDisk: number | null;
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

/**
 * Summarises manifest rows. With `root` (the folder the rows' paths are relative to) it also
 * adds up the WAV files' sizes.
 */
export function summarizeCorpus(rows: readonly ManifestRow[], root?: string): CorpusSummary {
  const task = rows.filter((r) => r.role === 'task');
  const taskSpeakers = [...new Map(task.map((r) => [r.speaker, r])).values()];
  const speakersOf = (role: string) => new Set(rows.filter((r) => r.role === role).map((r) => r.speaker)).size;
  const poolClips = rows.filter((r) => r.role === 'pool').length;
  const byGroup = countBy(taskSpeakers, (r) => `${r.gender}-${r.ageGroup}`);
  const byGender = countBy(taskSpeakers, (r) => r.gender);
  const byAge = countBy(taskSpeakers, (r) => r.ageGroup);
  const labels: Record<string, number> = Object.fromEntries(SPEAKING_STYLE_NAMES.map((name) => [name, 0]));
  for (const [label, n] of countBy(task, (r) => r.label)) labels[label] = n;
  const perSpeaker = [...countBy(task, (r) => r.speaker).values()];
  const durations = rows.map((r) => r.durationS);
  const total = durations.reduce((sum, d) => sum + d, 0);
  return {
    clips: rows.length,
    clipsByRole: { task: task.length, babble: rows.length - task.length - poolClips, pool: poolClips },
    speakers: { task: taskSpeakers.length, babble: speakersOf('babble'), pool: speakersOf('pool') },
    taskSpeakersByGroup: Object.fromEntries(SPEAKER_GROUP_NAMES.map((g) => [g, byGroup.get(g) ?? 0])) as Record<SpeakerGroupName, number>,
    taskSpeakersByGender: { F: byGender.get('F') ?? 0, M: byGender.get('M') ?? 0 },
    taskSpeakersByAgeGroup: { young: byAge.get('young') ?? 0, old: byAge.get('old') ?? 0 },
    labels,
    utterancesPerSpeaker: { min: perSpeaker.length ? Math.min(...perSpeaker) : 0, max: perSpeaker.length ? Math.max(...perSpeaker) : 0 },
    durationS: {
      total,
      mean: rows.length ? total / rows.length : 0,
      min: rows.length ? Math.min(...durations) : 0,
      max: rows.length ? Math.max(...durations) : 0,
    },
    bytesOnDisk: root === undefined ? null : rows.reduce((sum, r) => sum + statSync(join(root, r.path)).size, 0),
  };
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

function table(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string[] {
  const cells = [header, ...rows].map((row) => row.map(String));
  const widths = header.map((_, i) => Math.max(...cells.map((row) => row[i].length)));
  return cells.map((row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ').trimEnd());
}

/** A readable multi-line table of a summary (for the CLI and notebooks). */
export function formatCorpusSummary(summary: CorpusSummary): string {
  const d = summary.durationS;
  const { min, max } = summary.utterancesPerSpeaker;
  const field = (name: string, value: string) => `${name.padEnd(12)}${value}`;
  const lines = [
    field('clips', `${summary.clips} (task ${summary.clipsByRole.task}, babble ${summary.clipsByRole.babble}${summary.clipsByRole.pool ? `, pre-training pool ${summary.clipsByRole.pool}` : ''})`),
    field(
      'speakers',
      `${summary.speakers.task} task (F ${summary.taskSpeakersByGender.F}, M ${summary.taskSpeakersByGender.M}; ` +
        `young ${summary.taskSpeakersByAgeGroup.young}, old ${summary.taskSpeakersByAgeGroup.old}), ${summary.speakers.babble} babble-only` +
        (summary.speakers.pool ? `, ${summary.speakers.pool} in the pre-training pool` : ''),
    ),
    field('per speaker', `${min === max ? min : `${min}–${max}`} task clips`),
    field('audio', `${(d.total / 60).toFixed(1)} min; clip ${d.mean.toFixed(2)} s mean, ${d.min.toFixed(2)}–${d.max.toFixed(2)} s`),
    ...(summary.bytesOnDisk === null ? [] : [field('on disk', `${megabytes(summary.bytesOnDisk)} (16 kHz, 16-bit mono WAV)`)]),
    '',
    ...table(['group', 'speakers'], SPEAKER_GROUP_NAMES.map((g) => [g, summary.taskSpeakersByGroup[g]])),
    '',
    ...table(['style (emotion-like)', 'clips'], Object.entries(summary.labels)),
  ];
  return lines.join('\n');
}
