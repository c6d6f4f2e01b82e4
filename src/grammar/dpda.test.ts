import { describe, expect, it } from "vitest";
import { tokenizerInfoFromByteStrings } from "./byte-tokenizer-info.js";
import { Dpda } from "./dpda.js";
import { DpdaStack } from "./dpda-stack.js";
import { EarleyRecognizer } from "./earley.js";
import { type GrammarAst, type GrammarExpr, g } from "./grammar-ast.js";
import { GrammarCompiler } from "./grammar-compiler.js";
import { GrammarMatcher } from "./grammar-matcher.js";
import { lowerGrammar } from "./lower.js";
import { buildLrAutomaton, type LrAutomaton } from "./lr-automaton.js";
import { describeItem } from "./lr-conflicts.js";
import { analyzeGrammar } from "./lr-grammar.js";
import { normalizeCfg } from "./normalize-cfg.js";
import { jsonGrammar, mutate, randomGrammar, randomJsonText, randomSentence, rng } from "./test-grammars.js";

const ast = (rules: Record<string, GrammarExpr>, start = "root"): GrammarAst => ({
  rules: new Map(Object.entries(rules)),
  start,
});
const enc = new TextEncoder();

/** All 256 single bytes as tokens, then EOS (special, end of generation). */
const byteInfo = tokenizerInfoFromByteStrings(
  [...Array.from({ length: 256 }, (_, b) => Uint8Array.of(b)), null],
  [256],
);
const byteCompiler = new GrammarCompiler(byteInfo);

/** A state described by its kernel items and their lookaheads, e.g. `S → a • S b {$}`. */
function describeState(lr: LrAutomaton, s: number): string {
  const g0 = lr.grammar;
  const kernel = lr.kernel(s);
  return Array.from(kernel, (item, k) => {
    const la = lr.kernelLookaheads[s]?.[k] as Uint32Array;
    const cols: string[] = [];
    for (let c = 0; c < g0.numCols; c++)
      if ((((la[c >> 5] as number) >>> (c & 31)) & 1) === 1)
        cols.push(c === g0.eof ? "$" : String.fromCharCode(...(g0.atoms.atomBytes[c] ?? [])));
    return `${describeItem(g0, g0.itemProd[item] as number, g0.itemDot[item] as number)} {${cols.join(",")}}`;
  }).join("; ");
}

function dpdaOf(a: GrammarAst, kind: "lalr1" | "lr1", eager = true) {
  const cfg = normalizeCfg(lowerGrammar(a));
  const lr = buildLrAutomaton(analyzeGrammar(cfg), kind);
  return { cfg, lr, st: new DpdaStack(new Dpda(lr, eager), 1000) };
}

