/**
 * LALR(1) by DeRemer and Pennello: lookaheads of the LR(0) automaton's reductions from its
 * nonterminal transitions, with no LR(1) item sets at all. For a transition x = (p, A):
 * Read(x) = the atoms shifted right after A, closed over nullable nonterminal transitions
 * (`reads`); Follow(x) = Read(x) closed over `includes` (x includes (p', B) when B → β A γ,
 * γ nullable, and p' reaches p on β); the lookahead of reducing A → ω in q is the union of
 * Follow(p, A) over the transitions from which q is reached on ω (`lookback`). Both closures
 * are one pass of the digraph algorithm (strongly connected components share one set).
 */

import { IntPairMap } from "./int-vec.js";
import type { LrAutomaton } from "./lr-automaton.js";
import { describeLrConflict, type LrConflict } from "./lr-conflicts.js";
import type { LrGrammar } from "./lr-grammar.js";
import { buildLr0Automaton, type Lr0Automaton } from "./lr0-automaton.js";

/** Nonterminal transitions of an LR(0) automaton, numbered. */
interface NtTransitions {
  readonly count: number;
  readonly from: Int32Array;
  readonly nt: Int32Array;
  /** Index of (state, nt), or -1: `index.get(state, nt)`. */
  readonly index: IntPairMap;
}

function ntTransitions(lr0: Lr0Automaton): NtTransitions {
  const from: number[] = [];
  const nt: number[] = [];
  const index = new IntPairMap(1024);
  lr0.ntOut.forEach((list, s) => {
    for (const a of list) {
      index.set(s, a, from.length);
      from.push(s);
      nt.push(a);
    }
  });
  return { count: from.length, from: Int32Array.from(from), nt: Int32Array.from(nt), index };
}

/**
 * The digraph algorithm: `sets[x] |= sets[y]` for every y reachable from x over `edges`, one
 * union per strongly connected component. Iterative (no recursion depth limit).
 */
function digraph(
  count: number,
  edges: readonly (number[] | undefined)[],
  sets: Uint32Array,
  words: number,
): void {
  const depth = new Int32Array(count);
  const pushedAt = new Int32Array(count);
  const stack: number[] = [];
  const frames: number[] = []; // pairs (node, next edge index)
  const INF = 0x7fffffff;
  const union = (x: number, y: number) => {
    for (let w = 0; w < words; w++)
      sets[x * words + w] = (sets[x * words + w] as number) | (sets[y * words + w] as number);
  };
  for (let start = 0; start < count; start++) {
    if (depth[start] !== 0) continue;
    stack.push(start);
    depth[start] = stack.length;
    pushedAt[start] = stack.length;
    frames.push(start, 0);
    while (frames.length > 0) {
      const x = frames[frames.length - 2] as number;
      const k = frames[frames.length - 1] as number;
      const out = edges[x];
      if (out !== undefined && k < out.length) {
        frames[frames.length - 1] = k + 1;
        const y = out[k] as number;
        if (depth[y] === 0) {
          stack.push(y);
          depth[y] = stack.length;
          pushedAt[y] = stack.length;
          frames.push(y, 0);
          continue;
        }
        if ((depth[y] as number) < (depth[x] as number)) depth[x] = depth[y] as number;
        union(x, y);
        continue;
      }
      frames.length -= 2;
      if (depth[x] === pushedAt[x]) {
        for (;;) {
          const top = stack.pop() as number;
          depth[top] = INF;
          if (top === x) break;
          sets.copyWithin(top * words, x * words, x * words + words);
        }
      }
      if (frames.length > 0) {
        const parent = frames[frames.length - 2] as number;
        if ((depth[x] as number) < (depth[parent] as number)) depth[parent] = depth[x] as number;
        union(parent, x);
      }
    }
  }
}

function pushTo(lists: (number[] | undefined)[], at: number, v: number): void {
  const list = lists[at];
  if (list) list.push(v);
  else lists[at] = [v];
}

function setBit(sets: Uint32Array, at: number, bit: number): void {
  sets[at + (bit >> 5)] = ((sets[at + (bit >> 5)] as number) | (1 << (bit & 31))) >>> 0;
}

