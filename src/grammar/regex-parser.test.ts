import { describe, expect, it } from "vitest";
import { GrammarError } from "../errors.js";
import { prngUnit as rng } from "../test-support/prng.js";
import { referenceAccepts } from "./front-end-reference-matcher.js";
import { grammarFromRegex } from "./front-ends.js";
import { type GrammarAst, type GrammarExpr, g } from "./grammar-ast.js";
import { parseRegex, parseRegexSearch } from "./regex-parser.js";

function astOf(expr: GrammarExpr): GrammarAst {
  return { rules: new Map([["root", expr]]), start: "root" };
}

function matches(pattern: string, text: string): boolean {
  return referenceAccepts(astOf(parseRegex(pattern)), text);
}

const ATOMS = ["a", "b", "c", "é", "\\.", "-", "[ab]", "[^a]", "[a-c]", "\\d", "\\w", "\\s", "\\D", "."];
const ATOMS2 = ["[\\d_]", "[^\\s]", "\\u0061", "\\x62", "\\n", "[.-]", "[\\-a]"];
const QUANTS = ["", "", "", "*", "+", "?", "{2}", "{1,}", "{0,2}", "*?", "+?", "{1,2}?"];

function randomPattern(next: () => number, depth: number, names: { n: number }): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T;
  const numAlts = next() < 0.25 ? 2 : 1;
  const alts: string[] = [];
  for (let i = 0; i < numAlts; i++) {
    let seq = "";
    const len = 1 + Math.floor(next() * 3);
    for (let j = 0; j < len; j++) {
      let atom: string;
      const r = next();
      if (depth < 2 && r < 0.2) {
        const inner = randomPattern(next, depth + 1, names);
        const kind = pick(["(", "(?:", "(?<g"]);
        atom = kind === "(?<g" ? `(?<g${names.n++}>${inner})` : `${kind}${inner})`;
      } else atom = next() < 0.8 ? pick(ATOMS) : pick(ATOMS2);
      seq += atom + pick(QUANTS);
    }
    alts.push(seq);
  }
  return alts.join("|");
}

/** A random string of the language of `expr` (bounded unrolling of repeats). */
function sample(expr: GrammarExpr, next: () => number): string {
  switch (expr.kind) {
    case "literal":
      return expr.text;
    case "class": {
      const pool = ["a", "b", "c", "1", "_", " ", "\n", "é", ".", "-", "Z"];
      const ok = pool.filter((ch) => {
        const cp = ch.codePointAt(0) as number;
        return expr.ranges.some(([lo, hi]) => cp >= lo && cp <= hi) !== expr.negated;
      });
      return ok[Math.floor(next() * ok.length)] ?? "";
    }
    case "sequence":
      return expr.items.map((i) => sample(i, next)).join("");
    case "choice":
      return sample(expr.items[Math.floor(next() * expr.items.length)] as GrammarExpr, next);
    case "repeat": {
      const n = expr.min + Math.floor(next() * ((expr.max ?? expr.min + 3) - expr.min + 1));
      return Array.from({ length: n }, () => sample(expr.item, next)).join("");
    }
    default:
      return "";
  }
}

describe("parseRegex: differential against JavaScript RegExp (whole match, u flag)", () => {
  it("agrees on random patterns and inputs", () => {
    const next = rng(42);
    const alphabet = ["a", "b", "c", "1", "_", " ", "\n", "é", ".", "-"];
    let compared = 0;
    let positives = 0;
    for (let p = 0; p < 150; p++) {
      const pattern = randomPattern(next, 0, { n: 0 });
      const ast = astOf(parseRegex(pattern));
      const dfa = grammarFromRegex(pattern);
      const re = new RegExp(`^(?:${pattern})$`, "u");
      const inputs: string[] = [];
      for (let k = 0; k < 4; k++) inputs.push(sample(parseRegex(pattern), next));
      for (let k = 0; k < 4; k++) {
        const len = Math.floor(next() * 5);
        inputs.push(
          Array.from({ length: len }, () => alphabet[Math.floor(next() * alphabet.length)]).join(""),
        );
      }
      for (const input of inputs) {
        const expected = re.test(input);
        expect(referenceAccepts(ast, input), `/${pattern}/ on ${JSON.stringify(input)}`).toBe(expected);
        expect(referenceAccepts(dfa, input), `DFA of /${pattern}/ on ${JSON.stringify(input)}`).toBe(
          expected,
        );
        compared++;
        if (expected) positives++;
      }
    }
    expect(compared).toBeGreaterThanOrEqual(1000);
    expect(positives).toBeGreaterThan(300);
  });
});

/** JavaScript's verdict: with the u flag, or without it for Annex B patterns u-mode rejects. */
function jsWholeMatch(pattern: string, text: string): boolean {
  try {
    return new RegExp(`^(?:${pattern})$`, "u").test(text);
  } catch {
    return new RegExp(`^(?:${pattern})$`).test(text);
  }
}

describe("parseRegex: features", () => {
  it.each([
    ["^abc$", "abc", true],
    ["a{2,3}", "aaa", true],
    ["a{2,3}", "aaaa", false],
    ["[^\\d\\s]+", "ab", true],
    ["[^\\d\\s]+", "a1", false],
    ["\\u{1F600}|\\uD83D\\uDE01", "😁", true],
    ["\\cJ", "\n", true],
    ["[\\b]", "\b", true],
    ["a{,2}", "a{,2}", true],
    ["x}]", "x}]", true],
    [".", "\n", false],
    [".", "😀", true],
    ["", "", true],
    ["a|", "", true],
    ["(?:ab)*c", "ababc", true],
  ])("/%s/ on %j → %s", (pattern, text, expected) => {
    expect(matches(pattern, text)).toBe(expected);
    expect(jsWholeMatch(pattern, text)).toBe(expected);
  });

  it.each([
    ["(a)\\1", "backreferences"],
    ["(?<n>a)\\k<n>", "backreferences"],
    ["a(?=b)", "lookahead"],
    ["a(?!b)", "lookahead"],
    ["(?<=a)b", "lookbehind"],
    ["(?<!a)b", "lookbehind"],
    ["\\bword\\b", "word boundary"],
    ["\\p{L}", "Unicode property"],
    ["(?i)a", "inline modifiers"],
    ["a^b", "anchor"],
    ["(^a)", "anchors"],
    ["a$b", "anchor"],
    ["a**", "nothing to repeat"],
    ["(a", "missing ')'"],
    ["a)", "unmatched ')'"],
    ["[b-a]", "out of order"],
    ["a{3,2}", "out of order"],
    ["\\", "backslash"],
  ])("refuses /%s/ naming %s", (pattern, what) => {
    expect(() => parseRegex(pattern)).toThrowError(GrammarError);
    expect(() => parseRegex(pattern)).toThrowError(what);
  });

  it("keeps literal runs as one literal", () => {
    expect(parseRegex("abc")).toEqual(g.lit("abc"));
  });
});

describe("parseRegexSearch: JSON Schema pattern semantics", () => {
  it.each([
    ["b", "abc", true],
    ["^b", "abc", false],
    ["^a", "abc", true],
    ["c$", "abc", true],
    ["b$", "abc", false],
    ["^a|c$", "xxc", true],
    ["^a|c$", "xcx", false],
    ["^$", "", true],
    ["", "anything", true],
  ])("/%s/ finds a match in %j → %s", (pattern, text, expected) => {
    expect(referenceAccepts(astOf(parseRegexSearch(pattern)), text)).toBe(expected);
    expect(new RegExp(pattern, "u").test(text)).toBe(expected);
  });
});
