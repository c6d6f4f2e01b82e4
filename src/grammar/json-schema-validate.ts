/**
 * An exact JSON Schema validator for concrete values, used where the set of candidate instances
 * is finite (`enum` / `const`): any keyword it can decide on a value (`not`, `uniqueItems`,
 * `multipleOf`, `patternProperties`, `contains`, …) is then enforced exactly by keeping only the
 * values it accepts. A keyword it cannot decide throws {@link Undecidable}; the caller then falls
 * back to the grammar, which refuses that keyword by name.
 *
 * Semantics follow the compiler: `$ref` siblings are conjunctive (stricter than drafts 4-7, never
 * looser), known formats are asserted with the compiler's own patterns, unknown ones are not.
 */

import { isObject, type Schema, type SchemaDocument } from "./json-schema-document.js";
import { FORMAT_PATTERNS } from "./json-schema-formats.js";
import { FRACTIONAL, NOT_PATTERNS, NOT_VALUES, type NotPattern } from "./json-schema-internal.js";
import { canonicalJson, jsonTypeOf } from "./json-schema-keywords.js";
import { isMultipleOf } from "./json-schema-multiple.js";

/** A keyword the validator cannot decide (the caller falls back to the grammar). */
export class Undecidable extends Error {
  constructor(readonly keyword: string) {
    super(`cannot decide "${keyword}" on a value`);
  }
}

const MAX_DEPTH = 200;
const regexCache = new Map<string, RegExp>();

/** ECMAScript regex of a JSON Schema `pattern` (`u` flag when the pattern allows it). */
export function patternRegExp(source: string, whole = false): RegExp {
  const key = `${whole ? 1 : 0}${source}`;
  let re = regexCache.get(key);
  if (re === undefined) {
    const text = whole ? `^(?:${source})$` : source;
    try {
      re = new RegExp(text, "u");
    } catch {
      try {
        re = new RegExp(text);
      } catch {
        throw new Undecidable("pattern");
      }
    }
    regexCache.set(key, re);
  }
  return re;
}

/** Keywords (any draft) with validation effects this validator does not implement. */
const UNDECIDABLE = new Set([
  "unevaluatedProperties",
  "unevaluatedItems",
  "$dynamicRef",
  "$recursiveRef",
  "extends",
  "disallow",
  "divisibleBy",
]);

/** Validates values against schemas of one document. */
export class InstanceValidator {
  constructor(
    private readonly doc: SchemaDocument,
    /** OpenAI strict mode: `properties` without `additionalProperties` closes the object. */
    private readonly strictProperties = false,
  ) {}

  /**
   * The distinct values of `values` that every schema of `conj` accepts, or undefined when some
   * keyword is undecidable on some value.
   */
  validValues(
    values: readonly unknown[],
    conj: readonly { schema: Schema; ptr: string }[],
  ): unknown[] | undefined {
    const seen = new Set<string>();
    const out: unknown[] = [];
    try {
      for (const v of values) {
        const key = canonicalJson(v);
        if (seen.has(key)) continue;
        seen.add(key);
        if (conj.every((src) => this.validate(src.schema, v, src.ptr))) out.push(v);
      }
    } catch (e) {
      if (e instanceof Undecidable) return undefined;
      throw e;
    }
    return out;
  }

  /** Whether `value` is valid against `schema`; throws {@link Undecidable}. */
  validate(schema: Schema, value: unknown, ptr = "", depth = 0): boolean {
    if (schema === true) return true;
    if (schema === false) return false;
    if (depth > MAX_DEPTH) throw new Undecidable("$ref");
    const s = schema;
    for (const k of Object.keys(s)) if (UNDECIDABLE.has(k)) throw new Undecidable(k);
    // An embedded resource would change how the `$ref`s inside it resolve.
    for (const k of ["$id", "id"])
      if (s !== this.doc.root && typeof s[k] === "string" && !String(s[k]).startsWith("#"))
        throw new Undecidable("$id");
    const d = depth + 1;
    if ("$ref" in s) {
      const target = this.doc.resolve(s.$ref, ptr);
      if (!this.validate(target.schema, value, target.pointer, d)) return false;
    }
    return (
      this.internal(s, value) &&
      this.generic(s, value, ptr, d) &&
      this.applicators(s, value, ptr, d) &&
      this.byType(s, value, ptr, d)
    );
  }

  private internal(s: { readonly [k: string | symbol]: unknown }, value: unknown): boolean {
    const excluded = s[NOT_VALUES] as readonly unknown[] | undefined;
    if (excluded?.some((v) => canonicalJson(v) === canonicalJson(value))) return false;
    if (s[FRACTIONAL] === true && typeof value === "number" && Number.isInteger(value)) return false;
    const notPatterns = s[NOT_PATTERNS] as readonly NotPattern[] | undefined;
    if (typeof value === "string" && notPatterns)
      for (const p of notPatterns) if (patternRegExp(p.source, p.whole).test(value)) return false;
    return true;
  }

  private generic(s: { readonly [k: string]: unknown }, value: unknown, _ptr: string, _d: number): boolean {
    if ("type" in s) {
      const types = Array.isArray(s.type) ? s.type : [s.type];
      const t = jsonTypeOf(value);
      if (!types.some((x) => x === t || (x === "number" && t === "integer"))) return false;
    }
    const key = canonicalJson(value);
    if (Array.isArray(s.enum) && !s.enum.some((v) => canonicalJson(v) === key)) return false;
    if ("const" in s && canonicalJson(s.const) !== key) return false;
    return true;
  }