describe("Pre³ worked examples", () => {
  it("S → a S b | a b: canonical LR(1) stacks for aaabbb", () => {
    const { lr, st } = dpdaOf(
      ast({ S: g.alt(g.seq(g.lit("a"), g.ref("S"), g.lit("b")), g.lit("ab")) }, "S"),
      "lr1",
      false,
    );
    expect(lr.conflicts).toEqual([]);
    const one = "S → a • S 'b' {$}; S → a • 'b' {$}";
    const three = "S → a • S 'b' {b}; S → a • 'b' {b}".replace("a •", "'a' •").replace("a •", "'a' •");
    const names: Record<string, string> = {
      [one.replace(/a •/g, "'a' •")]: "1",
      [three]: "3",
      "S → 'a' 'b' • {b}": "6",
      "S → 'a' S • 'b' {b}": "7",
      "S → 'a' S 'b' • {b}": "9",
      "S → 'a' S • 'b' {$}": "5",
      "S → 'a' S 'b' • {$}": "8",
    };
    const traceOf = (stack: DpdaStack): string[] =>
      Array.from("aaabbb", (ch) => {
        expect(stack.step(ch.charCodeAt(0))).toBe(true);
        return Array.from(stack.snapshot(), (s) =>
          s === 0 ? "0" : (names[describeState(lr, s)] ?? describeState(lr, s)),
        ).join(",");
      });
    expect(traceOf(st)).toEqual(["0,1", "0,1,3", "0,1,3,3", "0,1,3,3,6", "0,1,3,7,9", "0,1,5,8"]);
    expect(st.isAccepting()).toBe(true);
    // With eager default reductions (the engine's setting) the states 6, 9 and 8, whose only
    // action is one reduction, reduce as soon as they are entered.
    const eager = new DpdaStack(new Dpda(lr), 1000);
    expect(traceOf(eager)).toEqual(["0,1", "0,1,3", "0,1,3,3", "0,1,3,7", "0,1,5", "0,S' → S • {$}"]);
    expect(eager.isAccepting()).toBe(true);
    // State 6 on b has two prefix-conditioned edges (outermost level or not): both were built.
    const st2 = dpdaOf(
      ast({ S: g.alt(g.seq(g.lit("a"), g.ref("S"), g.lit("b")), g.lit("ab")) }, "S"),
      "lr1",
    ).st;
    expect(Array.from("abab", (ch) => st2.step(ch.charCodeAt(0)))).toEqual([true, true, false, false]);
    expect(st2.isAccepting()).toBe(true);
  });

  it("eager default reductions: the ways of completing a symbol meet in one stack", () => {
    const a = ast({ S: g.seq(g.ref("X"), g.ref("X"), g.lit("d")), X: g.alt(g.lit("a"), g.lit("bc")) }, "S");
    const stacksAfter = (eager: boolean) =>
      ["a", "bc", "aa", "abc"].map((text) => {
        const { st } = dpdaOf(a, "lalr1", eager);
        for (const ch of text) expect(st.step(ch.charCodeAt(0))).toBe(true);
        return st.snapshot().join(",");
      });
    const [a1, bc1, aa, abc] = stacksAfter(true);
    expect(bc1).toBe(a1);
    expect(abc).toBe(aa);
    expect(aa).not.toBe(a1);
    // Without them each completion waits in its own state for the next byte.
    const plain = stacksAfter(false);
    expect(plain[1]).not.toBe(plain[0]);
    expect(plain[3]).not.toBe(plain[2]);
    // Also in an automaton with conflicts elsewhere (run as GLR): its other states reduce eagerly.
    const ambiguous = ast(
      {
        S: g.alt(g.seq(g.ref("X"), g.ref("X"), g.lit("d")), g.seq(g.ref("Z"), g.lit("q"))),
        X: g.alt(g.lit("a"), g.lit("bc")),
        Z: g.alt(g.seq(g.ref("Z"), g.ref("Z")), g.lit("z")),
      },
      "S",
    );
    const glr = ["a", "bc"].map((text) => {
      const { lr, st } = dpdaOf(ambiguous, "lalr1");
      expect(lr.conflicts.length).toBeGreaterThan(0);
      for (const ch of text) expect(st.step(ch.charCodeAt(0))).toBe(true);
      return st.snapshot().join(",");
    });
    expect(glr[1]).toBe(glr[0]);
  });

  it("eager default reductions stop before reading deep into the stack", () => {
    // Up to 12 a's nest 12 levels deep; the 12th completes them all, but the step that enters
    // the bound must not read the whole nesting (only the byte after it, here x, does).
    const { st } = dpdaOf(ast({ S: g.seq(g.rep(g.lit("a"), 0, 12), g.lit("x")) }, "S"), "lalr1");
    for (let i = 0; i < 12; i++) {
      const before = st.sp;
      st.resetWatermarks();
      expect(st.step(0x61)).toBe(true);
      expect(st.lowWater).toBeGreaterThanOrEqual(before - 1 - 2);
    }
    expect(st.sp).toBeGreaterThan(8);
    expect(st.step(0x61)).toBe(false);
    st.resetWatermarks();
    expect(st.step(0x78)).toBe(true);
    expect(st.lowWater).toBeLessThan(4);
    expect(st.isAccepting()).toBe(true);
  });

  it("A → c a A | c a: cycle broken, the stack stays one lap deep", () => {
    const a = ast({ A: g.alt(g.seq(g.lit("ca"), g.ref("A")), g.lit("ca")) }, "A");
    const compiled = byteCompiler.compile(a);
    expect(compiled.engine).toBe("dpda");
    const m = new GrammarMatcher(compiled);
    let maxDepth = 0;
    for (let lap = 0; lap < 50; lap++) {
      expect(m.acceptString("c")).toBe(true);
      expect(m.isCompleted()).toBe(false);
      expect(m.acceptString("a")).toBe(true);
      expect(m.isCompleted()).toBe(true);
      maxDepth = Math.max(maxDepth, m.debugStack()?.length ?? 0);
    }
    expect(maxDepth).toBeLessThanOrEqual(4);
    expect(m.acceptString("a")).toBe(false);
    expect(m.acceptToken(256)).toBe(true);
    expect(m.isTerminated()).toBe(true);
    // Without the rewrite (plain LR(1) of the right-recursive rule) the stack grows every lap.
    const { st } = dpdaOf(a, "lalr1");
    for (let lap = 0; lap < 10; lap++) for (const ch of "ca") st.step(ch.charCodeAt(0));
    expect(st.sp).toBeGreaterThan(20);
    expect(st.isAccepting()).toBe(true);
  });
});

