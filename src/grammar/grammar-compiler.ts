/**
 * GrammarCompiler (xgrammar-like): holds one vocabulary's byte trie and compiles GrammarAst
 * into CompiledGrammar, cached by content (same grammar and options → same object).
 */

import { createHash } from "node:crypto";
import type { TokenizerInfo } from "../model/tokenizer-info.js";
import { type CfgLimits, DEFAULT_CFG_LIMITS } from "./byte-cfg.js";
import { CompiledGrammar, type CompileOptions } from "./compiled-grammar.js";
import { prepareTrieWalks } from "./dpda-trie-walk.js";
import type { GrammarAst, GrammarExpr } from "./grammar-ast.js";
import { lowerGrammar } from "./lower.js";
import { normalizeCfg } from "./normalize-cfg.js";
import { buildVocabTrie, type VocabTrie } from "./vocab-trie.js";

/** Options of a compiler (apply to every grammar it compiles). */
export interface GrammarCompilerOptions extends CompileOptions {
  readonly limits?: CfgLimits;
  /** Most compiled grammars kept in the cache (least recently used dropped first; default 256). */
  readonly maxCachedGrammars?: number;
}

/** A stable content key of a grammar AST (rules in insertion order). */
export function grammarKey(ast: GrammarAst, extra = ""): string {
  const rules: [string, GrammarExpr][] = [...ast.rules];
  return createHash("sha256")
    .update(JSON.stringify([ast.start, rules, extra]))
    .digest("hex");
}

/** Compiles grammars against one vocabulary; thread-confined, cache keyed by content. */
export class GrammarCompiler {
  /** The vocabulary trie shared by every grammar compiled here. */
  readonly trie: VocabTrie;
  private readonly cache = new Map<string, CompiledGrammar>();

  constructor(
    readonly tokenizerInfo: TokenizerInfo,
    private readonly options: GrammarCompilerOptions = {},
  ) {
    this.trie = buildVocabTrie(tokenizerInfo);
    // The string-body slices and the walks' word lists are vocabulary data too: built once
    // here, not in a first mask.
    prepareTrieWalks(this.trie);
  }

  /** Number of grammars in the cache. */
  get numCached(): number {
    return this.cache.size;
  }

  /**
   * Compiles `ast` (or returns the cached result for the same content). Throws GrammarError for
   * an invalid or oversized grammar; a grammar that is not LR(1) compiles to GLR (or Earley).
   */
  compile(ast: GrammarAst): CompiledGrammar {
    const key = grammarKey(ast, JSON.stringify(this.options));
    const hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit;
    }
    const compiled = this.build(ast, key);
    this.cache.set(key, compiled);
    const max = this.options.maxCachedGrammars ?? 256;
    while (this.cache.size > max) this.cache.delete(this.cache.keys().next().value as string);
    return compiled;
  }

  /** Compiles `ast` without looking in or adding to the cache (the warm-up's grammars). */
  compileUncached(ast: GrammarAst): CompiledGrammar {
    return this.build(ast, grammarKey(ast, JSON.stringify(this.options)));
  }

  private build(ast: GrammarAst, key: string): CompiledGrammar {
    const t0 = performance.now();
    const cfg = normalizeCfg(lowerGrammar(ast, this.options.limits ?? DEFAULT_CFG_LIMITS));
    return new CompiledGrammar(key, cfg, this.tokenizerInfo, this.trie, this.options, t0);
  }

  /** Empties the cache. */
  clearCache(): void {
    this.cache.clear();
  }
}
