/**
 * Convenience for front-end tests: a GrammarAst lowered and cleaned into a byte CFG, with an
 * Earley recogniser to ask whether a text is a sentence or a viable prefix. Not a fast path:
 * serving uses GrammarCompiler.
 */

import type { ByteCfg } from "./byte-cfg.js";
import { earleyAccepts, earleyIsViablePrefix } from "./earley.js";
import type { GrammarAst } from "./grammar-ast.js";
import { lowerGrammar } from "./lower.js";
import { normalizeCfg } from "./normalize-cfg.js";

const encoder = new TextEncoder();

/** A grammar compiled for tests: its byte CFG and text-level recogniser checks. */
export interface TestGrammar {
  readonly cfg: ByteCfg;
  /** Whether `text` (UTF-8 encoded; or raw bytes) is a complete sentence. */
  accepts(text: string | Uint8Array): boolean;
  /** Whether `text` is a prefix of some sentence. */
  isViablePrefix(text: string | Uint8Array): boolean;
}

const toBytes = (text: string | Uint8Array) => (typeof text === "string" ? encoder.encode(text) : text);

/** Lowers and cleans `ast` (throws GrammarError like the real compiler does). */
export function compileForTest(ast: GrammarAst): TestGrammar {
  const cfg = normalizeCfg(lowerGrammar(ast));
  return {
    cfg,
    accepts: (text) => earleyAccepts(cfg, toBytes(text)),
    isViablePrefix: (text) => earleyIsViablePrefix(cfg, toBytes(text)),
  };
}

/** Whether `text` is a sentence of `ast` (compiles every call; cache `compileForTest` in loops). */
export function acceptsText(ast: GrammarAst, text: string | Uint8Array): boolean {
  return compileForTest(ast).accepts(text);
}
