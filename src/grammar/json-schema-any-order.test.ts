/**
 * Object members in any order: every key order of every candidate object is accepted exactly
 * when ajv accepts the object (JSON Schema ignores member order), on the DPDA (the grammar stays
 * LR(1)) and on the reference matcher. Regressions for JSONSchemaBench instances written in an
 * order other than the schema's (they were rejected while the object grammar fixed the order).
 */

import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { tokenizerInfoFromByteStrings } from "./byte-tokenizer-info.js";
import { referenceAccepts } from "./front-end-reference-matcher.js";
import { grammarFromJsonSchema } from "./front-ends.js";
import type { GrammarAst } from "./grammar-ast.js";
import { GrammarCompiler } from "./grammar-compiler.js";
import { GrammarMatcher } from "./grammar-matcher.js";
import type { JsonSchemaOptions } from "./json-schema-compiler.js";

const ajv = new Ajv({ strict: false });
/** All 256 single bytes as tokens, then EOS. */
const byteCompiler = new GrammarCompiler(
  tokenizerInfoFromByteStrings([...Array.from({ length: 256 }, (_, b) => Uint8Array.of(b)), null], [256]),
);

type Entries = [string, unknown][];

/** Every ordering of every subset of `pool` (a key with several candidate values: each one). */
function objectsOf(pool: Record<string, unknown[]>): Entries[] {
  const out: Entries[] = [];
  const grow = (prefix: Entries, left: string[]) => {
    out.push(prefix);
    for (const k of left)
      for (const v of pool[k] ?? [])
        grow(
          [...prefix, [k, v]],
          left.filter((x) => x !== k),
        );
  };
  grow([], Object.keys(pool));
  return out;
}

