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
 * A slot is live when its stamp equals the current epoch, so `clear` costs O(1). Slots are
 * interleaved in one array (stamp, key a, key b, value): one allocation per growth, and a probe
 * reads one cache line.
 */
export class IntPairMap {
  private slots: Int32Array;
  private epoch = 1;
  /** Slot count - 1 (a power of two minus one). */
  private mask: number;
  size = 0;

  constructor(capacity = 1024) {
    const cap = IntPairMap.slotsFor(capacity);
    this.slots = new Int32Array(cap * 4);
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
    if (this.mask + 1 > capacity * 64) {
      const cap = IntPairMap.slotsFor(capacity);
      this.slots = new Int32Array(cap * 4);
      this.mask = cap - 1;
      this.epoch = 1;
    } else if (++this.epoch === 0x7fffffff) {
      this.slots.fill(0);
      this.epoch = 1;
    }
  }

  /** The value of (a, b), or -1. */
  get(a: number, b: number): number {
    const slots = this.slots;
    const epoch = this.epoch;
    const mask = this.mask;
    let i = (Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca77)) & mask;
    for (;;) {
      const k = i << 2;
      if (slots[k] !== epoch) return -1;
      if (slots[k + 1] === a && slots[k + 2] === b) return slots[k + 3] as number;
      i = (i + 1) & mask;
    }
  }

  /** Sets (a, b) → v. */
  set(a: number, b: number, v: number): void {
    if ((this.size + 1) * 2 > this.mask + 1) this.grow();
    const slots = this.slots;
    const epoch = this.epoch;
    const mask = this.mask;
    let i = (Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca77)) & mask;
    for (;;) {
      const k = i << 2;
      if (slots[k] !== epoch) {
        slots[k] = epoch;
        slots[k + 1] = a;
        slots[k + 2] = b;
        slots[k + 3] = v;
        this.size++;
        return;
      }
      if (slots[k + 1] === a && slots[k + 2] === b) {
        slots[k + 3] = v;
        return;
      }
      i = (i + 1) & mask;
    }
  }

  /** Calls `fn` on every entry. */
  forEach(fn: (a: number, b: number, v: number) => void): void {
    const slots = this.slots;
    for (let k = 0; k < slots.length; k += 4)
      if (slots[k] === this.epoch) fn(slots[k + 1] as number, slots[k + 2] as number, slots[k + 3] as number);
  }

  private grow(): void {
    const { slots, epoch } = this;
    const cap = (this.mask + 1) * 2;
    const mask = cap - 1;
    const next = new Int32Array(cap * 4);
    // Keys are distinct: each goes to the first free slot of its probe sequence.
    for (let k = 0; k < slots.length; k += 4) {
      if (slots[k] !== epoch) continue;
      const a = slots[k + 1] as number;
      const b = slots[k + 2] as number;
      let j = (Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca77)) & mask;
      while (next[j << 2] === 1) j = (j + 1) & mask;
      const t = j << 2;
      next[t] = 1;
      next[t + 1] = a;
      next[t + 2] = b;
      next[t + 3] = slots[k + 3] as number;
    }
    this.slots = next;
    this.epoch = 1;
    this.mask = mask;
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
