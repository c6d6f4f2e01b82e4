/**
 * GLR over the Pre³ DPDA (grammars that are not LR(1)): masks against an Earley brute force on
 * random grammars, JSON Schema `anyOf` ambiguities on the Llama-3 vocabulary against stepping
 * every token, and the move to Earley when branches do not merge.
 */

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { tokenizerFromTokenizerJson } from "../model/tokenizer.js";
import type { TokenizerInfo } from "../model/tokenizer-info.js";
import { loadPackagedTokenizer } from "../model/vocab-sources.js";
import { sharedPath } from "../test-support/shared-data.js";
import { tokenizerInfoFromByteStrings } from "./byte-tokenizer-info.js";
import type { CompiledGrammar } from "./compiled-grammar.js";
import { EarleyRecognizer } from "./earley.js";
import { grammarFromGbnf, grammarFromJsonSchema } from "./front-ends.js";
import { type GlrCore, MAX_STACKS } from "./glr-core.js";
import { type GrammarAst, g } from "./grammar-ast.js";
import { GrammarCompiler } from "./grammar-compiler.js";
import { GrammarMatcher } from "./grammar-matcher.js";
import { bruteForceMask, randomGrammar, rng } from "./test-grammars.js";

const bit = (mask: Int32Array, id: number) => ((mask[id >> 5] as number) >>> (id & 31)) & 1;

/** Tokens: every string over {a, b, c} of 1 to 3 bytes, then EOS. */
const small = (() => {
  const strings: string[] = [];
  for (const n of [1, 2, 3])
    for (let k = 0; k < 3 ** n; k++)
      strings.push(Array.from({ length: n }, (_, i) => "abc"[Math.floor(k / 3 ** i) % 3]).join(""));
  return tokenizerInfoFromByteStrings([...strings, null], [strings.length]);
})();

/**
 * Brute force: each token stepped through a copy of the matcher (no trie walk, no cache; for an
 * Earley matcher, no DPDA either).
 */
function stepMask(info: TokenizerInfo, compiled: CompiledGrammar, m: GrammarMatcher): Int32Array {
  const probe = GrammarMatcher.deserialize(compiled, m.serialize());
  return bruteForceMask(info, m.isCompleted(), (id) => {
    const ok = probe.acceptToken(id);
    if (ok) probe.rollback(1);
    return ok;
  });
}

describe("GLR: random grammars that are not LR(1)", () => {
  it("masks equal an Earley brute force along random token walks; rollback and round trips agree", () => {
    const r = rng(21);
    const glrCompiler = new GrammarCompiler(small);
    const earleyCompiler = new GrammarCompiler(small, { engine: "earley" });
    let grammars = 0;
    let masks = 0;
    for (let k = 0; k < 400 && grammars < 40; k++) {
      let ast: GrammarAst;
      let compiled: CompiledGrammar;
      try {
        ast = randomGrammar(r);
        compiled = glrCompiler.compile(ast);
      } catch {
        continue;
      }
      if (compiled.engine !== "glr") continue;
      grammars++;
      const oracleCompiled = earleyCompiler.compile(ast);
      const m = new GrammarMatcher(compiled);
      const o = new GrammarMatcher(oracleCompiled);
      const seen: Int32Array[] = [];
      for (let step = 0; step < 12; step++) {
        const mask = m.newMask();
        m.fillNextTokenMask(mask);
        expect(mask, `grammar ${k}, step ${step}`).toEqual(stepMask(small, oracleCompiled, o));
        expect(m.isCompleted()).toBe(o.isCompleted());
        masks++;
        seen.push(mask);
        const allowed = [...Array(small.vocabSize).keys()].filter((id) => bit(mask, id) === 1);
        if (allowed.length === 0) break;
        const id = allowed[Math.floor(r() * allowed.length)] as number;
        expect(m.acceptToken(id)).toBe(true);
        expect(o.acceptToken(id)).toBe(true);
        if (m.isTerminated()) break;
        const copy = GrammarMatcher.deserialize(compiled, m.serialize());
        expect(copy.isCompleted()).toBe(m.isCompleted());
      }
      // Back to every earlier point: the same masks.
      for (let back = m.numAccepted; back > 0; back--) {
        m.rollback(1);
        const mask = m.newMask();
        m.fillNextTokenMask(mask);
        expect(mask).toEqual(seen[m.numAccepted]);
      }
    }
    expect(grammars).toBe(40);
    expect(masks).toBeGreaterThan(120);
  });

  it("branches that never merge move the request to Earley, with the same answers", () => {
    // S → S S | a: every split of a run of a's is a parse, and GLR keeps a stack per open split.
    const ast: GrammarAst = {
      start: "S",
      rules: new Map([["S", g.alt(g.seq(g.ref("S"), g.ref("S")), g.lit("a"))]]),
    };
    const compiled = new GrammarCompiler(small).compile(ast);
    expect(compiled.engine).toBe("glr");
    const oracle = new GrammarCompiler(small, { engine: "earley" }).compile(ast);
    const core = compiled.newCore(10_000) as GlrCore;
    const a = Uint8Array.of(0x61);
    let stacks = 0;
    let n = 0;
    while (!core.onEarley && n < 200) {
      expect(core.acceptBytes(a)).toBe(true);
      stacks = Math.max(stacks, core.numStacks);
      n++;
    }
    expect(core.onEarley, "the stack count grows past the limit").toBe(true);
    expect(stacks).toBeLessThanOrEqual(MAX_STACKS);
    expect(stacks).toBeGreaterThan(1);
    const o = new GrammarMatcher(oracle);
    expect(o.acceptString("a".repeat(n))).toBe(true);
    const mask = new Int32Array((small.vocabSize + 31) >> 5);
    core.fillMask(mask, 0);
    expect(mask).toEqual(stepMask(small, oracle, o));
    expect(core.acceptBytes(Uint8Array.of(0x62))).toBe(false);
    core.rollback(n - 1);
    expect(core.numEntries).toBe(1);
    expect(core.isCompleted()).toBe(true);
  });

  it("a grammar with hidden left recursion uses Earley and says why", () => {
    // S → B S c | d, B → ε | b: reducing B → ε before S can repeat without end.
    const ast: GrammarAst = {
      start: "S",
      rules: new Map([
        ["S", g.alt(g.seq(g.ref("B"), g.ref("S"), g.lit("c")), g.lit("d"))],
        ["B", g.alt(g.lit(""), g.lit("b"))],
      ]),
    };
    const compiled = new GrammarCompiler(small).compile(ast);
    expect(compiled.engine).toBe("earley");
    expect(compiled.fallbackReason).toMatch(
      /not LR\(1\).*GLR cannot run it \(hidden left recursion through S\)/,
    );
    const m = new GrammarMatcher(compiled);
    expect(m.acceptString("bbdcc")).toBe(true);
  });
});