/** Checks every prefix of `bytes`: matcher viable/complete exactly when Earley says so. */
function checkPrefixes(m: GrammarMatcher, r: EarleyRecognizer, bytes: Uint8Array): number {
  m.reset();
  r.reset();
  let checked = 0;
  for (const b of bytes) {
    const earleyOk = r.pushByte(b);
    const ours = m.acceptString(Uint8Array.of(b));
    expect(ours, `byte ${checked} of ${JSON.stringify(new TextDecoder().decode(bytes))}`).toBe(earleyOk);
    if (!earleyOk) break;
    checked++;
    expect(m.isCompleted()).toBe(r.isAccepting());
  }
  return checked;
}

describe("DPDA and GLR vs Earley, every prefix", () => {
  it("random grammars: derivations, mutations, random strings", () => {
    const r = rng(7);
    let numLr = 0;
    let numGlr = 0;
    let numPrefixes = 0;
    for (let k = 0; k < 150; k++) {
      let compiled: ReturnType<typeof byteCompiler.compile>;
      try {
        compiled = byteCompiler.compile(randomGrammar(r));
      } catch {
        continue; // e.g. start derives nothing
      }
      if (compiled.engine === "earley") continue;
      if (compiled.engine === "glr") numGlr++;
      else numLr++;
      const m = new GrammarMatcher(compiled);
      const e = new EarleyRecognizer(compiled.cfg);
      for (let s = 0; s < 24; s++) {
        const sentence = randomSentence(r, compiled.cfg) ?? Uint8Array.of(97);
        const input =
          s % 3 === 0
            ? sentence
            : s % 3 === 1
              ? mutate(r, sentence, [97, 98, 99])
              : enc.encode(
                  Array.from({ length: 1 + Math.floor(r() * 8) }, () => "abc"[Math.floor(r() * 3)]).join(""),
                );
        numPrefixes += checkPrefixes(m, e, input);
        if (s % 3 === 0) expect(m.isCompleted()).toBe(true);
      }
    }
    expect(numLr).toBeGreaterThan(40);
    expect(numGlr).toBeGreaterThan(20);
    expect(numPrefixes).toBeGreaterThan(1500);
    console.log(`random grammars: ${numLr} LR(1), ${numGlr} GLR, ${numPrefixes} prefixes checked`);
  });

  it("JSON grammar: random documents and mutations", () => {
    const compiled = byteCompiler.compile(jsonGrammar());
    expect(compiled.engine).toBe("dpda");
    const m = new GrammarMatcher(compiled);
    const e = new EarleyRecognizer(compiled.cfg);
    const r = rng(11);
    const alphabet = Array.from('{}[],:" 0123456789.eE-+tfnulrsa\\\n', (c) => c.charCodeAt(0));
    let complete = 0;
    for (let k = 0; k < 300; k++) {
      const text = enc.encode(randomJsonText(r));
      const input = k % 2 === 0 ? text : mutate(r, text, alphabet);
      const n = checkPrefixes(m, e, input);
      if (k % 2 === 0) {
        expect(n).toBe(text.length);
        expect(m.isCompleted()).toBe(true);
        complete++;
      }
    }
    expect(complete).toBe(150);
    for (const bad of [
      '{"a":01}',
      '{"a":1,}',
      "[1 2]",
      '"\\x"',
      "{'a':1}",
      "tru",
      "-",
      "1.",
      "[",
      '"\u0001"',
    ])
      expect(checkPrefixes(m, e, enc.encode(bad)) === enc.encode(bad).length && m.isCompleted()).toBe(false);
  });

  it("a grammar that is not LR(1) runs as GLR (or, forced, on Earley) and says why", () => {
    const a = ast({
      root: g.alt(g.cls([[0x30, 0x39]]), g.seq(g.cls([[0x31, 0x39]]), g.rep(g.cls([[0x30, 0x39]]), 0, null))),
    });
    for (const engine of ["glr", "earley"] as const) {
      const compiled = new GrammarCompiler(byteInfo, { engine }).compile(a);
      expect(compiled.engine).toBe(engine);
      expect(compiled.fallbackReason).toMatch(
        engine === "glr"
          ? /not LR\(1\): reduce\/reduce conflict on end of input .*root → \[0-9\] •/
          : /engine forced to earley/,
      );
      const m = new GrammarMatcher(compiled);
      const e = new EarleyRecognizer(compiled.cfg);
      for (const s of ["0", "7", "12", "01", "90", "x"]) checkPrefixes(m, e, enc.encode(s));
    }
  });
});
