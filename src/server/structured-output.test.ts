/**
 * Structured outputs end to end: openai client → server → grammar compiler → real engine with
 * grammar masks (tiny model, random weights: only the constraint makes the output valid).
 */
import { Ajv } from "ajv";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine } from "../engine/engine.js";
import { type RunningTestServer, startRealEngineServer, TEST_MODEL_NAME } from "./test-server.js";

const M = TEST_MODEL_NAME;
let t: RunningTestServer<Engine>;
let client: OpenAI;

beforeAll(async () => {
  t = await startRealEngineServer();
  client = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: "unused", maxRetries: 0 });
}, 120_000);
afterAll(async () => t?.close());

const SCHEMA = {
  type: "object",
  properties: {
    color: { enum: ["red", "green", "blue"] },
    ok: { type: "boolean" },
  },
  required: ["color", "ok"],
  additionalProperties: false,
};

async function postRaw(
  body: unknown,
): Promise<{ status: number; json: { error?: { param: string; message: string } } }> {
  const res = await fetch(`${t.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as { error?: { param: string; message: string } } };
}

describe("structured outputs", () => {
  it("json_schema output parses and validates (n = 4, sampled)", async () => {
    const r = await client.chat.completions.create({
      model: M,
      messages: [{ role: "user", content: "Pick a color." }],
      max_tokens: 64,
      n: 4,
      temperature: 1,
      seed: 3,
      response_format: { type: "json_schema", json_schema: { name: "pick", schema: SCHEMA, strict: true } },
    });
    const validate = new Ajv().compile(SCHEMA);
    for (const c of r.choices) {
      expect(c.finish_reason).toBe("stop");
      const value = JSON.parse(c.message.content ?? "");
      expect(validate(value), c.message.content ?? "").toBe(true);
    }
  });

  it("structured_outputs choice and regex on completions, streaming too", async () => {
    // structured_outputs is a vLLM extension the client does not type.
    const choice = await client.completions.create({
      model: M,
      prompt: "Answer:",
      max_tokens: 8,
      structured_outputs: { choice: ["yes", "no"] },
    } as OpenAI.CompletionCreateParamsNonStreaming);
    expect(["yes", "no"]).toContain(choice.choices[0]?.text);
    const stream = await client.completions.create({
      model: M,
      prompt: "Code:",
      max_tokens: 8,
      stream: true,
      structured_outputs: { regex: "[0-9]{3}" },
    } as OpenAI.CompletionCreateParamsStreaming);
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? "";
    expect(text).toMatch(/^[0-9]{3}$/);
  });

  it("refuses bad grammars with a 400 naming the parameter", async () => {
    const base = { model: M, messages: [{ role: "user", content: "x" }] };
    const badRegex = await postRaw({ ...base, structured_outputs: { regex: "(" } });
    expect(badRegex.status).toBe(400);
    expect(badRegex.json.error?.param).toBe("structured_outputs");
    const badGbnf = await postRaw({ ...base, structured_outputs: { grammar: "root ::= foo" } });
    expect(badGbnf.status).toBe(400);
    expect(badGbnf.json.error?.message).toContain("undefined rule");
    const unsupported = await postRaw({
      ...base,
      response_format: {
        type: "json_schema",
        json_schema: {
          name: "x",
          schema: { type: "object", unevaluatedProperties: false },
        },
      },
    });
    expect(unsupported.status).toBe(400);
    expect(unsupported.json.error?.param).toBe("response_format");
    expect(unsupported.json.error?.message).toContain("unevaluatedProperties");
    const ok = await client.completions.create({ model: M, prompt: "x", max_tokens: 2 });
    expect(ok.choices).toHaveLength(1);
  });
});
