import { describe, expect, it } from "vitest";
import { GrammarError } from "../errors.js";
import { acceptsText, compileForTest } from "./compile-for-test.js";
import { type GrammarAst, type GrammarExpr, g } from "./grammar-ast.js";

const ast = (rules: Record<string, GrammarExpr>, start = "root"): GrammarAst => ({
  rules: new Map(Object.entries(rules)),
  start,
});

describe("lowering + Earley", () => {
  it("literals, classes, choices", () => {
    const t = compileForTest(ast({ root: g.seq(g.lit("ab"), g.alt(g.lit("c"), g.cls([[0x30, 0x39]]))) }));
    expect(t.accepts("abc")).toBe(true);
    expect(t.accepts("ab7")).toBe(true);
    expect(t.accepts("abd")).toBe(false);
    expect(t.accepts("ab")).toBe(false);
    expect(t.isViablePrefix("ab")).toBe(true);
    expect(t.isViablePrefix("abx")).toBe(false);
  });

  it("UTF-8 classes incl. negated, never surrogates or invalid UTF-8", () => {
    const t = compileForTest(ast({ root: g.rep(g.cls([[0x22, 0x22]], true), 0, null) }));
    for (const s of ["", "héllo", "日本語", "😀x", "\u0000\u007f\u0080\u07ff\u0800\uffff", "\u{10ffff}"])
      expect(t.accepts(s)).toBe(true);
    expect(t.accepts('a"')).toBe(false);
    expect(t.accepts(new Uint8Array([0xed, 0xa0, 0x80]))).toBe(false); // surrogate U+D800
    expect(t.accepts(new Uint8Array([0xc0, 0x80]))).toBe(false); // overlong
    expect(t.accepts(new Uint8Array([0xf4, 0x90, 0x80, 0x80]))).toBe(false); // > U+10FFFF
    expect(t.accepts(new Uint8Array([0x80]))).toBe(false);
    expect(t.isViablePrefix(new Uint8Array([0xe6, 0x97]))).toBe(true);
    const greek = compileForTest(ast({ root: g.cls([[0x3b1, 0x3c9]]) }));
    expect(greek.accepts("λ")).toBe(true);
    expect(greek.accepts("Λ")).toBe(false);
  });

  it("exhaustive: every code point class membership matches (sampled)", () => {
    const ranges: [number, number][] = [
      [0x41, 0x5a],
      [0x7f0, 0x812],
      [0xd7f0, 0xe010],
      [0xfff0, 0x10010],
    ];
    const t = compileForTest(ast({ root: g.cls(ranges) }));
    const n = compileForTest(ast({ root: g.cls(ranges, true) }));
    for (let cp = 0; cp <= 0x10ffff; cp += cp < 0x11000 ? 1 : 997) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const inside = ranges.some(([lo, hi]) => cp >= lo && cp <= hi);
      const s = String.fromCodePoint(cp);
      expect(t.accepts(s)).toBe(inside);
      expect(n.accepts(s)).toBe(!inside);
    }
  });

  it("repetitions: *, +, ?, {m,n}, {m,}", () => {
    const r = (min: number, max: number | null) =>
      compileForTest(ast({ root: g.rep(g.lit("ab"), min, max) }));
    const count = (t: ReturnType<typeof r>, k: number) => t.accepts("ab".repeat(k));
    const cases: [number, number | null][] = [
      [0, null],
      [1, null],
      [0, 1],
      [2, 4],
      [3, 3],
      [2, null],
      [0, 0],
    ];
    for (const [min, max] of cases) {
      const t = r(min, max);
      for (let k = 0; k < 7; k++)
        expect(count(t, k), `{${min},${max}} x${k}`).toBe(k >= min && (max === null || k <= max));
    }
    expect(r(0, 3).accepts("aba")).toBe(false);
  });

  it("large bounded repetitions do not blow up", () => {
    const t = compileForTest(ast({ root: g.rep(g.cls([[0x61, 0x7a]]), 5, 600) }));
    expect(t.cfg.prods.length).toBeLessThan(1300);
    expect(t.accepts("a".repeat(600))).toBe(true);
    expect(t.accepts("a".repeat(601))).toBe(false);
    expect(t.accepts("a".repeat(4))).toBe(false);
  });

  it("recursion (left, right, centre) and nullable rules", () => {
    const t = compileForTest(
      ast({
        root: g.alt(g.ref("l"), g.seq(g.lit("!"), g.ref("c"))),
        l: g.alt(g.seq(g.ref("l"), g.lit("x")), g.ref("e")),
        e: g.alt(g.empty(), g.lit("y")),
        c: g.alt(g.seq(g.lit("("), g.ref("c"), g.lit(")")), g.empty()),
      }),
    );
    for (const s of ["", "y", "yxx", "xxx", "!", "!()", "!((()))"]) expect(t.accepts(s), s).toBe(true);
    for (const s of ["yy", "xy", "!(()", "!)"]) expect(t.accepts(s), s).toBe(false);
  });

  it("errors name the rule", () => {
    expect(() => compileForTest(ast({ root: g.ref("nope") }))).toThrow(
      /undefined rule "nope" referenced from rule "root"/,
    );
    expect(() => compileForTest(ast({ root: g.lit("a") }, "main"))).toThrow(GrammarError);
    expect(() => compileForTest(ast({ root: g.seq(g.lit("a"), g.ref("root")) }))).toThrow(
      /rule "root" derives no finite/,
    );
    expect(() => compileForTest(ast({ root: g.rep(g.lit("a"), 0, 1e6) }))).toThrow(/exceeds the limit/);
    expect(() => compileForTest(ast({ root: g.rep(g.lit("a"), 3, 2) }))).toThrow(/invalid repetition/);
  });

  it("acceptsText convenience", () => {
    expect(acceptsText(ast({ root: g.lit("hi") }), "hi")).toBe(true);
    expect(acceptsText(ast({ root: g.lit("hi") }), "h")).toBe(false);
  });
});
