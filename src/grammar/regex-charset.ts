/**
 * Sets of Unicode code points as sorted, disjoint, non-adjacent inclusive ranges: the character
 * classes of the regex, GBNF and JSON Schema front ends.
 */

import type { CodePointRange } from "./grammar-ast.js";

/** The largest Unicode code point. */
export const MAX_CODE_POINT = 0x10ffff;

/** UTF-16 surrogates: not characters, never part of UTF-8 text. */
export const SURROGATES: CodePointRange = [0xd800, 0xdfff];

/** Sorts and merges ranges (overlapping or adjacent) into canonical form. */
export function normalizeRanges(ranges: readonly CodePointRange[]): CodePointRange[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

/** The code points of [0, MAX_CODE_POINT] not in `ranges`. */
export function complementRanges(ranges: readonly CodePointRange[]): CodePointRange[] {
  const out: CodePointRange[] = [];
  let next = 0;
  for (const [lo, hi] of normalizeRanges(ranges)) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= MAX_CODE_POINT) out.push([next, MAX_CODE_POINT]);
  return out;
}

/** `a` minus `b`. */
export function subtractRanges(a: readonly CodePointRange[], b: readonly CodePointRange[]): CodePointRange[] {
  return intersectRanges(a, complementRanges(b));
}

/** The code points in both `a` and `b`. */
export function intersectRanges(
  a: readonly CodePointRange[],
  b: readonly CodePointRange[],
): CodePointRange[] {
  const x = normalizeRanges(a);
  const y = normalizeRanges(b);
  const out: CodePointRange[] = [];
  let i = 0;
  let j = 0;
  while (i < x.length && j < y.length) {
    const [alo, ahi] = x[i] as CodePointRange;
    const [blo, bhi] = y[j] as CodePointRange;
    const lo = Math.max(alo, blo);
    const hi = Math.min(ahi, bhi);
    if (lo <= hi) out.push([lo, hi]);
    if (ahi < bhi) i++;
    else j++;
  }
  return out;
}

/** Whether `cp` lies in `ranges` (any order). */
export function rangesContain(ranges: readonly CodePointRange[], cp: number): boolean {
  return ranges.some(([lo, hi]) => cp >= lo && cp <= hi);
}

/** Number of code points in `ranges` (after normalisation). */
export function rangesSize(ranges: readonly CodePointRange[]): number {
  return normalizeRanges(ranges).reduce((n, [lo, hi]) => n + hi - lo + 1, 0);
}

/** `\d` in ECMAScript regular expressions. */
export const DIGIT_RANGES: readonly CodePointRange[] = [[0x30, 0x39]];

/** `\w` in ECMAScript regular expressions (without the `i` flag). */
export const WORD_RANGES: readonly CodePointRange[] = [
  [0x30, 0x39],
  [0x41, 0x5a],
  [0x5f, 0x5f],
  [0x61, 0x7a],
];

/** `\s` in ECMAScript regular expressions: WhiteSpace and LineTerminator. */
export const SPACE_RANGES: readonly CodePointRange[] = normalizeRanges([
  [0x09, 0x0d],
  [0x20, 0x20],
  [0xa0, 0xa0],
  [0x1680, 0x1680],
  [0x2000, 0x200a],
  [0x2028, 0x2029],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
  [0xfeff, 0xfeff],
]);

/** ECMAScript line terminators: what `.` does not match without the `s` flag. */
export const LINE_TERMINATOR_RANGES: readonly CodePointRange[] = [
  [0x0a, 0x0a],
  [0x0d, 0x0d],
  [0x2028, 0x2029],
];
