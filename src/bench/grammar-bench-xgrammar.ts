/**
 * `@mlc-ai/web-xgrammar` (XGrammar compiled to WebAssembly) as a `grammar bench` peer, on the
 * same vocabulary: TokenizerInfo from the encoded vocabulary strings, `compileJSONSchema` with
 * any whitespace and non-strict mode (JSON Schema semantics: unlisted properties allowed), one
 * GrammarMatcher per instance. Its mask call is async and returns a fresh copy of the bitmask;
 * both are part of its public API, so both are timed.
 */

import { createRequire } from "node:module";
import { dirname } from "node:path";
import { pathToFileURL } from "node:url";
import { InvalidArgumentError } from "../errors.js";
import { WARM_UP } from "../grammar/warm-up.js";
import type { Tokenizer } from "../model/tokenizer.js";
import type { BenchCompileResult, BenchEngine, BenchWalker } from "./grammar-bench-types.js";

type XgModule = typeof import("@mlc-ai/web-xgrammar");
type XgCompiled = import("@mlc-ai/web-xgrammar").CompiledGrammar;

/**
 * Loads the package. Its build is a UMD bundle in a `"type": "module"` package: imported as ESM
 * it needs CommonJS globals (`require`, `__filename`) and publishes itself as
 * `globalThis.xgrammar` instead of exporting.
 */
async function loadXgrammar(): Promise<XgModule> {
  const g = globalThis as Record<string, unknown>;
  if (g.xgrammar) return g.xgrammar as XgModule;
  let path: string;
  try {
    path = createRequire(import.meta.url).resolve("@mlc-ai/web-xgrammar");
  } catch {
    throw new InvalidArgumentError(
      "--peer xgrammar needs the npm package @mlc-ai/web-xgrammar: run `npm install -D @mlc-ai/web-xgrammar`",
      "peer",
    );
  }
  g.require ??= createRequire(path);
  g.__filename ??= path;
  g.__dirname ??= dirname(path);
  // Its wasm runtime binds console.log at load for warnings; keep them off stdout (--json).
  const log = console.log;
  console.log = (...args: unknown[]) => console.error(...args);
  let mod: Partial<XgModule>;
  try {
    mod = (await import(pathToFileURL(path).href)) as Partial<XgModule>;
  } finally {
    console.log = log;
  }
  const xg = (mod.GrammarCompiler ? mod : g.xgrammar) as XgModule | undefined;
  if (!xg?.GrammarCompiler) throw new Error("@mlc-ai/web-xgrammar loaded without its exports");
  return xg;
}

/** A short refusal reason from an XGrammar error message (its first words, no quoted parts). */
function xgReason(err: unknown): string {
  const msg = String((err as Error)?.message ?? err);
  return (
    msg
      .replace(/"[^"]*"|'[^']*'|\d+/g, "")
      .split(/[:.\n]/)[0]
      ?.trim()
      .slice(0, 60) || "error"
  );
}

async function xgWalker(xg: XgModule, compiled: XgCompiled, eogIds: readonly number[]): Promise<BenchWalker> {
  const matcher = await xg.GrammarMatcher.createGrammarMatcher(compiled);
  let mask: Int32Array = new Int32Array(0);
  const bit = (id: number) => (((mask[id >> 5] ?? 0) >>> (id & 31)) & 1) === 1;
  return {
    async fillMask() {
      mask = await matcher.getNextTokenBitmask();
    },
    allows: bit,
    accept: (id) => matcher.acceptToken(id),
    isCompleted: () => eogIds.some(bit),
    dispose: () => matcher.dispose(),
  };
}

/**
 * Runs `fn` with console.log sent to stderr: the wasm runtime binds console.log for its warnings
 * when it starts and prints them while compiling, and stdout carries `--json`.
 */
async function logToStderr<T>(fn: () => Promise<T>): Promise<T> {
  const log = console.log;
  console.log = (...args: unknown[]) => console.error(...args);
  try {
    return await fn();
  } finally {
    console.log = log;
  }
}

/** web-xgrammar over `tokenizer`'s vocabulary. */
export async function xgrammarBenchEngine(tokenizer: Tokenizer): Promise<BenchEngine> {
  const xg = await loadXgrammar();
  const encoded = Array.from({ length: tokenizer.vocabSize }, (_, id) => tokenizer.tokenText(id));
  const spm = tokenizer.vocab.kind === "spm";
  const eogIds = tokenizer.eogIds;
  const info = await logToStderr(() =>
    xg.TokenizerInfo.createTokenizerInfo(
      encoded,
      spm ? "byte_fallback" : "byte_level",
      spm && tokenizer.vocab.addSpacePrefix,
      tokenizer.vocabSize,
      [...eogIds],
    ),
  );
  const compiler = await logToStderr(() => xg.GrammarCompiler.createGrammarCompiler(info, false));
  // Warmed up on the schemas ours is (its wasm tiers up too): each compiled and walked twice.
  for (const { schema, text } of WARM_UP) {
    const compiled = await logToStderr(() =>
      compiler.compileJSONSchema(JSON.stringify(schema), true, 2, undefined, false),
    );
    for (let pass = 0; pass < 2; pass++) {
      const w = await xgWalker(xg, compiled, eogIds);
      for (const id of tokenizer.encode(text)) {
        await w.fillMask();
        if (!w.accept(id)) break;
      }
      w.dispose();
    }
    compiled.dispose();
  }
  return {
    name: "web-xgrammar",
    async compile(schema: unknown): Promise<BenchCompileResult> {
      const text = JSON.stringify(schema);
      const t0 = performance.now();
      try {
        const compiled = await logToStderr(() => compiler.compileJSONSchema(text, true, 2, undefined, false));
        const compileMs = performance.now() - t0;
        return {
          ok: true,
          compileMs,
          grammar: {
            allowsPretty: true,
            newWalker: () => xgWalker(xg, compiled, eogIds),
            dispose: () => compiled.dispose(),
          },
        };
      } catch (err) {
        return { ok: false, reason: xgReason(err) };
      }
    },
    dispose() {
      compiler.dispose();
      info.dispose();
    },
  };
}
