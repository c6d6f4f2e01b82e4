/**
 * Flattening: a schema object with its `$ref` (when it has siblings), `allOf` and `oneOf` folded
 * in, as one {@link FlatSchema} whose keywords are all conjunctive. Merging two flat schemas is
 * exact: each keyword intersects (types, enums, bounds) or accumulates (required, patterns), and
 * subschemas that would need merging are kept as conjunctions, merged only when compiled.
 */

import { GrammarError } from "../errors.js";
import {
  asSchema,
  childPointer,
  isObject,
  type Schema,
  type SchemaDocument,
} from "./json-schema-document.js";
import { canonicalJson, isJsonType, type JsonType } from "./json-schema-keywords.js";
import type { NumericBound } from "./json-schema-numbers.js";

/** A subschema with its location. */
export interface Located {
  readonly schema: Schema;
  readonly ptr: string;
}

/** A conjunction of subschemas (empty = `true`). */
export type Sub = readonly Located[];

/** A schema with only conjunctive keywords. Absent fields do not constrain. */
export interface FlatSchema {
  readonly ptr: string;
  types?: ReadonlySet<JsonType>;
  enumValues?: readonly unknown[];
  /** A conjunction of disjunctions (each from an `anyOf`, or a `oneOf` proven disjoint). */
  anyOf: Sub[][];
  properties: Map<string, Sub>;
  required: Set<string>;
  additionalProperties?: Sub;
  minProperties?: number;
  maxProperties?: number;
  prefixItems?: Sub[];
  items?: Sub;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  minLength?: number;
  maxLength?: number;
  patterns: string[];
  formats: string[];
  lower?: NumericBound;
  upper?: NumericBound;
  multipleOf: number[];
}

/** Proves that `oneOf` branches are pairwise disjoint (supplied by the compiler). */
export type DisjointnessProver = (branches: Sub[], ptr: string) => boolean;

const MAX_FLATTEN_DEPTH = 64;

function emptyFlat(ptr: string): FlatSchema {
  return {
    ptr,
    anyOf: [],
    properties: new Map(),
    required: new Set(),
    patterns: [],
    formats: [],
    multipleOf: [],
  };
}

function num(x: unknown, keyword: string, ptr: string): number | undefined {
  if (x === undefined) return undefined;
  if (typeof x !== "number" || !Number.isFinite(x)) {
    throw new GrammarError(`JSON Schema at ${ptr || "/"}: ${keyword} must be a finite number`);
  }
  return x;
}

function tighter(
  a: NumericBound | undefined,
  b: NumericBound | undefined,
  lower: boolean,
): NumericBound | undefined {
  if (a === undefined || b === undefined) return a ?? b;
  if (a.value === b.value) return a.strict ? a : b;
  return a.value > b.value === lower ? a : b;
}

function minOf(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined ? (a ?? b) : Math.min(a, b);
}

function maxOf(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined ? (a ?? b) : Math.max(a, b);
}

function intersectTypes(a: ReadonlySet<JsonType>, b: ReadonlySet<JsonType>): Set<JsonType> {
  const out = new Set<JsonType>();
  for (const t of a) {
    if (b.has(t)) out.add(t);
    else if ((t === "integer" && b.has("number")) || (t === "number" && b.has("integer"))) out.add("integer");
  }
  return out;
}

function sub(schema: unknown, ptr: string): Sub {
  return [{ schema: asSchema(schema, ptr), ptr }];
}

function readTypes(flat: FlatSchema, type: unknown, ptr: string): void {
  if (type === undefined) return;
  const list = Array.isArray(type) ? type : [type];
  if (!list.every(isJsonType))
    throw new GrammarError(`JSON Schema at ${ptr || "/"}: invalid type ${JSON.stringify(type)}`);
  flat.types = new Set(list);
}

function readEnum(flat: FlatSchema, s: { readonly [k: string]: unknown }, ptr: string): void {
  if ("enum" in s) {
    if (!Array.isArray(s.enum)) throw new GrammarError(`JSON Schema at ${ptr || "/"}: enum must be an array`);
    flat.enumValues = s.enum;
  }
  if ("const" in s) flat.enumValues = intersectValues(flat.enumValues, [s.const]);
}

