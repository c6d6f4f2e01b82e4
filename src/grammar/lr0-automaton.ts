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
  /** Number of the transition (state, nt), or -1 (a search among the state's own). */
  ntIndex(state: number, nt: number): number;
  /** Sorted kernel items of state `s` (a view of the pool). */
  kernel(s: number): Int32Array;
  /** The closure (kernel and predicted items) of state `s`, computed on demand. */
  closure(s: number): number[];
}

/** Builds the LR(0) automaton; throws GrammarError past `maxStates` states. */
export function buildLr0Automaton(g: LrGrammar, maxStates: number): Lr0Automaton {
  const closures = new ClosureBuilder(g);
  const groups = new SuccessorGroups(g);
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
  const shifts = { from: new IntVec(1024), sym: new IntVec(1024), to: new IntVec(1024) };
  const nts = { start: new IntVec(256), sym: new IntVec(256), from: new IntVec(256) };
  const gotos = new IntPairMap(1024);
  intern(Int32Array.of(0), 0, 1);
  for (let s = 0; s < kernelStart.length - 1; s++) {
    const n = closures.closureOf(pool.data, kernelStart.data[s] as number, kernelStart.data[s + 1] as number);
    const numGroups = groups.group(closures.scratch, n);
    nts.start.push(nts.sym.length);
    for (let k = 0; k < numGroups; k++) {
      const sym = groups.symbols[k] as number;
      const t = intern(groups.items, groups.start(k), groups.end(k));
      if (sym < g.numCols) {
        shifts.from.push(s);
        shifts.sym.push(sym);
        shifts.to.push(t);
      } else {
        gotos.set(s, sym - g.numCols, t);
        nts.sym.push(sym - g.numCols);
        nts.from.push(s);
      }
    }
  }
  const numStates = kernelStart.length - 1;
  nts.start.push(nts.sym.length);
  const shift = new Int32Array(numStates * g.numCols).fill(-1);
  for (let k = 0; k < shifts.from.length; k++)
    shift[(shifts.from.data[k] as number) * g.numCols + (shifts.sym.data[k] as number)] = shifts.to.data[
      k
    ] as number;
  const kernelItems = pool.toArray();
  const starts = kernelStart.toArray();
  const kernel = (s: number) => kernelItems.subarray(starts[s], starts[s + 1]);
  const ntStart = nts.start.toArray();
  const ntSym = nts.sym.toArray();
  return {
    numStates,
    shift,
    gotos,
    ntStart,
    ntSym,
    ntFrom: nts.from.toArray(),
    ntIndex: (state, nt) => searchSorted(ntSym, ntStart[state] as number, ntStart[state + 1] as number, nt),
    kernel,
    closure: (s) => {
      const k = kernel(s);
      return Array.from(closures.scratch.subarray(0, closures.closureOf(k, 0, k.length)));
    },
  };
}

/** Index of `v` in the ascending `xs[from .. to)`, or -1. */
function searchSorted(xs: Int32Array, from: number, to: number, v: number): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const x = xs[mid] as number;
    if (x === v) return mid;
    if (x < v) lo = mid + 1;
    else hi = mid;
  }
  return -1;
}

/**
 * The successor kernels of a closure, by symbol (atoms as their column, nonterminal `nt` as
 * `numCols + nt`): a counting sort of the items after the dot, symbols ascending, each group's
 * items ascending.
 */
class SuccessorGroups {
  /** Symbols of the last grouping, ascending. */
  symbols = new Int32Array(64);
  /** Their items, group after group. */
  items = new Int32Array(256);
  /** Per symbol of the last grouping: count of items, then the next free slot, then the end of its group. */
  private readonly fill: Int32Array;
  private numGroups = 0;
  private total = 0;

  constructor(private readonly g: LrGrammar) {
    this.fill = new Int32Array(g.numCols + g.numNonterminals);
  }

  /** Groups the successors of the closure `closure[0 .. n)` (sorted in place); returns the number of groups. */
  group(closure: Int32Array, n: number): number {
    // A sorted closure makes each group come out sorted (the distribution is stable).
    closure.subarray(0, n).sort();
    for (let k = 0; k < this.numGroups; k++) this.fill[this.symbols[k] as number] = 0;
    this.numGroups = 0;
    this.total = 0;
    this.eachSuccessor(closure, n, true);
    this.symbols.subarray(0, this.numGroups).sort();
    this.items = grownTo(this.items, this.total);
    let at = 0;
    for (let k = 0; k < this.numGroups; k++) {
      const sym = this.symbols[k] as number;
      const c = this.fill[sym] as number;
      this.fill[sym] = at;
      at += c;
    }
    this.eachSuccessor(closure, n, false);
    return this.numGroups;
  }

  /** Start of group `k` in {@link items}. */
  start(k: number): number {
    return k === 0 ? 0 : (this.fill[this.symbols[k - 1] as number] as number);
  }

  /** End of group `k` in {@link items}. */
  end(k: number): number {
    return this.fill[this.symbols[k] as number] as number;
  }

  /** Counts (`counting`) or places each successor item `item + 1` under its symbol. */
  private eachSuccessor(closure: Int32Array, n: number, counting: boolean): void {
    const g = this.g;
    for (let i = 0; i < n; i++) {
      const item = closure[i] as number;
      const x = g.nextSym[item] as number;
      if (x === NO_SYMBOL) continue;
      if (x >= 0) this.add(g.numCols + x, item + 1, counting);
      else {
        const atoms = g.atoms.terminalAtoms[-x - 1] as Int32Array;
        for (let k = 0; k < atoms.length; k++) this.add(atoms[k] as number, item + 1, counting);
      }
    }
  }

  private add(sym: number, next: number, counting: boolean): void {
    const at = this.fill[sym] as number;
    if (counting) {
      if (at === 0) {
        this.symbols = grownTo(this.symbols, this.numGroups + 1);
        this.symbols[this.numGroups++] = sym;
      }
      this.total++;
    } else this.items[at] = next;
    this.fill[sym] = at + 1;
  }
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
