/**
 * The configurations one mask walk reaches, interned, with a memoised transition table: the
 * inner loop of a trie walk becomes one table read per trie node instead of a DPDA step with an
 * undo log.
 *
 * A configuration is a node of a trie over stack entries (bottom first): node = (parent, entry),
 * so equal stacks get equal ids and a step "pop k, push Q" is k parent links and |Q| child
 * lookups. Transitions (config, byte) → config are computed once per walk phase by a real DPDA
 * step on a scratch stack holding that configuration, and read from a dense table afterwards.
 * A JSON string body, say, reaches only a handful of configurations (the body, the middle of
 * each UTF-8 sequence length, after a backslash), so a whole-vocabulary walk costs a few thousand
 * real steps plus one table read per trie node.
 *
 * The walk phase also records what keys the mask cache: the deepest stack index any step read
 * (`lowWater`), the highest stack size reached (`highWater`) and whether the depth limit refused
 * a step (`overflowed`). Single-threaded; reused across walks (`begin` resets it).
 */

import { type Dpda, NodeKind } from "./dpda.js";
import { IntPairMap, IntVec } from "./int-vec.js";

/**
 * Transition results below 0. A fork (GLR: the byte leads to several configurations) is
 * `FORK - k` for the k-th fork of the phase; see {@link WalkConfigs.forkSize}.
 */
export const Trans = { UNKNOWN: -4, REJECT: -1, UNCERTAIN: -2, FORK: -16 } as const;

/** Most configurations with a dense transition row (256 int32 each); others step every time. */
const ROW_CAP = 2048;

/**
 * Dense transitions `trans[(row << 8) | byte]` (row = config - rowBase), shared by every
 * WalkConfigs of the thread (a walk phase runs to completion without yielding, so phases never
 * interleave); `dirtyRows` rows may hold entries of the last phase.
 */
const shared = {
  trans: null as Int32Array | null,
  /** Per memoised transition: how many entries below the top its step read (0: the top only). */
  transRead: null as Int32Array | null,
  /** Per config (8 words each): bytes whose transition is known, and those that loop back. */
  known: null as Int32Array | null,
  loops: null as Int32Array | null,
  dirtyRows: 0,
};

/** Interned configurations and memoised transitions of one walk phase. */
export class WalkConfigs {
  /**
   * Dense transitions `trans[(row << 8) | atom]`: config c has row `c - rowBase` when that is in
   * [0, rowCap) (Trans.UNKNOWN: not computed yet).
   */
  readonly trans: Int32Array;
  /** Atom of each byte (-1: no atom, rejected everywhere). */
  readonly atomOf: Int16Array;
  private readonly transRead: Int32Array;
  private readonly known: Int32Array;
  private readonly loops: Int32Array;
  /** Configurations with a memoised transition row. */
  readonly rowCap: number;
  /**
   * Config id of row 0: a little below the start configuration, so the chain of stack entries
   * under it (interned for pops, rarely stepped from) takes no rows.
   */
  rowBase = 0;
  private readonly parent = new IntVec(1024);
  private readonly entry = new IntVec(1024);
  private readonly depth = new IntVec(1024);
  private readonly child = new IntPairMap(1024);
  /** Forks of this phase: configurations `forkPool[forkStart[k] .. forkStart[k + 1])`. */
  private readonly forkStart = new IntVec(16);
  private readonly forkPool = new IntVec(64);
  /** Scratch stack, and the config node materialised at each index (-1: stale). */
  private work = new Int32Array(64);
  private workNode = new Int32Array(64).fill(-1);
  private workUsed = 0;
  private workValid = 0;
  private base = 0;
  private maxDepth = 0;
  lowWater = 0;
  highWater = 0;
  overflowed = false;
  /** Stack index the last real step read down to. */
  private lastReadIdx = 0;

  constructor(
    private readonly dpda: Dpda,
    rowCap = ROW_CAP,
  ) {
    this.rowCap = Math.max(0, Math.min(rowCap, ROW_CAP));
    this.atomOf = dpda.byteToAtom;
    shared.trans ??= new Int32Array(ROW_CAP * 256).fill(Trans.UNKNOWN);
    shared.transRead ??= new Int32Array(ROW_CAP * 256);
    shared.known ??= new Int32Array(ROW_CAP * 8);
    shared.loops ??= new Int32Array(ROW_CAP * 8);
    this.trans = shared.trans;
    this.transRead = shared.transRead;
    this.known = shared.known;
    this.loops = shared.loops;
  }

  /** Stack index below which entries are unknown in this phase (0: the whole stack is known). */
  get baseIndex(): number {
    return this.base;
  }

  /** Stack size of configuration `c`. */
  depthOf(c: number): number {
    return this.depth.data[c] as number;
  }

  /** The top `n` stack entries of configuration `c`, top first (a cache key). */
  topEntries(c: number, n: number): Int32Array {
    const out = new Int32Array(n);
    let k = 0;
    for (let x = c; x > 0 && k < n; x = this.parent.data[x] as number)
      out[k++] = this.entry.data[x] as number;
    return k === n ? out : out.subarray(0, k);
  }

