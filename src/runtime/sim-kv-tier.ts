/**
 * The simulated runtime's stand-in for KV data: per slot, a hash chained over the tokens of its
 * block up to that slot. Rows read their context back as the hashes of their blocks' last slots,
 * so a wrong block table, a lost write or a bad reload changes what the simulated model samples,
 * at O(blocks) per row and 4 bytes per slot.
 */

/**
 * Mixes `v` into hash `h` (32-bit, avalanche). Returns a signed 32-bit value: an unsigned one
 * above 2^31 would be a boxed double, several times slower in the per-block loops.
 */
export function mixHash(h: number, v: number): number {
  let x = Math.imul(h ^ v, 0x9e3779b1);
  x ^= x >>> 15;
  x = Math.imul(x, 0x85ebca77);
  return x ^ (x >>> 13);
}

/**
 * Folds an (already mixed) slot hash into a context hash: cheap and order-sensitive, for the
 * per-block loops; the sampler mixes the result properly.
 */
export function foldHash(h: number, slotHash: number): number {
  return Math.imul(h, 0x01000193) ^ slotHash;
}

const BLOCK_SEED = 0x2545f491;
/** Start value of a context hash (see sim-rows.ts). */
export const CONTEXT_SEED = 0x6c8e9cf5;

/** One tier's KV slots (device or host): `numBlocks` blocks of `blockTokens` slots. */
export class SimKvTier {
  /** Chained hash per slot; 0 = never written (written hashes are odd). */
  private readonly slots: Int32Array;

  constructor(
    readonly numBlocks: number,
    readonly blockTokens: number,
  ) {
    this.slots = new Int32Array(numBlocks * blockTokens);
  }

  /**
   * Writes `token` at `offset` of `block`; the slot's hash chains on the previous slot of the
   * block, so the caller writes a block's slots in order (as positions are).
   */
  write(block: number, offset: number, token: number): void {
    const slot = block * this.blockTokens + offset;
    const prev = offset === 0 ? BLOCK_SEED : (this.slots[slot - 1] as number);
    this.slots[slot] = mixHash(prev, token + 1) | 1;
  }

  /** The hash of slot `offset` of `block`; 0 = never written. */
  slotHash(block: number, offset: number): number {
    return this.slots[block * this.blockTokens + offset] as number;
  }

  /** Copies block `srcBlock` of `src` into block `dstBlock` of this tier (same block size). */
  copyBlockFrom(src: SimKvTier, srcBlock: number, dstBlock: number): void {
    const bt = this.blockTokens;
    this.slots.set(src.slots.subarray(srcBlock * bt, (srcBlock + 1) * bt), dstBlock * bt);
  }
}
