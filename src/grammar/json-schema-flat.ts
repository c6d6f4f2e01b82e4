/**
 * Flattening: a schema object with its `$ref` (when it has siblings), `allOf`, `oneOf`, `not`,
 * `if`/`then`/`else` and `dependencies` folded in, as one {@link FlatSchema} whose keywords are
 * all conjunctive. Merging two flat schemas is exact: each keyword intersects (types, enums,
 * bounds) or accumulates (required, patterns), and subschemas that would need merging are kept
 * as conjunctions, merged only when compiled.
 */

import type { Schema, SchemaDocument } from "./json-schema-document.js";
import { readKeywords, readLogic } from "./json-schema-flat-read.js";
import type { NotPattern } from "./json-schema-internal.js";
import { canonicalJson, type JsonType } from "./json-schema-keywords.js";
import type { NumericBound } from "./json-schema-numbers.js";
import type { PresenceGroup } from "./json-schema-presence.js";
import { patternRegExp } from "./json-schema-validate.js";

/** A subschema with its location. */
export interface Located {
  readonly schema: Schema;
  readonly ptr: string;
}

/** A conjunction of subschemas (empty = `true`). */
export type Sub = readonly Located[];

/**
 * The undeclared-key rules of one schema object: a key matching some of `patterns` takes their
 * schemas, any other key `additional` (undefined: any value).
 */
export interface ExtraGroup {
  readonly patterns: readonly (readonly [pattern: string, sub: Sub])[];
  readonly additional?: Sub;
}

/** A keyword the grammar cannot enforce here, with where and why (refused unless decided). */
export interface PendingKeyword {
  readonly ptr: string;
  readonly detail: string;
}

/** A schema with only conjunctive keywords. Absent fields do not constrain. */
export interface FlatSchema {
  readonly ptr: string;
  /** Every schema object conjoined into this one (its meaning is their conjunction). */
  sources: Located[];
  /** Keywords only a value-by-value check can enforce (see the compiler's enum path). */
  pending: Map<string, PendingKeyword>;
  types?: ReadonlySet<JsonType>;
  enumValues?: readonly unknown[];
  /** Values the instance must not equal (from negated `enum` / `const`). */
  excludedValues: unknown[];
  /** A conjunction of disjunctions (each from an `anyOf`, or a `oneOf` proven disjoint). */
  anyOf: Sub[][];
  /** Declared properties: the full conjunction each one's value must satisfy. */
  properties: Map<string, Sub>;
  required: Set<string>;
  /** Rules for undeclared keys, one group per schema object that had any. */
  extraGroups: ExtraGroup[];
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
  notPatterns: NotPattern[];
  lower?: NumericBound;
  upper?: NumericBound;
  multipleOf: number[];
  /** Numbers must not be integers (from a negated `type: integer` or `multipleOf: 1`). */
  fractional?: boolean;
  /** Presence-only disjunctions, tracked by the object grammar (see json-schema-presence.ts). */
  presence: PresenceGroup[];
}

/** Proves that `oneOf` branches are pairwise disjoint (supplied by the compiler). */
export type DisjointnessProver = (branches: Sub[], ptr: string) => boolean;

const MAX_FLATTEN_DEPTH = 64;

/** A flat schema that constrains nothing. */
export function emptyFlat(ptr: string): FlatSchema {
  return {
    ptr,
    sources: [],
    pending: new Map(),
    excludedValues: [],
    anyOf: [],
    properties: new Map(),
    required: new Set(),
    extraGroups: [],
    patterns: [],
    formats: [],
    notPatterns: [],
    multipleOf: [],
    presence: [],
  };
}

/** Whether JSON Schema pattern `p` matches `name` (false when JavaScript cannot read it). */
function matches(p: string, name: string): boolean {
  return patternRegExp(p).test(name);
}

/** The conjunction an undeclared key `name` must satisfy under `groups`. */
export function extraValue(groups: readonly ExtraGroup[], name: string): Sub {
  const out: Located[] = [];
  for (const gr of groups) {
    const hit = gr.patterns.filter(([p]) => matches(p, name));
    if (hit.length > 0) for (const [, s] of hit) out.push(...s);
    else if (gr.additional) out.push(...gr.additional);
  }
  return out;
}

