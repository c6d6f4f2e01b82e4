/**
 * Wires the grammar engine (`src/grammar/`) into serving: a {@link ConstraintCompiler} for the
 * server (request → grammar → CompiledGrammar, cached by content) and the matcher factory the
 * engine uses to constrain each request's rows.
 */
import type { ConstraintMatcherFactory } from "../engine/constraint.js";
import type { CompiledGrammar } from "../grammar/compiled-grammar.js";
import {
  grammarForJsonObject,
  grammarFromChoices,
  grammarFromGbnf,
  grammarFromJsonSchema,
  grammarFromRegex,
} from "../grammar/front-ends.js";
import type { GrammarAst } from "../grammar/grammar-ast.js";
import { GrammarCompiler } from "../grammar/grammar-compiler.js";
import { GrammarMatcher } from "../grammar/grammar-matcher.js";
import { warmUpGrammarEngine } from "../grammar/warm-up.js";
import type { Tokenizer } from "../model/tokenizer.js";
import type { ConstraintCompiler, ConstraintSpec } from "./structured-output.js";

function astOf(spec: ConstraintSpec): GrammarAst {
  switch (spec.kind) {
    case "json_object":
      return grammarForJsonObject();
    case "json_schema":
      // Unenforceable keywords are refused (UnsupportedSchemaError → 400), never dropped.
      // Output writes declared properties in schema order: each at most once, required ones
      // surely (a model left to any order may repeat a key or never write a required one).
      return grammarFromJsonSchema(spec.schema, { strictProperties: spec.strict, propertyOrder: "schema" })
        .ast;
    case "regex":
      return grammarFromRegex(spec.pattern);
    case "choice":
      return grammarFromChoices(spec.choices);
    case "grammar":
      return grammarFromGbnf(spec.gbnf);
  }
}

/**
 * A compiler of request constraints for `tokenizer`'s vocabulary (one per served model);
 * `warmUp` runs the grammar engine's warm-up first (a few hundred ms at start, so the first
 * constrained requests are not slowed by the JIT).
 */
export function createConstraintCompiler(tokenizer: Tokenizer, { warmUp = false } = {}): ConstraintCompiler {
  const compiler = new GrammarCompiler(tokenizer.info);
  if (warmUp) warmUpGrammarEngine(compiler);
  return (spec) => ({ compiled: compiler.compile(astOf(spec)) });
}

/** The engine's matcher factory: one {@link GrammarMatcher} per constrained request. */
export const grammarMatcherFactory: ConstraintMatcherFactory = (constraint) =>
  new GrammarMatcher(constraint.compiled as CompiledGrammar);