/** The text of `entries` in their order (JSON.stringify would keep insertion order too). */
function textOf(entries: Entries): string {
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(",")}}`;
}

/** A compiled schema's acceptance: DPDA and reference matcher, which must agree. */
function acceptor(schema: object, options: JsonSchemaOptions = {}): (text: string) => boolean {
  const { ast } = grammarFromJsonSchema(schema, options);
  const compiled = byteCompiler.compile(ast);
  expect(compiled.engine, "the grammar is LR(1)").toBe("dpda");
  return (text) => {
    const m = new GrammarMatcher(compiled);
    const dpda = m.acceptString(text) && m.isCompleted();
    expect(referenceAccepts(ast as GrammarAst, text), `reference vs dpda on ${text}`).toBe(dpda);
    return dpda;
  };
}

/** Every candidate object, in every order: accepted exactly when ajv accepts it. */
function checkAllOrders(schema: object, pool: Record<string, unknown[]>): { valid: number; invalid: number } {
  const accepts = acceptor(schema);
  const validate = ajv.compile(schema);
  let valid = 0;
  let invalid = 0;
  for (const entries of objectsOf(pool)) {
    const ok = validate(Object.fromEntries(entries));
    if (ok) valid++;
    else invalid++;
    expect(accepts(textOf(entries)), `${textOf(entries)} (ajv: ${ok})`).toBe(ok);
  }
  // Both outcomes occur, so the check can fail either way.
  expect(valid > 0 && invalid > 0).toBe(true);
  return { valid, invalid };
}

describe("JSON Schema: members in any order", () => {
  it("oneOf branches merged with sibling properties (Glaiveai2K calculate_area_27950976)", () => {
    const schema = {
      type: "object",
      properties: {
        radius: { type: "number" },
        shape: { enum: ["circle", "square"] },
        side: { type: "number" },
      },
      oneOf: [
        { properties: { shape: { const: "circle" } }, required: ["shape", "radius"] },
        { properties: { shape: { const: "square" } }, required: ["shape", "side"] },
      ],
    };
    checkAllOrders(schema, { shape: ["circle", "square"], radius: [5], side: [2, "x"] });
  });

  it("a nested object before its sibling (calculate_area_c1398e46: dependencies in the inner object)", () => {
    const schema = {
      type: "object",
      properties: {
        dimensions: {
          type: "object",
          properties: { length: { type: "number" }, width: { type: "number" } },
          required: ["length"],
          dependencies: { shape: ["width"] },
        },
        shape: { type: "string" },
      },
      required: ["shape"],
    };
    checkAllOrders(schema, { shape: ["rectangle", 1], dimensions: [{ length: 1 }, { width: 2 }] });
    const accepts = acceptor(schema);
    expect(accepts('{"shape":"r","dimensions":{"width":2,"length":1}}')).toBe(true);
    expect(accepts('{"dimensions":{"shape":0,"length":1}}')).toBe(false);
    expect(accepts('{"shape":"r","dimensions":{"shape":0,"width":1,"length":1}}')).toBe(true);
  });

  it("presence groups: dependencies and anyOf of required, names absent until written", () => {
    // A negated `required` is a disjunction of made-disjoint branches with nested disjunctions:
    // still presence only, so one object grammar (o91408; two alternatives were not LR(1)).
    checkAllOrders({ type: "object", not: { required: ["a", "b"] } }, { a: [1], b: [2], c: [3] });
    checkAllOrders(
      {
        type: "object",
        properties: { a: {}, b: {}, c: {} },
        dependencies: { a: ["b"], c: { not: { required: ["b"] } } },
      },
      { a: [1], b: [2], c: [3] },
    );
    checkAllOrders(
      {
        type: "object",
        anyOf: [{ required: ["x"] }, { required: ["y", "z"] }],
        additionalProperties: { type: "integer" },
      },
      { x: [1], y: [2, "s"], z: [3] },
    );
  });

  it("min/maxProperties count distinct members, with undeclared keys beside declared ones", () => {
    checkAllOrders(
      { type: "object", properties: { a: { type: "integer" }, b: {} }, minProperties: 2, maxProperties: 2 },
      { a: [1, "x"], b: [2], c: [3] },
    );
    checkAllOrders(
      {
        type: "object",
        properties: { id: { type: "string" } },
        patternProperties: { "^x_": { type: "integer" } },
        additionalProperties: false,
        required: ["id"],
      },
      { id: ["i", 1], x_a: [1, "s"], y: [0] },
    );
  });

  it("a tracked name is written once; an untracked one is checked at every occurrence", () => {
    const accepts = acceptor({
      type: "object",
      properties: { a: { type: "integer" }, b: {} },
      required: ["b"],
    });
    expect(accepts('{"b":1,"a":2}')).toBe(true);
    expect(accepts('{"b":1,"b":2}')).toBe(false);
    expect(accepts('{"a":1,"b":1,"a":2}')).toBe(true);
    expect(accepts('{"a":1,"b":1,"a":"x"}')).toBe(false);
  });

  it("propertyOrder schema keeps schema order, the default in strict mode", () => {
    const schema = { type: "object", properties: { a: {}, b: {} }, required: ["a", "b"] };
    const ordered = acceptor(schema, { propertyOrder: "schema" });
    expect(ordered('{"a":1,"b":2}')).toBe(true);
    expect(ordered('{"b":2,"a":1}')).toBe(false);
    // OpenAI strict mode writes properties in schema order: the default there.
    const strict = acceptor(schema, { strictProperties: true });
    expect(strict('{"a":1,"b":2}')).toBe(true);
    expect(strict('{"b":2,"a":1}')).toBe(false);
    expect(acceptor(schema, { strictProperties: true, propertyOrder: "any" })('{"b":2,"a":1}')).toBe(true);
  });

  it("many required names form a chain in schema order, others anywhere around it", () => {
    const names = Array.from({ length: 9 }, (_, i) => `k${i}`);
    const schema = {
      type: "object",
      properties: Object.fromEntries(names.map((n) => [n, { type: "integer" }])),
      required: [...names].reverse(),
    };
    const accepts = acceptor(schema);
    const written = (keys: string[]) => textOf(keys.map((n) => [n, 0]));
    expect(accepts(written(names))).toBe(true);
    expect(accepts(written(["x", ...names.slice(0, 4), "y", ...names.slice(4), "z"]))).toBe(true);
    expect(accepts(textOf([...names.map((n): [string, unknown] => [n, 0]), ["x", "s"]]))).toBe(true);
    expect(accepts(written(names.slice(1)))).toBe(false);
    expect(accepts(written([...names, "k0"]))).toBe(false);
    expect(accepts(textOf(names.map((n, i): [string, unknown] => [n, i === 3 ? "s" : 0])))).toBe(false);
    // Outside the chain order: rejected (a smaller language, never a larger one).
    expect(accepts(written([...names].reverse()))).toBe(false);
  });

  it("over budget even as a chain: schema order", () => {
    const names = Array.from({ length: 9 }, (_, i) => `k${i}`);
    // minProperties past the required names tracks every declared name: 9 optional names.
    const schema = {
      type: "object",
      properties: Object.fromEntries(names.map((n) => [n, {}])),
      minProperties: 1,
    };
    const accepts = acceptor(schema);
    expect(accepts('{"k0":1,"k8":2}')).toBe(true);
    expect(accepts('{"k8":2,"k0":1}')).toBe(false);
    expect(accepts("{}")).toBe(false);
  });

  it("branches repeating a schema share member rules, so any order stays LR(1) (o27840)", () => {
    // Equal schemas but for annotations: one grammar, so one member rule for "zones".
    const zones = (description: string) => ({
      type: "object",
      description,
      additionalProperties: { type: "integer" },
    });
    const schema = {
      oneOf: [
        {
          type: "object",
          additionalProperties: false,
          properties: { on: { const: true }, zones: zones("enabled zones") },
          required: ["on", "zones"],
        },
        {
          type: "object",
          additionalProperties: false,
          properties: { on: { const: false }, zones: zones("zones") },
          required: ["on"],
        },
      ],
    };
    checkAllOrders(schema, { zones: [{ a: 1 }, { a: "x" }], on: [true, false] });
  });

  it("branches a later key must tell apart fall back to schema order, still exact (o13137)", () => {
    const schema = {
      type: "object",
      properties: { name: { type: "string" }, required: { type: "boolean" }, unique: { type: "boolean" } },
      additionalProperties: false,
      oneOf: [
        { properties: { required: { enum: [false] }, unique: { enum: [false] } } },
        { properties: { required: { enum: [true] }, unique: { enum: [true, false] } } },
      ],
    };
    // "unique": false cannot tell the branches apart; "required" may come after it in any order.
    const fallback = grammarFromJsonSchema(schema, { propertyOrder: "schema" }).ast;
    expect(grammarFromJsonSchema(schema).ast).toEqual(fallback);
    const accepts = acceptor(schema);
    const validate = ajv.compile(schema);
    let numAccepted = 0;
    for (const entries of objectsOf({ name: ["n"], required: [true, false], unique: [true, false] })) {
      const accepted = accepts(textOf(entries));
      if (accepted) numAccepted++;
      if (accepted) expect(validate(Object.fromEntries(entries)), textOf(entries)).toBe(true);
    }
    expect(accepts('{"name":"n","required":true,"unique":false}')).toBe(true);
    expect(accepts('{"required":false,"unique":false}')).toBe(true);
    expect(numAccepted).toBeGreaterThan(3);
  });
});
