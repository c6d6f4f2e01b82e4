/**
 * Determinisation of regular expressions: a regular {@link GrammarExpr} (no rule references)
 * → NFA → DFA (subset construction over disjoint code point intervals) → right-linear rules,
 * one rule per DFA state (`state → class nextState | … | ε when accepting`).
 *
 * Written as a CFG, a regex with bounded ambiguity (`[a-z]([a-z-]{0,9}[a-z])?`) is not LR(1):
 * the parser cannot tell which copy a character belongs to. The DFA form always is, as long as
 * what follows the regex cannot continue it, so the Pre³ DPDA can be used instead of Earley.
 */

import { type CodePointRange, type GrammarExpr, g } from "./grammar-ast.js";
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

  closure(states: Iterable<number>): number[] {
    const seen = new Set<number>();
    const stack = [...states];
    while (stack.length > 0) {
      const s = stack.pop() as number;
      if (seen.has(s)) continue;
      seen.add(s);
      for (const t of this.eps[s] as number[]) if (!seen.has(t)) stack.push(t);
    }
    return [...seen].sort((a, b) => a - b);
  }
}

/** Splits the edges of a state set into disjoint intervals, each with its set of targets. */
function moves(nfa: Nfa, set: readonly number[]): { ranges: CodePointRange[]; targets: number[] }[] {
  const edges = set.flatMap((s) => nfa.edges[s] as NfaEdge[]);
  const points = new Set<number>();
  for (const e of edges) for (const [lo, hi] of e.ranges) points.add(lo).add(hi + 1);
  const sorted = [...points].sort((a, b) => a - b);
  const out: { ranges: CodePointRange[]; targets: number[] }[] = [];
  for (let i = 0; i + 1 < sorted.length; i++) {
    const lo = sorted[i] as number;
    const hi = (sorted[i + 1] as number) - 1;
    const targets = edges.filter((e) => e.ranges.some(([a, b]) => a <= lo && hi <= b)).map((e) => e.to);
    if (targets.length > 0) out.push({ ranges: [[lo, hi]], targets });
  }
  return out;
}

/**
 * Adds right-linear rules named `${prefix}-<n>` for the DFA of `expr` to `rules` and returns a
 * reference to the start state's rule, or `null` when `expr` is not a regular expression over
 * code points or the automaton would be too large (the caller then keeps `expr`).
 */
export function determinize(
  expr: GrammarExpr,
  prefix: string,
  rules: Map<string, GrammarExpr>,
): GrammarExpr | null {
  const nfa = new Nfa();
  let accept: number;
  const start = nfa.add();
  try {
    accept = nfa.build(expr, start);
  } catch (e) {
    if (e instanceof TooLarge) return null;
    throw e;
  }
  const ids = new Map<string, number>();
  const sets: number[][] = [];
  const intern = (set: number[]): number => {
    const key = set.join(",");
    let id = ids.get(key);
    if (id === undefined) {
      if (sets.length >= MAX_DFA_STATES) throw new TooLarge();
      id = sets.length;
      ids.set(key, id);
      sets.push(set);
    }
    return id;
  };
  const states: DfaState[] = [];
  try {
    intern(nfa.closure([start]));
    for (let i = 0; i < sets.length; i++) {
      const set = sets[i] as number[];
      const byTarget = new Map<number, CodePointRange[]>();
      for (const m of moves(nfa, set)) {
        const to = intern(nfa.closure(m.targets));
        byTarget.set(to, [...(byTarget.get(to) ?? []), ...m.ranges]);
      }
      states.push({
        accepting: set.includes(accept),
        edges: [...byTarget].map(([to, r]) => ({ ranges: r, to })),
      });
    }
  } catch (e) {
    if (e instanceof TooLarge) return null;
    throw e;
  }
  const blockOf = minimize(states);
  const emitted = new Set<number>();
  states.forEach((st, i) => {
    const b = blockOf[i] as number;
    if (emitted.has(b)) return;
    emitted.add(b);
    const byBlock = new Map<number, CodePointRange[]>();
    for (const e of st.edges)
      byBlock.set(blockOf[e.to] as number, [...(byBlock.get(blockOf[e.to] as number) ?? []), ...e.ranges]);
    const alts = [...byBlock].map(([to, r]) => g.seq(g.cls(normalizeRanges(r)), g.ref(`${prefix}-${to}`)));
    if (st.accepting) alts.push(g.empty());
    rules.set(`${prefix}-${b}`, alts.length === 1 ? (alts[0] as GrammarExpr) : g.alt(...alts));
  });
  return g.ref(`${prefix}-${blockOf[0]}`);
}

interface DfaState {
  readonly accepting: boolean;
  readonly edges: readonly NfaEdge[];
}

/** Moore's partition refinement: equivalent DFA states share a block (block of state 0 is 0). */
function minimize(states: readonly DfaState[]): number[] {
  let blockOf: number[] = states.map((s) => (s.accepting === (states[0] as DfaState).accepting ? 0 : 1));
  let numBlocks = new Set(blockOf).size;
  for (;;) {
    const ids = new Map<string, number>();
    const next = states.map((s, i) => {
      const byBlock = new Map<number, CodePointRange[]>();
      for (const e of s.edges)
        byBlock.set(blockOf[e.to] as number, [...(byBlock.get(blockOf[e.to] as number) ?? []), ...e.ranges]);
      const sig = [...byBlock]
        .map(([b, r]) => `${b}:${normalizeRanges(r).join(";")}`)
        .sort()
        .join("|");
      const key = `${blockOf[i]}/${sig}`;
      const known = ids.get(key);
      if (known !== undefined) return known;
      ids.set(key, ids.size);
      return ids.size - 1;
    });
    if (ids.size === numBlocks) return next;
    blockOf = next;
    numBlocks = ids.size;
  }
}

const memo = new WeakMap<Map<string, GrammarExpr>, Map<string, GrammarExpr>>();

/**
 * {@link determinize} with a fresh prefix, memoised per rule map by `key` (equal keys must mean
 * equal expressions); `expr` itself when it cannot be determinised.
 */
export function determinizedRef(
  expr: GrammarExpr,
  key: string,
  prefixHint: string,
  rules: Map<string, GrammarExpr>,
): GrammarExpr {
  const cache = memo.get(rules) ?? new Map<string, GrammarExpr>();
  memo.set(rules, cache);
  const hit = cache.get(key);
  if (hit !== undefined && hit.kind === "ref" && rules.has(hit.name)) return hit;
  let n = 1;
  while (rules.has(`${prefixHint}${n}-0`)) n++;
  const ref = determinize(expr, `${prefixHint}${n}`, rules) ?? expr;
  cache.set(key, ref);
  return ref;
}
