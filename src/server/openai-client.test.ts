import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningTestServer, startTestServer, TEST_MODEL_NAME } from "./test-server.js";

let t: RunningTestServer;
let client: OpenAI;

beforeAll(async () => {
  t = await startTestServer();
  client = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: "unused", maxRetries: 0 });
}, 120_000);
afterAll(async () => t?.close());

describe("the official openai client against a listening server", () => {
  it("lists the model", async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual([TEST_MODEL_NAME]);
  });

  it("completes (non-streaming) with usage", async () => {
    const r = await client.completions.create({
      model: TEST_MODEL_NAME,
      prompt: "Hello",
      max_tokens: 5,
      temperature: 0,
    });
    expect(r.id).toMatch(/^cmpl-/);
    expect(r.object).toBe("text_completion");
    expect(r.model).toBe(TEST_MODEL_NAME);
    expect(r.choices).toHaveLength(1);
    expect(r.choices[0]?.finish_reason).toBe("length");
    expect(r.choices[0]?.text.length).toBeGreaterThan(0);
    const promptTokens = t.tokenizer.encode("Hello", { addBos: true }).length;
    expect(r.usage).toEqual({
      prompt_tokens: promptTokens,
      completion_tokens: 5,
      total_tokens: promptTokens + 5,
    });
  });

  it("accepts a token-id prompt and a list of one prompt", async () => {
    const ids = t.tokenizer.encode("Hello", { addBos: true });
    const a = await client.completions.create({ model: TEST_MODEL_NAME, prompt: ids, max_tokens: 3 });
    const b = await client.completions.create({ model: TEST_MODEL_NAME, prompt: ["Hello"], max_tokens: 3 });
    expect(a.usage?.prompt_tokens).toBe(ids.length);
    expect(b.usage?.prompt_tokens).toBe(ids.length);
  });

  it("streams completions with include_usage and [DONE]", async () => {
    const stream = await client.completions.create({
      model: TEST_MODEL_NAME,
      prompt: "Hello",
      max_tokens: 6,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let finish: string | null = null;
    let usage: unknown = null;
    for await (const chunk of stream) {
      expect(chunk.object).toBe("text_completion");
      if (chunk.choices.length === 0) usage = chunk.usage;
      for (const c of chunk.choices) {
        text += c.text;
        if (c.finish_reason) finish = c.finish_reason;
      }
    }
    expect(finish).toBe("length");
    expect(text).toBe(" The quick brown fox jumps over".slice(0, text.length));
    expect(usage).toMatchObject({ completion_tokens: 6 });
  });

  it("chats (non-streaming)", async () => {
    const r = await client.chat.completions.create({
      model: TEST_MODEL_NAME,
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Hi" },
      ],
      max_completion_tokens: 4,
    });
    expect(r.id).toMatch(/^chatcmpl-/);
    expect(r.object).toBe("chat.completion");
    expect(r.choices[0]?.message.role).toBe("assistant");
    expect(r.choices[0]?.message.content?.length).toBeGreaterThan(0);
    expect(r.choices[0]?.finish_reason).toBe("length");
    expect(r.usage?.completion_tokens).toBe(4);
  });

  it("streams chat: role first, content deltas, finish, usage chunk", async () => {
    const stream = await client.chat.completions.create({
      model: TEST_MODEL_NAME,
      messages: [{ role: "user", content: "Hi" }],
      max_tokens: 5,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks[0]?.choices[0]?.delta).toEqual({ role: "assistant", content: "" });
    const content = chunks.flatMap((c) => c.choices.map((x) => x.delta.content ?? "")).join("");
    expect(content.length).toBeGreaterThan(0);
    const finishes = chunks.flatMap((c) =>
      c.choices.filter((x) => x.finish_reason).map((x) => x.finish_reason),
    );
    expect(finishes).toEqual(["length"]);
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage?.completion_tokens).toBe(5);
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
  });

  it("returns n choices, indexed, streaming and not", async () => {
    const r = await client.chat.completions.create({
      model: TEST_MODEL_NAME,
      messages: [{ role: "user", content: "Hi" }],
      max_tokens: 3,
      n: 3,
    });
    expect(r.choices.map((c) => c.index)).toEqual([0, 1, 2]);
    expect(r.usage?.completion_tokens).toBe(9);
    const stream = await client.completions.create({
      model: TEST_MODEL_NAME,
      prompt: "x",
      max_tokens: 3,
      n: 4,
      stream: true,
    });
    const finished = new Set<number>();
    for await (const chunk of stream)
      for (const c of chunk.choices) if (c.finish_reason) finished.add(c.index);
    expect([...finished].sort()).toEqual([0, 1, 2, 3]);
  });

  it("stops at stop strings without emitting them, streaming and not", async () => {
    const r = await client.completions.create({
      model: TEST_MODEL_NAME,
      prompt: "x",
      max_tokens: 50,
      stop: ["fox"],
    });
    expect(r.choices[0]?.text).toBe(" The quick brown ");
    expect(r.choices[0]?.finish_reason).toBe("stop");
    const stream = await client.chat.completions.create({
      model: TEST_MODEL_NAME,
      messages: [{ role: "user", content: "Hi" }],
      max_tokens: 50,
      stop: ["lazy", "jumps"],
      stream: true,
    });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toBe(" The quick brown fox ");
  });

  it("returns logprobs in both endpoints' shapes", async () => {
    const c = await client.completions.create({
      model: TEST_MODEL_NAME,
      prompt: "x",
      max_tokens: 3,
      logprobs: 2,
    });
    const lp = c.choices[0]?.logprobs;
    expect(lp?.tokens).toHaveLength(3);
    expect(lp?.token_logprobs).toHaveLength(3);
    expect(lp?.text_offset?.[0]).toBe(0);
    expect(Object.keys(lp?.top_logprobs?.[0] ?? {})).toHaveLength(2);
    const chat = await client.chat.completions.create({
      model: TEST_MODEL_NAME,
      messages: [{ role: "user", content: "Hi" }],
      max_tokens: 3,
      logprobs: true,
      top_logprobs: 2,
    });
    const content = chat.choices[0]?.logprobs?.content ?? [];
    expect(content).toHaveLength(3);
    expect(content[0]).toMatchObject({
      token: expect.any(String),
      logprob: expect.any(Number),
      bytes: expect.any(Array),
    });
    expect(content[0]?.top_logprobs).toHaveLength(2);
    const stream = await client.chat.completions.create({
      model: TEST_MODEL_NAME,
      messages: [{ role: "user", content: "Hi" }],
      max_tokens: 3,
      logprobs: true,
      stream: true,
    });
    let n = 0;
    for await (const chunk of stream) n += chunk.choices[0]?.logprobs?.content?.length ?? 0;
    expect(n).toBe(3);
  });

  it("echoes the prompt when asked", async () => {
    const r = await client.completions.create({
      model: TEST_MODEL_NAME,
      prompt: "Hello",
      max_tokens: 2,
      echo: true,
    });
    expect(r.choices[0]?.text.startsWith("Hello")).toBe(true);
  });

  it("passes sampling parameters to the engine", async () => {
    await client.completions.create({
      model: TEST_MODEL_NAME,
      prompt: "x",
      max_tokens: 2,
      temperature: 0.7,
      top_p: 0.9,
      seed: 42,
      presence_penalty: 0.5,
      frequency_penalty: -0.5,
      logit_bias: { "5": 10 },
      stop: "zzz",
      // @ts-expect-error vLLM extensions the client does not type
      top_k: 20,
      min_p: 0.1,
      repetition_penalty: 1.1,
      min_tokens: 1,
      ignore_eos: true,
      stop_token_ids: [2],
      consumption_rate: 12.5,
    });
    const req = t.engine.submitted.at(-1);
    expect(req?.sampling).toMatchObject({
      temperature: 0.7,
      topP: 0.9,
      topK: 20,
      minP: 0.1,
      seed: 42,
      presencePenalty: 0.5,
      frequencyPenalty: -0.5,
      repetitionPenalty: 1.1,
      topLogprobs: null,
    });
    expect([...(req?.sampling.logitBias ?? [])]).toEqual([[5, 10]]);
    expect(req).toMatchObject({
      maxTokens: 2,
      minTokens: 1,
      stop: ["zzz"],
      stopTokenIds: [2],
      ignoreEos: true,
      consumptionRateTokPerS: 12.5,
    });
  });
});
