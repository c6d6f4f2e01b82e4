/**
 * Keyword negations of json-schema-negate.ts for bounds, properties, dependencies and arrays:
 * each returns the disjuncts "that type, violating the keyword", or null when not expressible.
 */

import { childPointer, isObject, type Schema } from "./json-schema-document.js";
import { FRACTIONAL } from "./json-schema-internal.js";
import { all, type Disjuncts, type NegateContext, negateSub, type Obj, typed } from "./json-schema-negate.js";

/** `minimum` / `maximum` / `exclusive*` (draft-4 boolean forms read with their bound). */
export function negateBound(s: Obj, k: string, v: unknown): Disjuncts {
  if (typeof v === "boolean") return []; // draft-4 modifier: read with minimum / maximum
  if (typeof v !== "number") return null;
  const strict =
    (k === "minimum" && s.exclusiveMinimum === true) || (k === "maximum" && s.exclusiveMaximum === true);
  const lower = k === "minimum" || k === "exclusiveMinimum";
  const exclusive = k.startsWith("exclusive") || strict;
  // not (x >= v) = x < v; not (x > v) = x <= v; and symmetrically.
  const key = lower
    ? exclusive
      ? "maximum"
      : "exclusiveMaximum"
    : exclusive
      ? "minimum"
      : "exclusiveMinimum";
  return [typed("number", { [key]: v })];
}

/** Some declared property is present and violates its schema. */
export function negateProperties(ctx: NegateContext, v: unknown, ptr: string, depth: number): Disjuncts {
  if (!isObject(v)) return null;
  const out: Schema[] = [];
  for (const [name, sub] of Object.entries(v)) {
    const n = negateSub(ctx, sub, childPointer(ptr, name), depth);
    if (n === null) return null;
    if (n !== false) out.push(typed("object", { required: [name], properties: { [name]: n } }));
  }
  return out;
}

/** Some property is present while a property it depends on is absent, or its schema fails. */
export function negateDependencies(ctx: NegateContext, v: unknown, ptr: string, depth: number): Disjuncts {
  if (!isObject(v)) return null;
  const out: Schema[] = [];
  for (const [name, dep] of Object.entries(v)) {
    if (Array.isArray(dep)) {
      for (const r of dep)
        if (typeof r === "string")
          out.push(typed("object", { required: [name], properties: { [r]: false } }));
      continue;
    }
    const n = negateSub(ctx, dep, childPointer(ptr, name), depth);
    if (n === null) return null;
    if (n !== false) out.push(typed("object", { required: [name], allOf: [n] }));
  }
  return out;
}

/** Array keywords: `prefixItems`/`items`, `additionalItems`, `uniqueItems: false`, `contains`, `multipleOf: 1`. */
export function negateArrayKeyword(
  ctx: NegateContext,
  s: Obj,
  k: string,
  v: unknown,
  ptr: string,
  depth: number,
): Disjuncts {
  switch (k) {
    case "prefixItems":
      return negateTuple(ctx, v, ptr, depth);
    case "items":
      if (Array.isArray(v)) return negateTuple(ctx, v, ptr, depth);
      if (v === true || (isObject(v) && Object.keys(v).length === 0)) return [];
      if (v === false) return [typed("array", { minItems: 1 })];
      return null;
    case "additionalItems": {
      if (!Array.isArray(s.items) || v === true) return [];
      if (v === false) return [typed("array", { minItems: s.items.length + 1 })];
      return null;
    }
    case "uniqueItems":
      return v === false ? [] : null;
    case "contains": {
      if ("minContains" in s || "maxContains" in s) return null;
      const n = negateSub(ctx, v, ptr, depth);
      return n === null ? null : [typed("array", { items: n })];
    }
    case "multipleOf":
      return v === 1 ? [{ type: "number", [FRACTIONAL]: true }] : null;
    default:
      return null; // other multipleOf, propertyNames, contains bounds, unevaluated*, dynamic refs, …
  }
}

/** Some position i < length holds an item violating `items[i]`. */
function negateTuple(ctx: NegateContext, v: unknown, ptr: string, depth: number): Disjuncts {
  const negs = all(ctx, v, ptr, depth);
  if (negs === null) return null;
  const out: Schema[] = [];
  negs.forEach((n, i) => {
    if (n !== false)
      out.push(typed("array", { minItems: i + 1, prefixItems: [...new Array<Schema>(i).fill(true), n] }));
  });
  return out;
}
