/** Checks the front ends run on the trees they build. */

import type { GrammarAst, GrammarExpr } from "./grammar-ast.js";

function exprProductive(expr: GrammarExpr, productive: ReadonlySet<string>): boolean {
  switch (expr.kind) {
    case "literal":
    case "empty":
      return true;
    case "class":
      return expr.negated || expr.ranges.length > 0;
    case "bytes":
      return expr.ranges.length > 0;
    case "sequence":
      return expr.items.every((i) => exprProductive(i, productive));
    case "choice":
      return expr.items.some((i) => exprProductive(i, productive));
    case "repeat":
      return expr.min === 0 || exprProductive(expr.item, productive);
    case "ref":
      return productive.has(expr.name);
  }
}

/** The rules that derive at least one finite string (least fixpoint). */
export function productiveRules(ast: GrammarAst): Set<string> {
  const productive = new Set<string>();
  for (let changed = true; changed; ) {
    changed = false;
    for (const [name, body] of ast.rules) {
      if (!productive.has(name) && exprProductive(body, productive)) {
        productive.add(name);
        changed = true;
      }
    }
  }
  return productive;
}
