/**
 * `tokenflow grammar bench` on a handful of hand-made schemas: the JSON report's exact shape,
 * refusals counted by keyword, false rejects/accepts counted, and the web-xgrammar peer.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../cli/main.js";
import { benchSchema, GrammarBenchTally, percentile } from "./grammar-bench.js";
import type { BenchEngine } from "./grammar-bench-types.js";

const SCHEMAS = [
  {
    id: "int",
    schema: { type: "integer", minimum: 0 },
    tests: [
      { valid: true, data: 42 },
      { valid: false, data: -3 },
      { valid: false, data: "x" },
    ],
  },
  {
    id: "obj",
    schema: {
      type: "object",
      properties: { name: { type: "string" }, tags: { type: "array", items: { enum: ["a", "b"] } } },
      required: ["name"],
    },
    tests: [
      { valid: true, data: { name: "Ann", tags: ["a", "b"] } },
      { valid: true, data: { name: "Bo" } },
      { valid: false, data: { tags: ["a"] } },
      { valid: false, data: { name: "x", tags: ["c"] } },
    ],
  },
  {
    id: "refused",
    schema: { type: "object", unevaluatedProperties: false },
    tests: [{ valid: true, data: {} }],
  },
];

const R_KEYS = [
  "engine",
  "schemas",
  "compiled",
  "covered",
  "refused",
  "compile_ms",
  "mask_us",
  "false_rejects",
  "false_accepts",
];

describe("tokenflow grammar bench", () => {
  let dir: string;
  let file: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "tokenflow-grammar-bench-"));
    file = join(dir, "schemas.jsonl");
    await writeFile(file, `${SCHEMAS.map((s) => JSON.stringify(s)).join("\n")}\n`);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function bench(...flags: string[]): Promise<{ code: number; text: string }> {
    let text = "";
    const code = await main(["node", "tokenflow", "grammar", "bench", "--schemas", file, ...flags], (s) => {
      text += s;
    });
    return { code, text };
  }

  it("--json prints {ours, peer} with the issue's fields, refusals by keyword, no false accepts", async () => {
    const { code, text } = await bench("--json", "--peer", "xgrammar");
    expect(code).toBe(0);
    const result = JSON.parse(text);
    expect(Object.keys(result)).toEqual(["ours", "peer"]);
    const { ours, peer } = result;
    expect(Object.keys(ours)).toEqual(R_KEYS);
    expect(Object.keys(ours.compile_ms)).toEqual(["p50", "p90", "p99", "max"]);
    expect(Object.keys(ours.mask_us)).toEqual(["p50", "p90", "p99", "p999", "max"]);
    expect(ours).toMatchObject({ engine: "tokenflow-pre3", schemas: 3, compiled: 2, covered: 2 });
    expect(ours.refused).toEqual({ unevaluatedProperties: 1 });
    expect(ours.false_accepts).toBe(0);
    expect(ours.false_rejects).toBe(0);
    expect(ours.mask_us.p50).toBeGreaterThan(0);
    expect(Object.keys(peer)).toEqual(R_KEYS);
    expect(peer).toMatchObject({ engine: "web-xgrammar", schemas: 3 });
  });

  it("prints a table without --json and honours --limit", async () => {
    const { code, text } = await bench("--limit", "1");
    expect(code).toBe(0);
    expect(text).toMatch(/^\s+tokenflow-pre3\nschemas\s+1\n/);
    expect(text).toContain("false accepts");
  });

  it("reads a directory of split files, keeps every n-th schema, counts per split", async () => {
    const splits = join(dir, "splits");
    await mkdir(splits);
    await writeFile(join(splits, "A.jsonl"), `${SCHEMAS.map((s) => JSON.stringify(s)).join("\n")}\n`);
    await writeFile(join(splits, "B.jsonl"), `${JSON.stringify(SCHEMAS[0])}\n`);
    let text = "";
    const argv = [
      "node",
      "tokenflow",
      "grammar",
      "bench",
      "--schemas",
      splits,
      "--stride",
      "2",
      "--json",
      "--by-split",
    ];
    expect(await main(argv, (s) => (text += s))).toBe(0);
    const { ours, splits: bySplit } = JSON.parse(text);
    expect(ours.schemas).toBe(3); // A: schemas 1 and 3; B: schema 1
    expect(bySplit.A.ours).toMatchObject({ schemas: 2, compiled: 1, covered: 1, false_accepts: 0 });
    expect(bySplit.B.ours).toMatchObject({ schemas: 1, covered: 1 });
    expect(bySplit.A.peer).toBeNull();
  });

  it("refuses a missing file and a bad line with a clear error", async () => {
    const bad = join(dir, "bad.jsonl");
    await writeFile(bad, '{"schema": {}}\n');
    let text = "";
    const code = await main(["node", "tokenflow", "grammar", "bench", "--schemas", bad], (s) => {
      text += s;
    });
    expect(code).toBe(1);
    expect(text).toBe("");
  });
});

describe("percentile", () => {
  it("is nearest-rank on a sorted array", () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile(xs, 99.9)).toBe(100);
    expect(percentile([], 50)).toBe(0);
  });
});

describe("benchSchema", () => {
  /** An engine that allows only token 1, then ends; each mask takes `maskMs`. */
  function fakeEngine(maskMs: number): BenchEngine {
    return {
      name: "fake",
      compile: async () => ({
        ok: true,
        compileMs: 1,
        grammar: {
          allowsPretty: false,
          dispose() {},
          newWalker: async () => {
            let n = 0;
            return {
              fillMask: () => new Promise<void>((resolve) => setTimeout(resolve, maskMs)),
              allows: (id) => id === 1 && n === 0,
              accept: (id) => id === 1 && n++ === 0,
              isCompleted: () => n === 1,
              dispose() {},
            };
          },
        },
      }),
      dispose() {},
    };
  }
  const schema = { id: "s", split: "", schema: {}, tests: [] };

  it("counts false rejects, false accepts and coverage", async () => {
    const tally = new GrammarBenchTally();
    await benchSchema(
      fakeEngine(0),
      schema,
      [
        { valid: true, pretty: false, ids: [1] },
        { valid: true, pretty: false, ids: [2] },
        { valid: false, pretty: false, ids: [1] },
        { valid: true, pretty: true, ids: [2] },
      ],
      tally,
    );
    expect(tally.report("fake")).toMatchObject({
      compiled: 1,
      covered: 0,
      false_rejects: 1,
      false_accepts: 1,
    });
    expect(tally.numInstances).toBe(3);
  });

  it("a schema whose walks pass the budget is refused as timeout", async () => {
    const tally = new GrammarBenchTally();
    await benchSchema(fakeEngine(30), schema, [{ valid: true, pretty: false, ids: [1] }], tally, 10);
    expect(tally.report("fake")).toMatchObject({ compiled: 0, covered: 0, refused: { timeout: 1 } });
  });
});
