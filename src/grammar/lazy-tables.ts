/**
 * Tables that grow while masks are being computed (lazily built decision trees, mask-cache
 * tries), shaped so that no single insertion is slow:
 *
 * - growth never rehashes or copies more than a small share of a table: one large table's
 *   rehash (130k entries) took 30 to 40 ms, a whole mask's budget;
 * - few new array buffers: in V8 an allocation of one while external memory is over its limit
 *   makes the allocating thread run a marking step of the collector (5 to 10 ms).
 */

import { IntPairMap } from "./int-vec.js";

/** Entries a ShardedIntPairMap holds in one table before it splits. */
const SPLIT_AT = 1 << 13;
const NUM_SHARDS = 64;

/**
 * An IntPairMap that splits into {@link NUM_SHARDS} tables by the first key once it holds
 * {@link SPLIT_AT} entries; each shard then doubles on its own, rehashing 1/64 of the entries.
 */
export class ShardedIntPairMap {
  private single: IntPairMap;
  private shards: IntPairMap[] | null = null;

  constructor(capacity = 1024) {
    this.single = new IntPairMap(Math.min(capacity, SPLIT_AT));
  }

  /** Number of entries. */
  get size(): number {
    if (this.shards === null) return this.single.size;
    let n = 0;
    for (const s of this.shards) n += s.size;
    return n;
  }

  /** The value of (a, b), or -1. */
  get(a: number, b: number): number {
    const shards = this.shards;
    return shards === null ? this.single.get(a, b) : (shards[a & (NUM_SHARDS - 1)] as IntPairMap).get(a, b);
  }

  /** Sets (a, b) → v. */
  set(a: number, b: number, v: number): void {
    if (this.shards === null) {
      if (this.single.size < SPLIT_AT) {
        this.single.set(a, b, v);
        return;
      }
      this.split();
    }
    ((this.shards as IntPairMap[])[a & (NUM_SHARDS - 1)] as IntPairMap).set(a, b, v);
  }

  /** Moves the entries into the shards, each sized for twice its share (its next growth far off). */
  private split(): void {
    const shards: IntPairMap[] = [];
    for (let k = 0; k < NUM_SHARDS; k++) shards.push(new IntPairMap((2 * SPLIT_AT) / NUM_SHARDS));
    this.single.forEach((a, b, v) => {
      (shards[a & (NUM_SHARDS - 1)] as IntPairMap).set(a, b, v);
    });
    this.shards = shards;
    this.single = new IntPairMap(16);
  }
}

/** Rows per chunk of a ChunkedRows: 1 << ROW_SHIFT. */
const ROW_SHIFT = 5;
const ROW_MASK = (1 << ROW_SHIFT) - 1;

/** Rows of `width` int32s, numbered from 0, kept in chunks of 32 rows: adding a row never copies the others. */
export class ChunkedRows {
  private readonly chunks: Int32Array[] = [];
  /** Number of rows. */
  length = 0;

  constructor(
    readonly width: number,
    /** Value new rows start with. */
    private readonly fill: number,
  ) {}

  /** Adds a row (every entry `fill`); returns its number. */
  add(): number {
    const r = this.length++;
    if ((r & ROW_MASK) === 0) this.chunks.push(new Int32Array((ROW_MASK + 1) * this.width).fill(this.fill));
    return r;
  }

  get(row: number, col: number): number {
    return (this.chunks[row >> ROW_SHIFT] as Int32Array)[(row & ROW_MASK) * this.width + col] as number;
  }

  set(row: number, col: number, v: number): void {
    (this.chunks[row >> ROW_SHIFT] as Int32Array)[(row & ROW_MASK) * this.width + col] = v;
  }
}
