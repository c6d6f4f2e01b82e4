/**
 * Finished mask rows kept for reuse (the mask caches), packed into shared chunks.
 *
 * A row is stored whole, or, when fewer than half its words are nonzero, as (word index, word)
 * pairs of those (packing and unpacking cost one pass over the row). Equal rows are stored
 * once: masks inside strings, say, are often the same at many stack contexts.
 *
 * Rows go into a few large chunks rather than an array each: caches fill while masks are being
 * computed, and in V8 every new array buffer allocated under external-memory pressure makes the
 * allocating thread run a step of the collector's marking (milliseconds). Chunks double from
 * {@link FIRST_CHUNK_WORDS} up to {@link MAX_CHUNK_WORDS}, so a cache of n words allocates
 * O(log n + n / MAX_CHUNK_WORDS) times.
 */

import { IntPairMap, IntVec } from "./int-vec.js";

const FIRST_CHUNK_WORDS = 1 << 13;
const MAX_CHUNK_WORDS = 1 << 18;

/** Packed mask rows of one width (single-threaded). Rows are numbered from 0 in order of storage. */
export class MaskRows {
  private chunk: Int32Array;
  private chunkUsed = 0;
  /**
   * Per row: a view of its words in a chunk, made once (writing a row back allocates nothing).
   * A row stored whole has `wordsPerRow` words; pairs are fewer (2 × nonzero < wordsPerRow).
   */
  private readonly rows: Int32Array[] = [];
  /** Rows by content hash: the newest, then `nextSame` links. */
  private readonly byHash = new IntPairMap(64);
  private readonly nextSame = new IntVec(64);
  /** Words stored (what a cache budget counts; an equal row found again adds none). */
  words = 0;

  constructor(readonly wordsPerRow: number) {
    this.chunk = new Int32Array(Math.max(FIRST_CHUNK_WORDS, wordsPerRow));
  }

  /** Number of distinct rows stored. */
  get size(): number {
    return this.rows.length;
  }

  /** Stores `row` (wordsPerRow words from `row[from]`), or finds an equal stored row; returns its number. */
  add(row: Int32Array, from: number): number {
    const n = this.wordsPerRow;
    let nonzero = 0;
    let h = 0x811c9dc5;
    for (let w = 0; w < n; w++) {
      const v = row[from + w] as number;
      if (v === 0) continue;
      nonzero++;
      h = Math.imul(h ^ w, 0x01000193);
      h = Math.imul(h ^ v, 0x01000193);
    }
    h >>>= 1; // non-negative for IntPairMap
    for (let r = this.byHash.get(h, 0); r >= 0; r = this.nextSame.data[r] as number)
      if (this.equals(r, row, from, nonzero)) return r;
    const whole = 2 * nonzero >= n;
    const len = whole ? n : 2 * nonzero;
    const at = this.reserve(len);
    const out = this.chunk;
    if (whole) out.set(row.subarray(from, from + n), at);
    else
      for (let w = 0, k = at; w < n; w++) {
        const v = row[from + w] as number;
        if (v === 0) continue;
        out[k++] = w;
        out[k++] = v;
      }
    const id = this.rows.push(out.subarray(at, at + len)) - 1;
    this.nextSame.push(this.byHash.get(h, 0));
    this.byHash.set(h, 0, id);
    this.words += len;
    return id;
  }

  /** Writes row `id` over `mask[offset .. offset + wordsPerRow)`. */
  write(id: number, mask: Int32Array, offset: number): void {
    const src = this.rows[id] as Int32Array;
    if (src.length === this.wordsPerRow) {
      mask.set(src, offset);
      return;
    }
    mask.fill(0, offset, offset + this.wordsPerRow);
    for (let k = 0; k < src.length; k += 2) mask[offset + (src[k] as number)] = src[k + 1] as number;
  }

  /** Whether stored row `id` equals `row[from ..]`, which has `nonzero` nonzero words. */
  private equals(id: number, row: Int32Array, from: number, nonzero: number): boolean {
    const src = this.rows[id] as Int32Array;
    if (src.length === this.wordsPerRow) {
      for (let w = 0; w < src.length; w++) if (src[w] !== row[from + w]) return false;
      return true;
    }
    if (src.length !== 2 * nonzero) return false;
    for (let k = 0; k < src.length; k += 2) if (row[from + (src[k] as number)] !== src[k + 1]) return false;
    return true;
  }

  /** Offset in `this.chunk` of `len` free words (a new chunk when the current one is full). */
  private reserve(len: number): number {
    if (this.chunkUsed + len > this.chunk.length) {
      this.chunk = new Int32Array(Math.max(len, Math.min(this.chunk.length * 2, MAX_CHUNK_WORDS)));
      this.chunkUsed = 0;
    }
    const at = this.chunkUsed;
    this.chunkUsed += len;
    return at;
  }
}
