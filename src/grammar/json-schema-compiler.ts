/**
 * JSON Schema → {@link GrammarAst}: the OpenAI `response_format` `json_schema` form (drafts 4 to
 * 2020-12, local `$ref`s, recursion as grammar rules). Every keyword is enforced exactly, refused
 * by name ({@link UnsupportedSchemaError}), or, only in lenient mode, ignored and reported.
 * The grammar may reject some valid spellings of a valid instance (property order other than the
 * schema's, non-canonical string escapes, exponents in bounded numbers); it never accepts an
 * instance the schema rejects.
 */

import { GrammarError, UnsupportedSchemaError } from "../errors.js";
import { productiveRules } from "./front-end-checks.js";
import { referenceAccepts } from "./front-end-reference-matcher.js";
import { type GrammarAst, type GrammarExpr, g } from "./grammar-ast.js";
import { arraySchemaExpr, type ContainerContext, objectSchemaExpr } from "./json-schema-containers.js";
import { makeDisjointnessProver } from "./json-schema-disjoint.js";
import { asSchema, isObject, type Schema, SchemaDocument } from "./json-schema-document.js";
import {
  type FlatSchema,
  type FlattenContext,
  flatten,
  flattenSub,
  mergeFlat,
  type Sub,
} from "./json-schema-flat.js";
import {
  altOf,
  type JsonGrammarContext,
  type JsonWhitespace,
  jsonIntegerRef,
  jsonNumberRef,
  jsonValueRef,
  literalValueExpr,
} from "./json-schema-json-text.js";
import { ANNOTATION_KEYWORDS, type JsonType } from "./json-schema-keywords.js";
import { MAX_BOUND_DIGITS, numberRangeExpr, toDecimal } from "./json-schema-numbers.js";
import { stringSchemaExpr } from "./json-schema-strings.js";

/** Options of {@link compileJsonSchema}. */
export interface JsonSchemaOptions {
  /** `compact` (default): no whitespace; `flexible`: bounded whitespace where JSON allows it. */
  readonly whitespace?: JsonWhitespace;
  /** Flexible mode: most spaces/tabs after one newline (default 20). */
  readonly maxIndent?: number;
  /** Ignore (and report) keywords we cannot enforce instead of refusing the schema. */
  readonly lenient?: boolean;
  /** OpenAI strict mode: a schema with `properties` and no `additionalProperties` is closed. */
  readonly strictProperties?: boolean;
}

/** A compiled schema: the grammar and the keywords that were not enforced. */
export interface JsonSchemaGrammar {
  readonly ast: GrammarAst;
  /** Keywords ignored: refused ones in lenient mode, and names that are not JSON Schema keywords. */
  readonly ignoredKeywords: string[];
}

const MAX_ANYOF_EXPANSION = 512;

/** Compiles one schema document; one instance per document. */
class JsonSchemaCompiler implements ContainerContext {
  readonly json: JsonGrammarContext;
  readonly doc: SchemaDocument;
  private readonly flat: FlattenContext;
  private readonly refRules = new Map<string, string>();
  private numNames = 0;
  private numExpansions = 0;

  constructor(root: Schema, options: JsonSchemaOptions) {
    this.json = {
      rules: new Map(),
      whitespace: options.whitespace ?? "compact",
      maxIndent: options.maxIndent ?? 20,
    };
    this.doc = new SchemaDocument(root, options.lenient ?? false);
    const flat: FlattenContext = {
      doc: this.doc,
      strictProperties: options.strictProperties ?? false,
      proveDisjoint: makeDisjointnessProver(() => flat),
    };
    this.flat = flat;
  }

  freshName(prefix: string): string {
    return `${prefix}-${++this.numNames}`;
  }

  /** A schema in place: a lone `$ref` becomes a rule reference (so recursion works). */
  compile(schema: Schema, ptr: string): GrammarExpr | null {
    if (
      isObject(schema) &&
      "$ref" in schema &&
      Object.keys(schema).every((k) => k === "$ref" || ANNOTATION_KEYWORDS.has(k))
    ) {
      this.doc.checkKeywords(schema, ptr);
      const target = this.doc.resolve(schema.$ref, ptr);
      return g.ref(this.refRule(target.schema, target.pointer));
    }
    const f = flatten(this.flat, schema, ptr);
    return f === false ? null : this.compileFlat(f);
  }

