/**
 * The JSON Schema keywords enforced through negation, disjunction, key regions, member counting
 * and value-by-value checks: `not`, `if`/`then`/`else`, `dependencies` (all forms), exact
 * `oneOf`, `patternProperties`, `minProperties` / `maxProperties`, and `enum`/`const` with any
 * decidable keyword. Every case is checked against ajv: the grammar never accepts an instance
 * ajv rejects, and accepts the listed valid ones.
 */

import { Ajv } from "ajv";
import { Ajv2019 } from "ajv/dist/2019.js";
import addFormatsImport from "ajv-formats";
import { describe, expect, it } from "vitest";
import { UnsupportedSchemaError } from "../errors.js";
import { tokenizerInfoFromByteStrings } from "./byte-tokenizer-info.js";
import { compileForTest } from "./compile-for-test.js";
import { referenceAccepts } from "./front-end-reference-matcher.js";
import { grammarFromJsonSchema } from "./front-ends.js";
import { GrammarCompiler } from "./grammar-compiler.js";
import { SchemaDocument } from "./json-schema-document.js";
import { isMultipleOf } from "./json-schema-multiple.js";
import { InstanceValidator } from "./json-schema-validate.js";

const addFormats = addFormatsImport as unknown as (ajv: Ajv) => Ajv;
const ajv = addFormats(new Ajv({ strict: false }));
const ajv2019 = new Ajv2019({ strict: false });
/** All 256 single bytes as tokens, then EOS. */
const byteCompiler = new GrammarCompiler(
  tokenizerInfoFromByteStrings([...Array.from({ length: 256 }, (_, b) => Uint8Array.of(b)), null], [256]),
);

/**
 * `valid` must be accepted; every instance in `valid` and `probe` is accepted only if ajv
 * accepts it (and `probe` must contain at least one instance ajv rejects, so the test can fail).
 */
function check(schema: object, valid: unknown[], probe: unknown[], oracle: Ajv = ajv): void {
  const { ast } = grammarFromJsonSchema(schema);
  const earley = compileForTest(ast);
  const validate = oracle.compile(schema);
  for (const v of valid) expect(validate(v), `ajv: valid ${JSON.stringify(v)}`).toBe(true);
  expect(
    probe.some((v) => !validate(v)),
    "probe holds an invalid instance",
  ).toBe(true);
  for (const v of [...valid, ...probe]) {
    const text = JSON.stringify(v);
    const accepted = referenceAccepts(ast, text);
    expect(earley.accepts(text), `earley vs reference on ${text}`).toBe(accepted);
    if (accepted) expect(validate(v), `accepted ${text} must be valid`).toBe(true);
    if (valid.includes(v)) expect(accepted, `valid ${text} must be accepted`).toBe(true);
  }
}

describe("JSON Schema: not", () => {
  it("negates types, values, bounds and lengths keyword by keyword", () => {
    check({ not: { type: "string" } }, [1, null, [], {}], ["a", ""]);
    check({ type: "string", not: { enum: ["a", "b"] } }, ["c", "", "ab"], ["a", "b"]);
    check({ type: "integer", not: { const: 3 } }, [2, 4, -3, 30], [3]);
    check({ type: "number", not: { minimum: 2 } }, [1.5, -4], [2, 3]);
    check({ type: "string", not: { maxLength: 2 } }, ["abc"], ["ab", ""]);
    check({ type: "boolean", not: { const: true } }, [false], [true]);
    check({ not: { type: "number" } }, ["x", true], [1, 1.5]);
    check({ type: "number", maximum: 10, not: { type: "integer" } }, [1.5, -0.25, 9.99], [1, 0, -3, 10.5]);
    check({ not: { multipleOf: 1 } }, [1.5, -2.25], ["a", null, 2, -7]);
  });

  it("negates required, properties, patterns and nested combinators", () => {
    check({ type: "object", not: { required: ["a"] } }, [{}, { b: 1 }], [{ a: 1 }]);
    check(
      {
        type: "object",
        properties: { kind: { type: "string" } },
        not: { properties: { kind: { const: "x" } } },
      },
      [{ kind: "y" }],
      [{ kind: "x" }, {}],
    );
    check({ type: "string", not: { pattern: "^a" } }, ["ba", ""], ["a", "abc"]);
    check({ type: "string", not: { format: "date" } }, ["x", "2024-13-01"], ["2024-01-01"]);
    check({ not: { anyOf: [{ type: "string" }, { type: "null" }] } }, [1, true], ["s", null]);
    check({ type: "integer", not: { not: { minimum: 5 } } }, [5, 9], [4, -1]);
  });

  it("refuses negations it cannot write, by name", () => {
    for (const schema of [{ not: { multipleOf: 2 } }, { not: { uniqueItems: true } }]) {
      expect(() => grammarFromJsonSchema(schema)).toThrowError(UnsupportedSchemaError);
    }
  });
});

