import { describe, expect, it } from "vitest";
import { GrammarError, UnsupportedSchemaError } from "../errors.js";
import { compileForTest } from "./compile-for-test.js";
import { referenceAccepts } from "./front-end-reference-matcher.js";
import { grammarForJsonObject, grammarFromJsonSchema } from "./front-ends.js";
import type { GrammarAst } from "./grammar-ast.js";
import type { JsonSchemaOptions } from "./json-schema-compiler.js";
import { numberRangeExpr } from "./json-schema-numbers.js";

/** Accepts per the reference matcher, cross-checked with the byte-level Earley recogniser. */
function acceptor(ast: GrammarAst): (text: string) => boolean {
  const earley = compileForTest(ast);
  return (text) => {
    const a = referenceAccepts(ast, text);
    expect(earley.accepts(text), `earley vs reference on ${JSON.stringify(text)}`).toBe(a);
    return a;
  };
}

function check(schema: unknown, accept: unknown[], reject: unknown[], options: JsonSchemaOptions = {}) {
  const accepts = acceptor(grammarFromJsonSchema(schema, options).ast);
  for (const v of accept)
    expect(accepts(typeof v === "string" ? v : JSON.stringify(v)), `accept ${v}`).toBe(true);
  for (const v of reject)
    expect(accepts(typeof v === "string" ? v : JSON.stringify(v)), `reject ${v}`).toBe(false);
}

describe("JSON Schema: objects", () => {
  /** Three closed properties, `b` required. */
  const abc = {
    type: "object",
    properties: { a: { type: "integer" }, b: { type: "string" }, c: { type: "boolean" } },
    required: ["b"],
    additionalProperties: false,
  };

  it("writes properties in schema order when asked, optional ones optional", () => {
    check(
      abc,
      ['{"b":"x"}', '{"a":1,"b":"x","c":true}', '{"b":"","c":false}'],
      ['{"a":1}', '{"b":"x","a":1}', "{}", '{"b":"x",}', '{"b":"x","d":1}'],
      { propertyOrder: "schema" },
    );
  });

  it("accepts properties in any order by default", () => {
    check(
      abc,
      ['{"b":"x"}', '{"c":true,"b":"x","a":1}', '{"b":"x","a":1}'],
      ['{"a":1}', '{"c":true,"a":1}', "{}", '{"b":"x",}', '{"b":"x","b":"y"}', '{"d":1,"b":"x"}'],
    );
  });

  it("additional properties never reuse a declared name", () => {
    const schema = { type: "object", properties: { a: { type: "integer" } } };
    check(
      schema,
      ['{"a":1}', '{"ab":"x"}', '{"a":1,"b":[1]}', '{"":0}', '{"\\"":0}'],
      ['{"a":"x"}', '{"b":1,"a":"x"}'],
    );
  });

  it("additionalProperties as a schema; strictProperties closes objects", () => {
    check(
      { properties: { a: {} }, additionalProperties: { type: "integer" } },
      ['{"a":"x","b":2}'],
      ['{"b":"x"}'],
    );
    check({ type: "object", properties: { a: {} } }, ['{"a":1}'], ['{"a":1,"b":2}'], {
      strictProperties: true,
    });
  });

  it("required names not in properties take the additionalProperties schema", () => {
    check(
      { required: ["x"], additionalProperties: { type: "null" } },
      ['{"x":null}', "1"],
      ["{}", '{"x":1}'],
    );
  });
});

describe("JSON Schema: arrays", () => {
  it("prefixItems, items false, min/maxItems", () => {
    const schema = { prefixItems: [{ type: "integer" }, { type: "string" }], items: false, minItems: 1 };
    check(schema, ["[1]", '[1,"a"]'], ["[]", '[1,"a",2]', '["a"]']);
    check(
      { type: "array", items: { type: "integer" }, minItems: 2, maxItems: 3 },
      ["[1,2]", "[1,2,3]"],
      ["[1]", "[1,2,3,4]"],
    );
  });

  it("draft-4 tuple items and additionalItems", () => {
    check(
      { items: [{ const: 1 }], additionalItems: { type: "string" } },
      ['[1,"x"]', "[]"],
      ["[1,2]", "[2]"],
    );
  });
});

