/**
 * `consumption_rate` and `POST /v1/streams/{id}/consumed` on the fake engine: ids resolve to the
 * right choice, bad bodies get 400s naming the field, unknown or finished streams get 404s, the
 * API key applies, and a disconnect still aborts.
 */
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

function post(path: string, body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal) {
  return fetch(`${t?.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });
}

type ErrorBody = { error: { message: string; type: string; param: string | null; code: string | null } };

/** Starts a long stream and returns its response id (read from the first chunk) and its reader. */
async function openStream(body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const ac = new AbortController();
  const res = await post("/v1/chat/completions", { model: M, stream: true, ...body }, headers, ac.signal);
  expect(res.status).toBe(200);
  const reader = res.body?.getReader() as ReadableStreamDefaultReader<Uint8Array>;
  let text = "";
  while (!/"id":"(chatcmpl-[0-9a-f]+)"/.test(text))
    text += new TextDecoder().decode((await reader.read()).value);
  const id = /"id":"(chatcmpl-[0-9a-f]+)"/.exec(text)?.[1] as string;
  return { id, ac, reader };
}

const LONG = { messages: [{ role: "user", content: "Hi" }], max_tokens: 2000, ignore_eos: true };

describe("consumption_rate", () => {
  it("reaches the engine from chat and completions; null means the server default", async () => {
    t = await startTestServer();
    const client = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: "x", maxRetries: 0 });
    await client.chat.completions.create({
      model: M,
      messages: [{ role: "user", content: "Hi" }],
      max_tokens: 2,
      // @ts-expect-error tokenflow extension
      consumption_rate: 7.5,
    });
    expect(t.engine.submitted.at(-1)?.consumptionRateTokPerS).toBe(7.5);
    const r = await post("/v1/completions", { model: M, prompt: "x", max_tokens: 1, consumption_rate: null });
    expect(r.status).toBe(200);
    expect(t.engine.submitted.at(-1)?.consumptionRateTokPerS).toBeNull();
  });
});

describe("POST /v1/streams/{id}/consumed", () => {
  it("acknowledges read tokens of the addressed choice of a running stream", async () => {
    t = await startTestServer({}, { tokenDelayMs: 10 });
    const { id, ac } = await openStream({ ...LONG, n: 2 });
    const seqIds = t.engine.submitted.map((r) => r.id);
    const first = await post(`/v1/streams/${id}/consumed`, { tokens: 3 });
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ id, object: "stream.consumption", index: 0, tokens: 3 });
    const second = await post(`/v1/streams/${id}/consumed`, { tokens: 5, index: 1 });
    expect(second.status).toBe(200);
    expect(t.engine.acknowledged).toEqual([
      { id: seqIds[0], numRead: 3 },
      { id: seqIds[1], numRead: 5 },
    ]);
    const outOfRange = await post(`/v1/streams/${id}/consumed`, { tokens: 5, index: 2 });
    expect(outOfRange.status).toBe(400);
    const body = (await outOfRange.json()) as ErrorBody;
    expect(body.error.param).toBe("index");
    expect(body.error.message).toContain("has 2 choice(s)");
    ac.abort();
    await until(() => t?.engine.numActive === 0);
    expect(t.engine.aborted).toEqual(expect.arrayContaining(seqIds));
  });

  it("refuses bad bodies with a 400 naming the field", async () => {
    t = await startTestServer({}, { tokenDelayMs: 10 });
    const { id, ac } = await openStream(LONG);
    const cases: [unknown, string | null, string][] = [
      [{}, "tokens", "'tokens' is required"],
      [{ tokens: -1 }, "tokens", ">= 0"],
      [{ tokens: 1.5 }, "tokens", "integer"],
      [{ tokens: "3" }, "tokens", "integer"],
      [{ tokens: 3, index: -1 }, "index", ">= 0"],
      [{ tokens: 3, extra: true }, "extra", "unrecognized"],
      [[3], null, "JSON object"],
      ['{"tokens":', null, "not valid JSON"],
    ];
    for (const [body, param, says] of cases) {
      const res = await post(`/v1/streams/${id}/consumed`, body);
      const json = (await res.json()) as ErrorBody;
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(json.error.type).toBe("invalid_request_error");
      expect(json.error.param).toBe(param);
      expect(json.error.message).toContain(says);
    }
    expect(t.engine.acknowledged).toEqual([]);
    ac.abort();
  });

  it("answers 404 for an unknown or finished stream", async () => {
    t = await startTestServer();
    const unknown = await post("/v1/streams/chatcmpl-nope/consumed", { tokens: 1 });
    expect(unknown.status).toBe(404);
    const body = (await unknown.json()) as ErrorBody;
    expect(body.error).toMatchObject({ type: "invalid_request_error", code: "not_found" });
    expect(body.error.message).toContain("chatcmpl-nope");
    const done = await post("/v1/completions", { model: M, prompt: "x", max_tokens: 2 });
    const doneId = ((await done.json()) as { id: string }).id;
    expect(doneId).toMatch(/^cmpl-/);
    const finished = await post(`/v1/streams/${doneId}/consumed`, { tokens: 2 });
    expect(finished.status).toBe(404);
    expect(((await finished.json()) as ErrorBody).error.message).toContain("has finished");
  });

  it("answers 404 for a choice that finished while its siblings run", async () => {
    t = await startTestServer({}, { tokenDelayMs: 10 });
    const { id, ac } = await openStream({ ...LONG, n: 2 });
    const [, second] = t.engine.submitted.map((r) => r.id);
    t.engine.abort(second as string);
    await until(() => !t?.engine.snapshot().some((r) => r.id === second));
    expect(t.engine.snapshot()).toHaveLength(1);
    const res = await post(`/v1/streams/${id}/consumed`, { tokens: 1, index: 1 });
    expect(res.status).toBe(404);
    expect(((await res.json()) as ErrorBody).error.message).toContain("choice 1");
    ac.abort();
  });

  it("requires the API key when one is set", async () => {
    t = await startTestServer({ apiKey: "k" }, { tokenDelayMs: 10 });
    const auth = { authorization: "Bearer k" };
    const { id, ac } = await openStream(LONG, auth);
    const without = await post(`/v1/streams/${id}/consumed`, { tokens: 1 });
    expect(without.status).toBe(401);
    const withKey = await post(`/v1/streams/${id}/consumed`, { tokens: 1 }, auth);
    expect(withKey.status).toBe(200);
    expect(t.engine.acknowledged).toHaveLength(1);
    ac.abort();
  });
});
