/**
 * Determinisation of regular expressions: a regular {@link GrammarExpr} (no rule references)
 * → NFA → DFA (subset construction over disjoint code point intervals) → right-linear rules,
 * one rule per DFA state (`state → class nextState | … | ε when accepting`).
 *
 * Written as a CFG, a regex with bounded ambiguity (`[a-z]([a-z-]{0,9}[a-z])?`) is not LR(1):
 * the parser cannot tell which copy a character belongs to. The DFA form always is, as long as
 * what follows the regex cannot continue it, so the Pre³ DPDA can be used instead of Earley.
 */

import { type CharDfa, type DfaEdge, minimize } from "./char-dfa.js";
import { emitLeftLinear, emitRightLinear } from "./dfa-rules.js";
import { type CodePointRange, type GrammarExpr, g } from "./grammar-ast.js";
import { IntListTable, IntVec } from "./int-vec.js";
import { complementRanges, normalizeRanges, SURROGATES, subtractRanges } from "./regex-charset.js";

interface NfaEdge {
  readonly ranges: readonly CodePointRange[];
  readonly to: number;
}

/** Limits: beyond them the caller keeps the expression as it is. */
const MAX_NFA_STATES = 20_000;
const MAX_DFA_STATES = 4_000;

class TooLarge extends Error {}

class Nfa {
  readonly eps: number[][] = [];
  readonly edges: NfaEdge[][] = [];

  add(): number {
    if (this.eps.length >= MAX_NFA_STATES) throw new TooLarge();
    this.eps.push([]);
    this.edges.push([]);
    return this.eps.length - 1;
  }

  link(from: number, to: number): void {
    (this.eps[from] as number[]).push(to);
  }

  /** Builds `expr` between `start` and a new end state; returns the end state. */
  build(expr: GrammarExpr, start: number): number {
    switch (expr.kind) {
      case "empty":
        return start;
      case "literal": {
        let at = start;
        for (const ch of expr.text) {
          const cp = ch.codePointAt(0) as number;
          const next = this.add();
          (this.edges[at] as NfaEdge[]).push({ ranges: [[cp, cp]], to: next });
          at = next;
        }
        return at;
      }
      case "class": {
        const next = this.add();
        const ranges = expr.negated
          ? subtractRanges(complementRanges(expr.ranges), [SURROGATES])
          : expr.ranges;
        (this.edges[start] as NfaEdge[]).push({ ranges, to: next });
        return next;
      }
      case "sequence":
        return expr.items.reduce((at, item) => this.build(item, at), start);
      case "choice": {
        const end = this.add();
        for (const item of expr.items) {
          const s = this.add();
          this.link(start, s);
          this.link(this.build(item, s), end);
        }
        return end;
      }
      case "repeat":
        return this.repeat(expr.item, expr.min, expr.max, start);
      default:
        throw new TooLarge(); // refs and bytes: not a regular expression over code points
    }
  }

  private repeat(item: GrammarExpr, min: number, max: number | null, start: number): number {
    let at = start;
    for (let i = 0; i < min; i++) at = this.build(item, this.fresh(at));
    if (max === null) {
      const loop = this.fresh(at);
      this.link(this.build(item, loop), loop);
      return loop;
    }
    const end = this.add();
    this.link(at, end);
    for (let i = min; i < max; i++) {
      at = this.build(item, this.fresh(at));
      this.link(at, end);
    }
    return end;
  }

  /** A new state reached from `from` by ε (keeps fragments from sharing loop states). */
  private fresh(from: number): number {
    const s = this.add();
    this.link(from, s);
    return s;
  }
}

/** An NFA in flat arrays: ε-moves and one edge per range, grouped by source state (CSR). */
interface FlatNfa {
  readonly epsStart: Int32Array;
  readonly epsTo: Int32Array;
  readonly edgeStart: Int32Array;
  readonly edgeLo: Int32Array;
  readonly edgeHi: Int32Array;
  readonly edgeTo: Int32Array;
}

