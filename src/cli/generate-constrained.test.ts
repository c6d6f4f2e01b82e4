import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv } from "ajv";
import addFormatsImport from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grammarFromJsonSchema } from "../grammar/front-ends.js";
import { GrammarCompiler } from "../grammar/grammar-compiler.js";
import { GrammarMatcher } from "../grammar/grammar-matcher.js";
import { type OpenedModel, openModel } from "../model/open-model.js";
import type { Tokenizer } from "../model/tokenizer.js";
import { tokenizerForModel } from "../model/tokenizer-for-model.js";
import { generateSequences, kvBytesFor } from "../runtime/generate.js";
import { NativeRunner } from "../runtime/native-runner.js";
import { closingTokenIds, type PickedSchema, pickBenchSchemas } from "../test-support/bench-schemas.js";
import { sharedPath } from "../test-support/shared-data.js";
import { testModelPath } from "../test-support/test-models.js";
import { main } from "./main.js";

const addFormats = addFormatsImport as unknown as (ajv: Ajv) => Ajv;

const SPLITS = ["Github_easy", "Glaiveai2K"] as const;
const PER_SPLIT = 25;
const MAX_TOKENS = 384;
/**
 * Sampling: a temperature far above the random model's logit range makes choices nearly uniform
 * over the allowed tokens (at temperature 1 it repeats one token forever), and a bias of
 * 11 × temperature on closing tokens (e^11 ≈ 60k against ~128k uniform tokens) ends most values
 * within a few tokens.
 */
const TEMPERATURE = 10_000;
const CLOSE_BIAS = 11 * TEMPERATURE;

/** As `tokenflow generate` compiles schemas: declared properties in schema order. */
const SCHEMA_ORDER = { propertyOrder: "schema" } as const;

/** Tokens that end values get a bias of 11 × temperature (see TEMPERATURE). */
function closingBias(tokenizer: Tokenizer): Map<number, number> {
  return new Map(closingTokenIds(tokenizer).map((id) => [id, CLOSE_BIAS]));
}

async function llama3ModelPath(): Promise<string> {
  return testModelPath("llama3Tiny", 5);
}

const benchDir = sharedPath("data/jsonschemabench");

describe.skipIf(benchDir === null)("constrained generation on 50 JSONSchemaBench schemas", () => {
  let model: OpenedModel;
  let tokenizer: Tokenizer;

  beforeAll(async () => {
    model = await openModel(await llama3ModelPath());
    tokenizer = tokenizerForModel(model);
  });

  it("every finished output parses and validates with ajv", async () => {
    const ajv = addFormats(new Ajv({ strict: false, allErrors: false, validateFormats: true }));
    const skipped: Record<string, number> = {};
    const picked = await pickBenchSchemas(benchDir as string, ajv, SPLITS, PER_SPLIT, skipped, SCHEMA_ORDER);
    expect(picked.length).toBe(SPLITS.length * PER_SPLIT);
    const compiler = new GrammarCompiler(tokenizer.info);
    const compiled = picked.map((p) => compiler.compile(grammarFromJsonSchema(p.schema, SCHEMA_ORDER).ast));
    const prompt = tokenizer.encode("Answer in JSON:", { addBos: true });
    const runner = await NativeRunner.create(model, {
      kvCacheBytes: kvBytesFor(model.spec, picked.length, prompt.length + MAX_TOKENS),
    });
    try {
      const seqs = await generateSequences(
        runner,
        picked.map(() => prompt),
        {
          maxTokens: MAX_TOKENS,
          sampling: { temperature: TEMPERATURE, seed: 42, logitBias: closingBias(tokenizer) },
          eogIds: new Set(model.spec.specialTokens.eogIds),
          constraint: (i) => new GrammarMatcher(compiled[i] as (typeof compiled)[number]),
        },
      );
      const samples: string[] = [];
      const unfinished: string[] = [];
      const invalid: string[] = [];
      for (const [i, seq] of seqs.entries()) {
        const p = picked[i] as PickedSchema;
        expect(seq.finish, p.id).not.toBe("constraint_violation");
        if (seq.finish !== "constraint_end") {
          unfinished.push(`${p.id}: ${tokenizer.decode(seq.tokens, { skipSpecial: true }).slice(0, 160)}`);
          continue;
        }
        const text = tokenizer.decode(seq.tokens.slice(0, -1), {
          skipSpecial: true,
          stripLeadingSpace: false,
        });
        if (i % 10 === 0) samples.push(text.slice(0, 120));
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch {
          invalid.push(`${p.id}: does not parse: ${text.slice(0, 200)}`);
          continue;
        }
        if (!p.validate(value))
          invalid.push(`${p.id}: ${ajv.errorsText(p.validate.errors)}: ${text.slice(0, 200)}`);
      }
      console.log(
        `constrained generation: ${picked.length} schemas, ${picked.length - unfinished.length} finished and ` +
          `validated, ${unfinished.length} unfinished at ${MAX_TOKENS} tokens; skipped while picking: ${JSON.stringify(skipped)}; ` +
          `samples: ${samples.join(" | ")}`,
      );
      expect(invalid).toEqual([]);
      expect(unfinished).toEqual([]);
    } finally {
      runner.dispose();
    }
  });
});

