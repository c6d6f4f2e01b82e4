/**
 * Reading one schema object's keywords into a {@link FlatSchema} (see json-schema-flat.ts):
 * assertions go straight into fields; applicators become conjunctions to merge (`allOf`, `$ref`,
 * `not` as its negation) or disjunctions (`anyOf`, `oneOf`, `if`/`then`/`else`, `dependencies`).
 */

import { GrammarError } from "../errors.js";
import { asSchema, childPointer, isObject, type SchemaObject } from "./json-schema-document.js";
import {
  type ExtraGroup,
  type FlatSchema,
  type FlattenContext,
  intersectValues,
  type Located,
  type Sub,
  tighterBound,
} from "./json-schema-flat.js";
import { FRACTIONAL, NOT_PATTERNS, NOT_VALUES, type NotPattern } from "./json-schema-internal.js";
import { isJsonType } from "./json-schema-keywords.js";
import { type NegateContext, negateSchema } from "./json-schema-negate.js";
import { patternRegExp, Undecidable } from "./json-schema-validate.js";

/** Most `oneOf` branches made exact by negating the others (each branch needs every negation). */
const MAX_EXACT_ONEOF = 8;
/** Largest negation (in top-level disjuncts) used to make `anyOf` branches disjoint. */
const MAX_NEGATION_SIZE = 8;