function flatten(nfa: Nfa): FlatNfa {
  const n = nfa.eps.length;
  const epsStart = new Int32Array(n + 1);
  const edgeStart = new Int32Array(n + 1);
  for (let s = 0; s < n; s++) {
    epsStart[s + 1] = (epsStart[s] as number) + (nfa.eps[s] as number[]).length;
    let k = 0;
    for (const e of nfa.edges[s] as NfaEdge[]) k += e.ranges.length;
    edgeStart[s + 1] = (edgeStart[s] as number) + k;
  }
  const epsTo = new Int32Array(epsStart[n] as number);
  const numEdges = edgeStart[n] as number;
  const edgeLo = new Int32Array(numEdges);
  const edgeHi = new Int32Array(numEdges);
  const edgeTo = new Int32Array(numEdges);
  for (let s = 0; s < n; s++) {
    epsTo.set(nfa.eps[s] as number[], epsStart[s] as number);
    let k = edgeStart[s] as number;
    for (const e of nfa.edges[s] as NfaEdge[])
      for (const [lo, hi] of e.ranges) {
        edgeLo[k] = lo;
        edgeHi[k] = hi;
        edgeTo[k++] = e.to;
      }
  }
  return { epsStart, epsTo, edgeStart, edgeLo, edgeHi, edgeTo };
}

/** Grows `buf` to hold `n` entries (contents kept). */
function ensure(buf: Int32Array<ArrayBuffer>, n: number): Int32Array<ArrayBuffer> {
  if (n <= buf.length) return buf;
  const next = new Int32Array(Math.max(n, 2 * buf.length));
  next.set(buf);
  return next;
}

