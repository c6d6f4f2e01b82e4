/**
 * anyOf/oneOf expansion: recursion through a disjunction whose branches take sibling keywords,
 * conjunctions that merging repeats, contradictory combinations, and the refusal (by keyword and
 * pointer) of schemas whose combinations expand too much. Regressions for JSONSchemaBench schemas
 * that were refused with a generic grammar error (JsonSchemaStore resjson, WashingtonPost
 * wp_*_Normalized, Github_trivial o83688).
 */

import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { UnsupportedSchemaError } from "../errors.js";
import { compileForTest } from "./compile-for-test.js";
import { referenceAccepts } from "./front-end-reference-matcher.js";
import { grammarFromJsonSchema } from "./front-ends.js";

const ajv = new Ajv({ strict: false });

/** Every instance is accepted exactly when ajv accepts it; both outcomes must occur. */
function checkExact(schema: object, instances: unknown[]): void {
  const { ast } = grammarFromJsonSchema(schema);
  const earley = compileForTest(ast);
  const validate = ajv.compile(schema);
  const outcomes = new Set<boolean>();
  for (const v of instances) {
    const text = JSON.stringify(v);
    const accepted = referenceAccepts(ast, text);
    expect(earley.accepts(text), `earley vs reference on ${text}`).toBe(accepted);
    expect(accepted, `${text} (ajv: ${validate(v)})`).toBe(validate(v));
    outcomes.add(accepted);
  }
  expect(outcomes.size, "instances both valid and invalid").toBe(2);
}

describe("JSON Schema: anyOf/oneOf expansion", () => {
  it("recursion through anyOf with a sibling keyword closes as a grammar cycle (resjson)", () => {
    const schema = {
      type: "object",
      additionalProperties: { minProperties: 1, anyOf: [{ type: "string" }, { $ref: "#" }] },
    };
    checkExact(schema, [
      {},
      { a: "x" },
      { a: {} },
      { a: { b: "y" } },
      { a: { b: { c: "z" } } },
      { a: { b: {} } },
      { a: 1 },
    ]);
  });

  it("a conjunction repeated by merges keeps one rule (WashingtonPost credits/by/items)", () => {
    // "by" is declared and also matches the pattern: its items are a conjunction of two equal
    // anyOf schemas, and every level of the recursion used to double it.
    const items = {
      type: "object",
      anyOf: [{ $ref: "#/definitions/author" }, { required: ["ref"] }],
    };
    const schema = {
      $ref: "#/definitions/node",
      definitions: {
        node: {
          type: "object",
          properties: { by: { type: "array", items } },
          patternProperties: { "^[a-z]*$": { type: "array", items } },
        },
        author: {
          type: "object",
          required: ["name"],
          properties: { name: { type: "string" }, image: { $ref: "#/definitions/node" } },
        },
      },
    };
    checkExact(schema, [
      {},
      { by: [{ ref: 1 }] },
      { by: [{ name: "n", image: { by: [{ name: "m" }] } }] },
      { by: [{ name: "n", image: { by: [{ image: {} }] } }] },
      { by: [{}] },
      { by: [{ name: 1 }] },
    ]);
  });

  it("contradictory combinations are dropped before they expand (overlapping ranges, o83688)", () => {
    const schema = {
      anyOf: [
        { type: "integer", minimum: 2, maximum: 4 },
        { type: "integer", minimum: 4, maximum: 6 },
        { type: "integer", minimum: 8, maximum: 10 },
        { type: "integer", minimum: 10, maximum: 12 },
      ],
    };
    checkExact(schema, [1, 2, 4, 5, 6, 7, 8, 10, 12, 13, 4.5, "4", null]);
  });

  it("too many combinations are refused by keyword and pointer", () => {
    const letters = "abcdefghij".split("");
    const allOf = letters.map((k) => ({
      anyOf: [{ properties: { [k]: { type: "string" } } }, { properties: { [k]: { type: "integer" } } }],
    }));
    const schema = { type: "object", properties: { p: { allOf } } };
    let err: unknown;
    try {
      grammarFromJsonSchema(schema);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnsupportedSchemaError);
    expect((err as UnsupportedSchemaError).keyword).toBe("anyOf");
    expect((err as UnsupportedSchemaError).pointer).toBe("/properties/p");
  });
});
