/**
 * The report as a text table for the terminal: one row per case with both timings and their
 * ratio, then the notes, so the numbers stay in narrow aligned columns.
 */
import type { BenchReport } from './run.js';

function cell(value: number | null, digits: number): string {
  return value === null ? '–' : value.toFixed(digits);
}

/** The BLAS libraries' file names (the reference reports full paths; which BLAS it is matters most for its speed). */
function blasName(paths: string): string {
  return paths.split(', ').map((p) => p.slice(p.lastIndexOf('/') + 1)).join(', ');
}

/** A header naming machine, backend and reference, the table, and the notes of each case. */
export function formatBenchTable(report: BenchReport): string {
  const { info } = report;
  const torch =
    'skipped' in info.torch
      ? `none (${info.torch.skipped})`
      : `torch ${info.torch.torch}, ${info.torch.threads} thread${info.torch.threads === 1 ? '' : 's'}, BLAS ${blasName(info.torch.blas)}`;
  const width = Math.max(4, ...report.cases.map((c) => c.case.length));
  const row = (name: string, ms: string, torchMs: string, ratio: string) => `${name.padEnd(width)}  ${ms.padStart(9)}  ${torchMs.padStart(9)}  ${ratio.padStart(6)}`;
  const lines = [
    `machine   ${info.machine.cpuCount} × ${info.machine.cpuModel}, ${info.machine.os}`,
    `backend   ${info.backend.name} (${info.backend.package} ${info.backend.version}), node ${info.versions.node}`,
    `reference ${torch}`,
    `runs      median of ${info.runs.repeats} after ${info.runs.warmup} warm-up${info.runs.quick ? ' (quick)' : ''}; ${info.totalSeconds} s in all`,
    '',
    row('case', 'ms', 'torch ms', 'ratio'),
    ...report.cases.map((c) => row(c.case, cell(c.ms, 1), cell(c.torchMs, 1), c.ratio === null ? '–' : `${c.ratio.toFixed(1)}x`)),
    '',
    ...report.cases.map((c) => `${c.case.padEnd(width)}  ${c.notes}`),
  ];
  return lines.join('\n');
}