let bufA = new Int32Array(64);
let bufB = new Int32Array(64);

/** Appends `t` to `buf[0 .. n)` unless present; returns the new length (buffers grow as needed). */
function addState(which: 0 | 1, n: number, t: number): number {
  let buf = which === 0 ? bufA : bufB;
  for (let i = 0; i < n; i++) if (buf[i] === t) return n;
  if (n === buf.length) {
    const grown = new Int32Array(n * 2);
    grown.set(buf);
    buf = grown;
    if (which === 0) bufA = grown;
    else bufB = grown;
  }
  buf[n] = t;
  return n + 1;
}

/**
 * Walks production `p` from state `s0`, calling `onStep(state, item)` for every state reached
 * before each symbol (item = the dot before it); returns the states reached at the end.
 */
function walk(
  g: LrGrammar,
  lr0: Lr0Automaton,
  p: number,
  s0: number,
  onStep: (state: number, item: number) => void,
): number[] {
  const rhs = g.prodRhs[p] as readonly number[];
  let cur: 0 | 1 = 0;
  bufA[0] = s0;
  let n = 1;
  for (let i = 0; i < rhs.length && n > 0; i++) {
    const x = rhs[i] as number;
    const item = (g.itemBase[p] as number) + i;
    const nxt: 0 | 1 = cur === 0 ? 1 : 0;
    let m = 0;
    for (let j = 0; j < n; j++) {
      const s = (cur === 0 ? bufA : bufB)[j] as number;
      onStep(s, item);
      if (x >= 0) {
        const t = lr0.gotos.get(s, x);
        if (t >= 0) m = addState(nxt, m, t);
      } else {
        const atoms = g.atoms.terminalAtoms[-x - 1] as Int32Array;
        for (let k = 0; k < atoms.length; k++) {
          const t = lr0.shift[s * g.numCols + (atoms[k] as number)] as number;
          if (t >= 0) m = addState(nxt, m, t);
        }
      }
    }
    cur = nxt;
    n = m;
  }
  return Array.from((cur === 0 ? bufA : bufB).subarray(0, n));
}

/** Follow sets of the nonterminal transitions and the lookback lists of reductions. */
function followSets(g: LrGrammar, lr0: Lr0Automaton, nts: NtTransitions) {
  const words = g.words;
  const sets = new Uint32Array(nts.count * words);
  const reads: (number[] | undefined)[] = new Array(nts.count);
  for (let x = 0; x < nts.count; x++) {
    const r = lr0.gotos.get(nts.from[x] as number, nts.nt[x] as number);
    for (let a = 0; a < g.numCols; a++)
      if ((lr0.shift[r * g.numCols + a] as number) >= 0) setBit(sets, x * words, a);
    for (const c of lr0.ntOut[r] ?? []) if (g.nullable[c]) pushTo(reads, x, nts.index.get(r, c));
  }
  // The augmented start: end of input follows `start` in state 0.
  const x0 = nts.index.get(0, (g.prodRhs[0] as readonly number[])[0] as number);
  if (x0 >= 0) setBit(sets, x0 * words, g.eof);
  digraph(nts.count, reads, sets, words);
  const includes: (number[] | undefined)[] = new Array(nts.count);
  const lookback = new Map<number, number[]>();
  const numProds = g.prodRhs.length;
  for (let y = 0; y < nts.count; y++) {
    const from = nts.from[y] as number;
    for (const p of g.byLhs[nts.nt[y] as number] ?? []) {
      const ends = walk(g, lr0, p, from, (s, item) => {
        const a = g.nextSym[item] as number;
        if (a < 0 || !g.suffixNullable[item]) return;
        const x = nts.index.get(s, a);
        if (x >= 0) pushTo(includes, x, y);
      });
      for (const q of ends) {
        const key = q * numProds + p;
        const list = lookback.get(key);
        if (list) list.push(y);
        else lookback.set(key, [y]);
      }
    }
  }
  digraph(nts.count, includes, sets, words);
  return { sets, lookback };
}