  private applicators(s: { readonly [k: string]: unknown }, value: unknown, ptr: string, d: number): boolean {
    const v = (x: unknown) => this.validate(x as Schema, value, ptr, d);
    if (Array.isArray(s.allOf) && !s.allOf.every(v)) return false;
    if (Array.isArray(s.anyOf) && !s.anyOf.some(v)) return false;
    if (Array.isArray(s.oneOf) && s.oneOf.filter(v).length !== 1) return false;
    if ("not" in s && v(s.not)) return false;
    if ("if" in s) {
      const branch = v(s.if) ? s.then : s.else;
      if (branch !== undefined && !v(branch)) return false;
    }
    return true;
  }

  private byType(s: { readonly [k: string]: unknown }, value: unknown, ptr: string, d: number): boolean {
    if (typeof value === "string") return this.string(s, value);
    if (typeof value === "number") return this.number(s, value);
    if (Array.isArray(value)) return this.array(s, value, ptr, d);
    if (isObject(value)) return this.object(s, value, ptr, d);
    return true;
  }

  private string(s: { readonly [k: string]: unknown }, value: string): boolean {
    const len = [...value].length;
    if (typeof s.minLength === "number" && len < s.minLength) return false;
    if (typeof s.maxLength === "number" && len > s.maxLength) return false;
    if (typeof s.pattern === "string" && !patternRegExp(s.pattern).test(value)) return false;
    if (typeof s.format === "string") {
      const source = FORMAT_PATTERNS[s.format];
      if (source !== undefined && !patternRegExp(source, true).test(value)) return false;
    }
    return true;
  }

  private number(s: { readonly [k: string]: unknown }, value: number): boolean {
    const num = (x: unknown) => (typeof x === "number" ? x : undefined);
    const min = num(s.minimum);
    const max = num(s.maximum);
    if (min !== undefined && (s.exclusiveMinimum === true ? value <= min : value < min)) return false;
    if (max !== undefined && (s.exclusiveMaximum === true ? value >= max : value > max)) return false;
    const xmin = num(s.exclusiveMinimum);
    const xmax = num(s.exclusiveMaximum);
    if (xmin !== undefined && value <= xmin) return false;
    if (xmax !== undefined && value >= xmax) return false;
    const m = num(s.multipleOf);
    if (m !== undefined && !isMultipleOf(value, m)) return false;
    return true;
  }

  private array(
    s: { readonly [k: string]: unknown },
    value: readonly unknown[],
    ptr: string,
    d: number,
  ): boolean {
    const v = (x: unknown, item: unknown) => this.validate(x as Schema, item, ptr, d);
    if (typeof s.minItems === "number" && value.length < s.minItems) return false;
    if (typeof s.maxItems === "number" && value.length > s.maxItems) return false;
    const prefix = Array.isArray(s.prefixItems) ? s.prefixItems : Array.isArray(s.items) ? s.items : [];
    const rest = Array.isArray(s.items) ? s.additionalItems : s.items;
    for (let i = 0; i < value.length; i++) {
      const sub = i < prefix.length ? prefix[i] : rest;
      if (sub !== undefined && !v(sub, value[i])) return false;
    }
    if (s.uniqueItems === true && new Set(value.map(canonicalJson)).size !== value.length) return false;
    if ("contains" in s) {
      const n = value.filter((item) => v(s.contains, item)).length;
      const minC = typeof s.minContains === "number" ? s.minContains : 1;
      if (n < minC) return false;
      if (typeof s.maxContains === "number" && n > s.maxContains) return false;
    }
    return true;
  }

  private object(
    s: { readonly [k: string]: unknown },
    value: { readonly [k: string]: unknown },
    ptr: string,
    d: number,
  ): boolean {
    const v = (x: unknown, item: unknown) => this.validate(x as Schema, item, ptr, d);
    const keys = Object.keys(value);
    if (typeof s.minProperties === "number" && keys.length < s.minProperties) return false;
    if (typeof s.maxProperties === "number" && keys.length > s.maxProperties) return false;
    if (
      Array.isArray(s.required) &&
      !s.required.every((r) => typeof r !== "string" || Object.hasOwn(value, r))
    )
      return false;
    const props = isObject(s.properties) ? s.properties : {};
    const patterns = isObject(s.patternProperties) ? Object.entries(s.patternProperties) : [];
    for (const k of keys) {
      let matched = false;
      if (Object.hasOwn(props, k)) {
        matched = true;
        if (!v(props[k], value[k])) return false;
      }
      for (const [p, sub] of patterns) {
        if (!patternRegExp(p).test(k)) continue;
        matched = true;
        if (!v(sub, value[k])) return false;
      }
      const closed = this.strictProperties && "properties" in s;
      const additional = "additionalProperties" in s ? s.additionalProperties : !closed;
      if (!matched && !v(additional, value[k])) return false;
      if ("propertyNames" in s && !v(s.propertyNames, k)) return false;
    }
    return this.dependencies(s, value, ptr, d);
  }

  private dependencies(
    s: { readonly [k: string]: unknown },
    value: { readonly [k: string]: unknown },
    ptr: string,
    d: number,
  ): boolean {
    const groups = [s.dependencies, s.dependentRequired, s.dependentSchemas].filter(isObject);
    for (const group of groups) {
      for (const [k, dep] of Object.entries(group)) {
        if (!Object.hasOwn(value, k)) continue;
        if (Array.isArray(dep)) {
          if (!dep.every((r) => typeof r !== "string" || Object.hasOwn(value, r))) return false;
        } else if (!this.validate(dep as Schema, value, ptr, d)) return false;
      }
    }
    return true;
  }
}
