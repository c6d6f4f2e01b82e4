/**
 * Limits and checks of anyOf/oneOf expansion (each branch merged with its schema's other
 * keywords, compiled as one alternative): how many combinations a schema may expand and how
 * deeply, which keyword a refusal names, and whether any-order object alternatives can stay
 * side by side (else the schema is compiled again in schema order).
 */

import { UnsupportedSchemaError } from "../errors.js";
import type { GrammarExpr } from "./grammar-ast.js";
import { isObject } from "./json-schema-document.js";
import type { FlatSchema, Sub } from "./json-schema-flat.js";
import { compatibleShapes, type ObjectShape, shapesIn } from "./json-schema-object-shapes.js";

/** Most branch schemas one document may expand (over all its disjunctions). */
const MAX_ANYOF_EXPANSION = 512;
/** Most expansions nested in one another (recursion through anyOf with siblings). */
const MAX_EXPANSION_DEPTH = 48;

/** Keywords that make disjunctions, in the order a refusal names them. */
const COMBINATORS = ["anyOf", "oneOf", "if", "dependencies", "dependentSchemas", "not"];

/** The disjunction keyword behind `f`'s anyOf groups (for refusals). */
function combinatorKeyword(f: FlatSchema): string {
  for (const k of COMBINATORS) if (f.sources.some((l) => isObject(l.schema) && k in l.schema)) return k;
  return "anyOf";
}

/** Whether `f` plainly accepts nothing (no type or no enum value left). */
export function acceptsNothing(f: FlatSchema): boolean {
  return f.types?.size === 0 || f.enumValues?.length === 0;
}

/** Counts expansions of one document; refuses (by keyword and pointer) past the limits. */
export class ExpansionBudget {
  private numExpansions = 0;
  private depth = 0;

  /** One more branch schema expanded for `f`. */
  count(f: FlatSchema): void {
    if (++this.numExpansions > MAX_ANYOF_EXPANSION)
      throw new UnsupportedSchemaError(
        combinatorKeyword(f),
        f.ptr,
        `anyOf/oneOf combinations expand past ${MAX_ANYOF_EXPANSION} schemas`,
      );
  }

  /** Runs `expand` one level deeper. */
  nested<T>(f: FlatSchema, expand: () => T): T {
    if (++this.depth > MAX_EXPANSION_DEPTH) {
      this.depth = 0;
      throw new UnsupportedSchemaError(
        combinatorKeyword(f),
        f.ptr,
        "anyOf/oneOf nested too deeply (recursion with siblings)",
      );
    }
    try {
      return expand();
    } finally {
      this.depth--;
    }
  }
}

/** Thrown when any-order object alternatives would not be LR(1): compile in schema order. */
export class NeedsSchemaOrder extends Error {}

/**
 * Throws {@link NeedsSchemaOrder} when two any-order objects among `alts` are not compatible
 * (see json-schema-object-shapes.ts); `disjoint` proves two values apart.
 */
export function checkObjectAlternatives(
  alts: readonly GrammarExpr[],
  rules: ReadonlyMap<string, GrammarExpr>,
  shapes: ReadonlyMap<GrammarExpr, ObjectShape>,
  disjoint: (x: Sub, y: Sub) => boolean,
): void {
  if (alts.length < 2) return;
  const found = alts.flatMap((a) => shapesIn(a, rules, shapes));
  for (const [i, a] of found.entries())
    for (const b of found.slice(i + 1)) if (!compatibleShapes(a, b, disjoint)) throw new NeedsSchemaOrder();
}
