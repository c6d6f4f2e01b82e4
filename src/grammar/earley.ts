/**
 * An incremental Earley recogniser over a byte CFG: the reference oracle for every automaton
 * (differential tests) and the engine for grammars that are not LR(1). Nullable symbols are
 * handled with Aycock and Horspool's rule (predicting a nullable B also advances over it), so
 * ε-productions need no rewriting.
 */

import { type ByteCfg, type ByteSet, hasByte, isTerminal, prodsByLhs, terminalOf } from "./byte-cfg.js";
import { IntPairMap } from "./int-vec.js";
import { nullableSet } from "./normalize-cfg.js";

/** One Earley set: items (production, dot, origin) as parallel arrays. */
interface EarleySet {
  readonly prod: number[];
  readonly dot: number[];
  readonly origin: number[];
  /** Items waiting for nonterminal `nt` (dot before it): indices into this set. */
  readonly waiting: Map<number, number[]>;
  /** Items with a terminal after the dot (indices), listed on the first scan from this set. */
  scans: number[] | null;
}

function emptySet(): EarleySet {
  return { prod: [], dot: [], origin: [], waiting: new Map(), scans: null };
}

/**
 * Earley recogniser with push/pop of bytes (for trie walks and rollback). The CFG should be
 * normalised (no useless symbols): then a non-empty set means the bytes so far are a viable prefix.
 */
export class EarleyRecognizer {
  private readonly rhs: (readonly number[])[];
  private readonly lhs: number[];
  private readonly byLhs: number[][];
  private readonly nullable: boolean[];
  private readonly itemBase: number[];
  private readonly sets: EarleySet[] = [];
  /** Items of the set under construction, (item, origin) → 1 (one set is built at a time). */
  private readonly building = new IntPairMap(1024);

  constructor(private readonly cfg: ByteCfg) {
    this.rhs = cfg.prods.map((p) => p.rhs);
    this.lhs = cfg.prods.map((p) => p.lhs);
    this.byLhs = prodsByLhs(cfg);
    this.nullable = nullableSet(cfg);
    let base = 0;
    this.itemBase = this.rhs.map((r) => {
      const b = base;
      base += r.length + 1;
      return b;
    });
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
    for (const p of this.byLhs[this.cfg.start] ?? []) this.add(first, p, 0, 0);
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
    for (const i of cur.scans) {
      const p = cur.prod[i] as number;
      const d = cur.dot[i] as number;
      const sym = this.rhs[p]?.[d] as number;
      if (hasByte(this.cfg.terminals[terminalOf(sym)] as ByteSet, byte))
        this.add(next, p, d + 1, cur.origin[i] as number);
    }
    if (next.prod.length === 0) return false;
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
    for (let i = 0; i < set.prod.length; i++) {
      const p = set.prod[i] as number;
      if (set.origin[i] === 0 && this.lhs[p] === this.cfg.start && set.dot[i] === this.rhs[p]?.length)
        return true;
    }
    return false;
  }

  /** Whether the bytes so far are a prefix of some sentence (always true after a successful push). */
  isViable(): boolean {
    return (this.sets[this.sets.length - 1] as EarleySet).prod.length > 0;
  }

  private scanItems(set: EarleySet): number[] {
    const out: number[] = [];
    for (let i = 0; i < set.prod.length; i++) {
      const sym = this.rhs[set.prod[i] as number]?.[set.dot[i] as number];
      if (sym !== undefined && isTerminal(sym)) out.push(i);
    }
    return out;
  }

  /** Adds item (p, d, origin) to `set`, the set under construction, unless it is there. */
  private add(set: EarleySet, p: number, d: number, origin: number): void {
    const item = (this.itemBase[p] as number) + d;
    if (this.building.get(item, origin) >= 0) return;
    this.building.set(item, origin, 1);
    set.prod.push(p);
    set.dot.push(d);
    set.origin.push(origin);
    const sym = this.rhs[p]?.[d];
    if (sym !== undefined && !isTerminal(sym)) {
      const list = set.waiting.get(sym);
      if (list) list.push(set.prod.length - 1);
      else set.waiting.set(sym, [set.prod.length - 1]);
    }
  }

  /** Prediction and completion to a fixpoint (the set grows while it is scanned). */
  private close(set: EarleySet, pos: number): void {
    for (let i = 0; i < set.prod.length; i++) {
      const p = set.prod[i] as number;
      const d = set.dot[i] as number;
      const sym = this.rhs[p]?.[d];
      if (sym === undefined) this.complete(set, this.lhs[p] as number, set.origin[i] as number);
      else if (!isTerminal(sym)) {
        for (const q of this.byLhs[sym] ?? []) this.add(set, q, 0, pos);
        if (this.nullable[sym]) this.add(set, p, d + 1, set.origin[i] as number);
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
      this.add(set, from.prod[j] as number, (from.dot[j] as number) + 1, from.origin[j] as number);
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
