import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningTestServer, startTestServer, TEST_MODEL_NAME } from "./test-server.js";

let t: RunningTestServer;

beforeAll(async () => {
  t = await startTestServer();
}, 120_000);
afterAll(async () => t?.close());

const M = TEST_MODEL_NAME;
const CHAT = "/v1/chat/completions";
const CMPL = "/v1/completions";
const msgs = [{ role: "user", content: "Hi" }];

interface Case {
  readonly name: string;
  readonly path?: string;
  /** A JSON value, or a raw string body. */
  readonly body: unknown;
  readonly raw?: boolean;
  readonly status: number;
  readonly param?: string | null;
  readonly code?: string;
  /** A fragment the message must contain. */
  readonly says: string;
}

const CASES: readonly Case[] = [
  {
    name: "prompt of the wrong type",
    body: { model: M, prompt: 5 },
    status: 400,
    param: "prompt",
    says: "prompt",
  },
  { name: "missing prompt", body: { model: M }, status: 400, param: "prompt", says: "required" },
  {
    name: "several prompts",
    body: { model: M, prompt: ["a", "b"] },
    status: 400,
    param: "prompt",
    says: "one prompt",
  },
  {
    name: "token id outside the vocabulary",
    body: { model: M, prompt: [1, 99999999] },
    status: 400,
    param: "prompt",
    says: "99999999",
  },
  {
    name: "temperature as a string",
    body: { model: M, prompt: "x", temperature: "hot" },
    status: 400,
    param: "temperature",
    says: "expected a number",
  },
  {
    name: "temperature too high",
    body: { model: M, prompt: "x", temperature: 3 },
    status: 400,
    param: "temperature",
    says: "out of range",
  },
  { name: "top_p of 0", body: { model: M, prompt: "x", top_p: 0 }, status: 400, param: "top_p", says: "> 0" },
  {
    name: "top_k below -1",
    body: { model: M, prompt: "x", top_k: -2 },
    status: 400,
    param: "top_k",
    says: "top_k",
  },
  {
    name: "min_p above 1",
    body: { model: M, prompt: "x", min_p: 1.5 },
    status: 400,
    param: "min_p",
    says: "min_p",
  },
  {
    name: "max_tokens of 0",
    body: { model: M, prompt: "x", max_tokens: 0 },
    status: 400,
    param: "max_tokens",
    says: ">= 1",
  },
  {
    name: "fractional max_tokens",
    body: { model: M, prompt: "x", max_tokens: 1.5 },
    status: 400,
    param: "max_tokens",
    says: "integer",
  },
  { name: "huge n", body: { model: M, prompt: "x", n: 1000 }, status: 400, param: "n", says: "<= 16" },
  {
    name: "n as a string",
    body: { model: M, prompt: "x", n: "2" },
    status: 400,
    param: "n",
    says: "integer",
  },
  {
    name: "stop of the wrong type",
    body: { model: M, prompt: "x", stop: 5 },
    status: 400,
    param: "stop",
    says: "string",
  },
  {
    name: "empty stop string",
    body: { model: M, prompt: "x", stop: [""] },
    status: 400,
    param: "stop",
    says: "1 to 1024",
  },
  {
    name: "too many stop strings",
    body: { model: M, prompt: "x", stop: Array(17).fill("a") },
    status: 400,
    param: "stop",
    says: "at most",
  },
  {
    name: "stop_token_ids out of range",
    body: { model: M, prompt: "x", stop_token_ids: [-1] },
    status: 400,
    param: "stop_token_ids",
    says: "not a token id",
  },
  {
    name: "completions logprobs above 20",
    body: { model: M, prompt: "x", logprobs: 21 },
    status: 400,
    param: "logprobs",
    says: "<= 20",
  },
  {
    name: "logit_bias with a bad key",
    body: { model: M, prompt: "x", logit_bias: { abc: 1 } },
    status: 400,
    param: "logit_bias",
    says: "abc",
  },
  {
    name: "logit_bias out of range",
    body: { model: M, prompt: "x", logit_bias: { "5": 1000 } },
    status: 400,
    param: "logit_bias",
    says: "[-100, 100]",
  },
  {
    name: "fractional seed",
    body: { model: M, prompt: "x", seed: 1.5 },
    status: 400,
    param: "seed",
    says: "integer",
  },
  {
    name: "presence_penalty out of range",
    body: { model: M, prompt: "x", presence_penalty: 3 },
    status: 400,
    param: "presence_penalty",
    says: "out of range",
  },
  {
    name: "repetition_penalty of 0",
    body: { model: M, prompt: "x", repetition_penalty: 0 },
    status: 400,
    param: "repetition_penalty",
    says: "> 0",
  },
  {
    name: "stream not a boolean",
    body: { model: M, prompt: "x", stream: "yes" },
    status: 400,
    param: "stream",
    says: "boolean",
  },
  {
    name: "stream_options without stream",
    body: { model: M, prompt: "x", stream_options: { include_usage: true } },
    status: 400,
    param: "stream_options",
    says: "stream",
  },
  {
    name: "unknown stream_options field",
    body: { model: M, prompt: "x", stream: true, stream_options: { foo: 1 } },
    status: 400,
    param: "stream_options.foo",
    says: "foo",
  },
  {
    name: "min_tokens above max_tokens",
    body: { model: M, prompt: "x", max_tokens: 2, min_tokens: 3 },
    status: 400,
    param: "min_tokens",
    says: "<= 2",
  },
  {
    name: "negative consumption_rate",
    body: { model: M, prompt: "x", consumption_rate: -1 },
    status: 400,
    param: "consumption_rate",
    says: "> 0",
  },
  {
    name: "consumption_rate of 0",
    body: { model: M, prompt: "x", consumption_rate: 0 },
    status: 400,
    param: "consumption_rate",
    says: "must be > 0 and <= 1000",
  },
  {
    name: "consumption_rate above 1000",
    body: { model: M, prompt: "x", consumption_rate: 1000.5 },
    status: 400,
    param: "consumption_rate",
    says: "1000.5 is out of range",
  },
  {
    name: "consumption_rate as a string",
    body: { model: M, prompt: "x", consumption_rate: "20" },
    status: 400,
    param: "consumption_rate",
    says: "expected a number",
  },
  {
    name: "chat: consumption_rate as an object",
    path: CHAT,
    body: { model: M, messages: msgs, consumption_rate: { tok: 5 } },
    status: 400,
    param: "consumption_rate",
    says: "expected a number",
  },
  {
    name: "echo not a boolean",
    body: { model: M, prompt: "x", echo: "x" },
    status: 400,
    param: "echo",
    says: "boolean",
  },
  {
    name: "best_of other than n",
    body: { model: M, prompt: "x", best_of: 3 },
    status: 400,
    param: "best_of",
    says: "best_of",
  },
  {
    name: "an unknown parameter",
    body: { model: M, prompt: "x", frobnicate: true },
    status: 400,
    param: "frobnicate",
    says: "frobnicate",
  },
  {
    name: "tools",
    body: { model: M, prompt: "x", tools: [{ type: "function" }] },
    status: 400,
    param: "tools",
    says: "not supported",
  },
  {
    name: "an unknown model",
    body: { model: "gpt-5", prompt: "x" },
    status: 404,
    param: "model",
    code: "model_not_found",
    says: "gpt-5",
  },
  {
    name: "model not a string",
    body: { model: 7, prompt: "x" },
    status: 400,
    param: "model",
    says: "string",
  },
  {
    name: "prompt + max_tokens beyond the context",
    body: { model: M, prompt: "x", max_tokens: 5000 },
    status: 400,
    param: "max_tokens",
    code: "context_length_exceeded",
    says: "2048",
  },
  {
    name: "a prompt longer than the context",
    body: { model: M, prompt: "word ".repeat(3000) },
    status: 400,
    param: "prompt",
    code: "context_length_exceeded",
    says: "maximum context length",
  },
  {
    name: "response_format json_object",
    body: { model: M, prompt: "x", response_format: { type: "json_object" } },
    status: 400,
    param: "response_format",
    says: "structured outputs are not available yet",
  },
  {
    name: "response_format of an unknown type",
    body: { model: M, prompt: "x", response_format: { type: "yaml" } },
    status: 400,
    param: "response_format.type",
    says: "yaml",
  },
  {
    name: "structured_outputs regex",
    body: { model: M, prompt: "x", structured_outputs: { regex: "a+" } },
    status: 400,
    param: "structured_outputs",
    says: "not available yet",
  },
  {
    name: "structured_outputs with two kinds",
    body: { model: M, prompt: "x", structured_outputs: { regex: "a", choice: ["a"] } },
    status: 400,
    param: "structured_outputs",
    says: "exactly one",
  },
  { name: "a body that is an array", body: [1, 2], status: 400, says: "JSON object" },
  {
    name: "invalid JSON",
    body: '{"model": "x", prompt:',
    raw: true,
    status: 400,
    code: "invalid_json",
    says: "not valid JSON",
  },
  { name: "an empty body", body: "", raw: true, status: 400, says: "" },
  {
    name: "an oversized body",
    body: JSON.stringify({ model: M, prompt: "x".repeat(5 * 1024 * 1024) }),
    raw: true,
    status: 413,
    says: "too large",
  },
  {
    name: "chat: empty messages",
    path: CHAT,
    body: { model: M, messages: [] },
    status: 400,
    param: "messages",
    says: "must not be empty",
  },
  {
    name: "chat: missing messages",
    path: CHAT,
    body: { model: M },
    status: 400,
    param: "messages",
    says: "required",
  },
  {
    name: "chat: messages not an array",
    path: CHAT,
    body: { model: M, messages: "hi" },
    status: 400,
    param: "messages",
    says: "array",
  },
  {
    name: "chat: unknown role",
    path: CHAT,
    body: { model: M, messages: [{ role: "wizard", content: "x" }] },
    status: 400,
    param: "messages[0].role",
    says: "wizard",
  },
  {
    name: "chat: message without content",
    path: CHAT,
    body: { model: M, messages: [{ role: "user" }] },
    status: 400,
    param: "messages[0].content",
    says: "required",
  },
  {
    name: "chat: image content",
    path: CHAT,
    body: {
      model: M,
      messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "x" } }] }],
    },
    status: 400,
    param: "messages[0].content",
    says: "text content",
  },
  {
    name: "chat: logprobs not a boolean",
    path: CHAT,
    body: { model: M, messages: msgs, logprobs: 2 },
    status: 400,
    param: "logprobs",
    says: "boolean",
  },
  {
    name: "chat: top_logprobs without logprobs",
    path: CHAT,
    body: { model: M, messages: msgs, top_logprobs: 2 },
    status: 400,
    param: "top_logprobs",
    says: "requires",
  },
  {
    name: "chat: prompt is not a chat parameter",
    path: CHAT,
    body: { model: M, messages: msgs, prompt: "x" },
    status: 400,
    param: "prompt",
    says: "unrecognized",
  },
  {
    name: "chat: max_completion_tokens negative",
    path: CHAT,
    body: { model: M, messages: msgs, max_completion_tokens: -5 },
    status: 400,
    param: "max_completion_tokens",
    says: ">= 1",
  },
  {
    name: "chat: json_schema without schema object",
    path: CHAT,
    body: { model: M, messages: msgs, response_format: { type: "json_schema" } },
    status: 400,
    param: "response_format.json_schema",
    says: "object",
  },
  {
    name: "an unknown endpoint",
    path: "/v1/embeddings",
    body: { model: M, input: "x" },
    status: 404,
    says: "no such endpoint",
  },
];

