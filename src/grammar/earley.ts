/**
 * An incremental Earley recogniser over a byte CFG: the reference oracle for every automaton
 * (differential tests) and the engine for grammars that are not LR(1). Nullable symbols are
 * handled with Aycock and Horspool's rule (predicting a nullable B also advances over it), so
 * ε-productions need no rewriting.
 */

import { type ByteCfg, isTerminal, prodsByLhs, terminalOf } from "./byte-cfg.js";
import { IntPairMap } from "./int-vec.js";
import { nullableSet } from "./normalize-cfg.js";

/** Symbol after the dot of a complete item. */
const DONE = 0x7fffffff;

/**
 * One Earley set: items (dotted production ids, see EarleyRecognizer) and their origins as
 * parallel arrays.
 */
interface EarleySet {
  readonly items: number[];
  readonly origins: number[];
  /** Items waiting for nonterminal `nt` (dot before it): indices into this set. */
  readonly waiting: Map<number, number[]>;
  /** Items with a terminal after the dot (indices), listed on the first scan from this set. */
  scans: number[] | null;
}

function emptySet(): EarleySet {
  return { items: [], origins: [], waiting: new Map(), scans: null };
}

/**
 * Earley recogniser with push/pop of bytes (for trie walks and rollback). The CFG should be
 * normalised (no useless symbols): then a non-empty set means the bytes so far are a viable prefix.
 *
 * An item is one number: production p with the dot at d is `itemBase[p] + d`, so advancing the
 * dot is `item + 1`, and per item the symbol after the dot and the left-hand side are table reads.
 */
export class EarleyRecognizer {
  /** Per item: the symbol after the dot (DONE when complete) and the production's left-hand side. */
  private readonly itemNext: Int32Array;
  private readonly itemLhs: Int32Array;
  /** Per nonterminal: the first items (dot at 0) of its productions. */
  private readonly starts: Int32Array[];
  private readonly nullable: boolean[];
  /** Terminal byte sets, 8 words each. */
  private readonly termBits: Uint32Array;
  private readonly sets: EarleySet[] = [];
  /** Items of the set under construction, (item, origin) → 1 (one set is built at a time). */
  private readonly building = new IntPairMap(1024);

  constructor(private readonly cfg: ByteCfg) {
    const numItems = cfg.prods.reduce((n, p) => n + p.rhs.length + 1, 0);
    this.itemNext = new Int32Array(numItems);
    this.itemLhs = new Int32Array(numItems);
    const itemBase: number[] = [];
    let base = 0;
    for (const p of cfg.prods) {
      itemBase.push(base);
      for (let d = 0; d <= p.rhs.length; d++) {
        this.itemNext[base + d] = d < p.rhs.length ? (p.rhs[d] as number) : DONE;
        this.itemLhs[base + d] = p.lhs;
      }
      base += p.rhs.length + 1;
    }
    this.starts = prodsByLhs(cfg).map((ps) => Int32Array.from(ps, (q) => itemBase[q] as number));
    this.nullable = nullableSet(cfg);
    this.termBits = new Uint32Array(cfg.terminals.length * 8);
    for (const [i, t] of cfg.terminals.entries()) this.termBits.set(t.subarray(0, 8), i * 8);
    this.reset();
  }

  /** Number of bytes consumed. */
  get numBytes(): number {
    return this.sets.length - 1;
  }

  /** Back to the empty input. */
  reset(): void {
    this.sets.length = 0;
    this.building.clear();
    const first = emptySet();
    this.sets.push(first);
    for (const item of this.starts[this.cfg.start] ?? []) this.add(first, item, 0);
    this.close(first, 0);
  }

