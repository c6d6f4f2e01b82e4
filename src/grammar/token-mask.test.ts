import { beforeAll, describe, expect, it } from "vitest";
import { TokenFlag, type TokenizerInfo, tokenizerInfoFromVocab } from "../model/tokenizer-info.js";
import { vocabFromTokenizerJson } from "../model/vocab.js";
import { loadPackagedTokenizer } from "../model/vocab-sources.js";
import { tokenizerInfoFromByteStrings } from "./byte-tokenizer-info.js";
import type { CompiledGrammar } from "./compiled-grammar.js";
import type { Dpda } from "./dpda.js";
import { DpdaMaskWalker } from "./dpda-mask.js";
import type { DpdaStack } from "./dpda-stack.js";
import { g } from "./grammar-ast.js";
import { GrammarCompiler } from "./grammar-compiler.js";
import { GrammarMatcher } from "./grammar-matcher.js";
import { bruteForceMask, jsonGrammar, mutate, randomJsonText, rng } from "./test-grammars.js";

const enc = new TextEncoder();

/** Brute force: step every token's bytes from the matcher's DPDA configuration (no trie, no cache). */
function oracleMask(info: TokenizerInfo, m: GrammarMatcher, st: DpdaStack): Int32Array {
  const marksSp = new Int32Array(1024);
  const marksUndo = new Int32Array(1024);
  // Which first bytes can be stepped at all (a token whose first byte fails is rejected).
  const firstOk = new Uint8Array(256);
  for (let b = 0; b < 256; b++) {
    const sp = st.sp;
    const u = st.undoLog.length;
    if (st.step(b)) {
      firstOk[b] = 1;
      st.undoStep(sp, u);
    }
  }
  return bruteForceMask(info, m.isCompleted(), (_, bytes) => {
    let n = 0;
    let ok = bytes.length > 0 && firstOk[bytes[0] as number] === 1;
    if (ok)
      for (const b of bytes) {
        marksSp[n] = st.sp;
        marksUndo[n] = st.undoLog.length;
        if (!st.step(b)) {
          ok = false;
          break;
        }
        n++;
      }
    while (n > 0) {
      n--;
      st.undoStep(marksSp[n] as number, marksUndo[n] as number);
    }
    return ok;
  });
}

const stackOf = (m: GrammarMatcher) => (m as unknown as { core: { st: DpdaStack } }).core.st;

function firstDifference(a: Int32Array, b: Int32Array): number {
  for (let w = 0; w < a.length; w++)
    if (a[w] !== b[w]) return w * 32 + (31 - Math.clz32((a[w] as number) ^ (b[w] as number)));
  return -1;
}

