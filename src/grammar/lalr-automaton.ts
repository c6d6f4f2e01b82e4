/**
 * LALR(1) by DeRemer and Pennello: lookaheads of the LR(0) automaton's reductions from its
 * nonterminal transitions, with no LR(1) item sets at all. For a transition x = (p, A):
 * Read(x) = the atoms shifted right after A, closed over nullable nonterminal transitions
 * (`reads`); Follow(x) = Read(x) closed over `includes` (x includes (p', B) when B → β A γ,
 * γ nullable, and p' reaches p on β); the lookahead of reducing A → ω in q is the union of
 * Follow(p, A) over the transitions from which q is reached on ω (`lookback`). Both closures
 * are one pass of the digraph algorithm (strongly connected components share one set).
 */

import { type Csr, csrOf, IntVec } from "./int-vec.js";
import type { LrAutomaton } from "./lr-automaton.js";
import { describeLrConflict, type LrConflict } from "./lr-conflicts.js";
import type { LrGrammar } from "./lr-grammar.js";
import { buildLr0Automaton, type Lr0Automaton } from "./lr0-automaton.js";

/**
 * The digraph algorithm: `sets[x] |= sets[y]` for every y reachable from x over `edges`, one
 * union per strongly connected component. Iterative (no recursion depth limit).
 */
