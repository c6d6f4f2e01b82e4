/**
 * Small growable typed-array containers for lazily built automaton tables: an int32 vector and
 * an open-addressing map from (int, int) pairs to ints. No per-operation allocation.
 */

/** `buf`, or a copy at least twice as large when it holds fewer than `n` entries (contents kept). */
export function grownTo(buf: Int32Array<ArrayBuffer>, n: number): Int32Array<ArrayBuffer> {
  if (n <= buf.length) return buf;
  const next = new Int32Array(Math.max(n, 2 * buf.length));
  next.set(buf);
  return next;
}

/** Lists in CSR form: list `x` is `targets[start[x] .. start[x + 1])`. */
export interface Csr {
  readonly start: Int32Array;
  readonly targets: Int32Array;
}

/** The pairs `src[i] → dst[i]` (`i < n`) as lists over sources `0 .. count)`, in pair order (a stable counting sort). */
export function csrOf(count: number, n: number, src: Int32Array, dst: Int32Array): Csr {
  const start = new Int32Array(count + 1);
  for (let i = 0; i < n; i++) start[(src[i] as number) + 1] = (start[(src[i] as number) + 1] as number) + 1;
  for (let x = 0; x < count; x++) start[x + 1] = (start[x + 1] as number) + (start[x] as number);
  const next = start.slice(0, count);
  const targets = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const x = src[i] as number;
    targets[next[x] as number] = dst[i] as number;
    next[x] = (next[x] as number) + 1;
  }
  return { start, targets };
}

/** A growable Int32Array; `data` is valid up to `length` and is replaced when it grows. */
export class IntVec {
  data: Int32Array;
  length = 0;

  constructor(capacity = 64) {
    this.data = new Int32Array(Math.max(4, capacity));
  }

  /** Appends `v`; returns its index. */
  push(v: number): number {
    if (this.length === this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length] = v;
    return this.length++;
  }

  /** A copy of the contents. */
  toArray(): Int32Array {
    return this.data.slice(0, this.length);
  }
}

/**
 * Map from pairs of non-negative int32 keys to non-negative int32 values; `get` misses give -1.
 * A slot is live when its stamp equals the current epoch, so `clear` costs O(1).
 */
export class IntPairMap {
  private keysA: Int32Array;
  private keysB: Int32Array;
  private vals: Int32Array;
  private stamps: Int32Array;
  private epoch = 1;
  private mask: number;
  size = 0;

  constructor(capacity = 1024) {
    const cap = IntPairMap.slotsFor(capacity);
    this.keysA = new Int32Array(cap);
    this.keysB = new Int32Array(cap);
    this.vals = new Int32Array(cap);
    this.stamps = new Int32Array(cap);
    this.mask = cap - 1;
  }

  private static slotsFor(capacity: number): number {
    let cap = 16;
    while (cap < capacity * 2) cap *= 2;
    return cap;
  }

  /** Removes every entry (shrinks back to `capacity` when it grew far past it). */
  clear(capacity = 1024): void {
    if (this.size === 0) return;
    this.size = 0;
    if (this.keysA.length > capacity * 64) {
      const cap = IntPairMap.slotsFor(capacity);
      this.keysA = new Int32Array(cap);
      this.keysB = new Int32Array(cap);
      this.vals = new Int32Array(cap);
      this.stamps = new Int32Array(cap);
      this.mask = cap - 1;
      this.epoch = 1;
    } else if (++this.epoch === 0x7fffffff) {
      this.stamps.fill(0);
      this.epoch = 1;
    }
  }

