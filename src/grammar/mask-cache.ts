/**
 * Cache of finished token masks keyed by (state, the stack entries the walk read). A mask walk
 * from a configuration reads the stack only down to some index (`lowWater`); any configuration
 * with the same top entries down to there makes exactly the same walk, so its mask is the same.
 * Keys form a trie over stack entries top-down (top first), so lookup costs O(depth read).
 * Masks are kept in MaskRows (packed, equal rows once); the cache stops growing at a memory
 * budget.
 */

import { IntVec } from "./int-vec.js";
import { ShardedIntPairMap } from "./lazy-tables.js";
import { MaskRows } from "./mask-rows.js";

/** Mask cache of one compiled grammar (shared by its matchers; single-threaded). */
export class MaskCache {
  private readonly roots: Int32Array;
  /** Per node: entry index for a leaf, -1 for a branch. */
  private readonly nodeEntry = new IntVec(256);
  private readonly children = new ShardedIntPairMap(256);
  /** Per entry: its row in `rows`, and how far the walk grew the stack above its starting size. */
  private readonly entryRow = new IntVec(256);
  private readonly entryGrowth = new IntVec(256);
  private readonly rows: MaskRows;

  constructor(
    numStates: number,
    wordsPerRow: number,
    private readonly budgetWords: number,
  ) {
    this.roots = new Int32Array(numStates).fill(-1);
    this.rows = new MaskRows(wordsPerRow);
  }

  /** Number of cached masks. */
  get size(): number {
    return this.entryRow.length;
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
    const e = this.nodeEntry.data[node] as number;
    if (sp + (this.entryGrowth.data[e] as number) > maxDepth) return false;
    this.rows.write(this.entryRow.data[e] as number, mask, offset);
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
    if (this.rows.words >= this.budgetWords) return;
    this.entryRow.push(this.rows.add(mask, offset));
    const e = this.entryGrowth.push(growth);
    const top = stack[sp - 1] as number;
    let node = this.roots[top] as number;
    if (node < 0) {
      node = this.nodeEntry.push(sp - 1 === lowWater ? e : -1);
      this.roots[top] = node;
    }
    for (let idx = sp - 2; idx >= lowWater; idx--) {
      let child = this.children.get(node, stack[idx] as number);
      if (child < 0) {
        child = this.nodeEntry.push(idx === lowWater ? e : -1);
        this.children.set(node, stack[idx] as number, child);
      }
      node = child;
    }
  }
}
