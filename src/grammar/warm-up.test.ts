import { describe, expect, it } from "vitest";
import { tokenizerInfoFromVocab } from "../model/tokenizer-info.js";
import { vocabFromTokenizerJson } from "../model/vocab.js";
import { loadPackagedTokenizer } from "../model/vocab-sources.js";
import { grammarFromJsonSchema } from "./front-ends.js";
import { GrammarCompiler } from "./grammar-compiler.js";
import { WARM_UP, warmUpGrammarEngine } from "./warm-up.js";

describe("grammar engine warm-up", () => {
  it.each(["llama3", "llama2"] as const)(
    "walks every built-in instance to the end on %s, through a GLR grammar, and caches nothing",
    async (name) => {
      const pkg = await loadPackagedTokenizer(name);
      const info = tokenizerInfoFromVocab(vocabFromTokenizerJson(pkg.tokenizerJson, pkg.tokenizerConfig));
      const compiler = new GrammarCompiler(info);
      const report = warmUpGrammarEngine(compiler);
      expect(report.walks).toBe(2 * WARM_UP.length);
      expect(report.completed).toBe(report.walks);
      // Forks inside walks are among the paths it must take.
      expect(report.engines).toContain("glr");
      expect(report.engines).toContain("dpda");
      expect(compiler.numCached).toBe(0);
      // The same schemas compiled normally are cached as usual.
      compiler.compile(grammarFromJsonSchema(WARM_UP[0]?.schema, { whitespace: "flexible" }).ast);
      expect(compiler.numCached).toBe(1);
    },
    60_000,
  );
});
