/**
 * A slow, independent whole-string recogniser for {@link GrammarAst}, used as a test oracle by
 * the front ends (it works on code points, straight from the tree, with no lowering).
 *
 * It computes, for an expression and a start position, the set of positions where a match can
 * end (memoised per rule and position). Exact for grammars without left recursion, which is what
 * the front ends produce; a left-recursive rule is cut (under-approximated), never looped on.
 */

import { GrammarError } from "../errors.js";
import type { GrammarAst, GrammarExpr } from "./grammar-ast.js";
import { rangesContain } from "./regex-charset.js";

type Ends = ReadonlySet<number>;

class ReferenceMatcher {
  private readonly memo = new Map<string, Ends | null>();

  constructor(
    private readonly ast: GrammarAst,
    private readonly cps: readonly number[],
  ) {}

  ends(expr: GrammarExpr, start: number): Ends {
    switch (expr.kind) {
      case "empty":
        return new Set([start]);
      case "literal":
        return this.literal(expr.text, start);
      case "class": {
        const cp = this.cps[start];
        if (cp === undefined || rangesContain(expr.ranges, cp) === expr.negated) return new Set();
        return new Set([start + 1]);
      }
      case "bytes":
        throw new GrammarError("reference matcher: byte expressions are not supported");
      case "sequence":
        return expr.items.reduce<Ends>((set, item) => this.fromAll(item, set), new Set([start]));
      case "choice": {
        const out = new Set<number>();
        for (const item of expr.items) for (const e of this.ends(item, start)) out.add(e);
        return out;
      }
      case "repeat":
        return this.repeat(expr.item, expr.min, expr.max, start);
      case "ref":
        return this.rule(expr.name, start);
    }
  }

  private literal(text: string, start: number): Ends {
    let pos = start;
    for (const ch of text) {
      if (this.cps[pos] !== ch.codePointAt(0)) return new Set();
      pos++;
    }
    return new Set([pos]);
  }

  private fromAll(expr: GrammarExpr, starts: Ends): Ends {
    const out = new Set<number>();
    for (const s of starts) for (const e of this.ends(expr, s)) out.add(e);
    return out;
  }

  private repeat(item: GrammarExpr, min: number, max: number | null, start: number): Ends {
    let current: Ends = new Set([start]);
    for (let i = 0; i < min; i++) current = this.fromAll(item, current);
    const out = new Set(current);
    let frontier = [...current];
    for (let count = min; (max === null || count < max) && frontier.length > 0; count++) {
      const next = this.fromAll(item, new Set(frontier));
      // Unbounded: only positions never seen can lead anywhere new.
      frontier = [...next].filter((p) => max !== null || !out.has(p));
      for (const p of next) out.add(p);
    }
    return out;
  }

  private rule(name: string, start: number): Ends {
    const key = `${name}@${start}`;
    if (this.memo.has(key)) return this.memo.get(key) ?? new Set();
    const body = this.ast.rules.get(name);
    if (body === undefined) throw new GrammarError(`reference matcher: undefined rule "${name}"`);
    this.memo.set(key, null);
    const result = this.ends(body, start);
    this.memo.set(key, result);
    return result;
  }
}

/** Whether the whole of `text` derives from the grammar's start rule. */
export function referenceAccepts(ast: GrammarAst, text: string): boolean {
  const cps = Array.from(text, (c) => c.codePointAt(0) as number);
  const matcher = new ReferenceMatcher(ast, cps);
  return matcher.ends({ kind: "ref", name: ast.start }, 0).has(cps.length);
}