describe("JSON Schema: strings", () => {
  it("counts code points, a surrogate pair escape as one", () => {
    check(
      { type: "string", minLength: 2, maxLength: 2 },
      ['"ab"', '"😀x"', '"\\ud83d\\ude00x"', '"\\n\\t"'],
      ['"a"', '"\\ud83d\\ude00"', '"abc"'],
    );
  });

  it("pattern with search semantics; escapes written as JSON.stringify does", () => {
    check({ type: "string", pattern: "^a\\d+$" }, ['"a12"'], ['"a"', '"ba1"', '"a1b"']);
    check({ type: "string", pattern: "q" }, ['"xqx"', '"q"'], ['"x"']);
    check({ type: "string", pattern: '^["\\n]$' }, ['"\\""', '"\\n"'], ['"\\u000a"']);
  });

  it("pattern plus length bounds (simple, and as an automaton product)", () => {
    check({ type: "string", pattern: "^[a-z]+$", maxLength: 3 }, ['"abc"'], ['"abcd"', '""']);
    check(
      { type: "string", pattern: "^(a|bb)+$", maxLength: 3 },
      ['"a"', '"bb"', '"abb"', '"bba"', '"aaa"'],
      ['""', '"b"', '"abba"', '"aaaa"', '"bbb"'],
    );
  });

  it.each([
    ["date", ["2024-02-29", "2023-12-31"], ["2023-02-29", "2023-13-01", "2023-04-31", "1900-02-29"]],
    [
      "date-time",
      ["2024-01-01T10:00:00Z", "2024-01-01t10:00:00.5+05:30"],
      ["2024-01-01 10:00:00Z", "2024-01-01T24:00:00Z"],
    ],
    ["time", ["23:59:59Z", "00:00:00-01:00"], ["23:59:60Z", "12:00:00"]],
    ["email", ["a.b+c@example.com"], ["a..b@example.com", "@example.com", "a@-x.com"]],
    ["uuid", ["123e4567-e89b-12d3-a456-426614174000"], ["123e4567e89b12d3a456426614174000"]],
    ["ipv4", ["192.168.0.1", "0.0.0.0"], ["256.1.1.1", "01.1.1.1", "1.1.1"]],
    [
      "ipv6",
      ["::1", "1:2:3:4:5:6:7:8", "fe80::1:2", "::ffff:1.2.3.4", "1::"],
      ["1:2:3:4:5:6:7:8:9", "1::2::3", ":1"],
    ],
    ["hostname", ["example.com", "a-b.c"], ["-a.com", "a_b.com", "a..b"]],
    [
      "uri",
      ["https://x.org/a?b#c", "urn:isbn:123", "mailto:a@b.c"],
      ["//x.org", "x", "http://a b", "http://x:y/"],
    ],
  ])("format %s", (format, good, bad) => {
    const q = (xs: string[]) => xs.map((x) => JSON.stringify(x));
    check({ type: "string", format }, q(good), q(bad));
  });

  it("an unknown format asserts nothing (as the specification says) and is reported", () => {
    const r = grammarFromJsonSchema({ type: "string", format: "color" });
    expect(r.ignoredKeywords).toEqual(["format:color"]);
    check({ type: "string", format: "color" }, ['"red"', '""'], ["1"]);
  });
});

describe("JSON Schema: numbers", () => {
  it("integer and number grammars are exact JSON", () => {
    check({ type: "integer" }, ["0", "-12"], ["01", "1.0", "-", "+1", "1e3"]);
    check({ type: "number" }, ["0", "-0.5", "1e-3", "2E+10"], ["01", ".5", "1.", "1e", "NaN"]);
  });

  it("random bounds agree with numeric comparison", () => {
    let seed = 7;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const pickNumber = () => Number(((rand() - 0.5) * 200).toFixed(Math.floor(rand() * 3)));
    const numberText = () => String(Number(((rand() - 0.5) * 220).toFixed(Math.floor(rand() * 4))));
    for (let round = 0; round < 60; round++) {
      const lo = rand() < 0.8 ? { value: pickNumber(), strict: rand() < 0.5 } : null;
      const hi = rand() < 0.8 ? { value: pickNumber(), strict: rand() < 0.5 } : null;
      const integerOnly = rand() < 0.3;
      const expr = numberRangeExpr(lo, hi, integerOnly);
      const ast: GrammarAst = { rules: new Map(expr ? [["root", expr]] : []), start: "root" };
      for (let k = 0; k < 40; k++) {
        const text = numberText();
        const x = Number(text);
        const ok =
          (lo === null || (lo.strict ? x > lo.value : x >= lo.value)) &&
          (hi === null || (hi.strict ? x < hi.value : x <= hi.value)) &&
          (!integerOnly || Number.isInteger(x)) &&
          !Object.is(x, -0);
        const got = expr !== null && referenceAccepts(ast, text);
        expect(got, `${text} in ${JSON.stringify({ lo, hi, integerOnly })}`).toBe(ok);
        if (ok && !text.includes("e")) expect(got).toBe(true);
      }
    }
  });

  it("multipleOf 1 on number means integer; other multipleOf is refused", () => {
    check({ type: "number", multipleOf: 1 }, ["3"], ["3.5"]);
    expect(() => grammarFromJsonSchema({ type: "integer", multipleOf: 3 })).toThrowError(/multipleOf/);
  });
});