describe("token masks, Llama-3 vocabulary", () => {
  let info: TokenizerInfo;
  let compiler: GrammarCompiler;
  let json: CompiledGrammar;

  beforeAll(async () => {
    const pkg = await loadPackagedTokenizer("llama3");
    info = tokenizerInfoFromVocab(vocabFromTokenizerJson(pkg.tokenizerJson, pkg.tokenizerConfig));
    compiler = new GrammarCompiler(info);
    json = compiler.compile(jsonGrammar());
  }, 60_000);

  it("agree 100% with a brute-force oracle on thousands of sampled states", () => {
    expect(json.engine).toBe("dpda");
    const r = rng(3);
    const mask = new Int32Array(json.wordsPerRow * 4);
    let states = 0;
    let allowedTotal = 0;
    let tMask = 0;
    // The oracle is memoised by the whole configuration (the full stack), which determines the mask.
    const oracleMemo = new Map<string, Int32Array>();
    let tOracle = 0;
    const alphabet = Array.from('{}[],:" 0123456789.eE-tfnul\\', (c) => c.charCodeAt(0));
    for (let doc = 0; states < 2000; doc++) {
      let bytes: Uint8Array = enc.encode(randomJsonText(r));
      if (doc % 3 === 2) bytes = mutate(r, bytes, alphabet);
      const m = new GrammarMatcher(json);
      for (let at = 0; at <= bytes.length; ) {
        if (r() < 0.35) {
          const row = Math.floor(r() * 4);
          const t0 = performance.now();
          m.fillNextTokenMask(mask, row);
          const t1 = performance.now();
          const key = `${m.isCompleted()}:${stackOf(m).snapshot().join(",")}`;
          const want = oracleMemo.get(key) ?? oracleMask(info, m, stackOf(m));
          oracleMemo.set(key, want);
          tMask += t1 - t0;
          tOracle += performance.now() - t1;
          const got = mask.subarray(row * json.wordsPerRow, (row + 1) * json.wordsPerRow);
          const diff = firstDifference(got, want);
          expect(
            diff,
            `doc ${doc} at byte ${at}: token ${diff} ${JSON.stringify(new TextDecoder().decode(info.tokenBytes(Math.max(diff, 0))))}`,
          ).toBe(-1);
          for (const w of want) allowedTotal += w !== 0 ? 1 : 0;
          states++;
        }
        const n = 1 + Math.floor(r() * 3);
        if (at >= bytes.length || !m.acceptString(bytes.subarray(at, at + n))) break;
        at += n;
      }
    }
    expect(allowedTotal).toBeGreaterThan(0);
    console.log(
      `${states} states (${oracleMemo.size} distinct configurations): masks ${tMask.toFixed(0)} ms, oracle ${tOracle.toFixed(0)} ms`,
    );
  }, 120_000);

  it("every walk path (partial masks at each depth, full walks, unmemoised configurations) agrees", () => {
    const dpda = json.dpda as Dpda;
    // No exact cache: partial masks keyed by 2..4 entries, then by exactly 4, then none with
    // only 4 memoised walk configurations (the rest stepped every time).
    const walkers = [
      new DpdaMaskWalker(compiler.trie, dpda),
      new DpdaMaskWalker(compiler.trie, dpda, 4, 8 << 20, 4),
      new DpdaMaskWalker(compiler.trie, dpda, 0, 0, 2, 4),
    ];
    const r = rng(11);
    const words = json.wordsPerRow;
    const want = new Int32Array(words);
    const got = new Int32Array(words);
    const alphabet = Array.from('{}[],:" 0123456789.eE-tfnul\\', (c) => c.charCodeAt(0));
    let states = 0;
    let oracleChecks = 0;
    for (let doc = 0; states < 150; doc++) {
      let bytes: Uint8Array = enc.encode(randomJsonText(r));
      if (doc % 2 === 1) bytes = mutate(r, bytes, alphabet);
      const m = new GrammarMatcher(json);
      for (let at = 0; at <= bytes.length && states < 150; ) {
        if (r() < 0.3) {
          m.fillNextTokenMask(want, 0);
          const st = stackOf(m);
          const before = st.snapshot().join(",");
          if (states % 10 === 0) {
            expect(firstDifference(want, oracleMask(info, m, st)), `oracle, doc ${doc} at ${at}`).toBe(-1);
            oracleChecks++;
          }
          for (const [k, w] of walkers.entries()) {
            w.fill(st, got, 0, null);
            const diff = firstDifference(got, want);
            expect(diff, `walker ${k}, doc ${doc} at byte ${at}: token ${diff}`).toBe(-1);
          }
          expect(st.snapshot().join(",")).toBe(before);
          states++;
        }
        const n = 1 + Math.floor(r() * 4);
        if (at >= bytes.length || !m.acceptString(bytes.subarray(at, at + n))) break;
        at += n;
      }
    }
    expect(oracleChecks).toBeGreaterThan(10);
  }, 120_000);

  it("accepts real tokenizations token by token; EOS exactly at the end", async () => {
    const { tokenizerFromTokenizerJson } = await import("../model/tokenizer.js");
    const pkg = await loadPackagedTokenizer("llama3");
    const tok = tokenizerFromTokenizerJson(pkg.tokenizerJson, pkg.tokenizerConfig);
    const r = rng(5);
    const mask = new Int32Array(json.wordsPerRow);
    const eos = info.eogIds[0] as number;
    for (let k = 0; k < 30; k++) {
      const text = randomJsonText(r);
      const ids = tok.encode(text, { addSpecial: false } as never);
      const m = new GrammarMatcher(json);
      for (const id of ids) {
        m.fillNextTokenMask(mask, 0);
        expect(((mask[id >> 5] as number) >>> (id & 31)) & 1, `token ${id} in ${text}`).toBe(1);
        expect(((mask[eos >> 5] as number) >>> (eos & 31)) & 1).toBe(m.isCompleted() ? 1 : 0);
        expect(m.acceptToken(id)).toBe(true);
      }
      expect(m.isCompleted()).toBe(true);
      expect(m.acceptToken(eos)).toBe(true);
      expect(m.isTerminated()).toBe(true);
    }
  }, 60_000);

  it("special tokens are never allowed; the mask of a complete value allows EOS", () => {
    const m = new GrammarMatcher(json);
    expect(m.acceptString('{"a": [1, 2]}')).toBe(true);
    const mask = m.newMask();
    m.fillNextTokenMask(mask);
    for (let id = 0; id < info.vocabSize; id++) {
      const bit = ((mask[id >> 5] as number) >>> (id & 31)) & 1;
      const flags = info.tokenFlags[id] ?? 0;
      if (flags & TokenFlag.EOG) expect(bit).toBe(1);
      else if (flags & TokenFlag.SPECIAL) expect(bit).toBe(0);
    }
  });
});

