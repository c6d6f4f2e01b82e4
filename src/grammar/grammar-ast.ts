/**
 * The grammar expression tree every front end (GBNF, JSON Schema, regex, choice list) produces
 * and the compiler consumes. Characters are Unicode code points here; lowering to a byte-level
 * CFG (UTF-8 encoding of classes, repetition expansion, atoms) happens in the compiler.
 */

/** An inclusive range of Unicode code points. */
export type CodePointRange = readonly [lo: number, hi: number];

/** One grammar expression. */
export type GrammarExpr =
  /** A literal string (matched as its UTF-8 bytes). */
  | { readonly kind: "literal"; readonly text: string }
  /** One code point from `ranges` (or, when `negated`, any code point outside them). */
  | { readonly kind: "class"; readonly ranges: readonly CodePointRange[]; readonly negated: boolean }
  /** Raw bytes, for grammars over arbitrary bytes (rare; e.g. regex `\xNN` outside UTF-8). */
  | { readonly kind: "bytes"; readonly ranges: readonly CodePointRange[] }
  | { readonly kind: "sequence"; readonly items: readonly GrammarExpr[] }
  | { readonly kind: "choice"; readonly items: readonly GrammarExpr[] }
  /** `item` repeated min..max times; `max === null` = unbounded. */
  | { readonly kind: "repeat"; readonly item: GrammarExpr; readonly min: number; readonly max: number | null }
  /** A reference to a named rule of the same grammar. */
  | { readonly kind: "ref"; readonly name: string }
  /** The empty string. */
  | { readonly kind: "empty" };

/** A whole grammar: named rules and the start rule. */
export interface GrammarAst {
  /** Rule bodies by name; insertion order is kept for stable output. */
  readonly rules: ReadonlyMap<string, GrammarExpr>;
  readonly start: string;
}

/** Small constructors that keep front ends readable. */
export const g = {
  lit: (text: string): GrammarExpr => ({ kind: "literal", text }),
  cls: (ranges: readonly CodePointRange[], negated = false): GrammarExpr => ({
    kind: "class",
    ranges,
    negated,
  }),
  seq: (...items: GrammarExpr[]): GrammarExpr => ({ kind: "sequence", items }),
  alt: (...items: GrammarExpr[]): GrammarExpr => ({ kind: "choice", items }),
  rep: (item: GrammarExpr, min: number, max: number | null): GrammarExpr => ({
    kind: "repeat",
    item,
    min,
    max,
  }),
  ref: (name: string): GrammarExpr => ({ kind: "ref", name }),
  empty: (): GrammarExpr => ({ kind: "empty" }),
};