  /** Consumes `byte`; returns false (consuming nothing) when no item can scan it. */
  pushByte(byte: number): boolean {
    const cur = this.sets[this.sets.length - 1] as EarleySet;
    const next = emptySet();
    const pos = this.sets.length;
    this.building.clear();
    // A set is scanned once per child in a trie walk: list its scanning items once.
    cur.scans ??= this.scanItems(cur);
    const word = byte >> 5;
    const bit = 1 << (byte & 31);
    for (const i of cur.scans) {
      const item = cur.items[i] as number;
      const t = terminalOf(this.itemNext[item] as number);
      if (((this.termBits[t * 8 + word] as number) & bit) !== 0)
        this.add(next, item + 1, cur.origins[i] as number);
    }
    if (next.items.length === 0) return false;
    this.close(next, pos);
    this.sets.push(next);
    return true;
  }

  /** Undoes the last `pushByte` that returned true. */
  popByte(): void {
    if (this.sets.length > 1) this.sets.pop();
  }

  /** Whether the bytes so far form a complete sentence. */
  isAccepting(): boolean {
    const set = this.sets[this.sets.length - 1] as EarleySet;
    for (let i = 0; i < set.items.length; i++) {
      const item = set.items[i] as number;
      if (set.origins[i] === 0 && this.itemLhs[item] === this.cfg.start && this.itemNext[item] === DONE)
        return true;
    }
    return false;
  }

  /** Whether the bytes so far are a prefix of some sentence (always true after a successful push). */
  isViable(): boolean {
    return (this.sets[this.sets.length - 1] as EarleySet).items.length > 0;
  }

  private scanItems(set: EarleySet): number[] {
    const out: number[] = [];
    for (let i = 0; i < set.items.length; i++) {
      const sym = this.itemNext[set.items[i] as number] as number;
      if (sym !== DONE && isTerminal(sym)) out.push(i);
    }
    return out;
  }

  /** Adds (item, origin) to `set`, the set under construction, unless it is there. */
  private add(set: EarleySet, item: number, origin: number): void {
    if (this.building.get(item, origin) >= 0) return;
    this.building.set(item, origin, 1);
    set.items.push(item);
    set.origins.push(origin);
    const sym = this.itemNext[item] as number;
    if (sym !== DONE && !isTerminal(sym)) {
      const list = set.waiting.get(sym);
      if (list) list.push(set.items.length - 1);
      else set.waiting.set(sym, [set.items.length - 1]);
    }
  }

  /** Prediction and completion to a fixpoint (the set grows while it is scanned). */
  private close(set: EarleySet, pos: number): void {
    for (let i = 0; i < set.items.length; i++) {
      const item = set.items[i] as number;
      const sym = this.itemNext[item] as number;
      if (sym === DONE) this.complete(set, this.itemLhs[item] as number, set.origins[i] as number);
      else if (!isTerminal(sym)) {
        for (const start of this.starts[sym] ?? []) this.add(set, start, pos);
        if (this.nullable[sym]) this.add(set, item + 1, set.origins[i] as number);
      }
    }
  }

  private complete(set: EarleySet, nt: number, origin: number): void {
    const from = this.sets[origin] ?? set;
    const waiting = from.waiting.get(nt);
    if (!waiting) return;
    // `waiting` may grow while we iterate when origin is the current set; the nullable rule covers those.
    for (let k = 0; k < waiting.length; k++) {
      const j = waiting[k] as number;
      this.add(set, (from.items[j] as number) + 1, from.origins[j] as number);
    }
  }
}

/** Whether `bytes` is a sentence of `cfg` (normalised). */
export function earleyAccepts(cfg: ByteCfg, bytes: Uint8Array): boolean {
  const r = new EarleyRecognizer(cfg);
  for (const b of bytes) if (!r.pushByte(b)) return false;
  return r.isAccepting();
}

/** Whether `bytes` is a prefix of some sentence of `cfg` (normalised). */
export function earleyIsViablePrefix(cfg: ByteCfg, bytes: Uint8Array): boolean {
  const r = new EarleyRecognizer(cfg);
  for (const b of bytes) if (!r.pushByte(b)) return false;
  return true;
}
