/**
 * The array branch of the JSON Schema front end (objects: json-schema-objects.ts), and what
 * both container builders need from the compiler. Arrays: `prefixItems` positions, then
 * `items`, with `minItems` / `maxItems` as exact counts.
 */

import { type GrammarExpr, g } from "./grammar-ast.js";
import type { SchemaDocument } from "./json-schema-document.js";
import type { FlatSchema, Sub } from "./json-schema-flat.js";
import { type JsonGrammarContext, seqOf, token, wsExpr } from "./json-schema-json-text.js";
import type { ObjectShape } from "./json-schema-object-shapes.js";
import { MAX_COUNTED } from "./json-schema-strings.js";

/**
 * Which member orders an object grammar accepts: `schema` writes declared properties in schema
 * order; `any` accepts every order (see json-schema-any-order.ts).
 */
export type PropertyOrder = "schema" | "any";

/** What the container builders need from the compiler. */
export interface ContainerContext {
  readonly json: JsonGrammarContext;
  readonly doc: SchemaDocument;
  readonly propertyOrder: PropertyOrder;
  /** Tracking cost any-order objects may still spend (json-schema-any-order.ts). */
  readonly anyOrderBudget: { left: number };
  /** The shapes of the any-order object grammars built so far, by expression. */
  readonly objectShapes: Map<GrammarExpr, ObjectShape>;
  /** Compiles a conjunction of subschemas; `null` = accepts nothing. */
  compileSub(conj: Sub, ptr: string): GrammarExpr | null;
  /** A rule name not used yet, starting with `prefix`. */
  freshName(prefix: string): string;
}

function arrayBounds(
  flat: FlatSchema,
  prefix: (GrammarExpr | null)[],
  item: GrammarExpr | null,
): [number, number | null] {
  let max = flat.maxItems ?? null;
  const firstImpossible = prefix.indexOf(null);
  if (firstImpossible >= 0) max = Math.min(max ?? firstImpossible, firstImpossible);
  if (item === null) max = Math.min(max ?? prefix.length, prefix.length);
  return [flat.minItems ?? 0, max];
}

/** `count` elements in `[min, max]` of `elem`, the first without a comma. */
function elementList(cc: ContainerContext, elem: GrammarExpr, min: number, max: number | null): GrammarExpr {
  if (max === 0) return g.empty();
  const comma = token(cc.json, ",");
  const list = g.seq(elem, g.rep(g.seq(comma, elem), Math.max(0, min - 1), max === null ? null : max - 1));
  return min > 0 ? list : g.rep(list, 0, 1);
}

/** The grammar of an array satisfying `flat`'s array keywords, or `null` if none can. */
export function arraySchemaExpr(cc: ContainerContext, flat: FlatSchema): GrammarExpr | null {
  const prefix = (flat.prefixItems ?? []).map((conj, i) =>
    cc.compileSub(conj, `${flat.ptr}/prefixItems/${i}`),
  );
  const item = cc.compileSub(flat.items ?? [], `${flat.ptr}/items`);
  const [min, max] = arrayBounds(flat, prefix, item);
  if (max !== null && min > max) return null;
  if (Math.max(min, max ?? 0) > MAX_COUNTED)
    cc.doc.refuse(
      max !== null && max > MAX_COUNTED ? "maxItems" : "minItems",
      flat.ptr,
      `bound over ${MAX_COUNTED}`,
    );
  if (flat.uniqueItems && (max === null || max > 1))
    cc.doc.refuse("uniqueItems", flat.ptr, "arrays of 2 or more items");
  const ws = wsExpr(cc.json);
  const comma = token(cc.json, ",");
  const positional = prefix.slice(0, max ?? prefix.length).map((e) => seqOf(e as GrammarExpr, ws));
  const k = positional.length;
  let body: GrammarExpr;
  const tailMax = max === null ? null : max - k;
  if (k === 0) body = item === null ? g.empty() : elementList(cc, seqOf(item, ws), min, max);
  else {
    // after[i]: elements i+1.. once element i (1-based) is written.
    let after: GrammarExpr =
      item === null || tailMax === 0
        ? g.empty()
        : g.rep(g.seq(comma, seqOf(item, ws)), Math.max(0, min - k), tailMax);
    for (let i = k - 1; i >= 1; i--) {
      const next = g.seq(comma, positional[i] as GrammarExpr, after);
      after = i + 1 <= min ? next : g.rep(next, 0, 1);
    }
    const list = g.seq(positional[0] as GrammarExpr, after);
    body = min >= 1 ? list : g.rep(list, 0, 1);
  }
  return seqOf(token(cc.json, "["), body, g.lit("]"));
}
