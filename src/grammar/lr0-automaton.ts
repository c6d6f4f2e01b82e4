/**
 * The LR(0) automaton of an analysed grammar, built with typed arrays: closures from a memoised
 * per-nonterminal list of initial items (transitive over first symbols), successors grouped by
 * symbol with a counting sort (a terminal advances on each of its atoms), states interned by
 * their sorted kernels. Kernels and nonterminal transitions live in flat pools (a few arrays per
 * grammar, not a few per state: compiles then leave little for the collector to trace).
 * The basis of the LALR(1) construction (lalr-automaton.ts).
 */

import { GrammarError } from "../errors.js";
import { grownTo, IntListTable, IntPairMap, IntVec } from "./int-vec.js";
import { type LrGrammar, NO_SYMBOL } from "./lr-grammar.js";

/** An LR(0) automaton. Arrays are owned by it. */
export interface Lr0Automaton {
  readonly numStates: number;
  /** `shift[s * numCols + atom]`: target state or -1 (the LALR(1) action table takes it over). */
  readonly shift: Int32Array;
  /** Goto targets: `gotos.get(state, nt)`, or -1. */
  readonly gotos: IntPairMap;
  /**
   * Nonterminal transitions, numbered state by state: those of state `s` are
   * `ntStart[s] .. ntStart[s + 1]`, transition `x` goes from `ntFrom[x]` on `ntSym[x]`.
   */
  readonly ntStart: Int32Array;
  readonly ntSym: Int32Array;
  readonly ntFrom: Int32Array;
  /** Number of the transition (state, nt), or -1. */
  readonly ntIndex: IntPairMap;
  /** Sorted kernel items of state `s` (a view of the pool). */
  kernel(s: number): Int32Array;
  /** The closure (kernel and predicted items) of state `s`, computed on demand. */
  closure(s: number): number[];
}

/** Builds the LR(0) automaton; throws GrammarError past `maxStates` states. */
export function buildLr0Automaton(g: LrGrammar, maxStates: number): Lr0Automaton {
  const numSyms = g.numCols + g.numNonterminals;
  const closures = new ClosureBuilder(g);
  const pool = new IntVec(1024);
  const kernelStart = new IntVec(256);
  kernelStart.push(0);
  const table = new IntListTable();
  const intern = (items: Int32Array, from: number, to: number): number => {
    const found = table.find(pool.data, kernelStart.data, items, from, to);
    if (found >= 0) return found;
    const s = kernelStart.length - 1;
    if (s >= maxStates)
      throw new GrammarError(`grammar too large: its LR automaton needs more than ${maxStates} states`);
    for (let i = from; i < to; i++) pool.push(items[i] as number);
    kernelStart.push(pool.length);
    table.add(s, items, from, to);
    return s;
  };
  // Per symbol: count of successor items, then the next free slot of its group in `grouped`.
  const fill = new Int32Array(numSyms);
  let touched = new Int32Array(64);
  let grouped = new Int32Array(256);
  const shiftSym = new IntVec(1024);
  const shiftTo = new IntVec(1024);
  const shiftStart = new IntVec(256);
  const ntStart = new IntVec(256);
  const ntSym = new IntVec(256);
  const ntFrom = new IntVec(256);
  const gotos = new IntPairMap(1024);
  const ntIndex = new IntPairMap(1024);
  /** Calls `visit(sym, item + 1)` for each successor item of the closure `scratch[0 .. n)`. */
  const eachSuccessor = (n: number, visit: (sym: number, next: number) => void): void => {
    const scratch = closures.scratch;
    for (let i = 0; i < n; i++) {
      const item = scratch[i] as number;
      const x = g.nextSym[item] as number;
      if (x === NO_SYMBOL) continue;
      if (x >= 0) visit(g.numCols + x, item + 1);
      else {
        const atoms = g.atoms.terminalAtoms[-x - 1] as Int32Array;
        for (let k = 0; k < atoms.length; k++) visit(atoms[k] as number, item + 1);
      }
    }
  };
  let numTouched = 0;
  let total = 0;
  const count = (sym: number): void => {
    if (fill[sym] === 0) {
      touched = grownTo(touched, numTouched + 1);
      touched[numTouched++] = sym;
    }
    fill[sym] = (fill[sym] as number) + 1;
    total++;
  };
  const place = (sym: number, next: number): void => {
    const at = fill[sym] as number;
    grouped[at] = next;
    fill[sym] = at + 1;
  };
  intern(Int32Array.of(0), 0, 1);
  for (let s = 0; s < kernelStart.length - 1; s++) {
    const n = closures.closureOf(pool.data, kernelStart.data[s] as number, kernelStart.data[s + 1] as number);
    // Sorted closure → each symbol's group comes out sorted (the distribution below is stable).
    closures.scratch.subarray(0, n).sort();
    numTouched = 0;
    total = 0;
    eachSuccessor(n, count);
    touched.subarray(0, numTouched).sort();
    grouped = grownTo(grouped, total);
    let at = 0;
    for (let k = 0; k < numTouched; k++) {
      const sym = touched[k] as number;
      const c = fill[sym] as number;
      fill[sym] = at;
      at += c;
    }
    eachSuccessor(n, place);
    // `fill[sym]` is now the end of the group; groups are consecutive in `touched` order.
    shiftStart.push(shiftSym.length);
    ntStart.push(ntSym.length);
    let from = 0;
    for (let k = 0; k < numTouched; k++) {
      const sym = touched[k] as number;
      const to = fill[sym] as number;
      fill[sym] = 0;
      const t = intern(grouped, from, to);
      from = to;
      if (sym < g.numCols) {
        shiftSym.push(sym);
        shiftTo.push(t);
      } else {
        ntIndex.set(s, sym - g.numCols, ntSym.length);
        gotos.set(s, sym - g.numCols, t);
        ntSym.push(sym - g.numCols);
        ntFrom.push(s);
      }
    }
  }
  const numStates = kernelStart.length - 1;
  shiftStart.push(shiftSym.length);
  ntStart.push(ntSym.length);
  const shift = new Int32Array(numStates * g.numCols).fill(-1);
  for (let s = 0; s < numStates; s++)
    for (let k = shiftStart.data[s] as number; k < (shiftStart.data[s + 1] as number); k++)
      shift[s * g.numCols + (shiftSym.data[k] as number)] = shiftTo.data[k] as number;
  const kernelItems = pool.toArray();
  const starts = kernelStart.toArray();
  const kernel = (s: number) => kernelItems.subarray(starts[s], starts[s + 1]);
  return {
    numStates,
    shift,
    gotos,
    ntStart: ntStart.toArray(),
    ntSym: ntSym.toArray(),
    ntFrom: ntFrom.toArray(),
    ntIndex,
    kernel,
    closure: (s) => {
      const k = kernel(s);
      return Array.from(closures.scratch.subarray(0, closures.closureOf(k, 0, k.length)));
    },
  };
}