function intersectValues(
  a: readonly unknown[] | undefined,
  b: readonly unknown[] | undefined,
): unknown[] | undefined {
  if (a === undefined || b === undefined) return a === undefined ? b?.slice() : a.slice();
  const keys = new Set(b.map(canonicalJson));
  return a.filter((v) => keys.has(canonicalJson(v)));
}

function readObjectKeywords(
  flat: FlatSchema,
  s: { readonly [k: string]: unknown },
  ptr: string,
  strict: boolean,
): void {
  if (isObject(s.properties)) {
    for (const [name, v] of Object.entries(s.properties)) {
      flat.properties.set(name, sub(v, childPointer(ptr, "properties", name)));
    }
  }
  if (Array.isArray(s.required)) for (const r of s.required) if (typeof r === "string") flat.required.add(r);
  if ("additionalProperties" in s) {
    flat.additionalProperties = sub(s.additionalProperties, childPointer(ptr, "additionalProperties"));
  } else if (strict && "properties" in s)
    flat.additionalProperties = sub(false, childPointer(ptr, "additionalProperties"));
  flat.minProperties = num(s.minProperties, "minProperties", ptr);
  flat.maxProperties = num(s.maxProperties, "maxProperties", ptr);
}

function readArrayKeywords(flat: FlatSchema, s: { readonly [k: string]: unknown }, ptr: string): void {
  if (Array.isArray(s.items)) {
    // Drafts 4 to 2019-09: `items` as an array is `prefixItems`, `additionalItems` the rest.
    flat.prefixItems = s.items.map((v, i) => sub(v, childPointer(ptr, "items", i)));
    if ("additionalItems" in s) flat.items = sub(s.additionalItems, childPointer(ptr, "additionalItems"));
  } else if ("items" in s) flat.items = sub(s.items, childPointer(ptr, "items"));
  if (Array.isArray(s.prefixItems)) {
    if (Array.isArray(s.items))
      throw new GrammarError(`JSON Schema at ${ptr || "/"}: both prefixItems and items[]`);
    flat.prefixItems = s.prefixItems.map((v, i) => sub(v, childPointer(ptr, "prefixItems", i)));
  }
  flat.minItems = num(s.minItems, "minItems", ptr);
  flat.maxItems = num(s.maxItems, "maxItems", ptr);
  if (s.uniqueItems === true) flat.uniqueItems = true;
}

function readScalarKeywords(flat: FlatSchema, s: { readonly [k: string]: unknown }, ptr: string): void {
  flat.minLength = num(s.minLength, "minLength", ptr);
  flat.maxLength = num(s.maxLength, "maxLength", ptr);
  if (typeof s.pattern === "string") flat.patterns.push(s.pattern);
  if (typeof s.format === "string") flat.formats.push(s.format);
  const minimum = num(s.minimum, "minimum", ptr);
  const maximum = num(s.maximum, "maximum", ptr);
  // Draft 4: boolean exclusiveMinimum / exclusiveMaximum modify minimum / maximum.
  if (minimum !== undefined) flat.lower = { value: minimum, strict: s.exclusiveMinimum === true };
  if (maximum !== undefined) flat.upper = { value: maximum, strict: s.exclusiveMaximum === true };
  if (typeof s.exclusiveMinimum === "number") {
    flat.lower = tighter(
      flat.lower,
      { value: num(s.exclusiveMinimum, "exclusiveMinimum", ptr) as number, strict: true },
      true,
    );
  }
  if (typeof s.exclusiveMaximum === "number") {
    flat.upper = tighter(
      flat.upper,
      { value: num(s.exclusiveMaximum, "exclusiveMaximum", ptr) as number, strict: true },
      false,
    );
  }
  if (s.multipleOf !== undefined) flat.multipleOf.push(num(s.multipleOf, "multipleOf", ptr) as number);
}

function readBranches(list: unknown, keyword: string, ptr: string): Sub[] {
  if (!Array.isArray(list) || list.length === 0) {
    throw new GrammarError(`JSON Schema at ${ptr || "/"}: ${keyword} must be a non-empty array`);
  }
  return list.map((v, i) => sub(v, childPointer(ptr, keyword, i)));
}

