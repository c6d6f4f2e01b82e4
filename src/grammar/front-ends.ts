/**
 * The grammar front ends: every way a user can ask for constrained output becomes a
 * {@link GrammarAst} (start rule `root` unless the GBNF names another), for the compiler.
 */

import { grammarFromChoices } from "./choice-grammar.js";
import { parseGbnf } from "./gbnf-parser.js";
import type { GrammarAst, GrammarExpr } from "./grammar-ast.js";
import { compileJsonSchema, type JsonSchemaGrammar, type JsonSchemaOptions } from "./json-schema-compiler.js";
import { type JsonGrammarContext, jsonObjectRef } from "./json-schema-json-text.js";
import { determinizedRef } from "./regex-dfa.js";
import { parseRegex } from "./regex-parser.js";

export type { JsonSchemaGrammar, JsonSchemaOptions };
export { grammarFromChoices };

/** A GBNF grammar (llama.cpp dialect); throws `GrammarError` with line:column on bad input. */
export function grammarFromGbnf(text: string, startRule = "root"): GrammarAst {
  return parseGbnf(text, startRule);
}

/**
 * A regular expression matched against the whole output, as right-linear rules of its DFA (LR(1)
 * by construction); throws `GrammarError` on unsupported syntax.
 */
export function grammarFromRegex(pattern: string): GrammarAst {
  const dfaRules = new Map<string, GrammarExpr>();
  const root = determinizedRef(parseRegex(pattern), pattern, "regex-", dfaRules);
  return { rules: new Map([["root", root], ...dfaRules]), start: "root" };
}

/**
 * A JSON Schema (OpenAI `response_format: json_schema`); throws `UnsupportedSchemaError` naming a
 * keyword it cannot enforce (unless `lenient`), `GrammarError` for a malformed schema.
 */
export function grammarFromJsonSchema(schema: unknown, options: JsonSchemaOptions = {}): JsonSchemaGrammar {
  return compileJsonSchema(schema, options);
}

/** Any JSON object (OpenAI `response_format: json_object`). */
export function grammarForJsonObject(
  options: Pick<JsonSchemaOptions, "whitespace" | "maxIndent"> = {},
): GrammarAst {
  const ctx: JsonGrammarContext = {
    rules: new Map(),
    whitespace: options.whitespace ?? "compact",
    maxIndent: options.maxIndent ?? 20,
  };
  const root = jsonObjectRef(ctx);
  return { rules: new Map([["root", root], ...ctx.rules]), start: "root" };
}
