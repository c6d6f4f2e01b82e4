/**
 * JSON Schema → {@link GrammarAst}: the OpenAI `response_format` `json_schema` form (drafts 4 to
 * 2020-12, local `$ref`s, recursion as grammar rules). Every keyword is enforced exactly, refused
 * by name ({@link UnsupportedSchemaError}), or, only in lenient mode, ignored and reported.
 * Object members may come in any order (see json-schema-any-order.ts). The grammar may reject
 * some valid spellings of a valid instance (non-canonical string escapes, exponents in bounded
 * numbers, and member orders other than the schema's with `propertyOrder: "schema"` or where
 * any-order tracking would need too many states); it never accepts an instance the schema rejects.
 */

import { GrammarError } from "../errors.js";
import type { CharDfa } from "./char-dfa.js";
import { productiveRules } from "./front-end-checks.js";
import { referenceAccepts } from "./front-end-reference-matcher.js";
import { type GrammarAst, type GrammarExpr, g } from "./grammar-ast.js";
import { ANY_ORDER_BUDGET } from "./json-schema-any-order.js";
import { arraySchemaExpr, type ContainerContext, type PropertyOrder } from "./json-schema-containers.js";
import { ContentIds } from "./json-schema-content-ids.js";
import { makeDisjointnessProver } from "./json-schema-disjoint.js";
import { asSchema, isObject, type Schema, SchemaDocument } from "./json-schema-document.js";
import {
  acceptsNothing,
  checkObjectAlternatives,
  ExpansionBudget,
  NeedsSchemaOrder,
} from "./json-schema-expansion.js";
import {
  type FlatSchema,
  type FlattenContext,
  flatten,
  flattenSub,
  isUnconstrained,
  mergeFlat,
  type Sub,
} from "./json-schema-flat.js";
import {
  altOf,
  type JsonGrammarContext,
  type JsonWhitespace,
  jsonValueRef,
  literalValueExpr,
  seqOf,
} from "./json-schema-json-text.js";
import { ANNOTATION_KEYWORDS, canonicalJson, type JsonType, jsonTypeOf } from "./json-schema-keywords.js";
import type { ObjectShape } from "./json-schema-object-shapes.js";
import { objectSchemaExpr } from "./json-schema-objects.js";
import { extractPresence } from "./json-schema-presence.js";
import { numberExpr, type ScalarContext, stringExpr } from "./json-schema-scalars.js";
import { emitBodyRules } from "./json-schema-string-dfa.js";
import { StringLanguages } from "./json-schema-string-union.js";
import { InstanceValidator } from "./json-schema-validate.js";

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
  /**
   * Member orders objects accept: `any` every order (default), `schema` declared properties in
   * schema order only (default with `strictProperties`, as OpenAI strict mode writes them).
   * Objects whose any-order tracking would need too many states, and schemas whose any-order
   * object alternatives would not be LR(1), use schema order.
   */
  readonly propertyOrder?: PropertyOrder;
}

/** A compiled schema: the grammar and the keywords that were not enforced. */
export interface JsonSchemaGrammar {
  readonly ast: GrammarAst;
  /** Keywords ignored: refused ones in lenient mode, and names that are not JSON Schema keywords. */
  readonly ignoredKeywords: string[];
}

/** Compiles one schema document; one instance per document. */
class JsonSchemaCompiler implements ContainerContext, ScalarContext {
  readonly json: JsonGrammarContext;
  readonly doc: SchemaDocument;
  readonly propertyOrder: PropertyOrder;
  readonly objectShapes = new Map<GrammarExpr, ObjectShape>();
  readonly anyOrderBudget = { left: ANY_ORDER_BUDGET };
  readonly stringRules = new Map<string, GrammarExpr>();
  readonly strings = new StringLanguages();
  /** The compiled body of each `$ref` rule (to see string languages through references). */
  private readonly refBodies = new Map<string, GrammarExpr>();
  private readonly flat: FlattenContext;
  private readonly validator: InstanceValidator;
  private readonly refRules = new Map<string, string>();
  private numNames = 0;
  private readonly conjRules = new Map<string, GrammarExpr | null>();
  private readonly contentIds = new ContentIds();
  /** In-place compilations by content id (see compile). */
  private readonly inPlace = new Map<string, GrammarExpr | null>();
  private readonly expansions = new ExpansionBudget();

