import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { GrammarError } from "../errors.js";
import { sharedPath } from "../test-support/shared-data.js";
import { compileForTest } from "./compile-for-test.js";
import { referenceAccepts } from "./front-end-reference-matcher.js";
import { parseGbnf } from "./gbnf-parser.js";
import { g } from "./grammar-ast.js";

const grammarsDir = sharedPath("data/grammars");

function accepts(text: string, input: string): boolean {
  return referenceAccepts(parseGbnf(text), input);
}

describe("parseGbnf: syntax", () => {
  it("parses literals with escapes into code points", () => {
    const ast = parseGbnf('root ::= "a\\n\\t\\"\\\\\\x41\\u00e9\\U0001F600"');
    expect(ast.rules.get("root")).toEqual(g.lit('a\n\t"\\Aé😀'));
  });

  it("parses classes: negated, ranges, escapes, a literal '-' at the end", () => {
    const ast = parseGbnf("root ::= [^a-c\\]\\x00-\\x1F-]");
    expect(ast.rules.get("root")).toEqual(
      g.cls(
        [
          [0, 0x1f],
          [0x2d, 0x2d],
          [0x5d, 0x5d],
          [0x61, 0x63],
        ],
        true,
      ),
    );
  });

  it("applies postfix operators to the preceding item only", () => {
    const ast = parseGbnf('root ::= "a" "b"* "c"{2,3} "d"{2} "e"{1,} x?\nx ::= "x"');
    expect(ast.rules.get("root")).toEqual(
      g.seq(
        g.lit("a"),
        g.rep(g.lit("b"), 0, null),
        g.rep(g.lit("c"), 2, 3),
        g.rep(g.lit("d"), 2, 2),
        g.rep(g.lit("e"), 1, null),
        g.rep(g.ref("x"), 0, 1),
      ),
    );
  });

  it("handles groups over several lines, empty alternatives, comments and CRLF", () => {
    const text = 'root ::= ( # c1\r\n  "a" |\r\n  "b" ) ws # c2\r\nws ::= | " "\r\n';
    const ast = parseGbnf(text);
    expect(ast.rules.get("ws")).toEqual(g.alt(g.empty(), g.lit(" ")));
    expect(referenceAccepts(ast, "a ")).toBe(true);
    expect(referenceAccepts(ast, "b")).toBe(true);
    expect(referenceAccepts(ast, "ab")).toBe(false);
  });

  it("matches any character with '.' and honours custom start rules", () => {
    const ast = parseGbnf('start ::= . "!"', "start");
    expect(referenceAccepts(ast, "é!")).toBe(true);
    expect(referenceAccepts(ast, "\n!")).toBe(true);
    expect(referenceAccepts(ast, "!")).toBe(false);
  });

  it.each([
    ['root ::= "a', "1:10", "unterminated"],
    ["root ::= [a-", "1:10", "unterminated"],
    ['root ::= "a"\nfoo ::= bar', "2:9", 'undefined rule "bar"'],
    ['root ::= ("a"', "1:14", "expecting ')'"],
    ['root ::= "a" )', "1:14", "expecting newline"],
    ['root := "a"', "1:6", "expecting '::='"],
    ['root ::= * "a"', "1:10", "no preceding item"],
    ['root ::= "a"{3,1}', "1:13", "max < min"],
    ['root ::= "\\q"', "1:11", "unknown escape"],
    ['root ::= "a"\nroot ::= "b"', "2:1", "defined twice"],
    ['root ::= "a"{x}', "1:14", "expecting an integer"],
  ])("reports %j at %s", (text, where, message) => {
    expect(() => parseGbnf(text)).toThrowError(GrammarError);
    try {
      parseGbnf(text);
    } catch (e) {
      expect((e as Error).message).toContain(where);
      expect((e as Error).message).toContain(message);
    }
  });

  it("reports a missing start rule", () => {
    expect(() => parseGbnf('main ::= "a"')).toThrowError(/no start rule "root"/);
  });
});

/** Strings each shared grammar must accept and must reject. */
const CASES: Record<string, { accept: string[]; reject: string[] }> = {
  "arithmetic.gbnf": { accept: ["1+2= 3\n", "(a+b)*c = x\n", "x1=y\n"], reject: ["1+2\n", "=3\n", "1+=2\n"] },
  "c.gbnf": {
    accept: ["int main(){return 0;}", "float f(int x){x = x+1;while(x<3){x = x*2;}}", ""],
    reject: ["int main(){return 0}", "main(){}"],
  },
  "chess.gbnf": {
    accept: ["1. e4 e5\n2. Nf3 Nc6\n", "1. e4 e5\n2. O-O O-O-O+\n"],
    reject: ["1. e4 e5\n", "1. e9 e5\n2. Nf3 Nc6\n"],
  },
  "english.gbnf": { accept: ["Hello, world!", "a b\tc"], reject: ["", "héllo", "a  b"] },
  "japanese.gbnf": { accept: ["こんにちは", "カタカナ 漢字"], reject: ["abc", ""] },
  "json.gbnf": {
    accept: ['{"a": [1, 2.5e3, "x\\u00e9", true, null]}', "{}", '{"a":{"b":[]}}\n  '],
    reject: ["[]", '{"a":01}', '{"a" 1}', '{"a":"\\x"}', "{"],
  },
  "json_arr.gbnf": { accept: ['[\n{"a": 1},\n2]', "[\n]"], reject: ["[1]", "{}"] },
  "list.gbnf": { accept: ["- a\n- b c\n"], reject: ["- \n", "- a", "* a\n"] },
  "vllm-sql.gbnf": { accept: ["SELECTcol_1fromtable_2wherecol_2=1"], reject: ["SELECT col_1"] },
};

describe.skipIf(grammarsDir === null)("parseGbnf: llama.cpp's example grammars", () => {
  const dir = grammarsDir ?? "";
  const files = grammarsDir === null ? [] : readdirSync(dir).filter((f) => f.endsWith(".gbnf"));

  it("finds the shared grammars", () => {
    expect(files.length).toBeGreaterThanOrEqual(9);
  });

  it.each(files)("%s parses and accepts/rejects sample strings", (file) => {
    const ast = parseGbnf(readFileSync(join(dir, file), "utf8"));
    expect(ast.rules.has("root")).toBe(true);
    const cases = CASES[file];
    if (cases === undefined) return;
    const earley = compileForTest(ast);
    for (const [list, expected] of [
      [cases.accept, true],
      [cases.reject, false],
    ] as const) {
      for (const s of list) {
        expect(referenceAccepts(ast, s), `reference on ${JSON.stringify(s)}`).toBe(expected);
        expect(earley.accepts(s), `earley on ${JSON.stringify(s)}`).toBe(expected);
      }
    }
  });
});

describe("parseGbnf: semantics", () => {
  it("bounded repetition counts exactly", () => {
    const text = 'root ::= "a"{2,3}';
    expect(accepts(text, "a")).toBe(false);
    expect(accepts(text, "aa")).toBe(true);
    expect(accepts(text, "aaa")).toBe(true);
    expect(accepts(text, "aaaa")).toBe(false);
  });
});
