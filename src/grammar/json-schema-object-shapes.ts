/**
 * Whether any-order object grammars can stand side by side as alternatives (anyOf/oneOf branches)
 * and stay LR(1). In any order, the key that tells two branches apart may come last, so every
 * member written before it must be parsed the same way in both: the same member rule for a name
 * both declare (or values that are told apart), no name that one declares and the other takes as
 * an undeclared key, and the same undeclared member. When branches fail this, the compiler writes
 * the whole schema in schema order instead, where the parser meets the keys in one order.
 */

import type { GrammarExpr } from "./grammar-ast.js";
import type { Sub } from "./json-schema-flat.js";

/** What an object grammar writes. */
export interface ObjectShape {
  /** Members in any order (else schema order: its alternatives behave as they always did). */
  readonly anyOrder: boolean;
  /** Members it can write: the member expression (as JSON) and the value's conjunction. */
  readonly members: ReadonlyMap<string, { readonly expr: string; readonly value: Sub }>;
  /** Names it declares (written as members or not at all: never undeclared keys). */
  readonly declared: ReadonlySet<string>;
  /** The undeclared member expression (as JSON), or null when undeclared keys are refused. */
  readonly extra: string | null;
}

/**
 * The object shapes an alternative starts with: the expression itself, the items of a choice, or
 * the body of a referenced rule (rules in progress have none yet).
 */
export function shapesIn(
  expr: GrammarExpr,
  rules: ReadonlyMap<string, GrammarExpr>,
  shapes: ReadonlyMap<GrammarExpr, ObjectShape>,
  seen: Set<string> = new Set(),
): ObjectShape[] {
  const own = shapes.get(expr);
  if (own !== undefined) return [own];
  if (expr.kind === "choice") return expr.items.flatMap((e) => shapesIn(e, rules, shapes, seen));
  if (expr.kind !== "ref" || seen.has(expr.name)) return [];
  seen.add(expr.name);
  const body = rules.get(expr.name);
  return body === undefined ? [] : shapesIn(body, rules, shapes, seen);
}

/** Whether one side's declared-only name could be the other's undeclared key. */
function oneSided(a: ObjectShape, b: ObjectShape): boolean {
  if (b.extra === null) return false;
  for (const name of a.members.keys()) if (!b.declared.has(name)) return true;
  return false;
}

/**
 * Whether `a` and `b` can be alternatives (see the module comment); `disjoint` proves two values
 * apart (then their members may differ: the value tells the branches apart).
 */
export function compatibleShapes(
  a: ObjectShape,
  b: ObjectShape,
  disjoint: (x: Sub, y: Sub) => boolean,
): boolean {
  // Schema-order members are inline in their object's rules, any-order ones are shared rules: a
  // mix cannot share a prefix. Two schema-order objects are as before any-order existed.
  if (a.anyOrder !== b.anyOrder) return false;
  if (!a.anyOrder) return true;
  if (a.extra !== null && b.extra !== null && a.extra !== b.extra) return false;
  if (oneSided(a, b) || oneSided(b, a)) return false;
  for (const [name, ma] of a.members) {
    const mb = b.members.get(name);
    if (mb !== undefined && mb.expr !== ma.expr && !disjoint(ma.value, mb.value)) return false;
  }
  return true;
}