function digraph(count: number, edges: Csr, sets: Uint32Array, words: number): void {
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
      const at = (edges.start[x] as number) + k;
      if (at < (edges.start[x + 1] as number)) {
        frames[frames.length - 1] = k + 1;
        const y = edges.targets[at] as number;
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

/** The buffer holding the states returned by the last {@link walk}. */
let walkOut = bufA;

/**
 * Walks production `p` from state `s0`, calling `onStep(state, item)` for every state reached
 * before each symbol (item = the dot before it); returns the number of states reached at the
 * end, which are `walkOut[0 .. n)`.
 */
function walk(
  g: LrGrammar,
  lr0: Lr0Automaton,
  p: number,
  s0: number,
  onStep: (state: number, item: number) => void,
): number {
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
  walkOut = cur === 0 ? bufA : bufB;
  return n;
}

/**
 * Lookback lists of reductions: the nonterminal transitions `y` whose Follow sets give the
 * lookahead of reducing production `p` in state `q`, as triples grouped by `q` (ascending),
 * then by `p` (ascending).
 */
interface Lookbacks {
  readonly qStart: Int32Array;
  readonly prod: Int32Array;
  readonly trans: Int32Array;
}

/**
 * Read sets of the nonterminal transitions (before closure): the atoms shifted right after each
 * one, end of input after the start symbol; returns the `reads` edges (to the nullable
 * nonterminal transitions that follow).
 */
function directReads(g: LrGrammar, lr0: Lr0Automaton, sets: Uint32Array): Csr {
  const words = g.words;
  const count = lr0.ntSym.length;
  const src = new IntVec(1024);
  const dst = new IntVec(1024);
  for (let x = 0; x < count; x++) {
    const r = lr0.gotos.get(lr0.ntFrom[x] as number, lr0.ntSym[x] as number);
    for (let a = 0; a < g.numCols; a++)
      if ((lr0.shift[r * g.numCols + a] as number) >= 0) setBit(sets, x * words, a);
    for (let z = lr0.ntStart[r] as number; z < (lr0.ntStart[r + 1] as number); z++)
      if (g.nullable[lr0.ntSym[z] as number]) {
        src.push(x);
        dst.push(z);
      }
  }
  // The augmented start: end of input follows `start` in state 0.
  const x0 = lr0.ntIndex(0, (g.prodRhs[0] as readonly number[])[0] as number);
  if (x0 >= 0) setBit(sets, x0 * words, g.eof);
  return csrOf(count, src.length, src.data, dst.data);
}

/** Follow sets of the nonterminal transitions and the lookback lists of reductions. */
function followSets(g: LrGrammar, lr0: Lr0Automaton): { sets: Uint32Array; lookback: Lookbacks } {
  const words = g.words;
  const count = lr0.ntSym.length;
  const sets = new Uint32Array(count * words);
  digraph(count, directReads(g, lr0, sets), sets, words);
  const src = new IntVec(1024);
  const dst = new IntVec(1024);
  const lbState = new IntVec(1024);
  const lbProd = new IntVec(1024);
  const lbTrans = new IntVec(1024);
  let y = 0;
  const onStep = (s: number, item: number) => {
    const a = g.nextSym[item] as number;
    if (a < 0 || !g.suffixNullable[item]) return;
    const x = lr0.ntIndex(s, a);
    if (x >= 0) {
      src.push(x);
      dst.push(y);
    }
  };
  for (y = 0; y < count; y++) {
    const from = lr0.ntFrom[y] as number;
    for (const p of g.byLhs[lr0.ntSym[y] as number] ?? []) {
      const n = walk(g, lr0, p, from, onStep);
      for (let i = 0; i < n; i++) {
        lbState.push(walkOut[i] as number);
        lbProd.push(p);
        lbTrans.push(y);
      }
    }
  }
  digraph(count, csrOf(count, src.length, src.data, dst.data), sets, words);
  return { sets, lookback: groupLookbacks(g, lr0.numStates, lbState, lbProd, lbTrans) };
}

/** Sorts lookback triples by state, then by production: two stable counting sorts. */
function groupLookbacks(
  g: LrGrammar,
  numStates: number,
  state: IntVec,
  prod: IntVec,
  trans: IntVec,
): Lookbacks {
  const n = state.length;
  const index = new Int32Array(n);
  for (let i = 0; i < n; i++) index[i] = i;
  const byProd = csrOf(g.prodRhs.length, n, prod.data, index).targets;
  const stateByProd = new Int32Array(n);
  for (let i = 0; i < n; i++) stateByProd[i] = state.data[byProd[i] as number] as number;
  const { start, targets } = csrOf(numStates, n, stateByProd, byProd);
  const p = new Int32Array(n);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    p[i] = prod.data[targets[i] as number] as number;
    y[i] = trans.data[targets[i] as number] as number;
  }
  return { qStart: start, prod: p, trans: y };
}

/** Builds the LALR(1) automaton of `g` (throws GrammarError past `maxStates` states). */
export function buildLalrAutomaton(g: LrGrammar, maxStates: number): LrAutomaton {
  const lr0 = buildLr0Automaton(g, maxStates);
  const { sets, lookback } = followSets(g, lr0);
  const n = lr0.numStates;
  const words = g.words;
  // The action table takes over the LR(0) shift table in place (target t → t + 1, none -1 → 0):
  // one table of states × atoms per grammar instead of two.
  const action = lr0.shift;
  for (let i = 0; i < action.length; i++) action[i] = (action[i] as number) + 1;
  const conflicts: LrConflict[] = [];
  const la = new Uint32Array(words);
  for (let q = 0; q < n; q++) {
    const end = lookback.qStart[q + 1] as number;
    for (let i = lookback.qStart[q] as number; i < end; ) {
      const p = lookback.prod[i] as number;
      la.fill(0);
      for (; i < end && lookback.prod[i] === p; i++) {
        const y = lookback.trans[i] as number;
        for (let w = 0; w < words; w++) la[w] = (la[w] as number) | (sets[y * words + w] as number);
      }
      reduceOn(g, lr0, action, conflicts, q, p, la);
    }
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
    kernel: lr0.kernel,
    get kernelLookaheads() {
      kernelLookaheads ??= kernelSets(g, lr0, action, sets);
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
function kernelSets(g: LrGrammar, lr0: Lr0Automaton, action: Int32Array, sets: Uint32Array): Uint32Array[][] {
  const words = g.words;
  const out = Array.from({ length: lr0.numStates }, (_, s) =>
    Array.from(lr0.kernel(s), () => new Uint32Array(words)),
  );
  (out[0]?.[0] as Uint32Array)[g.eof >> 5] = 1 << (g.eof & 31);
  for (let y = 0; y < lr0.ntSym.length; y++) {
    for (const p of g.byLhs[lr0.ntSym[y] as number] ?? []) {
      walk(g, lr0, p, lr0.ntFrom[y] as number, (s, item) => {
        const x = g.nextSym[item] as number;
        const targets =
          x >= 0
            ? [lr0.gotos.get(s, x)]
            : Array.from(g.atoms.terminalAtoms[-x - 1] ?? [], (a) => {
                const act = action[s * g.numCols + a] as number;
                return act > 0 ? act - 1 : -1;
              });
        for (const t of targets) {
          const dst = t < 0 ? undefined : out[t]?.[lr0.kernel(t).indexOf(item + 1)];
          if (dst)
            for (let w = 0; w < words; w++) dst[w] = (dst[w] as number) | (sets[y * words + w] as number);
        }
      });
    }
  }
  return out;
}
