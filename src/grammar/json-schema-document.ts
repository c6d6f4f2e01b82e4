/**
 * A JSON Schema document as the compiler sees it: local `$ref` resolution (JSON Pointers into the
 * same document) and the strict/lenient keyword policy (refuse by name, or record as ignored).
 */

import { GrammarError, UnsupportedSchemaError } from "../errors.js";
import { ANNOTATION_KEYWORDS, REFUSED_KEYWORDS, SUPPORTED_KEYWORDS } from "./json-schema-keywords.js";

/** A schema object (keywords by name; symbol keys: internal keywords, see json-schema-internal.ts). */
export type SchemaObject = { readonly [keyword: string]: unknown; readonly [internal: symbol]: unknown };

/** A JSON Schema: a boolean schema or an object. */
export type Schema = boolean | SchemaObject;

/** Whether `x` is a (non-array) object. */
export function isObject(x: unknown): x is SchemaObject {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/** `x` as a schema, or a {@link GrammarError} naming where the malformed schema is. */
export function asSchema(x: unknown, ptr: string): Schema {
  if (typeof x === "boolean" || isObject(x)) return x;
  throw new GrammarError(`JSON Schema at ${ptr || "/"} is not a schema (object or boolean)`);
}

/** Appends one escaped reference token to a JSON Pointer. */
export function childPointer(ptr: string, ...tokens: (string | number)[]): string {
  return tokens.reduce<string>((p, t) => `${p}/${String(t).replace(/~/g, "~0").replace(/\//g, "~1")}`, ptr);
}

function containsRef(x: unknown): boolean {
  if (Array.isArray(x)) return x.some(containsRef);
  if (!isObject(x)) return false;
  return Object.entries(x).some(([k, v]) => (k === "$ref" && typeof v === "string") || containsRef(v));
}

/** The document being compiled, its options, and what was ignored so far. */
export class SchemaDocument {
  /** Keywords ignored (lenient mode, or not JSON Schema keywords at all), in first-seen order. */
  readonly ignored = new Set<string>();
  private readonly hasRefs: boolean;

  constructor(
    readonly root: Schema,
    readonly lenient: boolean,
  ) {
    this.hasRefs = containsRef(root);
  }

  /**
   * Refuses `keyword` (strict mode: throws {@link UnsupportedSchemaError}) or records it as
   * ignored (lenient mode; the caller then goes on without enforcing it).
   */
  refuse(keyword: string, ptr: string, detail = ""): void {
    if (!this.lenient) throw new UnsupportedSchemaError(keyword, ptr, detail);
    this.ignored.add(keyword);
  }

  /**
   * Applies the keyword policy to one schema object. With `pending`, keywords the grammar never
   * enforces are recorded there (the caller refuses them unless it can decide them otherwise).
   */
  checkKeywords(
    schema: SchemaObject,
    ptr: string,
    pending?: Map<string, { readonly ptr: string; readonly detail: string }>,
  ): void {
    for (const key of Object.keys(schema)) {
      if (ANNOTATION_KEYWORDS.has(key)) {
        // An embedded resource changes the base URI of the $refs inside it: not supported.
        if (
          (key === "$id" || key === "id") &&
          ptr !== "" &&
          this.hasRefs &&
          typeof schema[key] === "string"
        ) {
          if (!String(schema[key]).startsWith("#"))
            this.refuse("$id", ptr, "embedded schema resources with $ref");
        }
      } else if (REFUSED_KEYWORDS.has(key)) {
        if (pending) pending.set(key, { ptr, detail: "" });
        else this.refuse(key, ptr);
      } else if (!SUPPORTED_KEYWORDS.has(key)) this.ignored.add(key);
    }
  }

  /** Resolves a local `$ref` (`#`, `#/json/pointer`); anything else is refused. */
  resolve(rawRef: unknown, ptr: string): { schema: Schema; pointer: string } {
    if (typeof rawRef !== "string")
      throw new GrammarError(`JSON Schema at ${ptr || "/"}: $ref must be a string`);
    // A reference through the root's own absolute $id is local.
    const rootId =
      isObject(this.root) && typeof this.root.$id === "string" ? this.root.$id.replace(/#$/, "") : null;
    const ref =
      rootId && (rawRef === rootId || rawRef.startsWith(`${rootId}#`))
        ? `#${rawRef.slice(rootId.length + 1)}`
        : rawRef;
    if (ref !== "#" && !ref.startsWith("#/")) {
      throw new UnsupportedSchemaError(
        "$ref",
        ptr,
        `only local references (#/...) are supported, got "${ref}"`,
      );
    }
    const tokens =
      ref === "#"
        ? []
        : ref
            .slice(2)
            .split("/")
            .map((t) => decodeURIComponent(t).replace(/~1/g, "/").replace(/~0/g, "~"));
    let node: unknown = this.root;
    for (const t of tokens) {
      if (Array.isArray(node) && /^(0|[1-9][0-9]*)$/.test(t)) node = node[Number(t)];
      else if (isObject(node) && Object.hasOwn(node, t)) node = node[t];
      else throw new GrammarError(`JSON Schema at ${ptr || "/"}: $ref "${ref}" does not resolve`);
    }
    return { schema: asSchema(node, ref.slice(1)), pointer: ref.slice(1) };
  }
}
