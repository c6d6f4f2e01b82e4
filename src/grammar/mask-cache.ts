/**
 * Cache of finished token masks keyed by (state, the stack entries the walk read). A mask walk
 * from a configuration reads the stack only down to some index (`lowWater`); any configuration
 * with the same top entries down to there makes exactly the same walk, so its mask is the same.
 * Keys form a trie over stack entries top-down (top first), so lookup costs O(depth read).
 * Masks are stored as a bitset row or, when sparse, as its nonzero words; the cache stops
 * growing at a memory budget.
 */

import { IntVec, ShardedIntPairMap } from "./int-vec.js";

/**
 * A mask row kept in memory: the whole bitset, or, when fewer than half its words are nonzero,
 * (word index, word) pairs of those (packing and unpacking cost one pass over the row).
 */
export interface PackedRow {
  /** Full row (wordsPerRow words), or null when stored as `pairs`. */
  readonly bits: Int32Array | null;
  readonly pairs: Int32Array | null;
  /** Words it takes. */
  readonly words: number;
}

/** `row` packed (see {@link PackedRow}). */
export function packRow(row: Int32Array): PackedRow {
  let nonzero = 0;
  for (let w = 0; w < row.length; w++) if (row[w] !== 0) nonzero++;
  if (2 * nonzero >= row.length) return { bits: row.slice(), pairs: null, words: row.length };
  const pairs = new Int32Array(2 * nonzero);
  let k = 0;
  for (let w = 0; w < row.length; w++) {
    const v = row[w] as number;
    if (v === 0) continue;
    pairs[k++] = w;
    pairs[k++] = v;
  }
  return { bits: null, pairs, words: pairs.length };
}

/** Writes `p` over `mask[offset .. offset + wordsPerRow)`. */
export function unpackRow(p: PackedRow, mask: Int32Array, offset: number, wordsPerRow: number): void {
  if (p.bits) {
    mask.set(p.bits, offset);
    return;
  }
  mask.fill(0, offset, offset + wordsPerRow);
  const pairs = p.pairs as Int32Array;
  for (let k = 0; k < pairs.length; k += 2) mask[offset + (pairs[k] as number)] = pairs[k + 1] as number;
}

/** One cached mask. */
interface CachedMask {
  readonly row: PackedRow;
  /** How far the walk grew the stack above its starting size (for the depth limit). */
  readonly growth: number;
}

/** Mask cache of one compiled grammar (shared by its matchers; single-threaded). */
export class MaskCache {
  private readonly roots: Int32Array;
  /** Per node: entry index for a leaf, -1 for a branch. */
  private readonly nodeEntry = new IntVec(256);
  private readonly children = new ShardedIntPairMap(256);
  private readonly entries: CachedMask[] = [];
  private usedWords = 0;

  constructor(
    numStates: number,
    private readonly wordsPerRow: number,
    private readonly budgetWords: number,
  ) {
    this.roots = new Int32Array(numStates).fill(-1);
  }

  /** Number of cached masks. */
  get size(): number {
    return this.entries.length;
  }

  /**
   * Copies the cached mask for `stack[0 .. sp)` into `mask` at `offset` and returns true, or
   * returns false on a miss (or when the cached walk would pass `maxDepth`).
   */
  fill(stack: Int32Array, sp: number, maxDepth: number, mask: Int32Array, offset: number): boolean {
    let node = this.roots[stack[sp - 1] as number] as number;
    let idx = sp - 2;
    while (node >= 0 && this.nodeEntry.data[node] === -1) {
      if (idx < 0) return false;
      node = this.children.get(node, stack[idx--] as number);
    }
    if (node < 0) return false;
    const entry = this.entries[this.nodeEntry.data[node] as number] as CachedMask;
    if (sp + entry.growth > maxDepth) return false;
    unpackRow(entry.row, mask, offset, this.wordsPerRow);
    return true;
  }

  /** Stores the mask just written at `mask[offset ..]` for the entries `stack[lowWater .. sp)`. */
  store(
    stack: Int32Array,
    sp: number,
    lowWater: number,
    growth: number,
    mask: Int32Array,
    offset: number,
  ): void {
    if (this.usedWords >= this.budgetWords) return;
    const row = packRow(mask.subarray(offset, offset + this.wordsPerRow));
    this.usedWords += row.words;
    this.entries.push({ row, growth });
    const top = stack[sp - 1] as number;
    let node = this.roots[top] as number;
    if (node < 0) {
      node = this.nodeEntry.push(sp - 1 === lowWater ? this.entries.length - 1 : -1);
      this.roots[top] = node;
    }
    for (let idx = sp - 2; idx >= lowWater; idx--) {
      let child = this.children.get(node, stack[idx] as number);
      if (child < 0) {
        child = this.nodeEntry.push(idx === lowWater ? this.entries.length - 1 : -1);
        this.children.set(node, stack[idx] as number, child);
      }
      node = child;
    }
  }
}
