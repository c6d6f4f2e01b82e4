/**
 * A slow, independent whole-string recogniser for {@link GrammarAst}, used as a test oracle by
 * the front ends (it works on code points, straight from the tree, with no lowering).
 *
 * It computes, for an expression and a start position, the set of positions where a match can
 * end (memoised per rule and position); left recursion (the front ends write automata as
 * left-linear rules) grows to a fixpoint.
 */

import { GrammarError } from "../errors.js";
import type { GrammarAst, GrammarExpr } from "./grammar-ast.js";
import { rangesContain } from "./regex-charset.js";

type Ends = ReadonlySet<number>;

class ReferenceMatcher {
  private readonly memo = new Map<string, Ends | null>();
  /** Left-recursive rules in progress: the ends found so far, and whether recursion was met. */
  private readonly seeds = new Map<string, Ends>();
  private readonly recursed = new Set<string>();

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

  /**
   * The ends of rule `name` from `start`. Left recursion grows a seed to a fixpoint: a rule met
   * again while it is being computed yields the ends found so far, and the computation repeats
   * (forgetting what it cached meanwhile) until no new end appears.
   */
  private rule(name: string, start: number): Ends {
    const key = `${name}@${start}`;
    if (this.memo.has(key)) {
      const known = this.memo.get(key);
      if (known) return known;
      this.recursed.add(key);
      return this.seeds.get(key) ?? new Set();
    }
    const body = this.ast.rules.get(name);
    if (body === undefined) throw new GrammarError(`reference matcher: undefined rule "${name}"`);
    let seed: Set<number> = new Set();
    for (;;) {
      this.memo.set(key, null);
      this.seeds.set(key, seed);
      this.recursed.delete(key);
      const before = new Set(this.memo.keys());
      const result = new Set([...seed, ...this.ends(body, start)]);
      if (!this.recursed.has(key) || result.size === seed.size) {
        this.memo.set(key, result);
        this.seeds.delete(key);
        return result;
      }
      for (const k of [...this.memo.keys()]) if (!before.has(k)) this.memo.delete(k);
      seed = result;
    }
  }
}

/** Whether the whole of `text` derives from the grammar's start rule. */
export function referenceAccepts(ast: GrammarAst, text: string): boolean {
  const cps = Array.from(text, (c) => c.codePointAt(0) as number);
  const matcher = new ReferenceMatcher(ast, cps);
  return matcher.ends({ kind: "ref", name: ast.start }, 0).has(cps.length);
}