/** Merges two flat schemas into their conjunction. */
export function mergeFlat(a: FlatSchema, b: FlatSchema): FlatSchema {
  const out = emptyFlat(a.ptr);
  out.types = a.types && b.types ? intersectTypes(a.types, b.types) : (a.types ?? b.types);
  out.enumValues = intersectValues(a.enumValues, b.enumValues);
  out.anyOf = [...a.anyOf, ...b.anyOf];
  for (const name of new Set([...a.properties.keys(), ...b.properties.keys()])) {
    const pa = a.properties.get(name) ?? a.additionalProperties ?? [];
    const pb = b.properties.get(name) ?? b.additionalProperties ?? [];
    out.properties.set(name, [...pa, ...pb]);
  }
  out.required = new Set([...a.required, ...b.required]);
  if (a.additionalProperties || b.additionalProperties) {
    out.additionalProperties = [...(a.additionalProperties ?? []), ...(b.additionalProperties ?? [])];
  }
  out.minProperties = maxOf(a.minProperties, b.minProperties);
  out.maxProperties = minOf(a.maxProperties, b.maxProperties);
  if (a.prefixItems || b.prefixItems) {
    const n = Math.max(a.prefixItems?.length ?? 0, b.prefixItems?.length ?? 0);
    out.prefixItems = Array.from({ length: n }, (_, i) => [
      ...(a.prefixItems?.[i] ?? a.items ?? []),
      ...(b.prefixItems?.[i] ?? b.items ?? []),
    ]);
  }
  if (a.items || b.items) out.items = [...(a.items ?? []), ...(b.items ?? [])];
  out.minItems = maxOf(a.minItems, b.minItems);
  out.maxItems = minOf(a.maxItems, b.maxItems);
  out.uniqueItems = a.uniqueItems || b.uniqueItems ? true : undefined;
  out.minLength = maxOf(a.minLength, b.minLength);
  out.maxLength = minOf(a.maxLength, b.maxLength);
  out.patterns = [...new Set([...a.patterns, ...b.patterns])];
  out.formats = [...new Set([...a.formats, ...b.formats])];
  out.lower = tighter(a.lower, b.lower, true);
  out.upper = tighter(a.upper, b.upper, false);
  out.multipleOf = [...new Set([...a.multipleOf, ...b.multipleOf])];
  return out;
}

/** Flattening state: the document, the oneOf prover and options. */
export interface FlattenContext {
  readonly doc: SchemaDocument;
  readonly strictProperties: boolean;
  readonly proveDisjoint: DisjointnessProver;
}

/** Flattens one schema; `false` = the schema accepts nothing. */
export function flatten(ctx: FlattenContext, schema: Schema, ptr: string, depth = 0): FlatSchema | false {
  if (schema === false) return false;
  const flat = emptyFlat(ptr);
  if (schema === true) return flat;
  if (depth > MAX_FLATTEN_DEPTH) {
    ctx.doc.refuse("$ref", ptr, "reference cycle through allOf/$ref siblings");
    return flat;
  }
  ctx.doc.checkKeywords(schema, ptr);
  readTypes(flat, schema.type, ptr);
  readEnum(flat, schema, ptr);
  readObjectKeywords(flat, schema, ptr, ctx.strictProperties);
  readArrayKeywords(flat, schema, ptr);
  readScalarKeywords(flat, schema, ptr);
  if ("anyOf" in schema) flat.anyOf.push(readBranches(schema.anyOf, "anyOf", ptr));
  if ("oneOf" in schema) {
    const branches = readBranches(schema.oneOf, "oneOf", ptr);
    if (!ctx.proveDisjoint(branches, ptr)) ctx.doc.refuse("oneOf", ptr, "branches not provably disjoint");
    flat.anyOf.push(branches);
  }
  let result = flat as FlatSchema | false;
  const parts: Located[] = [];
  if ("$ref" in schema) {
    const target = ctx.doc.resolve(schema.$ref, ptr);
    parts.push({ schema: target.schema, ptr: target.pointer });
  }
  if ("allOf" in schema) parts.push(...readBranches(schema.allOf, "allOf", ptr).flat());
  for (const part of parts) {
    const other = flatten(ctx, part.schema, part.ptr, depth + 1);
    result = other === false || result === false ? false : mergeFlat(result, other);
  }
  return result;
}

/** Flattens and merges a conjunction; `false` = accepts nothing. */
export function flattenSub(ctx: FlattenContext, conj: Sub, ptr: string): FlatSchema | false {
  let result = emptyFlat(ptr) as FlatSchema | false;
  for (const part of conj) {
    const f = flatten(ctx, part.schema, part.ptr);
    result = f === false || result === false ? false : mergeFlat(result, f);
  }
  return result;
}
