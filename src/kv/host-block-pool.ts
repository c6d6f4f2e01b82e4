import { InvalidArgumentError } from "../errors.js";

/**
 * Block accounting of the host KV tier (the runtime's host pool): hands out host block ids and
 * takes them back. Which request owns which host block is {@link KvOffload}'s business.
 */
export class HostBlockPool {
  private readonly freeIds: number[];
  private readonly isFree: Uint8Array;

  /** @param numBlocks host blocks (ids 0 .. numBlocks - 1); 0 = no host tier. */
  constructor(readonly numBlocks: number) {
    if (!Number.isInteger(numBlocks) || numBlocks < 0)
      throw new InvalidArgumentError("the host tier's block count must be an integer >= 0");
    this.freeIds = Array.from({ length: numBlocks }, (_, i) => numBlocks - 1 - i);
    this.isFree = new Uint8Array(numBlocks).fill(1);
  }

  get numFreeBlocks(): number {
    return this.freeIds.length;
  }

  get numUsedBlocks(): number {
    return this.numBlocks - this.freeIds.length;
  }

  /** `n` block ids (owned by the caller until `free`), or `null` (nothing taken) when too few are free. */
  allocate(n: number): number[] | null {
    if (n > this.freeIds.length) return null;
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const b = this.freeIds.pop() as number;
      this.isFree[b] = 0;
      out.push(b);
    }
    return out;
  }

  /** Returns blocks to the pool. */
  free(blocks: readonly number[]): void {
    for (const b of blocks) {
      if (this.isFree[b] !== 0) throw new Error(`HostBlockPool: block ${b} freed twice or never allocated`);
      this.isFree[b] = 1;
      this.freeIds.push(b);
    }
  }
}
