/**
 * A {@link CharDfa} as grammar rules. Left-linear (`P_T → P_S label(S→T)` for each edge and
 * `P_0 → ε`, `P_T` deriving the strings that lead to state T): an LR parser reduces after every
 * character, so the DPDA stack does not grow with the string and a token-mask walk meets one
 * configuration per DFA state (memoised transitions: one table read per trie node). But the
 * reduction after the first character conflicts with any alternative sharing that character,
 * so it is only for languages that stand alone at their position (a string value, whose
 * alternatives are merged into one automaton). Right-linear rules have no such limit.
 */

import type { CharDfa } from "./char-dfa.js";
import { type CodePointRange, type GrammarExpr, g } from "./grammar-ast.js";

/**
 * Adds right-linear rules `${prefix}-<state>` (`S → label(S→T) T`, and `tail(l)` where S accepts)
 * to `rules`; returns a reference to the start state's rule. All reductions wait for the end, so
 * alternatives sharing a prefix with this language (object keys beside declared names, numbers
 * beside numbers) never conflict; the stack grows by one entry per character.
 */
export function emitRightLinear(
  dfa: CharDfa,
  prefix: string,
  rules: Map<string, GrammarExpr>,
  spell: (ranges: readonly CodePointRange[]) => GrammarExpr,
  tail: (label: number) => GrammarExpr,
): GrammarExpr {
  dfa.edges.forEach((list, s) => {
    const alts = [...rangesByTarget(list)].map(([to, r]) => g.seq(spell(r), g.ref(`${prefix}-${to}`)));
    const label = dfa.label[s] as number;
    if (label >= 0) alts.push(tail(label));
    rules.set(`${prefix}-${s}`, alts.length === 1 ? (alts[0] as GrammarExpr) : g.alt(...alts));
  });
  return g.ref(`${prefix}-0`);
}

/**
 * Adds rules `${prefix}-<state>` to `rules` and returns the expression of the whole language:
 * one alternative per accepting state `T` of label `l`, `P_T` then `tail(l)`. `spell(ranges)`
 * writes one character of `ranges` (e.g. as the JSON spellings of those code points).
 */
export function emitLeftLinear(
  dfa: CharDfa,
  prefix: string,
  rules: Map<string, GrammarExpr>,
  spell: (ranges: readonly CodePointRange[]) => GrammarExpr,
  tail: (label: number) => GrammarExpr,
): GrammarExpr {
  const n = dfa.edges.length;
  const incoming: GrammarExpr[][] = Array.from({ length: n }, () => []);
  incoming[0]?.push(g.empty());
  dfa.edges.forEach((list, s) => {
    for (const [to, ranges] of rangesByTarget(list))
      incoming[to]?.push(g.seq(g.ref(`${prefix}-${s}`), spell(ranges)));
  });
  const ends: GrammarExpr[] = [];
  incoming.forEach((alts, t) => {
    rules.set(`${prefix}-${t}`, alts.length === 1 ? (alts[0] as GrammarExpr) : g.alt(...alts));
    const label = dfa.label[t] as number;
    if (label >= 0) ends.push(g.seq(g.ref(`${prefix}-${t}`), tail(label)));
  });
  rules.set(`${prefix}-end`, ends.length === 1 ? (ends[0] as GrammarExpr) : g.alt(...ends));
  return g.ref(`${prefix}-end`);
}

/** A state's edges grouped by target state: the code-point ranges leading there. */
function rangesByTarget(list: CharDfa["edges"][number]): Map<number, CodePointRange[]> {
  const byTarget = new Map<number, CodePointRange[]>();
  for (const e of list) {
    const ranges = byTarget.get(e.to);
    if (ranges) ranges.push([e.lo, e.hi]);
    else byTarget.set(e.to, [[e.lo, e.hi]]);
  }
  return byTarget;
}