describe("tokenflow generate with a constraint", () => {
  let dir: string;
  let modelPath: string;

  beforeAll(async () => {
    modelPath = await llama3ModelPath();
    dir = await mkdtemp(join(tmpdir(), "tokenflow-constrained-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function generate(...flags: string[]): Promise<{ code: number; result: Record<string, unknown> }> {
    let printed = "";
    const argv = [
      "node",
      "tokenflow",
      "generate",
      "--model",
      modelPath,
      "--prompt",
      "Answer:",
      "--json",
      ...flags,
    ];
    const code = await main(argv, (s) => {
      printed += s;
    });
    return { code, result: code === 0 ? JSON.parse(printed) : {} };
  }

  it("--json-schema: a bounded schema ends with a valid instance", async () => {
    const schema = {
      type: "object",
      properties: { ok: { type: "boolean" }, level: { enum: ["low", "high"] } },
      required: ["ok", "level"],
      additionalProperties: false,
    };
    const file = join(dir, "schema.json");
    await writeFile(file, JSON.stringify(schema));
    const { code, result } = await generate("--json-schema", file, "--max-tokens", "32");
    expect(code).toBe(0);
    expect(result.finish).toBe("constraint_end");
    const value = JSON.parse(result.text as string);
    expect(new Ajv().compile(schema)(value)).toBe(true);
  });

  it("--json-schema: an ambiguous anyOf (not LR(1), run as GLR) ends with valid instances", async () => {
    // Both branches accept {"id": n}; an enum sits next to a free string. Bounded, so it ends.
    const ID = { type: "integer", minimum: 0, maximum: 99 };
    const schema = {
      type: "object",
      properties: {
        item: {
          anyOf: [
            {
              type: "object",
              properties: { id: ID, kind: { enum: ["a", "b"] } },
              additionalProperties: false,
            },
            {
              type: "object",
              properties: { id: ID, kind: { type: "string", maxLength: 3 } },
              additionalProperties: false,
            },
          ],
        },
      },
      required: ["item"],
      additionalProperties: false,
    };
    const validate = new Ajv().compile(schema);
    const file = join(dir, "ambiguous.json");
    await writeFile(file, JSON.stringify(schema));
    const compiled = new GrammarCompiler(tokenizerForModel(await openModel(modelPath)).info).compile(
      grammarFromJsonSchema(schema, SCHEMA_ORDER).ast,
    );
    expect(compiled.engine).toBe("glr");
    for (const seed of ["1", "2", "3"]) {
      const { code, result } = await generate(
        "--json-schema",
        file,
        "--max-tokens",
        "64",
        "--temperature",
        "1",
        "--seed",
        seed,
      );
      expect(code).toBe(0);
      expect(result.finish, String(result.text)).toBe("constraint_end");
      expect(validate(JSON.parse(result.text as string)), String(result.text)).toBe(true);
    }
  });

  it("--choices and --regex: the output is one of the choices / matches", async () => {
    const c = await generate("--choices", "red,green,blue", "--max-tokens", "8");
    expect(c.result.finish).toBe("constraint_end");
    expect(["red", "green", "blue"]).toContain(c.result.text);
    const r = await generate("--regex", "[0-9]{3}-[a-z]{2}", "--max-tokens", "16");
    expect(r.result.finish).toBe("constraint_end");
    expect(r.result.text).toMatch(/^[0-9]{3}-[a-z]{2}$/);
  });

  it("--grammar: a GBNF file constrains the output", async () => {
    const file = join(dir, "yesno.gbnf");
    await writeFile(file, 'root ::= ("yes" | "no") "!"\n');
    const { result } = await generate("--grammar", file, "--max-tokens", "8");
    expect(result.finish).toBe("constraint_end");
    expect(["yes!", "no!"]).toContain(result.text);
  });

  it("refuses two constraints at once and an unsupported schema, naming the problem", async () => {
    expect((await generate("--regex", "a", "--choices", "a,b")).code).toBe(1);
    const file = join(dir, "bad.json");
    await writeFile(file, JSON.stringify({ type: "string", patternProperties: { x: {} }, not: {} }));
    expect((await generate("--json-schema", file)).code).toBe(1);
  });
});