/** First index in sorted `xs[0 .. n)` whose value is ≥ `v`. */
function lowerBound(xs: Int32Array, n: number, v: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((xs[mid] as number) < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Subset construction over a flat NFA. DFA states are sorted sets of NFA states, interned in a
 * pool; each state's edges are the elementary intervals between the breakpoints of its NFA
 * states' ranges, in ascending order, each to the ε-closure of the targets covering it.
 */
class SubsetBuilder {
  private readonly seen: Int32Array;
  private gen = 0;
  private stack: Int32Array<ArrayBuffer>;
  /** The last closure, sorted. */
  set: Int32Array<ArrayBuffer>;
  readonly pool = new IntVec(1024);
  readonly starts = new IntVec(256);
  private readonly table = new IntListTable();
  // Scratch of `moves`: the state's edges, breakpoints, and per interval its targets (CSR).
  private edges = new Int32Array(64);
  private points = new Int32Array(64);
  private count = new Int32Array(64);
  private targets = new Int32Array(64);

  constructor(
    private readonly nfa: FlatNfa,
    private readonly maxStates: number,
  ) {
    const n = nfa.epsStart.length - 1;
    this.seen = new Int32Array(n);
    this.stack = new Int32Array(Math.max(4, n));
    this.set = new Int32Array(Math.max(4, n));
    this.starts.push(0);
  }

  get numStates(): number {
    return this.starts.length - 1;
  }

  /** Writes the sorted ε-closure of `seeds[from .. to)` into `set`; returns its size. */
  private closure(seeds: Int32Array, from: number, to: number): number {
    const { nfa, seen, stack, set } = this;
    const gen = ++this.gen;
    let sp = 0;
    let n = 0;
    for (let i = from; i < to; i++) {
      const s = seeds[i] as number;
      if (seen[s] === gen) continue;
      seen[s] = gen;
      stack[sp++] = s;
    }
    while (sp > 0) {
      const s = stack[--sp] as number;
      set[n++] = s;
      for (let k = nfa.epsStart[s] as number; k < (nfa.epsStart[s + 1] as number); k++) {
        const t = nfa.epsTo[k] as number;
        if (seen[t] === gen) continue;
        seen[t] = gen;
        stack[sp++] = t;
      }
    }
    set.subarray(0, n).sort();
    return n;
  }

  /** The DFA state of the closure of `seeds[from .. to)` (interned). */
  intern(seeds: Int32Array, from: number, to: number): number {
    const n = this.closure(seeds, from, to);
    const { pool, starts } = this;
    const found = this.table.find(pool.data, starts.data, this.set, 0, n);
    if (found >= 0) return found;
    const id = this.numStates;
    if (id >= this.maxStates) throw new TooLarge();
    for (let i = 0; i < n; i++) pool.push(this.set[i] as number);
    starts.push(pool.length);
    this.table.add(id, this.set, 0, n);
    return id;
  }

  /** The edges of DFA state `d`, ascending (interns the states they reach). */
  moves(d: number): DfaEdge[] {
    const { nfa } = this;
    const lo = this.starts.data[d] as number;
    const hi = this.starts.data[d + 1] as number;
    let numEdges = 0;
    for (let i = lo; i < hi; i++) {
      const s = this.pool.data[i] as number;
      const a = nfa.edgeStart[s] as number;
      const b = nfa.edgeStart[s + 1] as number;
      this.edges = ensure(this.edges, numEdges + b - a);
      for (let e = a; e < b; e++) this.edges[numEdges++] = e;
    }
    const edges = this.edges;
    this.points = ensure(this.points, 2 * numEdges);
    const points = this.points;
    for (let k = 0; k < numEdges; k++) {
      const e = edges[k] as number;
      points[2 * k] = nfa.edgeLo[e] as number;
      points[2 * k + 1] = (nfa.edgeHi[e] as number) + 1;
    }
    points.subarray(0, 2 * numEdges).sort();
    let numPoints = 0;
    for (let k = 0; k < 2 * numEdges; k++)
      if (numPoints === 0 || points[numPoints - 1] !== points[k]) points[numPoints++] = points[k] as number;
    // Interval j is [points[j], points[j + 1] - 1]; count, then list, the targets covering it.
    const numIntervals = Math.max(0, numPoints - 1);
    this.count = ensure(this.count, numIntervals + 1);
    const count = this.count;
    count.fill(0, 0, numIntervals + 1);
    let total = 0;
    for (let k = 0; k < numEdges; k++) {
      const e = edges[k] as number;
      const j1 = lowerBound(points, numPoints, (nfa.edgeHi[e] as number) + 1);
      for (let j = lowerBound(points, numPoints, nfa.edgeLo[e] as number); j < j1; j++) {
        count[j + 1] = (count[j + 1] as number) + 1;
        total++;
      }
    }
    for (let j = 0; j < numIntervals; j++) count[j + 1] = (count[j + 1] as number) + (count[j] as number);
    this.targets = ensure(this.targets, total);
    const targets = this.targets;
    const next = count.slice(0, numIntervals);
    for (let k = 0; k < numEdges; k++) {
      const e = edges[k] as number;
      const j1 = lowerBound(points, numPoints, (nfa.edgeHi[e] as number) + 1);
      for (let j = lowerBound(points, numPoints, nfa.edgeLo[e] as number); j < j1; j++) {
        targets[next[j] as number] = nfa.edgeTo[e] as number;
        next[j] = (next[j] as number) + 1;
      }
    }
    const out: DfaEdge[] = [];
    for (let j = 0; j < numIntervals; j++) {
      const a = count[j] as number;
      const b = count[j + 1] as number;
      if (a === b) continue;
      const to = this.intern(targets, a, b);
      out.push({ lo: points[j] as number, hi: (points[j + 1] as number) - 1, to });
    }
    return out;
  }
}

/**
 * The DFA (over code points, not minimised) of a regular `expr`, or `null` when `expr` is not a
 * regular expression over code points or the automaton would be too large.
 */
export function regexDfa(expr: GrammarExpr, maxStates = MAX_DFA_STATES): CharDfa | null {
  const nfa = new Nfa();
  const start = nfa.add();
  const edges: DfaEdge[][] = [];
  const accepting: number[] = [];
  try {
    const accept = nfa.build(expr, start);
    const subsets = new SubsetBuilder(flatten(nfa), maxStates);
    subsets.intern(Int32Array.of(start), 0, 1);
    for (let d = 0; d < subsets.numStates; d++) {
      const { pool, starts } = subsets;
      let isAccepting = false;
      for (let i = starts.data[d] as number; i < (starts.data[d + 1] as number); i++)
        if (pool.data[i] === accept) isAccepting = true;
      accepting.push(isAccepting ? 0 : -1);
      edges.push(subsets.moves(d));
    }
  } catch (e) {
    if (e instanceof TooLarge) return null;
    throw e;
  }
  return { edges, label: Int32Array.from(accepting) };
}

/** Adds rules `${prefix}-<state>` (see dfa-rules.ts) for a minimal DFA; returns its language. */
function emitDfa(dfa: CharDfa, prefix: string, rules: Map<string, GrammarExpr>, alone = true): GrammarExpr {
  const emit = alone ? emitLeftLinear : emitRightLinear;
  return emit(
    dfa,
    prefix,
    rules,
    (r) => g.cls(normalizeRanges(r)),
    () => g.empty(),
  );
}

/**
 * Adds rules named `${prefix}-<n>` for the DFA of `expr` to `rules` and returns the expression
 * of its language, or `null` when `expr` is not a regular expression over
 * code points or the automaton would be too large (the caller then keeps `expr`).
 */
export function determinize(
  expr: GrammarExpr,
  prefix: string,
  rules: Map<string, GrammarExpr>,
): GrammarExpr | null {
  const raw = regexDfa(expr);
  return raw === null ? null : emitDfa(minimize(raw), prefix, rules);
}

const memo = new WeakMap<Map<string, GrammarExpr>, Map<string, GrammarExpr>>();
/** Minimal DFAs by `prefixHint` and key, shared by every compile of the process (immutable). */
const shared = new Map<string, CharDfa | null>();
const MAX_SHARED = 1024;

/**
 * {@link determinize} with a fresh prefix, memoised per rule map by `key` (equal keys must mean
 * equal expressions, for the same `prefixHint`) and across compiles (the minimal DFA); `expr`
 * itself when it cannot be determinised. `expr` may be a thunk, built only on a cache miss.
 */
export function determinizedRef(
  expr: GrammarExpr | (() => GrammarExpr),
  key: string,
  prefixHint: string,
  rules: Map<string, GrammarExpr>,
  /** The language stands alone at its position: left-linear rules (see dfa-rules.ts). */
  alone = true,
): GrammarExpr {
  const cache = memo.get(rules) ?? new Map<string, GrammarExpr>();
  memo.set(rules, cache);
  const hit = cache.get(key);
  if (hit !== undefined && (hit.kind !== "ref" || rules.has(hit.name))) return hit;
  const sharedKey = `${prefixHint}\u0000${key}`;
  let dfa = shared.get(sharedKey);
  let built: GrammarExpr | null = null;
  const get = () => {
    built ??= typeof expr === "function" ? expr() : expr;
    return built;
  };
  if (dfa === undefined) {
    const raw = regexDfa(get());
    dfa = raw === null ? null : minimize(raw);
    if (shared.size >= MAX_SHARED) shared.delete(shared.keys().next().value as string);
    shared.set(sharedKey, dfa);
  }
  let n = 1;
  while (rules.has(`${prefixHint}${n}-0`)) n++;
  const ref = dfa === null ? get() : emitDfa(dfa, `${prefixHint}${n}`, rules, alone);
  cache.set(key, ref);
  return ref;
}
