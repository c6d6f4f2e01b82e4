/**
 * Unions of string alternatives. JSON Schema `anyOf` branches that are strings (patterns,
 * formats, lengths, exact values) each compile to their own automaton; side by side they share
 * prefixes, which an LR(1) parser cannot always tell apart before the closing quote. Their union
 * is one regular language: one DFA (a product) written once, deterministic by construction.
 */

import { type CharDfa, DfaTooLarge, productDfa, wordsDfa } from "./char-dfa.js";
import type { GrammarExpr } from "./grammar-ast.js";
import { MAX_PRODUCT_STATES } from "./json-schema-string-dfa.js";

/** Expressions known to spell a regular language of JSON strings, with that language's DFA. */
export class StringLanguages {
  private readonly langs = new WeakMap<GrammarExpr, () => CharDfa | null>();
  /** Rule references and what they stand for (to find strings inside a `$ref` or conjunction). */
  private readonly bodies = new WeakMap<GrammarExpr, GrammarExpr>();

  /** Records that `expr` spells the strings of `dfa()` (null: not known exactly); returns `expr`. */
  register(expr: GrammarExpr, dfa: () => CharDfa | null): GrammarExpr {
    this.langs.set(expr, dfa);
    return expr;
  }

  /** `to` (say a rule reference) spells what `from` spells; returns `to`. */
  alias(from: GrammarExpr | null, to: GrammarExpr): GrammarExpr {
    if (from === null) return to;
    const dfa = this.langs.get(from);
    if (dfa) this.langs.set(to, dfa);
    else this.bodies.set(to, from);
    return to;
  }

  /** The alternatives of `e` with references and choices opened where a string lies inside. */
  private open(e: GrammarExpr, seen: Set<GrammarExpr>): GrammarExpr[] {
    if (this.langs.has(e) || seen.has(e)) return [e];
    seen.add(e);
    const body = this.bodies.get(e);
    const inner = body !== undefined ? [body] : e.kind === "choice" ? e.items : null;
    if (inner === null) return [e];
    const opened = inner.flatMap((x) => this.open(x, seen));
    return opened.some((x) => this.langs.has(x)) ? opened : [e];
  }

  /** Records that `expr` is the string literal of `value`. */
  registerValue(expr: GrammarExpr, value: unknown): GrammarExpr {
    return typeof value === "string" ? this.register(expr, () => wordsDfa([value])) : expr;
  }

  /**
   * `alts` with their string alternatives (inside choices and references too) replaced by one
   * expression of their union, written by `emit`; `alts` unchanged when fewer than two are
   * strings or the union automaton is too large.
   */
  merge(alts: readonly GrammarExpr[], emit: (dfa: CharDfa) => GrammarExpr): GrammarExpr[] {
    const items = alts.flatMap((a) => this.open(a, new Set()));
    const strings = items.filter((e) => this.langs.has(e));
    if (strings.length < 2) return [...alts];
    const dfas = strings.map((e) => (this.langs.get(e) as () => CharDfa | null)());
    if (dfas.some((d) => d === null)) return [...alts];
    let union: CharDfa;
    try {
      const parts = (dfas as CharDfa[]).map((dfa) => ({ dfa, required: false }));
      union = productDfa(parts, (mask) => (mask !== 0 ? 0 : -1), MAX_PRODUCT_STATES);
    } catch (e) {
      if (e instanceof DfaTooLarge) return [...alts];
      throw e;
    }
    const merged = this.register(emit(union), () => union);
    return [...items.filter((e) => !this.langs.has(e)), merged];
  }
}
