/**
 * LR(1) automata over atoms: LALR(1) (lalr-automaton.ts: LR(0) states, DeRemer-Pennello
 * lookaheads) or canonical LR(1) (here: states keyed by cores and lookaheads), with action/goto
 * tables and an exact list of conflicts. State 0 is the start state; the stack alphabet of the DPDA is these ids.
 */

import { GrammarError } from "../errors.js";
import { IntPairMap } from "./int-vec.js";
import { buildLalrAutomaton } from "./lalr-automaton.js";
import { describeLrConflict, type LrConflict } from "./lr-conflicts.js";
import { type LrGrammar, NO_SYMBOL } from "./lr-grammar.js";

/** Which construction to run. */
export type LrKind = "lalr1" | "lr1";

/** Action table entry: 0 = error; v > 0 = shift to state v - 1; v < 0 = reduce production -v - 1 (0 = accept). */
export type LrAction = number;

/** An LR(1) automaton and its tables. Arrays are owned by the automaton; do not mutate. */
export interface LrAutomaton {
  readonly kind: LrKind;
  readonly grammar: LrGrammar;
  readonly numStates: number;
  /** `action[s * numCols + col]`, see {@link LrAction}. Conflicts keep the first action found. */
  readonly action: Int32Array;
  /** Goto targets: `gotos.get(state, nt)` is the target state, or -1. */
  readonly gotos: IntPairMap;
  /** Kernel items of each state (item ids, ascending) and their lookahead bitsets. */
  kernel(s: number): Int32Array;
  readonly kernelLookaheads: readonly Uint32Array[][];
  readonly conflicts: readonly LrConflict[];
}

interface BuildState {
  kernel: Int32Array;
  la: Uint32Array[];
  queued: boolean;
}

/** A state's closure: item ids and lookahead sets (parallel). */
interface Closure {
  readonly items: number[];
  readonly las: Uint32Array[];
}

/** Unions `src` into `dst`; returns whether `dst` changed. */
function unionInto(dst: Uint32Array, src: Uint32Array, srcOffset = 0): boolean {
  let changed = false;
  for (let w = 0; w < dst.length; w++) {
    const v = ((dst[w] as number) | (src[srcOffset + w] as number)) >>> 0;
    if (v !== dst[w]) {
      dst[w] = v;
      changed = true;
    }
  }
  return changed;
}

/** LR(1) closure of a kernel: nonkernel items of nonterminal B share one lookahead set. */
export function closure(g: LrGrammar, kernel: Int32Array, la: readonly Uint32Array[]): Closure {
  const items = Array.from(kernel);
  const las: Uint32Array[] = la.map((x) => x.slice());
  const ntLa = new Map<number, Uint32Array>();
  const work: number[] = [];
  const predict = (item: number, itemLa: Uint32Array) => {
    const b = g.nextSym[item] as number;
    if (b === NO_SYMBOL || b < 0) return;
    let set = ntLa.get(b);
    const fresh = set === undefined;
    if (set === undefined) {
      set = new Uint32Array(g.words);
      ntLa.set(b, set);
    }
    let changed = unionInto(set, g.suffixFirst, item * g.words);
    if (g.suffixNullable[item]) changed = unionInto(set, itemLa) || changed;
    if (changed || fresh) work.push(b);
  };
  kernel.forEach((item, k) => {
    predict(item, la[k] as Uint32Array);
  });
  while (work.length > 0) {
    const b = work.pop() as number;
    const bLa = ntLa.get(b) as Uint32Array;
    for (const p of g.byLhs[b] ?? []) predict(g.itemBase[p] as number, bLa);
  }
  for (const [b, set] of [...ntLa].sort((x, y) => x[0] - y[0]))
    for (const p of g.byLhs[b] ?? []) {
      items.push(g.itemBase[p] as number);
      las.push(set);
    }
  return { items, las };
}

