/**
 * The LR(0) automaton of an analysed grammar, built with typed arrays: closures from a memoised
 * per-nonterminal list of initial items (transitive over first symbols), successors bucketed by
 * symbol (a terminal advances on each of its atoms), states interned by their sorted kernels.
 * The basis of the LALR(1) construction (lalr-automaton.ts).
 */

import { GrammarError } from "../errors.js";
import { IntPairMap } from "./int-vec.js";
import { type LrGrammar, NO_SYMBOL } from "./lr-grammar.js";

/** An LR(0) automaton. Arrays are owned by it. */
export interface Lr0Automaton {
  readonly numStates: number;
  /** Sorted kernel items of each state. */
  readonly kernels: readonly Int32Array[];
  /** `shift[s * numCols + atom]`: target state or -1 (the LALR(1) action table takes it over). */
  readonly shift: Int32Array;
  /** Goto targets: `gotos.get(state, nt)`, or -1. */
  readonly gotos: IntPairMap;
  /** Nonterminal transitions of each state: `ntOut[s]` lists the nonterminals. */
  readonly ntOut: readonly Int32Array[];
  /** The closure (kernel and predicted items) of state `s`, computed on demand. */
  closure(s: number): number[];
}

/** Builds the LR(0) automaton; throws GrammarError past `maxStates` states. */
export function buildLr0Automaton(g: LrGrammar, maxStates: number): Lr0Automaton {
  const numItems = g.nextSym.length;
  const numSyms = g.numCols + g.numNonterminals;
  const initMemo: (Int32Array | undefined)[] = new Array(g.numNonterminals);
  const ntSeen = new Int32Array(g.numNonterminals);
  let ntGen = 0;
  /** Initial items of every production reachable from `b` through first symbols. */
  const initItems = (b: number): Int32Array => {
    const known = initMemo[b];
    if (known) return known;
    ntGen++;
    const out: number[] = [];
    const stack = [b];
    ntSeen[b] = ntGen;
    while (stack.length > 0) {
      const a = stack.pop() as number;
      for (const p of g.byLhs[a] ?? []) {
        const item = g.itemBase[p] as number;
        out.push(item);
        const first = g.nextSym[item] as number;
        if (first !== NO_SYMBOL && first >= 0 && ntSeen[first] !== ntGen) {
          ntSeen[first] = ntGen;
          stack.push(first);
        }
      }
    }
    const arr = Int32Array.from(out);
    initMemo[b] = arr;
    return arr;
  };
  const itemSeen = new Int32Array(numItems);
  let itemGen = 0;
  const scratch = new Int32Array(numItems);
  /** Writes the closure of `kernel` into `scratch`; returns its length. */
  const closureInto = (kernel: Int32Array): number => {
    itemGen++;
    let n = 0;
    for (const k of kernel) {
      itemSeen[k] = itemGen;
      scratch[n++] = k;
    }
    for (const k of kernel) {
      const b = g.nextSym[k] as number;
      if (b === NO_SYMBOL || b < 0) continue;
      const init = initItems(b);
      for (let i = 0; i < init.length; i++) {
        const it = init[i] as number;
        if (itemSeen[it] === itemGen) continue;
        itemSeen[it] = itemGen;
        scratch[n++] = it;
      }
    }
    return n;
  };
  const closureOf = (kernel: Int32Array): number[] => Array.from(scratch.subarray(0, closureInto(kernel)));
  const kernels: Int32Array[] = [];
  const table = new KernelTable();
  const outSym: Int32Array[] = [];
  const outTo: Int32Array[] = [];
  const intern = (items: number[]): number => {
    const found = table.find(kernels, items);
    if (found >= 0) return found;
    if (kernels.length >= maxStates)
      throw new GrammarError(`grammar too large: its LR automaton needs more than ${maxStates} states`);
    kernels.push(Int32Array.from(items));
    table.add(kernels.length - 1, items);
    return kernels.length - 1;
  };
  const bucketOf = new Int32Array(numSyms).fill(-1);
  const buckets: number[][] = [];
  const touched: number[] = [];
  const add = (sym: number, item: number) => {
    let b = bucketOf[sym] as number;
    if (b < 0) {
      b = touched.length;
      bucketOf[sym] = b;
      touched.push(sym);
      if (buckets.length <= b) buckets.push([]);
      (buckets[b] as number[]).length = 0;
    }
    (buckets[b] as number[]).push(item);
  };
  intern([0]);
  for (let s = 0; s < kernels.length; s++) {
    touched.length = 0;
    const n = closureInto(kernels[s] as Int32Array);
    for (let i = 0; i < n; i++) {
      const item = scratch[i] as number;
      const x = g.nextSym[item] as number;
      if (x === NO_SYMBOL) continue;
      if (x >= 0) add(g.numCols + x, item + 1);
      else {
        const atoms = g.atoms.terminalAtoms[-x - 1] as Int32Array;
        for (let k = 0; k < atoms.length; k++) add(atoms[k] as number, item + 1);
      }
    }
    touched.sort((a, b) => a - b);
    const syms = new Int32Array(touched.length);
    const tos = new Int32Array(touched.length);
    for (let k = 0; k < touched.length; k++) {
      const sym = touched[k] as number;
      const list = buckets[bucketOf[sym] as number] as number[];
      if (list.length > 1) list.sort((a, b) => a - b);
      syms[k] = sym;
      tos[k] = intern(list);
    }
    for (const sym of touched) bucketOf[sym] = -1;
    outSym.push(syms);
    outTo.push(tos);
  }
  return tablesOf(g, kernels, outSym, outTo, closureOf);
}