describe("matcher: rollback, serialisation, GLR and Earley fallback", () => {
  const tokens = [
    "{",
    "}",
    '"',
    "a",
    "b",
    ":",
    ",",
    "1",
    "12",
    '{"',
    '":',
    '"}',
    " ",
    "[",
    "]",
    "é",
    "\xc3",
    null,
  ];
  const info = tokenizerInfoFromByteStrings(
    tokens.map((t) => (t === "\xc3" ? Uint8Array.of(0xc3) : t)),
    [tokens.length - 1],
  );
  const compiler = new GrammarCompiler(info);

  it("rollback and serialize/deserialize round trips reproduce masks", () => {
    const compiled = compiler.compile(jsonGrammar());
    const r = rng(9);
    for (let k = 0; k < 50; k++) {
      const m = new GrammarMatcher(compiled);
      const masks: Int32Array[] = [];
      const states: string[] = [];
      for (let step = 0; step < 30; step++) {
        const mask = m.newMask();
        m.fillNextTokenMask(mask);
        masks.push(mask);
        states.push(m.serialize());
        const allowed = [...Array(info.vocabSize).keys()].filter(
          (id) => ((mask[id >> 5] as number) >>> (id & 31)) & 1,
        );
        if (allowed.length === 0) break;
        const id = allowed[Math.floor(r() * allowed.length)] as number;
        expect(m.acceptToken(id)).toBe(true);
        if (m.isTerminated()) break;
      }
      // Resume from every saved state and roll back to every earlier point.
      for (let s = 0; s < states.length; s++) {
        const again = GrammarMatcher.deserialize(compiled, states[s] as string);
        const mask = again.newMask();
        again.fillNextTokenMask(mask);
        expect(mask).toEqual(masks[s]);
      }
      const n = m.numAccepted;
      for (let back = 1; back <= n; back++) {
        m.rollback(1);
        const mask = m.newMask();
        m.fillNextTokenMask(mask);
        expect(mask).toEqual(masks[n - back]);
      }
    }
    expect(() => GrammarMatcher.deserialize(compiled, "{}")).toThrow(/another grammar/);
  });

  it("GLR and Earley fallback: masks match an Earley brute force and round trips work", () => {
    const ambiguous = {
      start: "root",
      rules: new Map([
        ["root", g.alt(g.rep(g.alt(g.lit("a"), g.lit("b"), g.lit("ab")), 1, null), g.lit("{}"))],
      ]),
    };
    const oracle = new GrammarCompiler(info, { engine: "earley" }).compile(ambiguous);
    for (const compiled of [compiler.compile(ambiguous), oracle]) {
      expect(compiled.engine).toBe(compiled === oracle ? "earley" : "glr");
      if (compiled !== oracle) expect(compiled.fallbackReason).toMatch(/not LR\(1\)/);
      const m = new GrammarMatcher(compiled);
      const o = new GrammarMatcher(oracle);
      for (const text of ["", "a", "ab", "abab", "b", "{", "{}", "x"]) {
        m.reset();
        o.reset();
        expect(m.acceptString(text)).toBe(o.acceptString(text));
        const mask = m.newMask();
        m.fillNextTokenMask(mask);
        const again = GrammarMatcher.deserialize(compiled, m.serialize());
        const mask2 = again.newMask();
        again.fillNextTokenMask(mask2);
        expect(mask2).toEqual(mask);
        for (let id = 0; id < info.vocabSize; id++) {
          const probe = GrammarMatcher.deserialize(oracle, o.serialize());
          const ok = probe.acceptToken(id);
          expect(((mask[id >> 5] as number) >>> (id & 31)) & 1, `${text} + ${tokens[id]}`).toBe(ok ? 1 : 0);
        }
      }
    }
  });
});
