/**
 * The server on the real engine (native CPU runtime, tiny model) with the TokenFlow scheduler
 * and a host KV tier: a device pool far too small for the burst, so slow readers get paused to
 * the host tier; `/metrics` shows it; acknowledgements reach the engine's buffer model; the
 * openai client passes `consumption_rate` through as an extra body field.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine } from "../engine/engine.js";
import { openModel } from "../model/open-model.js";
import { kvBytesFor } from "../runtime/generate.js";
import { KV_BLOCK_TOKENS } from "../runtime/native-runner.js";
import { TokenFlowPolicy } from "../scheduler/tokenflow-policy.js";
import { testModelPath } from "../test-support/test-models.js";
import { until } from "../test-support/until.js";
import { type RunningTestServer, startRealEngineServer, TEST_MODEL_NAME } from "./test-server.js";

const M = TEST_MODEL_NAME;
const L = `model_name="${M}"`;
const NUM_DEVICE_BLOCKS = 24;
let t: RunningTestServer<Engine>;
let client: OpenAI;

beforeAll(async () => {
  const spec = (await openModel(await testModelPath("tinyF32"))).spec;
  const kvCacheBytes = kvBytesFor(spec, NUM_DEVICE_BLOCKS, KV_BLOCK_TOKENS);
  t = await startRealEngineServer({}, kvCacheBytes, "tinyF32", {
    policy: new TokenFlowPolicy({ scheduleIntervalMs: 50 }),
    hostKvBytes: 16 << 20,
  });
  client = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: "unused", maxRetries: 0 });
}, 120_000);
afterAll(async () => t?.close());

function seriesValue(text: string, series: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : Number.NaN;
}

async function streamText(prompt: string, maxTokens: number, rate: number): Promise<string> {
  // tokenflow and vLLM extensions travel as extra body fields.
  const extra = { ignore_eos: true, consumption_rate: rate };
  const stream = await client.completions.create({
    model: M,
    prompt,
    max_tokens: maxTokens,
    temperature: 0,
    stream: true,
    ...extra,
  });
  let text = "";
  for await (const chunk of stream) text += chunk.choices[0]?.text ?? "";
  return text;
}

/** Opens a long stream on `srv`, reads 25 chunks, acknowledges 20 tokens, checks the engine saw it. */
async function acknowledgeRunningStream(srv: RunningTestServer<Engine>): Promise<void> {
  const post = (path: string, body: unknown, signal?: AbortSignal) =>
    fetch(`${srv.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      ...(signal ? { signal } : {}),
    });
  const ac = new AbortController();
  const body = {
    model: M,
    prompt: "Hello",
    max_tokens: 1500,
    ignore_eos: true,
    stream: true,
    consumption_rate: 1,
  };
  const res = await post("/v1/completions", body, ac.signal);
  expect(res.status).toBe(200);
  const reader = res.body?.getReader() as ReadableStreamDefaultReader<Uint8Array>;
  let text = "";
  while ((text.match(/"text":/g)?.length ?? 0) < 25) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`the stream ended early: ${text}`);
    text += new TextDecoder().decode(value);
  }
  const id = /"id":"(cmpl-[0-9a-f]+)"/.exec(text)?.[1] as string;
  const ack = await post(`/v1/streams/${id}/consumed`, { tokens: 20 });
  expect(ack.status, await ack.clone().text()).toBe(200);
  expect(await ack.json()).toEqual({ id, object: "stream.consumption", index: 0, tokens: 20 });
  // At 1 tok/s the modelled reader would have read a token or two by now; the client said 20.
  const snap = srv.engine.snapshot().find((r) => r.id === `${id}-0`);
  expect(snap?.numRead).toBeGreaterThanOrEqual(20);
  expect(snap?.rateTokPerS).toBe(1);
  ac.abort();
  await until(() => srv.engine.stats().numActive === 0);
  expect((await post(`/v1/streams/${id}/consumed`, { tokens: 21 })).status).toBe(404);
}

describe("server on the real engine with --scheduler tokenflow and a host tier", () => {
  it("pauses slow readers to the host tier under a burst, and /metrics shows it", async () => {
    expect(t.engine.blocks.numBlocks).toBe(NUM_DEVICE_BLOCKS);
    const prompts = Array.from({ length: 12 }, (_, k) => `Story ${k}: once upon a time`);
    const alone = await streamText(prompts[0] as string, 120, 5);
    const before = await (await fetch(`${t.url}/metrics`)).text();
    const texts = await Promise.all(prompts.map((p) => streamText(p, 120, 5)));
    expect(texts[0]).toBe(alone);
    const m = await (await fetch(`${t.url}/metrics`)).text();
    const delta = (series: string) => seriesValue(m, series) - (seriesValue(before, series) || 0);
    const pre = (mode: string) => delta(`tokenflow:num_preemptions_total{${L},mode="${mode}"}`);
    const res = (mode: string) => delta(`tokenflow:num_resumptions_total{${L},mode="${mode}"}`);
    expect(pre("swap") + pre("hybrid")).toBeGreaterThan(0);
    expect(res("reload") + res("hybrid")).toBeGreaterThan(0);
    expect(delta(`vllm:num_preemptions_total{${L}}`)).toBe(pre("swap") + pre("hybrid") + pre("recompute"));
    const bytes = (kind: string) => delta(`tokenflow:kv_transfer_bytes_total{${L},kind="${kind}"}`);
    expect(bytes("write_through") + bytes("evict")).toBeGreaterThan(0);
    expect(bytes("load")).toBeGreaterThan(0);
    expect(
      seriesValue(m, `tokenflow:kv_transfer_bandwidth_bytes_per_second{${L},direction="store"}`),
    ).toBeGreaterThan(0);
    expect(delta(`tokenflow:request_paused_seconds_count{${L}}`)).toBe(12);
    expect(delta(`tokenflow:request_paused_seconds_sum{${L}}`)).toBeGreaterThan(0);
    expect(delta(`tokenflow:request_stall_seconds_count{${L}}`)).toBe(12);
    expect(delta(`tokenflow:buffer_seconds_count{${L}}`)).toBeGreaterThan(0);
    // Everything is back: nothing paused, and the host tier empty once the copies still in flight
    // when the last streams ended are done (a finished request's host blocks go back when idle).
    expect(seriesValue(m, `tokenflow:num_requests_paused{${L}}`)).toBe(0);
    let hostUsage = seriesValue(m, `tokenflow:host_kv_cache_usage_perc{${L}}`);
    for (const until = Date.now() + 10_000; hostUsage !== 0 && Date.now() < until; ) {
      await new Promise((r) => setTimeout(r, 50));
      hostUsage = seriesValue(
        await (await fetch(`${t.url}/metrics`)).text(),
        `tokenflow:host_kv_cache_usage_perc{${L}}`,
      );
    }
    expect(hostUsage).toBe(0);
  }, 120_000);

  it("acknowledges consumption of a running stream into the engine's buffer model", async () => {
    // A pool that holds one long stream (the burst's pool is too small for it on purpose).
    const big = await startRealEngineServer({}, 4 << 20, "tinyF32", {
      policy: new TokenFlowPolicy({ scheduleIntervalMs: 50 }),
      hostKvBytes: 16 << 20,
    });
    try {
      await acknowledgeRunningStream(big);
    } finally {
      await big.close();
    }
  }, 60_000);

  it("chats through the openai client with consumption_rate as an extra body field", async () => {
    const r = await client.chat.completions.create({
      model: M,
      messages: [{ role: "user", content: "Hi" }],
      max_tokens: 5,
      // @ts-expect-error tokenflow extension
      consumption_rate: 8,
      ignore_eos: true,
    });
    expect(r.choices[0]?.finish_reason).toBe("length");
    expect(r.usage?.completion_tokens).toBe(5);
  });
});