  constructor(root: Schema, options: JsonSchemaOptions) {
    this.json = {
      rules: new Map(),
      whitespace: options.whitespace ?? "compact",
      maxIndent: options.maxIndent ?? 20,
    };
    this.doc = new SchemaDocument(root, options.lenient ?? false);
    // OpenAI strict mode writes properties in schema order: strict schemas keep it by default.
    this.propertyOrder = options.propertyOrder ?? (options.strictProperties ? "schema" : "any");
    this.validator = new InstanceValidator(this.doc, options.strictProperties ?? false);
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
    if (isLoneRef(schema)) {
      this.doc.checkKeywords(schema, ptr);
      const target = this.doc.resolve(schema.$ref, ptr);
      const name = this.refRule(target.schema, target.pointer);
      return this.strings.alias(this.refBodies.get(name) ?? null, g.ref(name));
    }
    // Equal schemas compile once: their grammars (and so their member rules) are the same.
    const key = this.idOf(schema);
    if (this.inPlace.has(key)) return this.inPlace.get(key) ?? null;
    const f = flatten(this.flat, schema, ptr);
    const expr = f === false ? null : this.compileFlat(f);
    this.inPlace.set(key, expr);
    return expr;
  }

  compileSub(parts: Sub, ptr: string): GrammarExpr | null {
    // A conjunction is idempotent: a schema met twice (merges repeat them) counts once, so the
    // same conjunction keeps one key however often merging duplicated its parts.
    const ids = parts.map((l) => this.idOf(l.schema));
    const conj = parts.filter((_, i) => ids.indexOf(ids[i] as string) === i);
    const only = conj.length === 1 ? (conj[0] as { schema: Schema; ptr: string }) : null;
    // One schema compiles in place, unless it merges others into itself (where recursion hides:
    // `allOf`, `$ref` with siblings, `anyOf`/`oneOf` whose branches take the siblings).
    if (only && !(isObject(only.schema) && MERGING_KEYWORDS.some((k) => k in (only.schema as object))))
      return this.compile(only.schema, only.ptr);
    if (only && isLoneRef(only.schema)) return this.compile(only.schema, only.ptr);
    // A conjunction becomes a named rule, memoised by the identity of its parts: recursion
    // through allOf/anyOf merges (a schema that conjoins itself) then closes as a grammar cycle.
    const key = conj.map((l) => this.idOf(l.schema)).join("&");
    if (this.conjRules.has(key)) return this.conjRules.get(key) ?? null;
    const name = this.freshName("all");
    this.conjRules.set(key, g.ref(name));
    this.json.rules.set(name, g.alt());
    const f = flattenSub(this.flat, conj, ptr);
    const body = f === false ? null : this.compileFlat(f);
    const ref = body === null ? null : this.strings.alias(body, g.ref(name));
    this.conjRules.set(key, ref);
    if (body !== null) this.json.rules.set(name, body);
    return ref;
  }

  private idOf(s: Schema): string {
    return String(this.contentIds.schemaId(s, ANNOTATION_KEYWORDS));
  }

  private refRule(schema: Schema, pointer: string): string {
    // Keyed by content: equal definitions at different pointers share one rule.
    const key = this.idOf(schema);
    const known = this.refRules.get(key);
    if (known !== undefined) return known;
    const name = this.freshName(`def${pointer.replace(/[^A-Za-z0-9_-]+/g, "-")}`.replace(/-+$/, ""));
    this.refRules.set(key, name);
    this.json.rules.set(name, g.alt()); // placeholder while the body compiles
    const body = this.compile(schema, pointer);
    if (body !== null) this.refBodies.set(name, body);
    this.json.rules.set(name, body ?? g.alt());
    return name;
  }

  compileFlat(f: FlatSchema): GrammarExpr | null {
    if (f.enumValues !== undefined) {
      const byValue = this.enumByValidator(f);
      if (byValue !== undefined) return byValue;
    }
    for (const [keyword, at] of f.pending) this.doc.refuse(keyword, at.ptr, at.detail);
    const g0 = extractPresence(this.flat, f);
    const [first, ...others] = g0.anyOf;
    if (first !== undefined) return this.expandAnyOf(g0, first, others);
    if (isUnconstrained(g0)) return jsonValueRef(this.json);
    if (g0.enumValues !== undefined) return this.enumExpr(g0);
    const types = this.branchTypes(g0);
    const alts = types.map((t) => this.typeExpr(g0, t)).filter((e): e is GrammarExpr => e !== null);
    return alts.length === 0 ? null : altOf(alts);
  }

  private expandAnyOf(f: FlatSchema, first: Sub[], others: Sub[][]): GrammarExpr | null {
    const rest: FlatSchema = { ...f, anyOf: others };
    // Nothing to distribute: each branch compiles on its own (a lone `$ref` stays a rule, so
    // recursion through anyOf is a grammar cycle, not an endless expansion).
    const alone = isUnconstrained(rest);
    const alts = this.expansions.nested(f, () =>
      first.map((branch) => this.expandBranch(rest, branch, alone)).filter((e) => e !== null),
    );
    if (alts.length === 0) return null;
    if (this.propertyOrder === "any")
      checkObjectAlternatives(alts, this.json.rules, this.objectShapes, (x, y) =>
        this.flat.proveDisjoint([x, y], f.ptr),
      );
    // String branches side by side would share prefixes: one automaton for their union.
    const emit = (dfa: CharDfa) =>
      seqOf(
        g.lit('"'),
        emitBodyRules(dfa, this.freshName("strings"), this.json.rules, () => g.lit('"')),
      );
    return altOf(this.strings.merge(alts, emit));
  }