describe("JSON Schema: conditionals, dependencies, exact oneOf", () => {
  it("if/then/else as (if and then) or (not if and else)", () => {
    // (`then` written through JSON: an object literal with a `then` key reads as a thenable.)
    const schema = JSON.parse(
      JSON.stringify({
        type: "object",
        properties: { kind: { enum: ["a", "b"] }, n: { type: "integer" } },
        required: ["kind"],
        if: { properties: { kind: { const: "a" } } },
        else: { properties: { n: false } },
      }).replace('"else"', '"then":{"required":["n"]},"else"'),
    );
    check(schema, [{ kind: "a", n: 1 }, { kind: "b" }], [{ kind: "a" }, { kind: "b", n: 2 }]);
  });

  it("dependencies, dependentRequired and dependentSchemas", () => {
    check(
      { type: "object", properties: { a: {}, b: {} }, dependencies: { a: ["b"] } },
      [{}, { b: 1 }, { a: 1, b: 2 }],
      [{ a: 1 }],
    );
    check(
      { type: "object", properties: { a: {}, b: {} }, dependentRequired: { a: ["b"] } },
      [{ a: 1, b: 2 }],
      [{ a: 1 }],
      ajv2019,
    );
    check(
      {
        type: "object",
        properties: { a: {}, b: { type: "integer" } },
        dependentSchemas: { a: { properties: { b: { minimum: 10 } } } },
      },
      [{ b: 1 }, { a: 0, b: 10 }],
      [{ a: 0, b: 1 }],
      ajv2019,
    );
  });

  it("oneOf with overlapping branches: each branch without the others", () => {
    const schema = {
      type: "object",
      properties: { a: { type: "integer" }, b: { type: "integer" } },
      oneOf: [{ required: ["a"] }, { required: ["b"] }],
    };
    check(schema, [{ a: 1 }, { b: 2 }], [{ a: 1, b: 2 }, {}]);
    check({ type: "string", oneOf: [{ maxLength: 3 }, { pattern: "^a" }] }, ["xy", "abcd"], ["ab", "xyzw"]);
  });
});

describe("JSON Schema: presence constraints tracked in one object grammar", () => {
  it("dependencies and overlapping required-only branches: exact, LR(1), no expansion", () => {
    const schema = {
      type: "object",
      properties: Object.fromEntries(["a", "b", "c", "d", "e"].map((k) => [k, { type: "integer" }])),
      dependencies: { a: ["b"], c: ["d"], e: ["a"] },
      oneOf: [{ required: ["b"] }, { required: ["d"] }],
      anyOf: [{ required: ["a"] }, { required: ["c"] }, { not: { required: ["e"] } }],
    };
    const all = Array.from({ length: 32 }, (_, bits) =>
      Object.fromEntries(["a", "b", "c", "d", "e"].filter((_, k) => (bits >> k) & 1).map((k) => [k, 1])),
    );
    const validate = ajv.compile(schema);
    check(
      schema,
      all.filter((v) => validate(v)),
      all,
    );
    const compiled = byteCompiler.compile(grammarFromJsonSchema(schema, { whitespace: "flexible" }).ast);
    expect(compiled.engine).toBe("dpda");
  });
});

describe("JSON Schema: string branches side by side", () => {
  it("anyOf of patterned strings, formats and literals is one automaton (LR(1), exact)", () => {
    const schema = {
      anyOf: [
        { type: "string", pattern: "^ab+$" },
        { type: "string", format: "date" },
        { enum: ["abc", "mysql", 3] },
        { type: "string", maxLength: 2 },
      ],
    };
    check(schema, ["abbb", "2024-02-29", "abc", "mysql", "xy", 3], ["abx", "2024-02-30", "mysqlx", 4, "xyz"]);
    const compiled = byteCompiler.compile(grammarFromJsonSchema(schema).ast);
    expect(compiled.engine).toBe("dpda");
  });
});

describe("JSON Schema: patternProperties and member counts", () => {
  it("keys fall in regions by the patterns they match; declared names keep their schemas", () => {
    const schema = {
      type: "object",
      properties: { x_id: { type: "string" } },
      patternProperties: { "^x_": { type: "integer" }, id$: { minimum: 5 } },
      additionalProperties: false,
    };
    check(
      schema,
      [{ x_a: 1 }, { aid: 7 }, { x_bid: 9 }],
      [{ y: 1 }, { x_a: "s" }, { x_bid: 2 }, { x_id: 1 }, { x_id: "s" }],
    );
    check(
      { type: "object", patternProperties: { "^[a-z]+$": { type: "boolean" } } },
      [{ a: true, B: 1 }],
      [{ a: 1 }],
    );
  });

  it("minProperties and maxProperties count declared and extra members", () => {
    check(
      { type: "object", properties: { a: {}, b: {} }, minProperties: 1, maxProperties: 2 },
      [{ a: 1 }, { b: 1 }, { a: 1, b: 2 }, { c: 1, d: 2 }],
      [{}, { a: 1, b: 2, c: 3 }],
    );
    check(
      { type: "object", additionalProperties: { type: "integer" }, minProperties: 2 },
      [{ a: 1, b: 2 }],
      [{ a: 1 }],
    );
  });
});

describe("JSON Schema: enum and const checked value by value", () => {
  it("keeps the values every keyword accepts, whatever the keyword", () => {
    check({ enum: [[1, 1], [1, 2], 3, 4.5], uniqueItems: true, multipleOf: 1.5 }, [[1, 2], 4.5], [[1, 1], 3]);
    check(
      { allOf: [{ enum: [{ a: 1 }, { a: 2 }] }, { not: { properties: { a: { const: 1 } } } }] },
      [{ a: 2 }],
      [{ a: 1 }],
    );
  });

  it("the validator decides multipleOf exactly in decimal", () => {
    expect(isMultipleOf(0.3, 0.1)).toBe(true);
    expect(isMultipleOf(4.5, 1.5)).toBe(true);
    expect(isMultipleOf(1e-7, 1e-8)).toBe(true);
    expect(isMultipleOf(0.35, 0.1)).toBe(false);
    const v = new InstanceValidator(new SchemaDocument(true, false));
    expect(v.validate({ contains: { const: 2 }, maxContains: 1 }, [2, 3])).toBe(true);
    expect(v.validate({ contains: { const: 2 }, maxContains: 1 }, [2, 2])).toBe(false);
  });
});
