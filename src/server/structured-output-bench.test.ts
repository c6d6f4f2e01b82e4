/**
 * 50 JSONSchemaBench schemas through `response_format` on the real server (engine, grammar
 * masks filled while the forward pass runs), all requests at once: every output parses and
 * validates with ajv. The model has random weights and the Llama-3 vocabulary, so only the
 * constraint makes the output valid; a bias on closing tokens makes it finish its values.
 */
import { Ajv } from "ajv";
import addFormatsImport from "ajv-formats";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine } from "../engine/engine.js";
import type { Tokenizer } from "../model/tokenizer.js";
import { closingTokenIds, pickBenchSchemas } from "../test-support/bench-schemas.js";
import { sharedPath } from "../test-support/shared-data.js";
import { type RunningTestServer, startRealEngineServer, TEST_MODEL_NAME } from "./test-server.js";

const addFormats = addFormatsImport as unknown as (ajv: Ajv) => Ajv;
const SPLITS = ["Github_easy", "Glaiveai2K"];
const PER_SPLIT = 25;
const MAX_TOKENS = 384;

const benchDir = sharedPath("data/jsonschemabench");

/**
 * Sampling that makes a random model finish its values: at temperature 2 the untied model's
 * logits (std ≈ 1) are nearly flat, so choices are close to uniform over the allowed tokens, and a bias of 22 (e^11 ≈ 60k against ~128k near-uniform tokens)
 * on tokens made only of `"`, `}`, `]` and `,` ends most values within a few tokens. Two more
 * tokens finish formatted strings: `Z` ends RFC 3339 date-times, and `:` ends a URI's scheme
 * (until it comes, `"` is masked out and the string keeps taking letters).
 */
const TEMPERATURE = 2;
function valueEndingBias(tokenizer: Tokenizer): Record<string, number> {
  const ids = [
    ...closingTokenIds(tokenizer),
    ...tokenizer.encode("Z", { addBos: false }),
    ...tokenizer.encode(":", { addBos: false }),
  ];
  return Object.fromEntries(ids.map((id) => [String(id), 11 * TEMPERATURE]));
}

describe.skipIf(benchDir === null)("response_format with 50 JSONSchemaBench schemas at once", () => {
  let t: RunningTestServer<Engine>;
  let client: OpenAI;

  beforeAll(async () => {
    t = await startRealEngineServer({}, 64 << 20, "llama3TinyUntied");
    client = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: "unused", maxRetries: 0, timeout: 300_000 });
  }, 120_000);
  afterAll(async () => t?.close());

  it("every output parses and validates with ajv", async () => {
    const ajv = addFormats(new Ajv({ strict: false, validateFormats: true }));
    const picked = await pickBenchSchemas(
      benchDir as string,
      ajv,
      SPLITS,
      PER_SPLIT,
      {},
      { propertyOrder: "schema" },
    );
    expect(picked.length).toBe(50);
    const logitBias = valueEndingBias(t.tokenizer);
    const results = await Promise.all(
      picked.map((p, i) =>
        client.chat.completions.create({
          model: TEST_MODEL_NAME,
          messages: [{ role: "user", content: "Answer in JSON." }],
          max_tokens: MAX_TOKENS,
          temperature: TEMPERATURE,
          seed: i,
          logit_bias: logitBias,
          response_format: {
            type: "json_schema",
            json_schema: { name: `s${i}`, schema: p.schema },
          },
        }),
      ),
    );
    const problems: string[] = [];
    for (const [i, r] of results.entries()) {
      const p = picked[i] as (typeof picked)[number];
      const choice = r.choices[0];
      const text = choice?.message.content ?? "";
      if (choice?.finish_reason !== "stop") {
        problems.push(`${p.id}: finish_reason ${choice?.finish_reason}: ${text.slice(0, 120)}`);
        continue;
      }
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        problems.push(`${p.id}: does not parse: ${text.slice(0, 200)}`);
        continue;
      }
      if (!p.validate(value))
        problems.push(`${p.id}: ${ajv.errorsText(p.validate.errors)}: ${text.slice(0, 200)}`);
    }
    expect(problems).toEqual([]);
    expect(t.engine.stats().numFreeBlocks).toBe(t.engine.stats().numBlocks);
  }, 300_000);
});
