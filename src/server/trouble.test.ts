import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { until } from "../test-support/until.js";
import { type RunningTestServer, startTestServer, TEST_MODEL_NAME } from "./test-server.js";

const M = TEST_MODEL_NAME;
let t: RunningTestServer | null = null;

afterEach(async () => {
  await t?.close();
  t = null;
});

function post(url: string, path: string, body: unknown, init: RequestInit = {}): Promise<Response> {
  return fetch(`${url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(init.headers ?? {}) },
    body: JSON.stringify(body),
    ...(init.signal ? { signal: init.signal } : {}),
  });
}

describe("authentication", () => {
  it("requires the bearer key on /v1 when --api-key is set", async () => {
    t = await startTestServer({ apiKey: "s3cret" });
    const noKey = await post(t.url, "/v1/completions", { model: M, prompt: "x", max_tokens: 1 });
    expect(noKey.status).toBe(401);
    expect(((await noKey.json()) as { error: { code: string } }).error.code).toBe("invalid_api_key");
    const wrong = await fetch(`${t.url}/v1/models`, { headers: { authorization: "Bearer nope" } });
    expect(wrong.status).toBe(401);
    const client = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: "s3cret", maxRetries: 0 });
    const r = await client.completions.create({ model: M, prompt: "x", max_tokens: 1 });
    expect(r.choices).toHaveLength(1);
    expect((await fetch(`${t.url}/health`)).status).toBe(200);
  });
});

describe("client disconnects", () => {
  it("aborts every choice of a stream the client drops", async () => {
    t = await startTestServer({}, { tokenDelayMs: 10 });
    const ac = new AbortController();
    const res = await post(
      t.url,
      "/v1/chat/completions",
      { model: M, messages: [{ role: "user", content: "Hi" }], max_tokens: 1000, n: 2, stream: true },
      { signal: ac.signal },
    );
    const reader = res.body?.getReader();
    await reader?.read();
    await until(() => (t?.engine.submitted.length ?? 0) === 2);
    ac.abort();
    const ids = t.engine.submitted.map((r) => r.id);
    await until(() => t?.engine.numActive === 0);
    expect(t.engine.aborted).toEqual(expect.arrayContaining(ids));
  });

  it("aborts a non-streaming request whose client went away", async () => {
    t = await startTestServer({}, { tokenDelayMs: 10 });
    const ac = new AbortController();
    const pending = post(
      t.url,
      "/v1/completions",
      { model: M, prompt: "x", max_tokens: 1000 },
      { signal: ac.signal },
    ).catch(() => null);
    await until(() => t?.engine.numActive === 1);
    ac.abort();
    await pending;
    await until(() => t?.engine.numActive === 0);
    expect(t.engine.aborted).toEqual([t.engine.submitted[0]?.id]);
    const after = await post(t.url, "/v1/completions", { model: M, prompt: "x", max_tokens: 2 });
    expect(after.status).toBe(200);
  });
});

describe("overload", () => {
  it("answers 503 with Retry-After when the engine's queue is full", async () => {
    t = await startTestServer({}, { maxSequences: 2, tokenDelayMs: 10 });
    const busy = post(t.url, "/v1/completions", { model: M, prompt: "x", max_tokens: 30, n: 2 });
    await until(() => t?.engine.numActive === 2);
    const res = await post(t.url, "/v1/completions", { model: M, prompt: "x", max_tokens: 1 });
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("1");
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("queue_full");
    expect((await busy).status).toBe(200);
  });

  it("aborts the choices already submitted when a later one does not fit", async () => {
    t = await startTestServer({}, { maxSequences: 2, tokenDelayMs: 10 });
    const res = await post(t.url, "/v1/completions", { model: M, prompt: "x", max_tokens: 30, n: 3 });
    expect(res.status).toBe(503);
    await until(() => t?.engine.numActive === 0);
    expect(t.engine.aborted.length).toBe(2);
  });
});

describe("graceful shutdown", () => {
  it("finishes in-flight streams within the grace period and refuses new work", async () => {
    t = await startTestServer({}, { tokenDelayMs: 5 });
    const res = await post(t.url, "/v1/completions", { model: M, prompt: "x", max_tokens: 20, stream: true });
    const body = res.text();
    await until(() => t?.engine.numActive === 1);
    const stopping = t.server.shutdown(5000);
    expect(t.server.isDraining()).toBe(true);
    // The listener is closed: a new connection is refused while the stream still runs.
    await expect(fetch(`${t.url}/health`)).rejects.toThrow();
    expect(t.engine.numActive).toBe(1);
    const text = await body;
    expect(text).toContain('"finish_reason":"length"');
    expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
    await stopping;
  });

  it("aborts what is still running when the grace period ends", async () => {
    t = await startTestServer({}, { tokenDelayMs: 5 });
    const res = await post(t.url, "/v1/completions", {
      model: M,
      prompt: "x",
      max_tokens: 2000,
      stream: true,
    });
    const body = res.text();
    await until(() => t?.engine.numActive === 1);
    await t.server.shutdown(50);
    const text = await body;
    expect(text).toContain('"finish_reason":"abort"');
    expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
  });
});

describe("metrics", () => {
  it("exposes the vLLM metric names and counts tokens", async () => {
    t = await startTestServer();
    await post(t.url, "/v1/completions", { model: M, prompt: "x", max_tokens: 3 });
    const text = await (await fetch(`${t.url}/metrics`)).text();
    for (const name of [
      "vllm:num_requests_running",
      "vllm:num_requests_waiting",
      "vllm:kv_cache_usage_perc",
      "vllm:num_preemptions_total",
      "vllm:time_to_first_token_seconds_bucket",
      "vllm:inter_token_latency_seconds_bucket",
      "vllm:e2e_request_latency_seconds_count",
      "vllm:prompt_tokens_total",
      "tokenflow_http_requests_total",
    ]) {
      expect(text).toContain(name);
    }
    expect(text).toMatch(/vllm:generation_tokens_total\{model_name="tiny-test"\} 3/);
  });
});