  /** Whether configuration `c`'s top entries are `key` (top first). */
  topMatches(c: number, key: Int32Array): boolean {
    let x = c;
    for (let k = 0; k < key.length; k++, x = this.parent.data[x] as number)
      if (x <= 0 || this.entry.data[x] !== key[k]) return false;
    return true;
  }

  /** The top stack entry of configuration `c`. */
  topEntry(c: number): number {
    return this.entry.data[c] as number;
  }

  /** Number of configurations interned in this phase. */
  get size(): number {
    return this.parent.length;
  }

  /**
   * Starts a walk phase from `stack[0 .. sp)`; steps reading below index `base` give
   * `Trans.UNCERTAIN`. Returns the start configuration.
   */
  begin(stack: Int32Array, sp: number, base: number, maxDepth: number): number {
    this.trans.fill(Trans.UNKNOWN, 0, shared.dirtyRows << 8);
    this.known.fill(0, 0, shared.dirtyRows << 3);
    this.loops.fill(0, 0, shared.dirtyRows << 3);
    shared.dirtyRows = 0;
    this.workNode.fill(-1, 0, this.workUsed);
    this.workUsed = 0;
    this.workValid = 0;
    this.parent.length = 0;
    this.entry.length = 0;
    this.depth.length = 0;
    this.child.clear(1 << 14);
    this.forkStart.length = 0;
    this.forkStart.push(0);
    this.forkPool.length = 0;
    this.base = base;
    this.maxDepth = maxDepth;
    this.lowWater = sp - 1;
    this.highWater = sp;
    this.overflowed = false;
    let n = this.newConfig(-1, 0, 0);
    for (let i = 0; i < sp; i++) n = this.push(n, stack[i] as number);
    this.rowBase = Math.max(0, n - 16);
    return n;
  }

  /**
   * The configuration after byte `b` from `c`, or Trans.REJECT / Trans.UNCERTAIN (memoised per
   * atom: bytes of one atom step alike, so a row holds one entry per atom, not per byte).
   */
  next(c: number, b: number): number {
    const a = this.atomOf[b] as number;
    if (a < 0) return this.rejectByte(c);
    const r = c - this.rowBase;
    if (r < 0 || r >= this.rowCap) return this.step(c, b);
    const k = (r << 8) | a;
    let t = this.trans[k] as number;
    if (t === Trans.UNKNOWN) {
      t = this.step(c, b);
      this.trans[k] = t;
      this.transRead[k] = (this.depth.data[c] as number) - 1 - this.lastReadIdx;
      if (r >= shared.dirtyRows) shared.dirtyRows = r + 1;
    }
    return t;
  }

  /**
   * {@link next}, but a memoised transition also lowers `lowWater` to the stack index its step
   * read. `lowWater` only falls within a phase, so walks need not do this; a check that resets
   * `lowWater` to measure what it alone reads must.
   */
  nextTracked(c: number, b: number): number {
    const a = this.atomOf[b] as number;
    if (a < 0) return this.rejectByte(c);
    const r = c - this.rowBase;
    if (r < 0 || r >= this.rowCap) return this.step(c, b);
    const k = (r << 8) | a;
    const t = this.trans[k] as number;
    if (t === Trans.UNKNOWN) return this.next(c, b);
    const readIdx = (this.depth.data[c] as number) - 1 - (this.transRead[k] as number);
    this.lastReadIdx = readIdx;
    if (readIdx < this.lowWater) this.lowWater = readIdx;
    return t;
  }

  /** Stack index the last {@link nextTracked} (or real step) read down to. */
  get lastRead(): number {
    return this.lastReadIdx;
  }

  /**
   * Whether every byte in `bytes[at .. at + 8)` (a 256-bit set) steps configuration `c` back to
   * itself, so every string over those bytes keeps `c` (computing missing transitions, which
   * may read deeper than the walk would: that only lengthens the mask-cache key).
   * False for configurations without a transition row.
   */
  loopsOver(c: number, bytes: Int32Array, at: number): boolean {
    const r = c - this.rowBase;
    if (r < 0 || r >= this.rowCap) return false;
    const known = this.known;
    const loops = this.loops;
    const row = r << 3;
    for (let w = 0; w < 8; w++) {
      const want = bytes[at + w] as number;
      let missing = want & ~(known[row + w] as number);
      // Stop at the first byte that does not loop: no transitions computed beyond need.
      while (missing !== 0) {
        const bit = 31 - Math.clz32(missing & -missing);
        missing &= missing - 1;
        known[row + w] = (known[row + w] as number) | (1 << bit);
        if (this.next(c, (w << 5) | bit) !== c) return false;
        loops[row + w] = (loops[row + w] as number) | (1 << bit);
      }
      if ((want & ~(loops[row + w] as number)) !== 0) return false;
    }
    return true;
  }

