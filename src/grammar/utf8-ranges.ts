/**
 * Code-point classes as UTF-8 byte-range sequences: the set of valid UTF-8 encodings of the code
 * points in a class, written as a union of sequences like `[E1-EC][80-BF][80-BF]`. Surrogates
 * (U+D800..U+DFFF) are never encoded: they are not valid UTF-8.
 */

import type { CodePointRange } from "./grammar-ast.js";

/** An inclusive byte range. */
export type ByteRange = readonly [lo: number, hi: number];

/** The largest code point. */
export const MAX_CODE_POINT = 0x10ffff;

/** Sorts and merges code-point ranges, clipping them to 0..U+10FFFF and dropping surrogates. */
export function normalizeRanges(ranges: readonly CodePointRange[]): CodePointRange[] {
  const sorted = ranges
    .map(([lo, hi]) => [Math.max(0, lo), Math.min(MAX_CODE_POINT, hi)] as [number, number])
    .filter(([lo, hi]) => lo <= hi)
    .sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const r of sorted) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else merged.push([r[0], r[1]]);
  }
  return removeRange(merged, 0xd800, 0xdfff);
}

/** `ranges` (sorted, disjoint) without `lo..hi`. */
function removeRange(ranges: readonly CodePointRange[], lo: number, hi: number): CodePointRange[] {
  const out: CodePointRange[] = [];
  for (const [a, b] of ranges) {
    if (b < lo || a > hi) out.push([a, b]);
    else {
      if (a < lo) out.push([a, lo - 1]);
      if (b > hi) out.push([hi + 1, b]);
    }
  }
  return out;
}

/** The complement of `ranges` within all Unicode scalar values (no surrogates). */
export function complementRanges(ranges: readonly CodePointRange[]): CodePointRange[] {
  const norm = normalizeRanges(ranges);
  const out: CodePointRange[] = [];
  let next = 0;
  for (const [lo, hi] of norm) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= MAX_CODE_POINT) out.push([next, MAX_CODE_POINT]);
  return removeRange(out, 0xd800, 0xdfff);
}

/** The UTF-8 bytes of one code point (not a surrogate). */
export function encodeCodePoint(cp: number): number[] {
  if (cp < 0x80) return [cp];
  if (cp < 0x800) return [0xc0 | (cp >> 6), 0x80 | (cp & 0x3f)];
  if (cp < 0x10000) return [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)];
  return [0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)];
}

const LENGTH_LIMITS = [0x7f, 0x7ff, 0xffff, MAX_CODE_POINT];

/**
 * The UTF-8 encodings of the code points in `ranges` (already normalised: no surrogates) as byte
 * range sequences. Every valid encoding of a code point in the set matches exactly one sequence;
 * no other byte string matches any sequence.
 */
export function utf8Sequences(ranges: readonly CodePointRange[]): ByteRange[][] {
  const out: ByteRange[][] = [];
  for (const [lo, hi] of ranges) {
    let start = lo;
    for (const limit of LENGTH_LIMITS) {
      if (start > hi) break;
      if (start > limit) continue;
      splitSameLength(start, Math.min(hi, limit), out);
      start = limit + 1;
    }
  }
  return out;
}

/** Splits a range whose code points all encode to the same length into aligned sequences. */
function splitSameLength(lo: number, hi: number, out: ByteRange[][]): void {
  const n = encodeCodePoint(lo).length;
  for (let i = 1; i < n; i++) {
    const max = (1 << (6 * i)) - 1;
    if ((lo & ~max) !== (hi & ~max)) {
      if ((lo & max) !== 0) {
        splitSameLength(lo, lo | max, out);
        splitSameLength((lo | max) + 1, hi, out);
        return;
      }
      if ((hi & max) !== max) {
        splitSameLength(lo, (hi & ~max) - 1, out);
        splitSameLength(hi & ~max, hi, out);
        return;
      }
    }
  }
  const a = encodeCodePoint(lo);
  const b = encodeCodePoint(hi);
  out.push(a.map((x, i) => [x, b[i] as number] as ByteRange));
}
