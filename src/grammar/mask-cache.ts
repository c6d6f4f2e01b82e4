/**
 * Cache of finished token masks keyed by (state, the stack entries the walk read). A mask walk
 * from a configuration reads the stack only down to some index (`lowWater`); any configuration
 * with the same top entries down to there makes exactly the same walk, so its mask is the same.
 * Keys form a trie over stack entries top-down (top first), so lookup costs O(depth read).
 * Masks are stored as a bitset row or, when sparse, as a list of token ids; the cache stops
 * growing at a memory budget.
 */

import { IntVec, ShardedIntPairMap } from "./int-vec.js";

/** One cached mask. */
interface CachedMask {
  /** Full row (wordsPerRow words), or null when stored as `ids`. */
  readonly bits: Int32Array | null;
  readonly ids: Int32Array | null;
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
    if (entry.bits) mask.set(entry.bits, offset);
    else {
      mask.fill(0, offset, offset + this.wordsPerRow);
      for (const id of entry.ids as Int32Array) {
        const w = offset + (id >> 5);
        mask[w] = (mask[w] as number) | (1 << (id & 31));
      }
    }
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
    const row = mask.subarray(offset, offset + this.wordsPerRow);
    let count = 0;
    for (let w = 0; w < row.length; w++) count += popcount(row[w] as number);
    const sparse = count < this.wordsPerRow;
    const cost = sparse ? count : this.wordsPerRow;
    if (this.usedWords + cost > this.budgetWords) return;
    this.usedWords += cost;
    const entry: CachedMask = sparse
      ? { bits: null, ids: idsOf(row, count), growth }
      : { bits: row.slice(), ids: null, growth };
    this.entries.push(entry);
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

function idsOf(row: Int32Array, count: number): Int32Array {
  const ids = new Int32Array(count);
  let k = 0;
  for (let w = 0; w < row.length; w++) {
    let v = row[w] as number;
    while (v !== 0) {
      const bit = 31 - Math.clz32(v & -v);
      ids[k++] = w * 32 + bit;
      v &= v - 1;
    }
  }
  return ids;
}

/** Set bits of a 32-bit word. */
function popcount(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) as number;
}
