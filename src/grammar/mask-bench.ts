/**
 * Benchmark (prints numbers, asserts nothing): compile time and per-step mask latency of the JSON
 * grammar and of schema-shaped grammars on a real vocabulary, walking tokenized documents token
 * by token with a fresh matcher per document (the compiled grammar, and so its caches, shared).
 *
 *   npx vite-node src/grammar/mask-bench.ts [llama3|qwen3|llama2] [numDocs]
 */

import { tokenizerFromTokenizerJson } from "../model/tokenizer.js";
import { tokenizerInfoFromVocab } from "../model/tokenizer-info.js";
import { vocabFromTokenizerJson } from "../model/vocab.js";
import { loadPackagedTokenizer } from "../model/vocab-sources.js";
import { type GrammarAst, type GrammarExpr, g } from "./grammar-ast.js";
import { GrammarCompiler } from "./grammar-compiler.js";
import { GrammarMatcher } from "./grammar-matcher.js";
import { jsonGrammar, randomJsonText, rng } from "./test-grammars.js";

const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? 0;

/** A schema-shaped grammar: an object with fixed keys whose values are strings, ints or arrays. */
function schemaGrammar(seed: number): { ast: GrammarAst; sample: (r: () => number) => string } {
  const r = rng(seed);
  const keys = Array.from({ length: 3 + Math.floor(r() * 6) }, (_, i) => `field_${seed}_${i}`);
  const kinds = keys.map(() => Math.floor(r() * 3));
  const ws = g.rep(g.lit(" "), 0, 1);
  const str = g.seq(g.lit('"'), g.rep(g.ref("char"), 0, null), g.lit('"'));
  const int = g.seq(
    g.rep(g.lit("-"), 0, 1),
    g.alt(g.lit("0"), g.seq(g.cls([[0x31, 0x39]]), g.rep(g.cls([[0x30, 0x39]]), 0, 15))),
  );
  const arr = g.seq(
    g.lit("["),
    g.rep(g.seq(str, g.rep(g.seq(g.lit(","), ws, str), 0, null)), 0, 1),
    g.lit("]"),
  );
  const value = (k: number): GrammarExpr => (k === 0 ? str : k === 1 ? int : arr);
  const members = keys.flatMap((key, i) => [
    ...(i > 0 ? [g.lit(","), ws] : []),
    g.lit(`"${key}":`),
    ws,
    value(kinds[i] as number),
  ]);
  const rules = new Map<string, GrammarExpr>([
    ["root", g.seq(g.lit("{"), ...members, g.lit("}"))],
    [
      "char",
      g.alt(
        g.cls(
          [
            [0x22, 0x22],
            [0x5c, 0x5c],
            [0, 0x1f],
          ],
          true,
        ),
        g.seq(
          g.lit("\\"),
          g.cls([
            [0x22, 0x22],
            [0x5c, 0x5c],
            [0x6e, 0x6e],
          ]),
        ),
      ),
    ],
  ]);
  const words = ["alpha", "beta gamma", "日本語", "x", "", 'a \\"quoted\\" word'];
  const sample = (rr: () => number) => {
    const parts = keys.map((key, i) => {
      const k = kinds[i] as number;
      const s = () => `"${words[Math.floor(rr() * words.length)]}"`;
      const v =
        k === 0
          ? s()
          : k === 1
            ? String(Math.floor(rr() * 20000) - 10000)
            : `[${Array.from({ length: Math.floor(rr() * 4) }, s).join(", ")}]`;
      return `"${key}": ${v}`;
    });
    return `{${parts.join(", ")}}`;
  };
  return { ast: { start: "root", rules }, sample };
}

async function main(): Promise<void> {
  const vocabName = (process.argv[2] ?? "llama3") as "llama3";
  const numDocs = Number(process.argv[3] ?? 200);
  const pkg = await loadPackagedTokenizer(vocabName);
  const info = tokenizerInfoFromVocab(vocabFromTokenizerJson(pkg.tokenizerJson, pkg.tokenizerConfig));
  const tok = tokenizerFromTokenizerJson(pkg.tokenizerJson, pkg.tokenizerConfig);
  let t = performance.now();
  const compiler = new GrammarCompiler(info);
  console.log(
    `vocab ${vocabName}: ${info.vocabSize} tokens, trie ${compiler.trie.numNodes} nodes, built in ${(performance.now() - t).toFixed(0)} ms`,
  );
  const compileMs: number[] = [];
  const cases: { name: string; ast: GrammarAst; sample: (r: () => number) => string }[] = [
    { name: "json", ast: jsonGrammar(), sample: randomJsonText },
  ];
  for (let s = 1; s <= 20; s++) cases.push({ name: `schema${s}`, ...schemaGrammar(s) });
  const maskUs: number[] = [];
  const coldUs: number[] = [];
  const mask = new Int32Array(((info.vocabSize + 31) >> 5) * 8);
  const r = rng(1);
  for (const c of cases) {
    t = performance.now();
    const compiled = compiler.compile(c.ast);
    compileMs.push(performance.now() - t);
    const docs = c.name === "json" ? numDocs : Math.ceil(numDocs / 10);
    for (let d = 0; d < docs; d++) {
      const ids = tok.encode(c.sample(r), { addSpecial: false } as never);
      const m = new GrammarMatcher(compiled);
      for (const id of [...ids, -1]) {
        const t0 = performance.now();
        m.fillNextTokenMask(mask, d & 7);
        const us = (performance.now() - t0) * 1000;
        (d === 0 ? coldUs : maskUs).push(us);
        if (id >= 0 && !m.acceptToken(id)) throw new Error(`${c.name}: token ${id} rejected`);
      }
    }
    if (c.name === "json" || c.name === "schema1")
      console.log(
        `${c.name}: engine ${compiled.engine}, ${compiled.stats.numLrStates} LR states (${compiled.stats.lrKind}), ${compiled.dpda?.numEdges} edges built`,
      );
  }
  const all = [...coldUs, ...maskUs].sort((a, b) => a - b);
  maskUs.sort((a, b) => a - b);
  compileMs.sort((a, b) => a - b);
  const fmt = (xs: number[]) =>
    `p50 ${pct(xs, 50).toFixed(1)} p90 ${pct(xs, 90).toFixed(1)} p99 ${pct(xs, 99).toFixed(1)} p99.9 ${pct(xs, 99.9).toFixed(0)} max ${(xs[xs.length - 1] ?? 0).toFixed(0)}`;
  console.log(`mask µs, warm (after each grammar's first document), n=${maskUs.length}: ${fmt(maskUs)}`);
  console.log(`mask µs, all steps incl. first documents, n=${all.length}: ${fmt(all)}`);
  console.log(
    `compile ms (${compileMs.length} grammars): p50 ${pct(compileMs, 50).toFixed(2)} p90 ${pct(compileMs, 90).toFixed(2)} max ${(compileMs[compileMs.length - 1] ?? 0).toFixed(2)}`,
  );
}

await main();
