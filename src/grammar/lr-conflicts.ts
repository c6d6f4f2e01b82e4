/**
 * Exact LR conflict reports: the state, the lookahead (an atom's bytes or end of input), the
 * kind, and the items involved written as dotted productions, e.g.
 * `shift/reduce conflict on '1' in state 7: shift [num → • [1-9] digits] vs reduce [num → [0-9] •]`.
 */

import { type ByteSet, byteSetOf, describeByteSet, describeProduction, type Production } from "./byte-cfg.js";
import { type LrGrammar, NO_SYMBOL } from "./lr-grammar.js";

/** One conflict of an LR automaton. */
export interface LrConflict {
  readonly state: number;
  /** The lookahead column (an atom, or `eof`). */
  readonly col: number;
  /** The action the table did not keep (reduce production p: -p - 1; see LrAction). */
  readonly action: number;
  readonly kind: "shift/reduce" | "reduce/reduce";
  /** The lookahead: bytes of the atom (`'1'`, `[0-9]`) or `end of input`. */
  readonly lookahead: string;
  /** The items involved, as dotted productions. */
  readonly items: readonly string[];
  /** One-line description. */
  readonly message: string;
}

/** A dotted production of the augmented grammar (production 0 is `start' → start`). */
export function describeItem(g: LrGrammar, p: number, dot: number): string {
  const rhs = g.prodRhs[p] as readonly number[];
  const cfg = g.cfg;
  const lhs = g.prodLhs[p] as number;
  const prod: Production = { lhs, rhs };
  const names = lhs >= cfg.names.length ? [...cfg.names, `${cfg.names[cfg.start]}'`] : cfg.names;
  return describeProduction({ ...cfg, names }, prod, dot);
}

/** Describes the lookahead column `col` (an atom, or end of input). */
export function describeColumn(g: LrGrammar, col: number): string {
  if (col === g.eof) return "end of input";
  const bytes = g.atoms.atomBytes[col] ?? [];
  const set: ByteSet = byteSetOf(bytes.map((b) => [b, b] as [number, number]));
  return describeByteSet(set);
}

/** Builds the report of a conflict between `prevAction` (shift or reduce) and reducing `p`. */
export function describeLrConflict(
  g: LrGrammar,
  c: { readonly items: readonly number[] },
  state: number,
  col: number,
  prevAction: number,
  p: number,
): LrConflict {
  const reduce = `reduce [${describeItem(g, p, (g.prodRhs[p] as readonly number[]).length)}]`;
  let kind: LrConflict["kind"];
  let other: string[];
  if (prevAction > 0) {
    kind = "shift/reduce";
    other = c.items
      .filter((item) => {
        const sym = g.nextSym[item] as number;
        return sym !== NO_SYMBOL && sym < 0 && (g.atoms.terminalAtoms[-sym - 1]?.includes(col) ?? false);
      })
      .map((item) => `shift [${describeItem(g, g.itemProd[item] as number, g.itemDot[item] as number)}]`);
  } else {
    kind = "reduce/reduce";
    const q = -prevAction - 1;
    other = [`reduce [${describeItem(g, q, (g.prodRhs[q] as readonly number[]).length)}]`];
  }
  const items = [...other, reduce];
  const lookahead = describeColumn(g, col);
  return {
    state,
    col,
    action: -p - 1,
    kind,
    lookahead,
    items,
    message: `${kind} conflict on ${lookahead} in state ${state}: ${items.join(" vs ")}`,
  };
}