/** LR(0) closures into a shared scratch buffer. */
class ClosureBuilder {
  /** Initial items of every production reachable from a nonterminal through first symbols. */
  private readonly initMemo: (Int32Array | undefined)[];
  private readonly ntSeen: Int32Array;
  private ntGen = 0;
  private readonly itemSeen: Int32Array;
  private itemGen = 0;
  /** The last closure computed. */
  readonly scratch: Int32Array;

  constructor(private readonly g: LrGrammar) {
    this.initMemo = new Array(g.numNonterminals);
    this.ntSeen = new Int32Array(g.numNonterminals);
    this.itemSeen = new Int32Array(g.nextSym.length);
    this.scratch = new Int32Array(g.nextSym.length);
  }

  private initItems(b: number): Int32Array {
    const known = this.initMemo[b];
    if (known) return known;
    const g = this.g;
    const gen = ++this.ntGen;
    const out: number[] = [];
    const stack = [b];
    this.ntSeen[b] = gen;
    while (stack.length > 0) {
      const a = stack.pop() as number;
      for (const p of g.byLhs[a] ?? []) {
        const item = g.itemBase[p] as number;
        out.push(item);
        const first = g.nextSym[item] as number;
        if (first !== NO_SYMBOL && first >= 0 && this.ntSeen[first] !== gen) {
          this.ntSeen[first] = gen;
          stack.push(first);
        }
      }
    }
    const arr = Int32Array.from(out);
    this.initMemo[b] = arr;
    return arr;
  }

  /** Writes the closure of the kernel `items[from .. to)` into `scratch`; returns its length. */
  closureOf(items: Int32Array, from: number, to: number): number {
    const { g, itemSeen, scratch } = this;
    const gen = ++this.itemGen;
    let n = 0;
    for (let i = from; i < to; i++) {
      const k = items[i] as number;
      itemSeen[k] = gen;
      scratch[n++] = k;
    }
    for (let i = from; i < to; i++) {
      const b = g.nextSym[items[i] as number] as number;
      if (b === NO_SYMBOL || b < 0) continue;
      const init = this.initItems(b);
      for (let j = 0; j < init.length; j++) {
        const it = init[j] as number;
        if (itemSeen[it] === gen) continue;
        itemSeen[it] = gen;
        scratch[n++] = it;
      }
    }
    return n;
  }
}