/** The conjunction the value of key `name` must satisfy in `f`. */
export function memberValue(f: FlatSchema, name: string): Sub {
  return f.properties.get(name) ?? extraValue(f.extraGroups, name);
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

export { tighter as tighterBound };

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

/** `a ∩ b` by canonical JSON (undefined = no constraint). */
export function intersectValues(
  a: readonly unknown[] | undefined,
  b: readonly unknown[] | undefined,
): unknown[] | undefined {
  if (a === undefined || b === undefined) return a === undefined ? b?.slice() : a.slice();
  const keys = new Set(b.map(canonicalJson));
  return a.filter((v) => keys.has(canonicalJson(v)));
}

function mergeObjects(out: FlatSchema, a: FlatSchema, b: FlatSchema): void {
  for (const name of new Set([...a.properties.keys(), ...b.properties.keys()]))
    out.properties.set(name, [...memberValue(a, name), ...memberValue(b, name)]);
  out.required = new Set([...a.required, ...b.required]);
  out.extraGroups = [...a.extraGroups, ...b.extraGroups];
  out.minProperties = maxOf(a.minProperties, b.minProperties);
  out.maxProperties = minOf(a.maxProperties, b.maxProperties);
}

function mergeArrays(out: FlatSchema, a: FlatSchema, b: FlatSchema): void {
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
}

/** Merges two flat schemas into their conjunction. */
export function mergeFlat(a: FlatSchema, b: FlatSchema): FlatSchema {
  const out = emptyFlat(a.ptr);
  out.sources = [...a.sources, ...b.sources];
  out.pending = new Map([...a.pending, ...b.pending]);
  out.types = a.types && b.types ? intersectTypes(a.types, b.types) : (a.types ?? b.types);
  out.enumValues = intersectValues(a.enumValues, b.enumValues);
  out.excludedValues = [...a.excludedValues, ...b.excludedValues];
  out.anyOf = [...a.anyOf, ...b.anyOf];
  mergeObjects(out, a, b);
  mergeArrays(out, a, b);
  out.minLength = maxOf(a.minLength, b.minLength);
  out.maxLength = minOf(a.maxLength, b.maxLength);
  out.patterns = [...new Set([...a.patterns, ...b.patterns])];
  out.formats = [...new Set([...a.formats, ...b.formats])];
  out.notPatterns = [...a.notPatterns, ...b.notPatterns];
  out.lower = tighter(a.lower, b.lower, true);
  out.upper = tighter(a.upper, b.upper, false);
  out.multipleOf = [...new Set([...a.multipleOf, ...b.multipleOf])];
  if (a.fractional || b.fractional) out.fractional = true;
  out.presence = [...a.presence, ...b.presence];
  return out;
}

/** Whether `f` constrains nothing (then it is any JSON value). */
export function isUnconstrained(f: FlatSchema): boolean {
  const lists = [
    f.anyOf,
    f.patterns,
    f.formats,
    f.multipleOf,
    f.extraGroups,
    f.excludedValues,
    f.notPatterns,
  ];
  const fields = [f.types, f.enumValues, f.minProperties, f.maxProperties, f.prefixItems, f.fractional];
  const more = [f.items, f.minItems, f.maxItems, f.uniqueItems, f.minLength, f.maxLength, f.lower, f.upper];
  return (
    lists.every((l) => l.length === 0) &&
    f.presence.length === 0 &&
    f.pending.size === 0 &&
    f.properties.size === 0 &&
    f.required.size === 0 &&
    [...fields, ...more].every((x) => x === undefined)
  );
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
  flat.sources.push({ schema, ptr });
  ctx.doc.checkKeywords(schema, ptr, flat.pending);
  readKeywords(ctx, flat, schema, ptr);
  const parts = readLogic(ctx, flat, schema, ptr);
  let result = flat as FlatSchema | false;
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
