/**
 * Reads `response_format` and `structured_outputs` into a {@link ConstraintSpec} and hands it to
 * the grammar compiler the server was given. Without a compiler, any constraint is refused with a
 * 400: a constraint is never silently ignored.
 */
import type { OutputConstraint } from "../engine/engine-types.js";
import { InvalidArgumentError, ServingError, UnsupportedError } from "../errors.js";
import { nestedFields, type RequestFields, show, typeError } from "./request-fields.js";

/** One output constraint, as requested by a client. */
export type ConstraintSpec =
  | { readonly kind: "json_object" }
  | { readonly kind: "json_schema"; readonly schema: unknown; readonly strict: boolean }
  | { readonly kind: "regex"; readonly pattern: string }
  | { readonly kind: "choice"; readonly choices: readonly string[] }
  | { readonly kind: "grammar"; readonly gbnf: string };

/**
 * Compiles a constraint for the served model's vocabulary (may cache). Throws `GrammarError` /
 * `UnsupportedSchemaError` for a bad or unsupported grammar; those become 400s naming it.
 */
export type ConstraintCompiler = (spec: ConstraintSpec) => OutputConstraint | Promise<OutputConstraint>;

function readResponseFormat(fields: RequestFields): ConstraintSpec | null {
  const rf = fields.optObject("response_format");
  if (rf === undefined) return null;
  const f = nestedFields("response_format", rf);
  const type = f.optString("response_format.type");
  if (type === "text") {
    f.rejectUnknown();
    return null;
  }
  if (type === "json_object") {
    f.rejectUnknown();
    return { kind: "json_object" };
  }
  if (type !== "json_schema") {
    throw new InvalidArgumentError(
      `invalid value for 'response_format.type': ${show(type)} (must be "text", "json_object" or "json_schema")`,
      "response_format.type",
    );
  }
  const js = f.optObject("response_format.json_schema");
  f.rejectUnknown();
  if (js === undefined) typeError("response_format.json_schema", "an object", undefined);
  const g = nestedFields("response_format.json_schema", js);
  g.optString("response_format.json_schema.name");
  g.optString("response_format.json_schema.description");
  const strict = g.bool("response_format.json_schema.strict", false);
  const schema = g.optObject("response_format.json_schema.schema") ?? {};
  g.rejectUnknown();
  return { kind: "json_schema", schema, strict };
}

function readStructuredOutputs(fields: RequestFields): ConstraintSpec | null {
  const so = fields.optObject("structured_outputs");
  if (so === undefined) return null;
  const f = nestedFields("structured_outputs", so);
  const specs: ConstraintSpec[] = [];
  const json = f.raw("structured_outputs.json");
  if (json !== undefined) {
    const schema = typeof json === "string" ? parseSchemaString(json) : json;
    if (typeof schema !== "object" || Array.isArray(schema))
      typeError("structured_outputs.json", "an object", json);
    specs.push({ kind: "json_schema", schema, strict: false });
  }
  const regex = f.optString("structured_outputs.regex");
  if (regex !== undefined) specs.push({ kind: "regex", pattern: regex });
  const choice = f.raw("structured_outputs.choice");
  if (choice !== undefined) {
    if (!Array.isArray(choice) || choice.length === 0 || !choice.every((c) => typeof c === "string")) {
      typeError("structured_outputs.choice", "a non-empty array of strings", choice);
    }
    specs.push({ kind: "choice", choices: choice as string[] });
  }
  const grammar = f.optString("structured_outputs.grammar");
  if (grammar !== undefined) specs.push({ kind: "grammar", gbnf: grammar });
  f.rejectUnknown();
  if (specs.length !== 1) {
    throw new InvalidArgumentError(
      "'structured_outputs' must set exactly one of json, regex, choice, grammar",
      "structured_outputs",
    );
  }
  return specs[0] ?? null;
}

function parseSchemaString(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    throw new InvalidArgumentError(
      "'structured_outputs.json' is a string but not valid JSON",
      "structured_outputs.json",
    );
  }
}

/**
 * Reads the request's output constraint, if any, and compiles it.
 * @returns `null` when the request has no constraint.
 * @throws InvalidArgumentError for malformed parameters; UnsupportedError when no compiler is
 *   available; whatever the compiler throws for a bad grammar.
 */
export async function readConstraint(
  fields: RequestFields,
  compiler: ConstraintCompiler | null,
): Promise<OutputConstraint | null> {
  const fromFormat = readResponseFormat(fields);
  const fromStructured = readStructuredOutputs(fields);
  if (fromFormat && fromStructured) {
    throw new InvalidArgumentError(
      "give at most one of 'response_format' (json) and 'structured_outputs'",
      "structured_outputs",
    );
  }
  const spec = fromFormat ?? fromStructured;
  if (spec === null) return null;
  const param = fromFormat ? "response_format" : "structured_outputs";
  if (compiler === null) {
    throw Object.assign(new UnsupportedError(`structured outputs are not available yet ('${param}')`), {
      param,
    });
  }
  try {
    return await compiler(spec);
  } catch (err) {
    // Grammar errors carry no parameter name; say which parameter held the grammar.
    if (err instanceof ServingError && !("param" in err)) Object.assign(err, { param });
    throw err;
  }
}