async function post(path: string, body: unknown, raw = false): Promise<Response> {
  return fetch(`${t.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: raw ? (body as string) : JSON.stringify(body),
  });
}

describe("bad requests", () => {
  it.each(CASES)("$name → $status", async (c) => {
    const res = await post(c.path ?? CMPL, c.body, c.raw);
    const json = (await res.json()) as {
      error: { message: string; type: string; param: string | null; code: string | null };
    };
    expect(res.status, JSON.stringify(json)).toBe(c.status);
    expect(json.error.type).toBe(c.status >= 500 ? "server_error" : "invalid_request_error");
    expect(json.error.message).toContain(c.says);
    if (c.param !== undefined) expect(json.error.param).toBe(c.param);
    if (c.code !== undefined) expect(json.error.code).toBe(c.code);
  });

  it("keeps serving afterwards, with nothing left running", async () => {
    const res = await post(CMPL, { model: M, prompt: "x", max_tokens: 2 });
    expect(res.status).toBe(200);
    const health = await fetch(`${t.url}/health`);
    expect(health.status).toBe(200);
    expect(t.engine.numActive).toBe(0);
  });
});

describe("odd but valid input", () => {
  const ODD: readonly [string, unknown][] = [
    ["a lone surrogate in the prompt", { model: M, prompt: "a\ud800b", max_tokens: 2 }],
    ["NUL and control characters", { model: M, prompt: "\u0000\u0001\u001b[31m", max_tokens: 2 }],
    ["special-token text in the prompt", { model: M, prompt: "<s></s><unk>", max_tokens: 2 }],
    ["emoji and RTL text", { model: M, prompt: "🦊 שלום 你好", max_tokens: 2 }],
    [
      "explicit nulls for optional parameters",
      {
        model: M,
        prompt: "x",
        max_tokens: 2,
        temperature: null,
        top_p: null,
        stop: null,
        n: null,
        seed: null,
        logprobs: null,
      },
    ],
    ["top_k of -1 (disabled)", { model: M, prompt: "x", max_tokens: 1, top_k: -1 }],
    [
      "consumption_rate null (server default)",
      { model: M, prompt: "x", max_tokens: 1, consumption_rate: null },
    ],
    ["consumption_rate of 1000", { model: M, prompt: "x", max_tokens: 1, consumption_rate: 1000 }],
    ["a huge seed", { model: M, prompt: "x", max_tokens: 1, seed: -Number.MAX_SAFE_INTEGER }],
    ["response_format text", { model: M, prompt: "x", max_tokens: 1, response_format: { type: "text" } }],
  ];
  it.each(ODD)("%s → 200", async (_name, body) => {
    const res = await post(CMPL, body);
    expect(res.status, await res.clone().text()).toBe(200);
  });

  it("chat with content parts, names and a lone surrogate", async () => {
    const res = await post(CHAT, {
      model: M,
      messages: [
        { role: "system", content: [{ type: "text", text: "be \ud800 brief" }] },
        { role: "user", name: "bob", content: "hi" },
      ],
      max_tokens: 2,
    });
    expect(res.status).toBe(200);
  });
});