  compileSub(conj: Sub, ptr: string): GrammarExpr | null {
    if (conj.length === 1) {
      const only = conj[0] as { schema: Schema; ptr: string };
      return this.compile(only.schema, only.ptr);
    }
    const f = flattenSub(this.flat, conj, ptr);
    return f === false ? null : this.compileFlat(f);
  }

  private refRule(schema: Schema, pointer: string): string {
    const known = this.refRules.get(pointer);
    if (known !== undefined) return known;
    const name = this.freshName(`def${pointer.replace(/[^A-Za-z0-9_-]+/g, "-")}`.replace(/-+$/, ""));
    this.refRules.set(pointer, name);
    this.json.rules.set(name, g.alt()); // placeholder while the body compiles
    this.json.rules.set(name, this.compile(schema, pointer) ?? g.alt());
    return name;
  }

  compileFlat(f: FlatSchema): GrammarExpr | null {
    const [first, ...others] = f.anyOf;
    if (first !== undefined) return this.expandAnyOf(f, first, others);
    if (isUnconstrained(f)) return jsonValueRef(this.json);
    if (f.enumValues !== undefined) return this.enumExpr(f);
    const types = this.branchTypes(f);
    const alts = types.map((t) => this.typeExpr(f, t)).filter((e): e is GrammarExpr => e !== null);
    return alts.length === 0 ? null : altOf(alts);
  }

  private expandAnyOf(f: FlatSchema, first: Sub[], others: Sub[][]): GrammarExpr | null {
    const rest: FlatSchema = { ...f, anyOf: others };
    const alts: GrammarExpr[] = [];
    for (const branch of first) {
      if (++this.numExpansions > MAX_ANYOF_EXPANSION) {
        throw new GrammarError(`JSON Schema at ${f.ptr || "/"}: anyOf/oneOf combinations expand too much`);
      }
      const merged = flattenSub(this.flat, [...branch], f.ptr);
      if (merged === false) continue;
      const e = this.compileFlat(mergeFlat(rest, merged));
      if (e !== null) alts.push(e);
    }
    return alts.length === 0 ? null : altOf(alts);
  }

  private branchTypes(f: FlatSchema): JsonType[] {
    const all: JsonType[] = ["object", "array", "string", "number", "integer", "boolean", "null"];
    const types = all.filter((t) => f.types === undefined || f.types.has(t));
    return types.includes("number") ? types.filter((t) => t !== "integer") : types;
  }

  private typeExpr(f: FlatSchema, t: JsonType): GrammarExpr | null {
    switch (t) {
      case "null":
        return g.lit("null");
      case "boolean":
        return g.alt(g.lit("true"), g.lit("false"));
      case "string":
        return this.stringExpr(f);
      case "number":
      case "integer":
        return this.numberExpr(f, t === "integer");
      case "object":
        return objectSchemaExpr(this, f);
      case "array":
        return arraySchemaExpr(this, f);
    }
  }

  private stringExpr(f: FlatSchema): GrammarExpr | null {
    if (f.patterns.length > 1) this.doc.refuse("pattern", f.ptr, "several patterns");
    if (f.formats.length > 1) this.doc.refuse("format", f.ptr, "several formats");
    const kw = {
      minLength: f.minLength,
      maxLength: f.maxLength,
      pattern: f.patterns[0],
      format: f.formats[0],
    };
    try {
      return stringSchemaExpr(this.json, kw, f.ptr);
    } catch (e) {
      if (!this.doc.lenient || !(e instanceof UnsupportedSchemaError)) throw e;
      this.doc.ignored.add(e.keyword);
      return stringSchemaExpr(this.json, { minLength: f.minLength, maxLength: f.maxLength }, f.ptr);
    }
  }