  /** One branch with the other keywords (`rest`), or null when it accepts nothing. */
  private expandBranch(rest: FlatSchema, branch: Sub, alone: boolean): GrammarExpr | null {
    if (alone) {
      this.expansions.count(rest);
      return this.compileSub(branch, rest.ptr);
    }
    const merged = flattenSub(this.flat, [...branch], rest.ptr);
    const both = merged === false ? null : mergeFlat(rest, merged);
    // A contradictory combination is dropped before it expands the groups after it.
    if (both === null || acceptsNothing(both)) return null;
    this.expansions.count(rest);
    return this.compileFlat(both);
  }

  /** The literal of an enum/const value (strings are recorded for unions). */
  private literal(v: unknown): GrammarExpr {
    return this.strings.registerValue(literalValueExpr(this.json, v), v);
  }

  private branchTypes(f: FlatSchema): JsonType[] {
    const all: JsonType[] = ["object", "array", "string", "number", "integer", "boolean", "null"];
    const types = all.filter((t) => f.types === undefined || f.types.has(t));
    return types.includes("number") ? types.filter((t) => t !== "integer") : types;
  }

  private typeExpr(f: FlatSchema, t: JsonType): GrammarExpr | null {
    const excluded = new Set(f.excludedValues.map(canonicalJson));
    const literals = (values: unknown[]) => {
      const kept = values.filter((v) => !excluded.has(canonicalJson(v)));
      return kept.length === 0 ? null : altOf(kept.map((v) => g.lit(JSON.stringify(v))));
    };
    switch (t) {
      case "null":
        return literals([null]);
      case "boolean":
        return literals([true, false]);
      case "string":
        return stringExpr(this, f);
      case "number":
      case "integer":
        return numberExpr(this, f, t === "integer");
      case "object":
      case "array":
        if (f.excludedValues.some((v) => jsonTypeOf(v) === t))
          this.doc.refuse("not", f.ptr, `excluding ${t} values`);
        return t === "object" ? objectSchemaExpr(this, f) : arraySchemaExpr(this, f);
    }
  }

  /**
   * enum/const decided value by value: the values every source schema accepts (any keyword the
   * validator knows is exact here, `not` and `uniqueItems` included); undefined when some keyword
   * is undecidable (then the grammar path below refuses it by name).
   */
  private enumByValidator(f: FlatSchema): GrammarExpr | null | undefined {
    const values = this.validator.validValues(f.enumValues ?? [], f.sources);
    if (values === undefined) return undefined;
    return values.length === 0 ? null : altOf(values.map((v) => this.literal(v)));
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
    const alts = values.map((v) => this.literal(v));
    return alts.length === 0 ? null : altOf(alts);
  }

  /** Runs `build` and then forgets the rules it created. */
  private sandboxed<T>(build: () => T): T {
    const rulesBefore = new Set(this.json.rules.keys());
    const refsBefore = new Set(this.refRules.keys());
    const conjBefore = new Set(this.conjRules.keys());
    const inPlaceBefore = new Set(this.inPlace.keys());
    try {
      return build();
    } finally {
      for (const k of [...this.json.rules.keys()]) if (!rulesBefore.has(k)) this.json.rules.delete(k);
      for (const k of [...this.refRules.keys()]) if (!refsBefore.has(k)) this.refRules.delete(k);
      for (const k of [...this.conjRules.keys()]) if (!conjBefore.has(k)) this.conjRules.delete(k);
      for (const k of [...this.inPlace.keys()]) if (!inPlaceBefore.has(k)) this.inPlace.delete(k);
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

/** Keywords whose subschemas are merged with their schema's other keywords when compiled. */
const MERGING_KEYWORDS = ["allOf", "$ref", "anyOf", "oneOf"];

/** Whether `schema` is a `$ref` with nothing but annotations beside it. */
function isLoneRef(schema: Schema): schema is { readonly $ref: unknown } {
  return (
    isObject(schema) &&
    "$ref" in schema &&
    Object.keys(schema).every((k) => k === "$ref" || ANNOTATION_KEYWORDS.has(k))
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
  try {
    return new JsonSchemaCompiler(root, options).build(root);
  } catch (e) {
    if (!(e instanceof NeedsSchemaOrder)) throw e;
    return new JsonSchemaCompiler(root, { ...options, propertyOrder: "schema" }).build(root);
  }
}