/** Kernels (sorted item lists) by hash, chained; no string keys. */
class KernelTable {
  private heads = new Int32Array(1024).fill(-1);
  private readonly next: number[] = [];
  private readonly hashes: number[] = [];

  private static hash(items: ArrayLike<number>): number {
    let h = items.length | 0;
    for (let i = 0; i < items.length; i++) h = Math.imul(h ^ (items[i] as number), 0x9e3779b1) ^ (h >>> 15);
    return h >>> 0;
  }

  /** The state whose kernel equals `items`, or -1. */
  find(kernels: readonly Int32Array[], items: readonly number[]): number {
    const h = KernelTable.hash(items);
    for (let s = this.heads[h & (this.heads.length - 1)] as number; s >= 0; s = this.next[s] as number) {
      if (this.hashes[s] !== h) continue;
      const k = kernels[s] as Int32Array;
      if (k.length !== items.length) continue;
      let same = true;
      for (let i = 0; i < k.length && same; i++) same = k[i] === items[i];
      if (same) return s;
    }
    return -1;
  }

  /** Adds state `s` (ids are added in order 0, 1, 2, …). */
  add(s: number, items: readonly number[]): void {
    if (s >= this.heads.length) this.rehash();
    const h = KernelTable.hash(items);
    this.hashes.push(h);
    const at = h & (this.heads.length - 1);
    this.next.push(this.heads[at] as number);
    this.heads[at] = s;
  }

  private rehash(): void {
    this.heads = new Int32Array(this.heads.length * 2).fill(-1);
    for (let s = 0; s < this.hashes.length; s++) {
      const at = (this.hashes[s] as number) & (this.heads.length - 1);
      this.next[s] = this.heads[at] as number;
      this.heads[at] = s;
    }
  }
}

function tablesOf(
  g: LrGrammar,
  kernels: Int32Array[],
  outSym: Int32Array[],
  outTo: Int32Array[],
  closureOf: (kernel: Int32Array) => number[],
): Lr0Automaton {
  const n = kernels.length;
  const shift = new Int32Array(n * g.numCols).fill(-1);
  const gotos = new IntPairMap(1024);
  const ntOut: Int32Array[] = [];
  for (let s = 0; s < n; s++) {
    const syms = outSym[s] as Int32Array;
    const tos = outTo[s] as Int32Array;
    const nts: number[] = [];
    for (let k = 0; k < syms.length; k++) {
      const sym = syms[k] as number;
      if (sym < g.numCols) shift[s * g.numCols + sym] = tos[k] as number;
      else {
        gotos.set(s, sym - g.numCols, tos[k] as number);
        nts.push(sym - g.numCols);
      }
    }
    ntOut.push(Int32Array.from(nts));
  }
  return {
    numStates: n,
    kernels,
    shift,
    gotos,
    ntOut,
    closure: (s) => closureOf(kernels[s] as Int32Array),
  };
}