describe("GLR: JSON Schema anyOf ambiguities, Llama-3 vocabulary", () => {
  let compiler: GrammarCompiler;
  let info: TokenizerInfo;
  let encode: (s: string) => number[];
  beforeAll(async () => {
    const pkg = await loadPackagedTokenizer("llama3");
    const tok = tokenizerFromTokenizerJson(pkg.tokenizerJson, pkg.tokenizerConfig);
    info = tok.info;
    encode = (s) => tok.encode(s);
    compiler = new GrammarCompiler(info);
  });

  const cases: [string, unknown, unknown[]][] = [
    [
      "objects that both accept the same members",
      {
        type: "object",
        properties: {
          item: {
            anyOf: [
              { type: "object", properties: { id: { type: "integer" }, name: { type: "string" } } },
              {
                type: "object",
                properties: { id: { type: "integer" }, tags: { type: "array", items: { type: "string" } } },
              },
            ],
          },
        },
        required: ["item"],
      },
      [{ item: { id: 7, name: "bolt" } }, { item: { id: 7 } }, { item: { id: 1, tags: ["x", "y"] } }],
    ],
    [
      "an enum next to a free string, and an integer next to a number",
      {
        type: "array",
        items: {
          anyOf: [
            { enum: ["section", "story"] },
            { type: "string" },
            { type: "integer" },
            { type: "number" },
          ],
        },
      },
      [["section", "sect", "sections", 12, 1.5, "story"]],
    ],
  ];

  for (const [name, schema, docs] of cases)
    it(`${name}: GLR masks equal stepping every token, along valid documents`, () => {
      const compiled = compiler.compile(grammarFromJsonSchema(schema, { whitespace: "compact" }).ast);
      expect(compiled.engine).toBe("glr");
      let checked = 0;
      for (const doc of docs) {
        const m = new GrammarMatcher(compiled);
        const ids = encode(JSON.stringify(doc));
        // Every other position of the first document, every third of the others (brute force is slow).
        for (let k = 0; k <= ids.length; k++) {
          if (k % (doc === docs[0] ? 2 : 3) === 0 || k === ids.length) {
            const mask = m.newMask();
            m.fillNextTokenMask(mask);
            expect(mask, `${JSON.stringify(doc)} at token ${k}`).toEqual(stepMask(info, compiled, m));
            checked++;
          }
          if (k < ids.length) expect(m.acceptToken(ids[k] as number)).toBe(true);
        }
        expect(m.isCompleted()).toBe(true);
      }
      expect(checked).toBeGreaterThanOrEqual(8);
    });
});

const grammarsDir = sharedPath("data/grammars");

describe.skipIf(grammarsDir === null)("GLR: llama.cpp's example grammars, Llama-3 vocabulary", () => {
  it("grammars with LR conflicts run as GLR; masks equal stepping every token along random walks", async () => {
    const pkg = await loadPackagedTokenizer("llama3");
    const info = tokenizerFromTokenizerJson(pkg.tokenizerJson, pkg.tokenizerConfig).info;
    const compiler = new GrammarCompiler(info);
    const r = rng(3);
    const glr: string[] = [];
    for (const file of readdirSync(grammarsDir as string).filter((f) => f.endsWith(".gbnf"))) {
      const compiled = compiler.compile(
        grammarFromGbnf(readFileSync(join(grammarsDir as string, file), "utf8")),
      );
      if (compiled.engine !== "glr") continue;
      glr.push(file);
      const m = new GrammarMatcher(compiled);
      const e = new EarleyRecognizer(compiled.cfg);
      for (let step = 0; step < 4; step++) {
        const mask = m.newMask();
        m.fillNextTokenMask(mask);
        expect(mask, `${file}, step ${step}`).toEqual(stepMask(info, compiled, m));
        const allowed = [...Array(info.vocabSize).keys()].filter(
          (id) => bit(mask, id) === 1 && !info.eogIds.includes(id),
        );
        if (allowed.length === 0) break;
        const id = allowed[Math.floor(r() * allowed.length)] as number;
        expect(m.acceptToken(id)).toBe(true);
        // The independent recogniser agrees that the bytes so far are a viable prefix.
        for (const b of info.bytes.subarray(info.offsets[id], info.offsets[id + 1]))
          expect(e.pushByte(b)).toBe(true);
        expect(m.isCompleted()).toBe(e.isAccepting());
      }
    }
    expect(glr.length, glr.join(", ")).toBeGreaterThanOrEqual(3);
  });
});