function num(x: unknown, keyword: string, ptr: string): number | undefined {
  if (x === undefined) return undefined;
  if (typeof x !== "number" || !Number.isFinite(x)) {
    throw new GrammarError(`JSON Schema at ${ptr || "/"}: ${keyword} must be a finite number`);
  }
  return x;
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

function readEnum(flat: FlatSchema, s: SchemaObject, ptr: string): void {
  if ("enum" in s) {
    if (!Array.isArray(s.enum)) throw new GrammarError(`JSON Schema at ${ptr || "/"}: enum must be an array`);
    flat.enumValues = s.enum;
  }
  if ("const" in s) flat.enumValues = intersectValues(flat.enumValues, [s.const]);
}

function readInternal(flat: FlatSchema, s: SchemaObject): void {
  const x = s as { readonly [NOT_VALUES]?: unknown[]; readonly [NOT_PATTERNS]?: NotPattern[] };
  if (x[NOT_VALUES]) flat.excludedValues.push(...x[NOT_VALUES]);
  if (x[NOT_PATTERNS]) flat.notPatterns.push(...x[NOT_PATTERNS]);
  if (s[FRACTIONAL] === true) flat.fractional = true;
}

function readPatternProperties(flat: FlatSchema, s: SchemaObject, ptr: string): (readonly [string, Sub])[] {
  if (!isObject(s.patternProperties)) return [];
  const out: (readonly [string, Sub])[] = [];
  for (const [p, v] of Object.entries(s.patternProperties)) {
    try {
      patternRegExp(p);
    } catch (e) {
      if (!(e instanceof Undecidable)) throw e;
      flat.pending.set("patternProperties", { ptr, detail: `pattern "${p}" is not a valid regex` });
      continue;
    }
    out.push([p, sub(v, childPointer(ptr, "patternProperties", p))]);
  }
  return out;
}

function readObjectKeywords(flat: FlatSchema, s: SchemaObject, ptr: string, strict: boolean): void {
  const patterns = readPatternProperties(flat, s, ptr);
  if (isObject(s.properties)) {
    for (const [name, v] of Object.entries(s.properties)) {
      // patternProperties apply to declared names too.
      const hits = patterns.filter(([p]) => patternRegExp(p).test(name)).flatMap(([, x]) => x);
      flat.properties.set(name, [...sub(v, childPointer(ptr, "properties", name)), ...hits]);
    }
  }
  if (Array.isArray(s.required)) for (const r of s.required) if (typeof r === "string") flat.required.add(r);
  let additional: Sub | undefined;
  if ("additionalProperties" in s)
    additional = sub(s.additionalProperties, childPointer(ptr, "additionalProperties"));
  else if (strict && "properties" in s) additional = sub(false, childPointer(ptr, "additionalProperties"));
  if (additional !== undefined || patterns.length > 0) {
    const group: ExtraGroup = additional === undefined ? { patterns } : { patterns, additional };
    flat.extraGroups.push(group);
  }
  flat.minProperties = num(s.minProperties, "minProperties", ptr);
  flat.maxProperties = num(s.maxProperties, "maxProperties", ptr);
}

function readArrayKeywords(flat: FlatSchema, s: SchemaObject, ptr: string): void {
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

function readScalarKeywords(flat: FlatSchema, s: SchemaObject, ptr: string): void {
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
    const value = num(s.exclusiveMinimum, "exclusiveMinimum", ptr) as number;
    flat.lower = tighterBound(flat.lower, { value, strict: true }, true);
  }
  if (typeof s.exclusiveMaximum === "number") {
    const value = num(s.exclusiveMaximum, "exclusiveMaximum", ptr) as number;
    flat.upper = tighterBound(flat.upper, { value, strict: true }, false);
  }
  if (s.multipleOf !== undefined) flat.multipleOf.push(num(s.multipleOf, "multipleOf", ptr) as number);
}

/** Reads every assertion keyword of `s` into `flat`. */
export function readKeywords(ctx: FlattenContext, flat: FlatSchema, s: SchemaObject, ptr: string): void {
  readTypes(flat, s.type, ptr);
  readEnum(flat, s, ptr);
  readInternal(flat, s);
  readObjectKeywords(flat, s, ptr, ctx.strictProperties);
  readArrayKeywords(flat, s, ptr);
  readScalarKeywords(flat, s, ptr);
}

function readBranches(list: unknown, keyword: string, ptr: string): Sub[] {
  if (!Array.isArray(list) || list.length === 0) {
    throw new GrammarError(`JSON Schema at ${ptr || "/"}: ${keyword} must be a non-empty array`);
  }
  return list.map((v, i) => sub(v, childPointer(ptr, keyword, i)));
}

function negateContext(ctx: FlattenContext): NegateContext {
  return {
    doc: ctx.doc,
    proveDisjoint: (branches, ptr) =>
      ctx.proveDisjoint(
        branches.map((schema) => [{ schema, ptr }]),
        ptr,
      ),
  };
}

function negated(ctx: FlattenContext, schema: unknown, ptr: string): Located | null {
  const n = negateSchema(negateContext(ctx), asSchema(schema, ptr), ptr);
  return n === null ? null : { schema: n, ptr };
}

/**
 * `oneOf`: as `anyOf` when the branches (each with the schema's other keywords) are provably
 * disjoint; else each branch conjoined with the negations of the branches it may overlap.
 */
function readOneOf(ctx: FlattenContext, flat: FlatSchema, s: SchemaObject, ptr: string): void {
  const branches = readBranches(s.oneOf, "oneOf", ptr);
  const { oneOf: _, ...siblings } = s;
  const context: Located = { schema: siblings, ptr };
  const inContext = branches.map((b) => [...b, context]);
  if (ctx.proveDisjoint(inContext, ptr)) {
    flat.anyOf.push(branches);
    return;
  }
  if (branches.length > MAX_EXACT_ONEOF) {
    flat.pending.set("oneOf", { ptr, detail: "branches not provably disjoint" });
    return;
  }
  const negs = new Map<number, Located | null>();
  const negation = (j: number) => {
    if (!negs.has(j)) negs.set(j, negated(ctx, branches[j]?.[0]?.schema, ptr));
    return negs.get(j) ?? null;
  };
  const out: Sub[] = [];
  for (let i = 0; i < branches.length; i++) {
    const conj: Located[] = [...(branches[i] as Sub)];
    for (let j = 0; j < branches.length; j++) {
      if (j === i || ctx.proveDisjoint([inContext[i] as Sub, inContext[j] as Sub], ptr)) continue;
      const n = negation(j);
      if (n === null) {
        flat.pending.set("oneOf", { ptr, detail: "branches not provably disjoint" });
        return;
      }
      conj.push(n);
    }
    out.push(conj);
  }
  flat.anyOf.push(out);
}

/**
 * `anyOf`: as is when the branches (with the schema's other keywords) are provably disjoint;
 * else, when every needed negation exists, as the same language with disjoint branches
 * (branch i without the earlier branches it may overlap). An overlap makes the grammar
 * ambiguous, which no LR(1) parser (so no Pre³ DPDA) accepts.
 */
function readAnyOf(ctx: FlattenContext, flat: FlatSchema, s: SchemaObject, ptr: string): void {
  const branches = readBranches(s.anyOf, "anyOf", ptr);
  if (branches.length === 1 || branches.length > MAX_EXACT_ONEOF) {
    flat.anyOf.push(branches);
    return;
  }
  const { anyOf: _, ...siblings } = s;
  const context: Located = { schema: siblings, ptr };
  const inContext = branches.map((b) => [...b, context]);
  const out: Sub[] = [];
  for (let i = 0; i < branches.length; i++) {
    const conj: Located[] = [...(branches[i] as Sub)];
    for (let j = 0; j < i; j++) {
      if (ctx.proveDisjoint([inContext[i] as Sub, inContext[j] as Sub], ptr)) continue;
      const n = negated(ctx, branches[j]?.[0]?.schema, ptr);
      if (n === null || negationSize(n.schema) > MAX_NEGATION_SIZE) {
        flat.anyOf.push(branches);
        return;
      }
      conj.push(n);
    }
    out.push(conj);
  }
  flat.anyOf.push(out);
}

/** Disjuncts at the top of a negation (a cheap size measure: each is a branch to expand). */
function negationSize(schema: unknown): number {
  if (!isObject(schema)) return 1;
  return Array.isArray(schema.anyOf) ? schema.anyOf.length : 1;
}

function readConditional(ctx: FlattenContext, flat: FlatSchema, s: SchemaObject, ptr: string): void {
  if (!("if" in s) || !("then" in s || "else" in s)) return;
  const ifPtr = childPointer(ptr, "if");
  const notIf = negated(ctx, s.if, ifPtr);
  if (notIf === null) {
    flat.pending.set("if", { ptr, detail: "the negation of if is not expressible" });
    return;
  }
  const then = "then" in s ? sub(s.then, childPointer(ptr, "then")) : [];
  const otherwise = "else" in s ? sub(s.else, childPointer(ptr, "else")) : [];
  flat.anyOf.push([
    [...sub(s.if, ifPtr), ...then],
    [notIf, ...otherwise],
  ]);
}

/** `dependencies` (both forms), `dependentRequired`, `dependentSchemas`: absent, or present with more. */
function readDependencies(flat: FlatSchema, s: SchemaObject, ptr: string): void {
  for (const keyword of ["dependencies", "dependentRequired", "dependentSchemas"]) {
    const deps = s[keyword];
    if (!isObject(deps)) continue;
    for (const [name, dep] of Object.entries(deps)) {
      const at = childPointer(ptr, keyword, name);
      if (dep === true || (Array.isArray(dep) && dep.length === 0)) continue;
      const absent: Located = { schema: { properties: { [name]: false } }, ptr: at };
      const present: Located[] = Array.isArray(dep)
        ? [{ schema: { required: [name, ...dep.filter((r) => typeof r === "string")] }, ptr: at }]
        : [{ schema: { required: [name] }, ptr: at }, ...sub(dep, at)];
      flat.anyOf.push([[absent], present]);
    }
  }
}

/** Reads the applicators of `s`; returns the subschemas to merge into `flat` (conjunction). */
export function readLogic(ctx: FlattenContext, flat: FlatSchema, s: SchemaObject, ptr: string): Located[] {
  if ("anyOf" in s) readAnyOf(ctx, flat, s, ptr);
  if ("oneOf" in s) readOneOf(ctx, flat, s, ptr);
  readConditional(ctx, flat, s, ptr);
  readDependencies(flat, s, ptr);
  const parts: Located[] = [];
  if ("$ref" in s) {
    const target = ctx.doc.resolve(s.$ref, ptr);
    parts.push({ schema: target.schema, ptr: target.pointer });
  }
  if ("allOf" in s) parts.push(...readBranches(s.allOf, "allOf", ptr).flat());
  if ("not" in s) {
    const notPtr = childPointer(ptr, "not");
    const n = negated(ctx, s.not, notPtr);
    if (n === null) flat.pending.set("not", { ptr: notPtr, detail: "negation not expressible" });
    else parts.push(n);
  }
  return parts;
}