describe("JSON Schema: combinators, refs, enums", () => {
  it("enum and const keep only values the other keywords allow", () => {
    check({ type: "string", enum: ["a", 1, "bb"], maxLength: 1 }, ['"a"'], ["1", '"bb"']);
    check({ const: { x: [1, null] } }, ['{"x":[1,null]}'], ['{"x":[1]}']);
  });

  it("oneOf: disjoint branches as anyOf, overlapping ones with the others negated, else refused", () => {
    check({ oneOf: [{ type: "string" }, { type: "integer" }] }, ['"a"', "1"], ["1.5"]);
    const tagged = {
      oneOf: [
        { type: "object", properties: { kind: { const: "a" }, x: { type: "integer" } }, required: ["kind"] },
        { type: "object", properties: { kind: { const: "b" } }, required: ["kind"] },
      ],
    };
    check(tagged, ['{"kind":"a","x":1}', '{"kind":"b"}'], ['{"kind":"c"}']);
    check({ oneOf: [{ type: "integer" }, { minimum: 2 }] }, ["1", "-5", "2.5", '"x"'], ["2", "3", "1.5"]);
    const overlapping = { type: "integer", oneOf: [{ multipleOf: 3 }, { multipleOf: 5 }] };
    expect(() => grammarFromJsonSchema(overlapping)).toThrowError(/oneOf/);
    expect(grammarFromJsonSchema(overlapping, { lenient: true }).ignoredKeywords).toContain("oneOf");
  });

  it("allOf merges; anyOf distributes over siblings", () => {
    const schema = {
      allOf: [{ properties: { a: { type: "integer" } } }, { required: ["a"] }],
      type: "object",
    };
    check(schema, ['{"a":1}'], ["{}", '{"a":"x"}']);
    check({ type: "integer", anyOf: [{ minimum: 10 }, { maximum: -10 }] }, ["10", "-10"], ["0", "10.5"]);
  });

  it("recursive $ref becomes rules", () => {
    const tree = {
      $defs: {
        node: { type: "object", properties: { kids: { type: "array", items: { $ref: "#/$defs/node" } } } },
      },
      $ref: "#/$defs/node",
    };
    check(tree, ['{"kids":[{"kids":[]},{}]}'], ['{"kids":[1]}']);
  });

  it("refuses keywords it cannot enforce, by name, with the pointer", () => {
    const cases: [unknown, string][] = [
      [{ properties: { a: { not: { multipleOf: 3 } } } }, "not"],
      [{ patternProperties: { "(?=x)": {} } }, "patternProperties"],
      [JSON.parse('{"if":{"multipleOf":2},"then":{"minimum":1}}'), "if"],
      [{ type: "array", uniqueItems: true }, "uniqueItems"],
      [{ $ref: "http://example.com/x.json" }, "$ref"],
      [{ type: "object", propertyNames: { maxLength: 3 } }, "propertyNames"],
      [{ type: "number", multipleOf: 0.01 }, "multipleOf"],
    ];
    for (const [schema, keyword] of cases) {
      try {
        grammarFromJsonSchema(schema);
        expect.unreachable(`${keyword} should be refused`);
      } catch (e) {
        expect(e).toBeInstanceOf(UnsupportedSchemaError);
        expect((e as UnsupportedSchemaError).keyword).toBe(keyword);
      }
    }
    try {
      grammarFromJsonSchema({ properties: { a: { not: { multipleOf: 2 } } } });
    } catch (e) {
      expect((e as UnsupportedSchemaError).pointer).toBe("/properties/a/not");
    }
  });

  it("lenient mode lists what it ignored; annotations and unknown keywords", () => {
    const r = grammarFromJsonSchema(
      { title: "t", "x-extra": 1, not: { uniqueItems: true }, type: "null" },
      { lenient: true },
    );
    expect(r.ignoredKeywords.sort()).toEqual(["not", "x-extra"]);
    expect(
      grammarFromJsonSchema({ title: "t", description: "d", default: 1, type: "null" }).ignoredKeywords,
    ).toEqual([]);
  });

  it("a schema that accepts nothing is a GrammarError", () => {
    expect(() => grammarFromJsonSchema(false)).toThrowError(GrammarError);
    expect(() => grammarFromJsonSchema({ type: "integer", minimum: 5, maximum: 4 })).toThrowError(
      GrammarError,
    );
  });
});

describe("JSON: whitespace and json_object mode", () => {
  it("flexible whitespace accepts pretty-printed JSON; compact does not", () => {
    const schema = {
      type: "object",
      properties: { a: { type: "array", items: { type: "integer" } }, b: {} },
    };
    const value = { a: [1, 2], b: { c: [true, { d: null }] } };
    check(
      schema,
      [JSON.stringify(value, null, 2), JSON.stringify(value, null, "\t"), JSON.stringify(value)],
      [" {}", "{} "],
      {
        whitespace: "flexible",
      },
    );
    check(schema, [JSON.stringify(value)], [JSON.stringify(value, null, 2)]);
  });

  it("json_object accepts exactly JSON objects", () => {
    const accepts = acceptor(grammarForJsonObject());
    for (const ok of ["{}", '{"a":[1,-2.5e+3,"\\u00e9\\n",true,false,null,{}]}'])
      expect(accepts(ok)).toBe(true);
    for (const bad of ["[]", "1", '{"a":01}', '{"a":"\\x"}', '{"a":"\u0001"}', "{'a':1}", '{"a":1,}']) {
      expect(accepts(bad), bad).toBe(false);
    }
  });
});
