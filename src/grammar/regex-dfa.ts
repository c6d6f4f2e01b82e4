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
import { type GrammarExpr, g } from "./grammar-ast.js";
import { complementRanges, normalizeRanges, SURROGATES, subtractRanges } from "./regex-charset.js";
import { flatNfa, type NfaEdge, SubsetBuilder, TooLarge } from "./regex-subsets.js";

/** Limits: beyond them the caller keeps the expression as it is. */
const MAX_NFA_STATES = 20_000;
const MAX_DFA_STATES = 4_000;

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
    const subsets = new SubsetBuilder(flatNfa(nfa.eps, nfa.edges), maxStates);
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
