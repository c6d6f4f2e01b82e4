/**
 * Our grammar engine as a `grammar bench` engine: JSON Schema front end (flexible whitespace, so
 * compact and pretty-printed instances both belong to the language) → GrammarCompiler →
 * GrammarMatcher. Compile time covers the front end and the compiler (the vocabulary trie is
 * built once per vocabulary, like web-xgrammar's TokenizerInfo, and is not counted). The engine
 * is warmed up before the first schema, as a server is at start.
 */

import { ServingError, UnsupportedSchemaError } from "../errors.js";
import { grammarFromJsonSchema } from "../grammar/front-ends.js";
import { GrammarCompiler } from "../grammar/grammar-compiler.js";
import { GrammarMatcher } from "../grammar/grammar-matcher.js";
import { warmUpGrammarEngine } from "../grammar/warm-up.js";
import type { Tokenizer } from "../model/tokenizer.js";
import type { BenchCompileResult, BenchEngine, BenchWalker } from "./grammar-bench-types.js";

/** Short reason of a refusal: the keyword for unsupported schemas, else the error code. */
export function refusalReason(err: unknown): string {
  if (err instanceof UnsupportedSchemaError) return err.keyword;
  if (err instanceof ServingError) return err.code;
  // Anything else is a bug in the engine, counted apart from deliberate refusals.
  return `internal:${(err as Error)?.name ?? "error"}`;
}

function walker(matcher: GrammarMatcher, mask: Int32Array): BenchWalker {
  return {
    fillMask() {
      matcher.fillNextTokenMask(mask, 0);
      return undefined;
    },
    allows: (id) => (((mask[id >> 5] as number) >>> (id & 31)) & 1) === 1,
    accept: (id) => matcher.acceptToken(id),
    isCompleted: () => matcher.isCompleted(),
    dispose() {},
  };
}

/** Our engine over `tokenizer`'s vocabulary. */
export function oursBenchEngine(tokenizer: Tokenizer): BenchEngine {
  const compiler = new GrammarCompiler(tokenizer.info, { maxCachedGrammars: 4 });
  // As a server does at start (web-xgrammar's adapter warms up likewise).
  warmUpGrammarEngine(compiler);
  return {
    name: "tokenflow-pre3",
    async compile(schema: unknown): Promise<BenchCompileResult> {
      // Identical schemas would otherwise be cache hits and report no compile time.
      compiler.clearCache();
      const t0 = performance.now();
      try {
        const { ast } = grammarFromJsonSchema(schema, { whitespace: "flexible" });
        const compiled = compiler.compile(ast);
        const compileMs = performance.now() - t0;
        const mask = new Int32Array(compiled.wordsPerRow);
        return {
          ok: true,
          compileMs,
          grammar: {
            allowsPretty: true,
            newWalker: async () => walker(new GrammarMatcher(compiled), mask),
            dispose() {},
          },
        };
      } catch (err) {
        return { ok: false, reason: refusalReason(err) };
      }
    },
    dispose() {
      compiler.clearCache();
    },
  };
}
