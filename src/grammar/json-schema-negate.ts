/**
 * Negation of JSON Schemas (`not`, the `else` side of `if`, exact `oneOf`), pushed down to the
 * keywords: a schema is the conjunction of its keywords, so its negation is the disjunction of
 * the keywords' negations, and each keyword applies to one JSON type only, so its negation is
 * "that type, violating the keyword" (`not {minimum: 3}` = `{type: number, exclusiveMaximum: 3}`,
 * `not {required: [a]}` = `{type: object, properties: {a: false}}`). The result is an ordinary
 * schema (plus the symbol-keyed keywords of json-schema-internal.ts) that the compiler enforces
 * like any other. A keyword whose negation we cannot write (`multipleOf`, `uniqueItems`,
 * `patternProperties`, …) makes the whole negation `null`; the caller refuses by name.
 */

import { childPointer, isObject, type Schema, type SchemaDocument } from "./json-schema-document.js";
import { FORMAT_PATTERNS } from "./json-schema-formats.js";
import { FRACTIONAL, NOT_PATTERNS, NOT_VALUES, type NotPattern } from "./json-schema-internal.js";
import {
  ANNOTATION_KEYWORDS,
  JSON_TYPES,
  REFUSED_KEYWORDS,
  SUPPORTED_KEYWORDS,
} from "./json-schema-keywords.js";
import {
  negateArrayKeyword,
  negateBound,
  negateDependencies,
  negateProperties,
} from "./json-schema-negate-keywords.js";

/** What negation needs from the compiler. */
export interface NegateContext {
  readonly doc: SchemaDocument;
  /** Proves `oneOf` branches pairwise disjoint (then `oneOf` negates like `anyOf`). */
  proveDisjoint(branches: readonly Schema[], ptr: string): boolean;
}

/** Deepest nesting of negations through `$ref`s and subschemas. */
const MAX_DEPTH = 12;

/** Disjuncts of a negation (their union), or null when not expressible. */
export type Disjuncts = Schema[] | null;
/** A schema object. */
export type Obj = { readonly [k: string]: unknown };

/** `not schema` as a schema without `not` at the top, or null when not expressible. */
export function negateSchema(ctx: NegateContext, schema: Schema, ptr: string, depth = 0): Schema | null {
  if (schema === true) return false;
  if (schema === false) return true;
  if (depth > MAX_DEPTH) return null;
  const out: Schema[] = [];
  const internal = negateInternal(schema);
  out.push(...internal);
  for (const [k, v] of Object.entries(schema)) {
    const parts = negateKeyword(ctx, schema, k, v, childPointer(ptr, k), depth + 1);
    if (parts === null) return null;
    out.push(...parts);
  }
  if (out.length === 0) return false;
  return out.length === 1 ? (out[0] as Schema) : { anyOf: out };
}

function negateInternal(schema: Obj): Schema[] {
  const s = schema as { readonly [NOT_VALUES]?: unknown[]; readonly [NOT_PATTERNS]?: NotPattern[] };
  const out: Schema[] = [];
  if ((schema as { readonly [FRACTIONAL]?: boolean })[FRACTIONAL] === true)
    out.push({ type: ["null", "boolean", "object", "array", "string", "integer"] });
  if (s[NOT_VALUES] !== undefined) out.push({ enum: s[NOT_VALUES] });
  for (const p of s[NOT_PATTERNS] ?? [])
    out.push({ type: "string", pattern: p.whole ? `^(?:${p.source})$` : p.source });
  return out;
}

/** Negations of every schema of `list` (null if one is not expressible). */
export function all(ctx: NegateContext, list: unknown, ptr: string, depth: number): Schema[] | null {
  if (!Array.isArray(list)) return null;
  const out: Schema[] = [];
  for (const [i, x] of list.entries()) {
    const n = negateSub(ctx, x, childPointer(ptr, i), depth);
    if (n === null) return null;
    out.push(n);
  }
  return out;
}

/** Negation of a subschema value (null unless it is a schema and expressible). */
export function negateSub(ctx: NegateContext, x: unknown, ptr: string, depth: number): Schema | null {
  if (typeof x !== "boolean" && !isObject(x)) return null;
  return negateSchema(ctx, x, ptr, depth);
}

/** Drops `false` disjuncts (they add nothing). */
function live(list: Schema[]): Schema[] {
  return list.filter((s) => s !== false);
}

/** `body` restricted to one JSON type. */
export function typed(type: string, body: Obj): Schema {
  return { type, ...body };
}