  /** Number of configurations of fork `code` (a transition result ≤ Trans.FORK). */
  forkSize(code: number): number {
    const k = Trans.FORK - code;
    return (this.forkStart.data[k + 1] as number) - (this.forkStart.data[k] as number);
  }

  /** The `i`-th configuration of fork `code`. */
  forkAt(code: number, i: number): number {
    return this.forkPool.data[(this.forkStart.data[Trans.FORK - code] as number) + i] as number;
  }

  /** A byte no atom holds: rejected from any configuration, reading only the top. */
  private rejectByte(c: number): number {
    this.lastReadIdx = (this.depth.data[c] as number) - 1;
    return Trans.REJECT;
  }

  /** One real DPDA step from configuration `c`. */
  step(c: number, b: number): number {
    const dpda = this.dpda;
    const col = dpda.byteToAtom[b] as number;
    this.lastReadIdx = (this.depth.data[c] as number) - 1;
    if (col < 0 || dpda.refuses(this.entry.data[c] as number, col)) return Trans.REJECT;
    this.materialise(c);
    const sp = this.depth.data[c] as number;
    const leaf = dpda.select(this.work, sp, col, this.base);
    if (leaf < 0) {
      this.lastReadIdx = this.base - 1; // below what this phase may read
      return Trans.UNCERTAIN;
    }
    const readIdx = sp - 1 - (dpda.nodeDepth.data[leaf] as number);
    this.lastReadIdx = readIdx;
    if (readIdx < this.lowWater) this.lowWater = readIdx;
    const kind = dpda.nodeKind.data[leaf];
    if (kind === NodeKind.EDGE) return this.apply(c, dpda.nodeEdge.data[leaf] as number);
    if (kind !== NodeKind.FORK) return Trans.REJECT;
    // A fork: the distinct configurations its edges lead to.
    const f = dpda.nodeEdge.data[leaf] as number;
    const pool = this.forkPool;
    const from = pool.length;
    for (let k = 0, n = dpda.forkLen.data[f] as number; k < n; k++) {
      const t = this.apply(c, dpda.forkPool.data[(dpda.forkStart.data[f] as number) + k] as number);
      let dup = t < 0;
      for (let j = from; j < pool.length && !dup; j++) dup = pool.data[j] === t;
      if (!dup) pool.push(t);
    }
    const n = this.forkPool.length - from;
    if (n <= 1) {
      this.forkPool.length = from;
      return n === 1 ? (this.forkPool.data[from] as number) : Trans.REJECT;
    }
    this.forkStart.push(this.forkPool.length);
    return Trans.FORK - (this.forkStart.length - 2);
  }

  /** The configuration after edge `e` from `c` (Trans.REJECT past the depth limit). */
  private apply(c: number, e: number): number {
    const dpda = this.dpda;
    const sp = this.depth.data[c] as number;
    const pop = dpda.edgePop.data[e] as number;
    const len = dpda.edgePushLen.data[e] as number;
    const next = sp - pop + len;
    if (next > this.maxDepth) {
      this.overflowed = true;
      return Trans.REJECT;
    }
    let n = c;
    for (let i = 0; i < pop; i++) n = this.parent.data[n] as number;
    const start = dpda.edgePushStart.data[e] as number;
    for (let i = 0; i < len; i++) n = this.push(n, dpda.pushPool.data[start + i] as number);
    if (next > this.highWater) this.highWater = next;
    return n;
  }

  /** The interned configuration `c` with `s` pushed. */
  private push(c: number, s: number): number {
    let n = this.child.get(c, s);
    if (n < 0) {
      n = this.newConfig(c, s, (this.depth.data[c] as number) + 1);
      this.child.set(c, s, n);
    }
    return n;
  }

  private newConfig(parent: number, entry: number, depth: number): number {
    this.entry.push(entry);
    this.depth.push(depth);
    return this.parent.push(parent);
  }

  /** Writes configuration `c` into the scratch stack (only the part that differs). */
  private materialise(c: number): void {
    const d = this.depth.data[c] as number;
    if (d > this.work.length) this.growWork(d);
    if (d > this.workUsed) this.workUsed = d;
    const work = this.work;
    const workNode = this.workNode;
    // Only the chain of the last materialised config (indices below workValid) is consistent.
    const valid = this.workValid;
    this.workValid = d;
    for (let n = c; n > 0; ) {
      const i = (this.depth.data[n] as number) - 1;
      if (i < valid && workNode[i] === n) break;
      workNode[i] = n;
      work[i] = this.entry.data[n] as number;
      n = this.parent.data[n] as number;
    }
  }

  private growWork(min: number): void {
    let cap = this.work.length * 2;
    while (cap < min) cap *= 2;
    const work = new Int32Array(cap);
    work.set(this.work);
    const workNode = new Int32Array(cap).fill(-1);
    workNode.set(this.workNode);
    this.work = work;
    this.workNode = workNode;
  }
}