  /** The value of (a, b), or -1. */
  get(a: number, b: number): number {
    const stamps = this.stamps;
    const epoch = this.epoch;
    let i = (Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca77)) & this.mask;
    for (;;) {
      if (stamps[i] !== epoch) return -1;
      if (this.keysA[i] === a && this.keysB[i] === b) return this.vals[i] as number;
      i = (i + 1) & this.mask;
    }
  }

  /** Sets (a, b) → v. */
  set(a: number, b: number, v: number): void {
    if ((this.size + 1) * 2 > this.keysA.length) this.grow();
    let i = (Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca77)) & this.mask;
    for (;;) {
      if (this.stamps[i] !== this.epoch) {
        this.stamps[i] = this.epoch;
        this.keysA[i] = a;
        this.keysB[i] = b;
        this.vals[i] = v;
        this.size++;
        return;
      }
      if (this.keysA[i] === a && this.keysB[i] === b) {
        this.vals[i] = v;
        return;
      }
      i = (i + 1) & this.mask;
    }
  }

  private grow(): void {
    const { keysA, keysB, vals, stamps, epoch } = this;
    const cap = keysA.length * 2;
    const mask = cap - 1;
    const newA = new Int32Array(cap);
    const newB = new Int32Array(cap);
    const newVals = new Int32Array(cap);
    const newStamps = new Int32Array(cap);
    // Keys are distinct: each goes to the first free slot of its probe sequence.
    for (let i = 0; i < keysA.length; i++) {
      if (stamps[i] !== epoch) continue;
      const a = keysA[i] as number;
      const b = keysB[i] as number;
      let j = (Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca77)) & mask;
      while (newStamps[j] === 1) j = (j + 1) & mask;
      newStamps[j] = 1;
      newA[j] = a;
      newB[j] = b;
      newVals[j] = vals[i] as number;
    }
    this.keysA = newA;
    this.keysB = newB;
    this.vals = newVals;
    this.stamps = newStamps;
    this.epoch = 1;
    this.mask = mask;
  }
}

/**
 * An IntPairMap split into shards by the first key, for maps that grow large while serving
 * (lazily built guard trees): each shard doubles on its own, so no single insertion rehashes
 * more than a shard's share of the entries.
 */
export class ShardedIntPairMap {
  /** Shards, created on their first insertion (small maps stay cheap to build). */
  private readonly shards: (IntPairMap | null)[];
  private readonly shardMask: number;
  private readonly shardCapacity: number;

  constructor(capacity = 1024, numShards = 64) {
    this.shards = new Array<IntPairMap | null>(numShards).fill(null);
    this.shardMask = numShards - 1;
    this.shardCapacity = Math.ceil(capacity / numShards);
  }

  /** Number of entries. */
  get size(): number {
    let n = 0;
    for (const s of this.shards) n += s?.size ?? 0;
    return n;
  }

  /** The value of (a, b), or -1. */
  get(a: number, b: number): number {
    const shard = this.shards[a & this.shardMask];
    return shard ? shard.get(a, b) : -1;
  }

  /** Sets (a, b) → v. */
  set(a: number, b: number, v: number): void {
    const k = a & this.shardMask;
    let shard = this.shards[k];
    if (!shard) {
      shard = new IntPairMap(this.shardCapacity);
      this.shards[k] = shard;
    }
    shard.set(a, b, v);
  }
}

/**
 * Interning of int lists kept in a pool (list `i` is `pool[starts[i] .. starts[i + 1])`): by
 * hash, chained; no string keys. The caller appends the lists; the table indexes them.
 */
export class IntListTable {
  private heads = new Int32Array(1024).fill(-1);
  private readonly next = new IntVec(1024);
  private readonly hashes = new IntVec(1024);

  private static hash(items: Int32Array, from: number, to: number): number {
    let h = (to - from) | 0;
    for (let i = from; i < to; i++) h = Math.imul(h ^ (items[i] as number), 0x9e3779b1) ^ (h >>> 15);
    return h | 0;
  }

  /** The list (`pool[starts[s] .. starts[s + 1])`) equal to `items[from .. to)`, or -1. */
  find(pool: Int32Array, starts: Int32Array, items: Int32Array, from: number, to: number): number {
    const h = IntListTable.hash(items, from, to);
    const next = this.next.data;
    const hashes = this.hashes.data;
    for (let s = this.heads[h & (this.heads.length - 1)] as number; s >= 0; s = next[s] as number) {
      if (hashes[s] !== h) continue;
      const a = starts[s] as number;
      if ((starts[s + 1] as number) - a !== to - from) continue;
      let same = true;
      for (let i = 0; i < to - from && same; i++) same = pool[a + i] === items[from + i];
      if (same) return s;
    }
    return -1;
  }

  /** Indexes list `s`, equal to `items[from .. to)` (lists are added in order 0, 1, 2, …). */
  add(s: number, items: Int32Array, from: number, to: number): void {
    if (s >= this.heads.length) this.rehash();
    const h = IntListTable.hash(items, from, to);
    this.hashes.push(h);
    const at = h & (this.heads.length - 1);
    this.next.push(this.heads[at] as number);
    this.heads[at] = s;
  }

  private rehash(): void {
    this.heads = new Int32Array(this.heads.length * 2).fill(-1);
    const next = this.next.data;
    for (let s = 0; s < this.hashes.length; s++) {
      const at = (this.hashes.data[s] as number) & (this.heads.length - 1);
      next[s] = this.heads[at] as number;
      this.heads[at] = s;
    }
  }
}