function negateKeyword(
  ctx: NegateContext,
  s: Obj,
  k: string,
  v: unknown,
  ptr: string,
  depth: number,
): Disjuncts {
  if (ANNOTATION_KEYWORDS.has(k)) return [];
  if (!SUPPORTED_KEYWORDS.has(k) && !REFUSED_KEYWORDS.has(k)) return []; // not a keyword
  switch (k) {
    case "type":
      return negateType(v);
    case "enum":
      return Array.isArray(v) ? [{ [NOT_VALUES]: v }] : null;
    case "const":
      return [{ [NOT_VALUES]: [v] }];
    case "not":
      return typeof v === "boolean" || isObject(v) ? [v] : null;
    case "allOf":
      return nullOr(all(ctx, v, ptr, depth), live);
    case "anyOf":
      return nullOr(all(ctx, v, ptr, depth), (negs) => [{ allOf: negs }]);
    case "oneOf":
      if (!Array.isArray(v) || !ctx.proveDisjoint(v as Schema[], ptr)) return null;
      return nullOr(all(ctx, v, ptr, depth), (negs) => [{ allOf: negs }]);
    case "$ref": {
      const target = ctx.doc.resolve(v, ptr);
      return nullOr(negateSchema(ctx, target.schema, target.pointer, depth), (n) => [n]);
    }
    case "if":
      return negateIf(ctx, s, ptr, depth);
    case "then":
    case "else":
      return [];
    default:
      return negateAssertion(ctx, s, k, v, ptr, depth);
  }
}

function nullOr<T>(x: T | null, f: (x: T) => Schema[]): Disjuncts {
  return x === null ? null : f(x);
}

function negateType(v: unknown): Disjuncts {
  const list = Array.isArray(v) ? v : [v];
  const has = (t: string) => list.includes(t);
  const numeric = has("number") || has("integer");
  const rest = JSON_TYPES.filter(
    (t) => !has(t) && (numeric ? t !== "number" && t !== "integer" : t !== "integer"),
  );
  const out: Schema[] = rest.length === 0 ? [] : [{ type: rest }];
  // "integer" without "number": the complement also holds the fractional numbers.
  if (has("integer") && !has("number")) out.push({ type: "number", [FRACTIONAL]: true });
  return out;
}

/** `if I then T else E` fails when (I and not T) or (not I and not E). */
function negateIf(ctx: NegateContext, s: Obj, ptr: string, depth: number): Disjuncts {
  if (!("then" in s) && !("else" in s)) return [];
  const out: Schema[] = [];
  if ("then" in s) {
    const negThen = negateSub(ctx, s.then, childPointer(ptr, "..", "then"), depth);
    if (negThen === null) return null;
    if (negThen !== false) out.push({ allOf: [s.if as Schema, negThen] });
  }
  if ("else" in s) {
    const negElse = negateSub(ctx, s.else, childPointer(ptr, "..", "else"), depth);
    const negIf = negateSub(ctx, s.if, ptr, depth);
    if (negElse === null || negIf === null) return null;
    if (negElse !== false && negIf !== false) out.push({ allOf: [negIf, negElse] });
  }
  return out;
}

function count(k: string, n: unknown): Disjuncts {
  if (typeof n !== "number") return null;
  const [type, lowKey, highKey] = {
    minLength: ["string", "minLength", "maxLength"],
    maxLength: ["string", "minLength", "maxLength"],
    minItems: ["array", "minItems", "maxItems"],
    maxItems: ["array", "minItems", "maxItems"],
    minProperties: ["object", "minProperties", "maxProperties"],
    maxProperties: ["object", "minProperties", "maxProperties"],
  }[k] as [string, string, string];
  if (k === lowKey) return n <= 0 ? [] : [typed(type, { [highKey]: Math.ceil(n) - 1 })];
  return [typed(type, { [lowKey]: Math.floor(n) + 1 })];
}

function negateAssertion(
  ctx: NegateContext,
  s: Obj,
  k: string,
  v: unknown,
  ptr: string,
  depth: number,
): Disjuncts {
  switch (k) {
    case "minLength":
    case "maxLength":
    case "minItems":
    case "maxItems":
    case "minProperties":
    case "maxProperties":
      return count(k, v);
    case "pattern":
      return typeof v === "string"
        ? [typed("string", { [NOT_PATTERNS]: [{ source: v, whole: false }] })]
        : null;
    case "format": {
      const source = typeof v === "string" ? FORMAT_PATTERNS[v] : undefined;
      return source === undefined ? [] : [typed("string", { [NOT_PATTERNS]: [{ source, whole: true }] })];
    }
    case "minimum":
    case "maximum":
    case "exclusiveMinimum":
    case "exclusiveMaximum":
      return negateBound(s, k, v);
    case "required":
      if (!Array.isArray(v)) return null;
      return v
        .filter((r) => typeof r === "string")
        .map((r) => typed("object", { properties: { [r]: false } }));
    case "properties":
      return negateProperties(ctx, v, ptr, depth);
    case "additionalProperties":
      if (v === true || (isObject(v) && Object.keys(v).length === 0)) return [];
      if (v === false && !isObject(s.properties) && !isObject(s.patternProperties))
        return [typed("object", { minProperties: 1 })];
      return null;
    case "patternProperties":
      return isObject(v) && Object.values(v).every((x) => x === true) ? [] : null;
    case "dependencies":
    case "dependentRequired":
    case "dependentSchemas":
      return negateDependencies(ctx, v, ptr, depth);
    default:
      return negateArrayKeyword(ctx, s, k, v, ptr, depth);
  }
}
