/**
 * The official openai client against a listening server on the real engine (native CPU runtime,
 * tiny model): both endpoints, streaming and not, n > 1, stop strings, logprobs, usage, and a
 * disconnect that frees the request's KV blocks.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine } from "../engine/engine.js";
import { until } from "../test-support/until.js";
import { type RunningTestServer, startRealEngineServer, TEST_MODEL_NAME } from "./test-server.js";

const M = TEST_MODEL_NAME;
let t: RunningTestServer<Engine>;
let client: OpenAI;

beforeAll(async () => {
  t = await startRealEngineServer();
  client = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: "unused", maxRetries: 0 });
}, 120_000);
afterAll(async () => t?.close());

describe("openai client → server → real engine", () => {
  it("streams exactly what the non-streaming call returns (greedy)", async () => {
    const args = {
      model: M,
      prompt: "Once upon a time",
      max_tokens: 12,
      temperature: 0,
      ignore_eos: true,
    } as const;
    const whole = await client.completions.create(args);
    const stream = await client.completions.create({
      ...args,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let usage = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.text ?? "";
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe(whole.choices[0]?.text);
    expect(whole.choices[0]?.finish_reason).toBe("length");
    expect(whole.usage?.completion_tokens).toBe(12);
    expect(usage).toEqual(whole.usage);
  });

  it("chats, with n > 1 and logprobs", async () => {
    const r = await client.chat.completions.create({
      model: M,
      messages: [{ role: "user", content: "Hello there" }],
      max_tokens: 6,
      n: 3,
      temperature: 0.8,
      seed: 7,
      logprobs: true,
      top_logprobs: 3,
      // @ts-expect-error vLLM extension
      ignore_eos: true,
    });
    expect(r.choices.map((c) => c.index)).toEqual([0, 1, 2]);
    for (const c of r.choices) {
      expect(c.logprobs?.content).toHaveLength(6);
      expect(c.logprobs?.content?.[0]?.top_logprobs).toHaveLength(3);
      expect(c.logprobs?.content?.[0]?.logprob).toBeLessThanOrEqual(0);
    }
    expect(r.usage?.completion_tokens).toBe(18);
  });

  it("ends at a stop string without emitting it", async () => {
    const base = {
      model: M,
      prompt: "The quick brown fox",
      max_tokens: 24,
      temperature: 0,
      ignore_eos: true,
    } as const;
    const free = (await client.completions.create(base)).choices[0]?.text ?? "";
    const stop = free.slice(5, 8);
    expect(stop.length).toBe(3);
    const r = await client.completions.create({ ...base, stop: [stop] });
    expect(r.choices[0]?.finish_reason).toBe("stop");
    expect(r.choices[0]?.text).toBe(free.slice(0, free.indexOf(stop)));
  });

  it("32 concurrent greedy streams each equal the same request run alone", async () => {
    const prompts = Array.from({ length: 32 }, (_, k) => `Story number ${k}: once upon a time`);
    const args = (prompt: string) => ({ model: M, prompt, max_tokens: 12, temperature: 0, ignore_eos: true });
    const alone: string[] = [];
    for (const p of prompts.slice(0, 8))
      alone.push((await client.completions.create(args(p))).choices[0]?.text ?? "");
    const streamed = await Promise.all(
      prompts.map(async (p) => {
        let text = "";
        for await (const chunk of await client.completions.create({ ...args(p), stream: true })) {
          text += chunk.choices[0]?.text ?? "";
        }
        return text;
      }),
    );
    expect(streamed.slice(0, 8)).toEqual(alone);
    expect(streamed.every((s) => s.length > 0)).toBe(true);
  });

  it("frees the blocks of a stream whose client disconnects", async () => {
    const idle = t.engine.blocks.numFreeBlocks;
    const ac = new AbortController();
    const res = await fetch(`${t.url}/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: M, prompt: "Hello", max_tokens: 1500, ignore_eos: true, stream: true }),
      signal: ac.signal,
    });
    const reader = res.body?.getReader();
    await reader?.read();
    await reader?.read();
    ac.abort();
    await until(() => t.engine.stats().numActive === 0);
    expect(t.engine.blocks.numFreeBlocks).toBe(idle);
    const after = await client.completions.create({ model: M, prompt: "Hi", max_tokens: 2 });
    expect(after.choices).toHaveLength(1);
  });
});
