/**
 * Deterministic automata over Unicode scalar values (code points without surrogates) and the
 * Boolean operations JSON Schema needs on string languages: a string value must match every
 * `pattern` and `format`, no negated pattern, none of some excluded values, and a length range;
 * an undeclared object key falls in one region per combination of `patternProperties` patterns.
 * All of these are products of small DFAs, labelled by which components accept.
 *
 * A DFA state's edges are sorted, disjoint intervals `[lo, hi] → to`; a missing interval is the
 * dead state. State 0 is the start. Immutable once built (cacheable across compiles).
 */

import { minimizeDfa } from "./char-dfa-minimize.js";
import type { CodePointRange } from "./grammar-ast.js";

/** One transition: code points `lo..hi` (inclusive) go to state `to`. */
export interface DfaEdge {
  readonly lo: number;
  readonly hi: number;
  readonly to: number;
}

/** A DFA; `label[s] >= 0` marks accepting states (plain DFAs use label 0). */
export interface CharDfa {
  readonly edges: readonly (readonly DfaEdge[])[];
  readonly label: Int32Array;
}

/** The alphabet: every Unicode scalar value. */
export const UNIVERSE: readonly CodePointRange[] = [
  [0, 0xd7ff],
  [0xe000, 0x10ffff],
];

/** Raised when an automaton would exceed its state budget. */
export class DfaTooLarge extends Error {}

/** Sorted edges from `(ranges, to)` pairs (ranges disjoint across pairs). */
export function sortedEdges(pairs: readonly { ranges: readonly CodePointRange[]; to: number }[]): DfaEdge[] {
  const out: DfaEdge[] = [];
  for (const { ranges, to } of pairs) for (const [lo, hi] of ranges) out.push({ lo, hi, to });
  return out.sort((a, b) => a.lo - b.lo);
}

/** All strings with a length (in code points) in `[min, max]` (`max === null`: unbounded). */
export function lengthDfa(min: number, max: number | null): CharDfa {
  const n = (max ?? min) + 1;
  const edges: DfaEdge[][] = [];
  const label = new Int32Array(n).fill(-1);
  for (let s = 0; s < n; s++) {
    const to = s + 1 < n ? s + 1 : max === null ? s : -1;
    edges.push(to < 0 ? [] : UNIVERSE.map(([lo, hi]) => ({ lo, hi, to })));
    if (s >= min) label[s] = 0;
  }
  return { edges, label };
}

/** Exactly the strings of `words` (a trie). */
export function wordsDfa(words: Iterable<string>): CharDfa {
  const next: Map<number, number>[] = [new Map()];
  const accept: boolean[] = [false];
  for (const w of words) {
    let s = 0;
    for (const ch of w) {
      const cp = ch.codePointAt(0) as number;
      let t = next[s]?.get(cp);
      if (t === undefined) {
        t = next.length;
        next.push(new Map());
        accept.push(false);
        next[s]?.set(cp, t);
      }
      s = t;
    }
    accept[s] = true;
  }
  const edges = next.map((m) =>
    [...m].map(([cp, to]) => ({ lo: cp, hi: cp, to })).sort((a, b) => a.lo - b.lo),
  );
  return { edges, label: Int32Array.from(accept, (a) => (a ? 0 : -1)) };
}

/** One component of a product: a DFA, and whether its death kills the product (positive use). */
export interface ProductPart {
  readonly dfa: CharDfa;
  /** True: strings must be accepted by this part, so a dead part prunes the path. */
  readonly required: boolean;
}

/**
 * The product of `parts`, trimmed to states from which some accepting state is reachable.
 * `labelOf(mask)` gives the label of a product state from the bitmask of parts whose state is
 * accepting (-1: not accepting). Throws {@link DfaTooLarge} past `maxStates`.
 */
export function productDfa(
  parts: readonly ProductPart[],
  labelOf: (acceptMask: number) => number,
  maxStates: number,
): CharDfa {
  const tuples: Int32Array[] = [];
  const ids = new Map<string, number>();
  const edges: DfaEdge[][] = [];
  const intern = (t: Int32Array): number => {
    const key = t.join(",");
    let id = ids.get(key);
    if (id === undefined) {
      if (tuples.length >= maxStates) throw new DfaTooLarge();
      id = tuples.length;
      ids.set(key, id);
      tuples.push(t);
    }
    return id;
  };
  intern(Int32Array.from(parts, () => 0));
  for (let i = 0; i < tuples.length; i++) edges.push(productEdges(parts, tuples[i] as Int32Array, intern));
  const label = Int32Array.from(tuples, (t) => {
    let mask = 0;
    t.forEach((s, k) => {
      if (s >= 0 && ((parts[k] as ProductPart).dfa.label[s] as number) >= 0) mask |= 1 << k;
    });
    return labelOf(mask);
  });
  return trim({ edges, label });
}

