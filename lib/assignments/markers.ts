/**
 * nbgrader's markers in TypeScript comment syntax. A teacher's source holds the solution between
 * `// BEGIN SOLUTION` and `// END SOLUTION` and the hidden tests between `// BEGIN HIDDEN TESTS`
 * and `// END HIDDEN TESTS`; the student's copy has a stub in place of the first and nothing in
 * place of the second. Markers are whole lines, so a region is never half-removed.
 */

const BEGIN_SOLUTION = /^\s*\/\/\s*BEGIN SOLUTION\b/;
const END_SOLUTION = /^\s*\/\/\s*END SOLUTION\b/;
const BEGIN_HIDDEN = /^\s*\/\/\s*BEGIN HIDDEN TESTS\b/;
const END_HIDDEN = /^\s*\/\/\s*END HIDDEN TESTS\b/;
/** The nearest enclosing declaration, for the stub's message. */
const DECLARATION = /(?:function\s+([A-Za-z_$][\w$]*)|(?:const|let)\s+([A-Za-z_$][\w$]*)\s*=|^\s*(?:async\s+)?([A-Za-z_$][\w$]*)\s*\([^)]*\)\s*(?::[^{]*)?\{\s*$)/;

/** The text every stub throws, so the grader and the notebook can recognise an untouched stub. */
export const NOT_IMPLEMENTED = 'is not implemented yet';

/** What a marker pass found. */
export interface MarkedText {
  /** The text with regions replaced (solutions) or removed (hidden tests). */
  text: string;
  /** The removed lines, trimmed, for the scan that proves they are gone from the release. */
  removed: string[];
  /** Number of regions found. */
  regions: number;
}

interface Region {
  begin: number;
  end: number;
}

function findRegions(lines: readonly string[], begin: RegExp, end: RegExp, what: string, file: string): Region[] {
  const regions: Region[] = [];
  let open = -1;
  lines.forEach((line, index) => {
    if (begin.test(line)) {
      if (open >= 0) throw new Error(`${file}:${index + 1}: '${what}' opened again before the region opened at line ${open + 1} was closed`);
      open = index;
    } else if (end.test(line)) {
      if (open < 0) throw new Error(`${file}:${index + 1}: 'END' of ${what} without a matching 'BEGIN'`);
      regions.push({ begin: open, end: index });
      open = -1;
    }
  });
  if (open >= 0) throw new Error(`${file}:${open + 1}: '${what}' region is never closed`);
  return regions;
}

function enclosingName(lines: readonly string[], from: number): string {
  for (let i = from; i >= 0; i--) {
    const match = DECLARATION.exec(lines[i]);
    if (match) return match[1] ?? match[2] ?? match[3];
  }
  return 'this part';
}

/**
 * Replaces each solution region with a line that throws `"<name> is not implemented yet …"`,
 * indented like the marker, so the stub still compiles and fails loudly when called.
 */
export function stripSolutions(source: string, file: string): MarkedText {
  const lines = source.split('\n');
  const regions = findRegions(lines, BEGIN_SOLUTION, END_SOLUTION, 'BEGIN SOLUTION', file);
  const out: string[] = [];
  const removed: string[] = [];
  let cursor = 0;
  for (const { begin, end } of regions) {
    out.push(...lines.slice(cursor, begin));
    const indent = /^\s*/.exec(lines[begin])![0];
    const name = enclosingName(lines, begin);
    out.push(`${indent}// YOUR CODE HERE`);
    out.push(`${indent}throw new Error(${JSON.stringify(`${name} ${NOT_IMPLEMENTED}: write it in ${file.split('/').pop()}`)});`);
    removed.push(...lines.slice(begin + 1, end).map((line) => line.trim()));
    cursor = end + 1;
  }
  out.push(...lines.slice(cursor));
  return { text: out.join('\n'), removed, regions: regions.length };
}

/** Removes each hidden-test region, markers included. */
export function stripHiddenTests(source: string, file: string): MarkedText {
  const lines = source.split('\n');
  const regions = findRegions(lines, BEGIN_HIDDEN, END_HIDDEN, 'BEGIN HIDDEN TESTS', file);
  const out: string[] = [];
  const removed: string[] = [];
  let cursor = 0;
  for (const { begin, end } of regions) {
    out.push(...lines.slice(cursor, begin));
    removed.push(...lines.slice(begin + 1, end).map((line) => line.trim()));
    cursor = end + 1;
  }
  out.push(...lines.slice(cursor));
  return { text: out.join('\n'), removed, regions: regions.length };
}

/** Whether a line still carries any of the four markers (a release must have none). */
export function hasMarker(line: string): boolean {
  return [BEGIN_SOLUTION, END_SOLUTION, BEGIN_HIDDEN, END_HIDDEN].some((marker) => marker.test(line));
}
