import { InvalidArgumentError } from "../errors.js";

/**
 * Paged KV block accounting over the runtime's pool (vLLM/nano-vllm style). It hands out block
 * ids and keeps each request's block table; it never touches KV data. "Check then do": callers
 * ask `canAllocate` / get `null` from `allocateSlots` and preempt.
 */
export class BlockManager {
  /** Free block ids; popped from the end (most recently freed first, for cache locality). */
  private readonly freeIds: number[];
  private readonly tables = new Map<string, number[]>();
  private readonly isFree: Uint8Array;
  /** Blocks taken out of tables but not yet free (a copy out of them is in flight). */
  private readonly detached = new Set<number>();

  /**
   * @param numBlocks blocks in the pool (ids 0 .. numBlocks - 1).
   * @param blockTokens tokens per block.
   */
  constructor(
    readonly numBlocks: number,
    readonly blockTokens: number,
  ) {
    if (!Number.isInteger(numBlocks) || numBlocks < 1)
      throw new InvalidArgumentError("numBlocks must be >= 1");
    if (!Number.isInteger(blockTokens) || blockTokens < 1)
      throw new InvalidArgumentError("blockTokens must be >= 1");
    this.freeIds = Array.from({ length: numBlocks }, (_, i) => numBlocks - 1 - i);
    this.isFree = new Uint8Array(numBlocks).fill(1);
  }

  /** Blocks not held by any request. */
  get numFreeBlocks(): number {
    return this.freeIds.length;
  }

  /** Blocks held by requests. */
  get numUsedBlocks(): number {
    return this.numBlocks - this.freeIds.length;
  }

  /** Fraction of the pool in use, 0..1 (`vllm:kv_cache_usage_perc`). */
  get usage(): number {
    return this.numUsedBlocks / this.numBlocks;
  }

  /** Requests holding a block table. */
  get numRequests(): number {
    return this.tables.size;
  }

  /** Blocks needed to hold `numTokens` tokens. */
  blocksFor(numTokens: number): number {
    return Math.ceil(numTokens / this.blockTokens);
  }

  /** Whether `numBlocks` more blocks are free. */
  canAllocate(numBlocks: number): boolean {
    return numBlocks <= this.freeIds.length;
  }

  /** Extra blocks request `id` needs so its table holds `numTokens` tokens (0 if it does already). */
  numBlocksNeeded(id: string, numTokens: number): number {
    return Math.max(0, this.blocksFor(numTokens) - (this.tables.get(id)?.length ?? 0));
  }

  /**
   * Grows request `id`'s table (creating it) so it holds `numTokens` tokens in all (computed
   * plus this step's new ones). Returns the table (owned by the manager, valid until the next
   * change) or `null` when the pool lacks room, in which case nothing changed.
   */
  allocateSlots(id: string, numTokens: number): readonly number[] | null {
    const need = this.numBlocksNeeded(id, numTokens);
    if (!this.canAllocate(need)) return null;
    let table = this.tables.get(id);
    if (!table) {
      table = [];
      this.tables.set(id, table);
    }
    for (let i = 0; i < need; i++) {
      const block = this.freeIds.pop() as number;
      this.isFree[block] = 0;
      table.push(block);
    }
    return table;
  }

  /** Request `id`'s block table, or `null` if it holds none. */
  blockTable(id: string): readonly number[] | null {
    return this.tables.get(id) ?? null;
  }

  /**
   * Removes request `id`'s table without freeing its blocks and returns them (owned by the
   * caller, who must `release` each one later, e.g. once a copy out of it completed). Empty if
   * it holds none.
   */
  detach(id: string): number[] {
    const table = this.tables.get(id);
    if (!table) return [];
    this.tables.delete(id);
    for (const b of table) this.detached.add(b);
    return table;
  }

  /** Returns detached blocks to the pool. */
  release(blocks: readonly number[]): void {
    for (const b of blocks) {
      if (!this.detached.delete(b)) throw new Error(`BlockManager: block ${b} released but not detached`);
      this.isFree[b] = 1;
      this.freeIds.push(b);
    }
  }

  /** Blocks detached and not yet released. */
  get numDetachedBlocks(): number {
    return this.detached.size;
  }

  /** Returns all of request `id`'s blocks to the pool; a no-op if it holds none. */
  free(id: string): void {
    const table = this.tables.get(id);
    if (!table) return;
    this.tables.delete(id);
    // Reverse order: the request's first blocks are handed out again first.
    for (let i = table.length - 1; i >= 0; i--) {
      const block = table[i] as number;
      if (this.isFree[block]) throw new Error(`BlockManager: block ${block} freed twice`);
      this.isFree[block] = 1;
      this.freeIds.push(block);
    }
  }

  /** Checks the accounting invariants (tests): every block is free, in exactly one table, or detached. */
  checkInvariants(): void {
    const seen = new Uint8Array(this.numBlocks);
    for (const b of this.freeIds) {
      if (seen[b] || !this.isFree[b]) throw new Error(`block ${b} listed free twice or marked used`);
      seen[b] = 1;
    }
    for (const [id, table] of this.tables)
      for (const b of table) {
        if (seen[b]) throw new Error(`block ${b} of ${id} is also free or held elsewhere`);
        seen[b] = 1;
      }
    for (const b of this.detached) {
      if (seen[b]) throw new Error(`detached block ${b} is also free or held`);
      seen[b] = 1;
    }
    if (seen.some((s) => s === 0)) throw new Error("a block is neither free nor held (leak)");
  }
}
