/**
 * The subset construction under regex-dfa.ts, over flat arrays: the NFA in CSR form, DFA states
 * as sorted sets of NFA states interned in one pool, and each state's edges found by one sort of
 * its NFA edges' breakpoints (no string keys, no per-interval filtering).
 */

import type { DfaEdge } from "./char-dfa.js";
import type { CodePointRange } from "./grammar-ast.js";
import { csrOf, grownTo, IntListTable, IntVec } from "./int-vec.js";

/** An NFA edge: code point ranges to a state. */
export interface NfaEdge {
  readonly ranges: readonly CodePointRange[];
  readonly to: number;
}

/** Raised when the DFA would exceed its state budget. */
export class TooLarge extends Error {}

/** An NFA in flat arrays: ε-moves and one edge per range, grouped by source state (CSR). */
interface FlatNfa {
  readonly epsStart: Int32Array;
  readonly epsTo: Int32Array;
  readonly edgeStart: Int32Array;
  readonly edgeLo: Int32Array;
  readonly edgeHi: Int32Array;
  readonly edgeTo: Int32Array;
}

export function flatNfa(
  eps: readonly (readonly number[])[],
  edges: readonly (readonly NfaEdge[])[],
): FlatNfa {
  const n = eps.length;
  const epsStart = new Int32Array(n + 1);
  const edgeStart = new Int32Array(n + 1);
  for (let s = 0; s < n; s++) {
    epsStart[s + 1] = (epsStart[s] as number) + (eps[s] as number[]).length;
    let k = 0;
    for (const e of edges[s] as NfaEdge[]) k += e.ranges.length;
    edgeStart[s + 1] = (edgeStart[s] as number) + k;
  }
  const epsTo = new Int32Array(epsStart[n] as number);
  const numEdges = edgeStart[n] as number;
  const edgeLo = new Int32Array(numEdges);
  const edgeHi = new Int32Array(numEdges);
  const edgeTo = new Int32Array(numEdges);
  for (let s = 0; s < n; s++) {
    epsTo.set(eps[s] as number[], epsStart[s] as number);
    let k = edgeStart[s] as number;
    for (const e of edges[s] as NfaEdge[])
      for (const [lo, hi] of e.ranges) {
        edgeLo[k] = lo;
        edgeHi[k] = hi;
        edgeTo[k++] = e.to;
      }
  }
  return { epsStart, epsTo, edgeStart, edgeLo, edgeHi, edgeTo };
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
export class SubsetBuilder {
  private readonly seen: Int32Array;
  private gen = 0;
  private readonly stack: Int32Array;
  /** The last closure, sorted. */
  set: Int32Array<ArrayBuffer>;
  readonly pool = new IntVec(1024);
  readonly starts = new IntVec(256);
  private readonly table = new IntListTable();
  // Scratch of `moves`: the state's edges, their breakpoints, and (interval, target) pairs.
  private edges = new Int32Array(64);
  private points = new Int32Array(64);
  private pairInterval = new Int32Array(64);
  private pairTarget = new Int32Array(64);

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

  /** Writes the NFA edges of DFA state `d`'s NFA states into `edges`; returns their number. */
  private gatherEdges(d: number): number {
    const { nfa } = this;
    let numEdges = 0;
    for (let i = this.starts.data[d] as number; i < (this.starts.data[d + 1] as number); i++) {
      const s = this.pool.data[i] as number;
      const a = nfa.edgeStart[s] as number;
      const b = nfa.edgeStart[s + 1] as number;
      this.edges = grownTo(this.edges, numEdges + b - a);
      for (let e = a; e < b; e++) this.edges[numEdges++] = e;
    }
    return numEdges;
  }

  /** Writes the sorted distinct breakpoints (`lo`, `hi + 1`) of `edges[0 .. numEdges)` into `points`; returns their number. */
  private breakpoints(numEdges: number): number {
    const { nfa } = this;
    this.points = grownTo(this.points, 2 * numEdges);
    const points = this.points;
    for (let k = 0; k < numEdges; k++) {
      const e = this.edges[k] as number;
      points[2 * k] = nfa.edgeLo[e] as number;
      points[2 * k + 1] = (nfa.edgeHi[e] as number) + 1;
    }
    points.subarray(0, 2 * numEdges).sort();
    let numPoints = 0;
    for (let k = 0; k < 2 * numEdges; k++)
      if (numPoints === 0 || points[numPoints - 1] !== points[k]) points[numPoints++] = points[k] as number;
    return numPoints;
  }

  /** The edges of DFA state `d`, ascending (interns the states they reach). */
  moves(d: number): DfaEdge[] {
    const { nfa } = this;
    const numEdges = this.gatherEdges(d);
    const numPoints = this.breakpoints(numEdges);
    const { edges, points } = this;
    // Interval j is [points[j], points[j + 1] - 1]: a pair (j, target) for each interval an edge
    // covers, then the targets grouped by interval.
    const numIntervals = Math.max(0, numPoints - 1);
    let numPairs = 0;
    for (let k = 0; k < numEdges; k++) {
      const e = edges[k] as number;
      const j0 = lowerBound(points, numPoints, nfa.edgeLo[e] as number);
      const j1 = lowerBound(points, numPoints, (nfa.edgeHi[e] as number) + 1);
      this.pairInterval = grownTo(this.pairInterval, numPairs + j1 - j0);
      this.pairTarget = grownTo(this.pairTarget, numPairs + j1 - j0);
      for (let j = j0; j < j1; j++) {
        this.pairInterval[numPairs] = j;
        this.pairTarget[numPairs++] = nfa.edgeTo[e] as number;
      }
    }
    const { start, targets } = csrOf(numIntervals, numPairs, this.pairInterval, this.pairTarget);
    const out: DfaEdge[] = [];
    for (let j = 0; j < numIntervals; j++) {
      const a = start[j] as number;
      const b = start[j + 1] as number;
      if (a === b) continue;
      const to = this.intern(targets, a, b);
      out.push({ lo: points[j] as number, hi: (points[j + 1] as number) - 1, to });
    }
    return out;
  }
}
