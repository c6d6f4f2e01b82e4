/** A choice list (e.g. a classification label set) → {@link GrammarAst}. */

import { GrammarError } from "../errors.js";
import { type GrammarAst, type GrammarExpr, g } from "./grammar-ast.js";

/**
 * The grammar whose language is exactly the given strings (duplicates collapse; `""` allowed).
 * Throws {@link GrammarError} for an empty list or a non-string entry.
 */
export function grammarFromChoices(choices: readonly string[]): GrammarAst {
  if (!Array.isArray(choices) || choices.length === 0) throw new GrammarError("choice list is empty");
  const unique = [...new Set(choices)];
  const alts: GrammarExpr[] = unique.map((c, i) => {
    if (typeof c !== "string") throw new GrammarError(`choice ${i} is not a string`);
    return c === "" ? g.empty() : g.lit(c);
  });
  const body = alts.length === 1 ? (alts[0] as GrammarExpr) : g.alt(...alts);
  return { rules: new Map([["root", body]]), start: "root" };
}