/** Successor kernels of a closure, keyed by symbol: atoms as `col`, nonterminals as `~nt` (negative). */
function successors(g: LrGrammar, c: Closure): Map<number, Map<number, Uint32Array<ArrayBufferLike>>> {
  const out = new Map<number, Map<number, Uint32Array<ArrayBufferLike>>>();
  const addTo = (key: number, item: number, la: Uint32Array) => {
    let m = out.get(key);
    if (!m) {
      m = new Map();
      out.set(key, m);
    }
    const prev = m.get(item + 1);
    if (prev) unionInto(prev, la);
    else m.set(item + 1, la.slice());
  };
  c.items.forEach((item, k) => {
    const sym = g.nextSym[item] as number;
    if (sym === NO_SYMBOL) return;
    const la = c.las[k] as Uint32Array;
    if (sym >= 0) addTo(~sym, item, la);
    else for (const a of g.atoms.terminalAtoms[-sym - 1] ?? []) addTo(a, item, la);
  });
  return out;
}

const kernelKey = (kernel: Int32Array, la: readonly Uint32Array[]) =>
  `${kernel.join(",")}|${la.map((x) => x.join(".")).join("|")}`;

/**
 * Builds the LR automaton of `g`. Throws GrammarError when it needs more than `maxStates` states.
 * Conflicts do not throw: they are listed in `conflicts` (the DPDA needs none).
 */
export function buildLrAutomaton(g: LrGrammar, kind: LrKind, maxStates = 20_000): LrAutomaton {
  if (kind === "lalr1") return buildLalrAutomaton(g, maxStates);
  const states: BuildState[] = [];
  const byKey = new Map<string, number>();
  const trans: Map<number, number>[] = [];
  const queue: number[] = [];
  const intern = (kernel: Int32Array, la: Uint32Array[]): number => {
    const key = kernelKey(kernel, la);
    const found = byKey.get(key);
    if (found !== undefined) {
      const st = states[found] as BuildState;
      let changed = false;
      la.forEach((x, k) => {
        changed = unionInto(st.la[k] as Uint32Array, x) || changed;
      });
      if (changed && !st.queued) {
        st.queued = true;
        queue.push(found);
      }
      return found;
    }
    if (states.length >= maxStates)
      throw new GrammarError(`grammar too large: its LR automaton needs more than ${maxStates} states`);
    states.push({ kernel, la, queued: true });
    trans.push(new Map());
    byKey.set(key, states.length - 1);
    queue.push(states.length - 1);
    return states.length - 1;
  };
  const startLa = new Uint32Array(g.words);
  startLa[g.eof >> 5] = 1 << (g.eof & 31);
  intern(Int32Array.of(0), [startLa]);
  for (let head = 0; head < queue.length; head++) {
    const s = queue[head] as number;
    const st = states[s] as BuildState;
    st.queued = false;
    for (const [sym, items] of successors(g, closure(g, st.kernel, st.la))) {
      const sorted = [...items].sort((x, y) => x[0] - y[0]);
      const t = intern(
        Int32Array.from(sorted, (x) => x[0]),
        sorted.map((x) => x[1]),
      );
      trans[s]?.set(sym, t);
    }
  }
  return tables(g, kind, states, trans);
}

/** Fills action/goto tables from the final states and records every conflict. */
function tables(g: LrGrammar, kind: LrKind, states: BuildState[], trans: Map<number, number>[]): LrAutomaton {
  const n = states.length;
  const action = new Int32Array(n * g.numCols);
  const gotos = new IntPairMap(1024);
  const conflicts: LrConflict[] = [];
  states.forEach((st, s) => {
    for (const [sym, t] of trans[s] ?? []) {
      if (sym >= 0) action[s * g.numCols + sym] = t + 1;
      else gotos.set(s, ~sym, t);
    }
    const c = closure(g, st.kernel, st.la);
    c.items.forEach((item, k) => {
      if (g.nextSym[item] !== NO_SYMBOL) return;
      const p = g.itemProd[item] as number;
      const la = c.las[k] as Uint32Array;
      for (let col = 0; col < g.numCols; col++) {
        if ((((la[col >> 5] as number) >>> (col & 31)) & 1) === 0) continue;
        const prev = action[s * g.numCols + col] as number;
        if (prev === 0) action[s * g.numCols + col] = -p - 1;
        else if (prev !== -p - 1) conflicts.push(describeLrConflict(g, c, s, col, prev, p));
      }
    });
  });
  return {
    kind,
    grammar: g,
    numStates: n,
    action,
    gotos,
    kernel: (s) => (states[s] as BuildState).kernel,
    kernelLookaheads: states.map((st) => st.la),
    conflicts,
  };
}