  private numberExpr(f: FlatSchema, integerOnly: boolean): GrammarExpr | null {
    let intOnly = integerOnly;
    for (const m of f.multipleOf) {
      if (m === 1 || (intOnly && Number.isInteger(1 / m))) intOnly = true;
      else this.doc.refuse("multipleOf", f.ptr, `multipleOf ${m}`);
    }
    if (f.lower === undefined && f.upper === undefined)
      return intOnly ? jsonIntegerRef(this.json) : jsonNumberRef(this.json);
    for (const [bound, keyword] of [
      [f.lower, "minimum"],
      [f.upper, "maximum"],
    ] as const) {
      if (bound !== undefined && toDecimal(bound.value).int.toString().length > MAX_BOUND_DIGITS) {
        this.doc.refuse(keyword, f.ptr, "bound too large");
        return intOnly ? jsonIntegerRef(this.json) : jsonNumberRef(this.json);
      }
    }
    return numberRangeExpr(f.lower ?? null, f.upper ?? null, intOnly);
  }

  /** enum/const: the values that also satisfy the other keywords, checked with their grammar. */
  private enumExpr(f: FlatSchema): GrammarExpr | null {
    const rest: FlatSchema = { ...f, enumValues: undefined };
    const values = isUnconstrained(rest)
      ? (f.enumValues ?? [])
      : this.sandboxed(() => {
          const check = this.compileFlat(rest);
          if (check === null) return [];
          const rules = new Map(this.json.rules);
          rules.set("enum-check", check);
          return (f.enumValues ?? []).filter((v) => {
            try {
              return referenceAccepts({ rules, start: "enum-check" }, JSON.stringify(v));
            } catch {
              return false; // e.g. a rule still being built: leave the value out (never unsound)
            }
          });
        });
    const alts = values.map((v) => literalValueExpr(this.json, v));
    return alts.length === 0 ? null : altOf(alts);
  }

  /** Runs `build` and then forgets the rules it created. */
  private sandboxed<T>(build: () => T): T {
    const rulesBefore = new Set(this.json.rules.keys());
    const refsBefore = new Set(this.refRules.keys());
    try {
      return build();
    } finally {
      for (const k of [...this.json.rules.keys()]) if (!rulesBefore.has(k)) this.json.rules.delete(k);
      for (const k of [...this.refRules.keys()]) if (!refsBefore.has(k)) this.refRules.delete(k);
    }
  }

  /** The whole grammar: start rule `root`. */
  build(root: Schema): JsonSchemaGrammar {
    const expr = this.compile(root, "");
    if (expr === null) throw new GrammarError("JSON Schema accepts no JSON value");
    const rules = new Map<string, GrammarExpr>([["root", expr], ...this.json.rules]);
    if (!productiveRules({ rules, start: "root" }).has("root")) {
      throw new GrammarError("JSON Schema accepts no finite JSON value");
    }
    return { ast: { rules, start: "root" }, ignoredKeywords: [...this.doc.ignored] };
  }
}

/** Whether `f` constrains nothing (then it is any JSON value). */
function isUnconstrained(f: FlatSchema): boolean {
  const lists = [f.anyOf, f.patterns, f.formats, f.multipleOf];
  const fields = [
    f.types,
    f.enumValues,
    f.additionalProperties,
    f.minProperties,
    f.maxProperties,
    f.prefixItems,
  ];
  const more = [f.items, f.minItems, f.maxItems, f.uniqueItems, f.minLength, f.maxLength, f.lower, f.upper];
  return (
    lists.every((l) => l.length === 0) &&
    f.properties.size === 0 &&
    f.required.size === 0 &&
    [...fields, ...more].every((x) => x === undefined)
  );
}

/**
 * Compiles a JSON Schema (object or boolean) to a grammar whose start rule `root` derives exactly
 * the JSON texts (under the whitespace policy) of instances the schema accepts. Throws
 * {@link UnsupportedSchemaError} for keywords it cannot enforce (unless `lenient`) and
 * {@link GrammarError} for malformed schemas or schemas that accept nothing.
 */
export function compileJsonSchema(schema: unknown, options: JsonSchemaOptions = {}): JsonSchemaGrammar {
  const root = asSchema(schema, "");
  return new JsonSchemaCompiler(root, options).build(root);
}