function productEdges(
  parts: readonly ProductPart[],
  tuple: Int32Array,
  intern: (t: Int32Array) => number,
): DfaEdge[] {
  const points = new Set<number>();
  for (const [lo, hi] of UNIVERSE) points.add(lo).add(hi + 1);
  tuple.forEach((s, k) => {
    if (s >= 0) for (const e of (parts[k] as ProductPart).dfa.edges[s] ?? []) points.add(e.lo).add(e.hi + 1);
  });
  const cuts = [...points].sort((a, b) => a - b);
  const cursor = new Int32Array(parts.length);
  const out: DfaEdge[] = [];
  let u = 0;
  for (let c = 0; c + 1 < cuts.length; c++) {
    const lo = cuts[c] as number;
    const hi = (cuts[c + 1] as number) - 1;
    while (u < UNIVERSE.length && (UNIVERSE[u] as CodePointRange)[1] < lo) u++;
    if (u >= UNIVERSE.length || (UNIVERSE[u] as CodePointRange)[0] > lo) continue;
    const next = new Int32Array(parts.length);
    let dead = false;
    for (let k = 0; k < parts.length; k++) {
      const s = tuple[k] as number;
      const list = s >= 0 ? ((parts[k] as ProductPart).dfa.edges[s] ?? []) : [];
      let j = cursor[k] as number;
      while (j < list.length && (list[j] as DfaEdge).hi < lo) j++;
      cursor[k] = j;
      const e = list[j];
      next[k] = e !== undefined && e.lo <= lo ? e.to : -1;
      if (next[k] === -1 && (parts[k] as ProductPart).required) dead = true;
    }
    if (dead) continue;
    const to = intern(next);
    const last = out[out.length - 1];
    if (last && last.to === to && last.hi + 1 === lo) out[out.length - 1] = { lo: last.lo, hi, to };
    else out.push({ lo, hi, to });
  }
  return out;
}

/** Keeps the states that can reach an accepting state (renumbered; start stays 0 if live). */
export function trim(dfa: CharDfa): CharDfa {
  const n = dfa.edges.length;
  const preds: number[][] = Array.from({ length: n }, () => []);
  dfa.edges.forEach((list, s) => {
    for (const e of list) preds[e.to]?.push(s);
  });
  const live = new Uint8Array(n);
  const work: number[] = [];
  const reach = (s: number) => {
    if (live[s]) return;
    live[s] = 1;
    work.push(s);
  };
  for (let s = 0; s < n; s++) if ((dfa.label[s] as number) >= 0) reach(s);
  while (work.length > 0) for (const p of preds[work.pop() as number] ?? []) reach(p);
  if (!live[0]) return { edges: [[]], label: Int32Array.of(-1) };
  const map = new Int32Array(n).fill(-1);
  let m = 0;
  for (let s = 0; s < n; s++) if (live[s]) map[s] = m++;
  const edges: DfaEdge[][] = [];
  const label = new Int32Array(m);
  for (let s = 0; s < n; s++) {
    if (!live[s]) continue;
    label[map[s] as number] = dfa.label[s] as number;
    edges.push(
      (dfa.edges[s] ?? [])
        .filter((e) => live[e.to])
        .map((e) => ({ lo: e.lo, hi: e.hi, to: map[e.to] as number })),
    );
  }
  return minimize({ edges, label });
}

/** Whether the DFA accepts no string at all. */
export function isEmptyDfa(dfa: CharDfa): boolean {
  return dfa.edges.length === 1 && (dfa.label[0] as number) < 0 && (dfa.edges[0]?.length ?? 0) === 0;
}

/** The minimal equivalent DFA (labels preserved, start state 0); see char-dfa-minimize.ts. */
export function minimize(dfa: CharDfa): CharDfa {
  return minimizeDfa(dfa);
}