/** Builds the LALR(1) automaton of `g` (throws GrammarError past `maxStates` states). */
export function buildLalrAutomaton(g: LrGrammar, maxStates: number): LrAutomaton {
  const lr0 = buildLr0Automaton(g, maxStates);
  const nts = ntTransitions(lr0);
  const { sets, lookback } = followSets(g, lr0, nts);
  const n = lr0.numStates;
  const words = g.words;
  const numProds = g.prodRhs.length;
  // The action table takes over the LR(0) shift table in place (target t → t + 1, none -1 → 0):
  // one table of states × atoms per grammar instead of two.
  const action = lr0.shift;
  for (let i = 0; i < action.length; i++) action[i] = (action[i] as number) + 1;
  const conflicts: LrConflict[] = [];
  const la = new Uint32Array(words);
  const keys = [...lookback.keys()].sort((a, b) => a - b);
  for (const key of keys) {
    const q = Math.floor(key / numProds);
    const p = key % numProds;
    la.fill(0);
    for (const y of lookback.get(key) ?? [])
      for (let w = 0; w < words; w++) la[w] = (la[w] as number) | (sets[y * words + w] as number);
    reduceOn(g, lr0, action, conflicts, q, p, la);
  }
  // Accepting: `start' → start •` on end of input.
  const acc = lr0.gotos.get(0, (g.prodRhs[0] as readonly number[])[0] as number);
  if (acc >= 0) {
    la.fill(0);
    la[g.eof >> 5] = 1 << (g.eof & 31);
    reduceOn(g, lr0, action, conflicts, acc, 0, la);
  }
  let kernelLookaheads: Uint32Array[][] | null = null;
  return {
    kind: "lalr1",
    grammar: g,
    numStates: n,
    action,
    gotos: lr0.gotos,
    kernels: lr0.kernels,
    get kernelLookaheads() {
      kernelLookaheads ??= kernelSets(g, lr0, action, nts, sets);
      return kernelLookaheads;
    },
    conflicts,
  };
}

function reduceOn(
  g: LrGrammar,
  lr0: Lr0Automaton,
  action: Int32Array,
  conflicts: LrConflict[],
  q: number,
  p: number,
  la: Uint32Array,
): void {
  for (let col = 0; col < g.numCols; col++) {
    if ((((la[col >> 5] as number) >>> (col & 31)) & 1) === 0) continue;
    const at = q * g.numCols + col;
    const prev = action[at] as number;
    if (prev === 0) action[at] = -p - 1;
    else if (prev !== -p - 1)
      conflicts.push(describeLrConflict(g, { items: lr0.closure(q) }, q, col, prev, p));
  }
}

/** LALR lookaheads of kernel items (for inspection and tests; not needed by the tables). */
function kernelSets(
  g: LrGrammar,
  lr0: Lr0Automaton,
  action: Int32Array,
  nts: NtTransitions,
  sets: Uint32Array,
): Uint32Array[][] {
  const words = g.words;
  const out = lr0.kernels.map((k) => Array.from(k, () => new Uint32Array(words)));
  (out[0]?.[0] as Uint32Array)[g.eof >> 5] = 1 << (g.eof & 31);
  for (let y = 0; y < nts.count; y++) {
    for (const p of g.byLhs[nts.nt[y] as number] ?? []) {
      walk(g, lr0, p, nts.from[y] as number, (s, item) => {
        const x = g.nextSym[item] as number;
        const targets =
          x >= 0
            ? [lr0.gotos.get(s, x)]
            : Array.from(g.atoms.terminalAtoms[-x - 1] ?? [], (a) => {
                const act = action[s * g.numCols + a] as number;
                return act > 0 ? act - 1 : -1;
              });
        for (const t of targets) {
          const dst = t < 0 ? undefined : out[t]?.[(lr0.kernels[t] as Int32Array).indexOf(item + 1)];
          if (dst)
            for (let w = 0; w < words; w++) dst[w] = (dst[w] as number) | (sets[y * words + w] as number);
        }
      });
    }
  }
  return out;
}
