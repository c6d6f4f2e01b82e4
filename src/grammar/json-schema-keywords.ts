/**
 * Which JSON Schema keywords the front end enforces, which it ignores as annotations, and which
 * it refuses (drafts 4 to 2020-12). Anything not listed is not a JSON Schema keyword: by the
 * specification it has no effect, and the compiler reports it in `ignoredKeywords`.
 */

/** Keywords with no effect on validation. */
export const ANNOTATION_KEYWORDS: ReadonlySet<string> = new Set([
  "$schema",
  "$id",
  "id",
  "$comment",
  "$defs",
  "definitions",
  "title",
  "description",
  "default",
  "examples",
  "deprecated",
  "readOnly",
  "writeOnly",
  // Annotations only since 2019-09 (content vocabulary).
  "contentMediaType",
  "contentEncoding",
  "contentSchema",
]);

/** Keywords the compiler enforces (some only in provable cases; it refuses the rest). */
export const SUPPORTED_KEYWORDS: ReadonlySet<string> = new Set([
  "type",
  "enum",
  "const",
  "anyOf",
  "oneOf",
  "allOf",
  "$ref",
  "properties",
  "required",
  "additionalProperties",
  "minProperties",
  "maxProperties",
  "items",
  "prefixItems",
  "additionalItems",
  "minItems",
  "maxItems",
  "uniqueItems",
  "minLength",
  "maxLength",
  "pattern",
  "format",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "multipleOf",
  "if",
  "then",
  "else",
  "not",
  "patternProperties",
  "dependencies",
  "dependentRequired",
  "dependentSchemas",
]);

/**
 * JSON Schema keywords (any draft) the grammar never enforces: refused by name, unless the
 * instance is one of finitely many `enum` / `const` values (each is then checked directly).
 */
export const REFUSED_KEYWORDS: ReadonlySet<string> = new Set([
  "propertyNames",
  "contains",
  "minContains",
  "maxContains",
  "unevaluatedProperties",
  "unevaluatedItems",
  "$anchor",
  "$dynamicRef",
  "$dynamicAnchor",
  "$recursiveRef",
  "$recursiveAnchor",
  "$vocabulary",
  "extends",
  "disallow",
  "divisibleBy",
]);

/** The JSON types of the data model (`integer` is a subset of `number`). */
export const JSON_TYPES = ["null", "boolean", "object", "array", "string", "number", "integer"] as const;

/** One JSON type name. */
export type JsonType = (typeof JSON_TYPES)[number];

/** Whether `name` is a JSON type name. */
export function isJsonType(name: unknown): name is JsonType {
  return typeof name === "string" && (JSON_TYPES as readonly string[]).includes(name);
}

/** The JSON type of a parsed JSON value (`integer` for integral numbers). */
export function jsonTypeOf(value: unknown): JsonType {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value as JsonType;
}

/** Canonical JSON text of a value with object keys sorted: equal texts = equal JSON values. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}
