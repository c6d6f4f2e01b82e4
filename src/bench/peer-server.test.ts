import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testModelPath } from "../test-support/test-models.js";
import { type PeerServer, startPeerServer } from "./peer-server.js";

interface Event {
  readonly data: Record<string, unknown> | "[DONE]";
  /** performance.now() when the event was read. */
  readonly atMs: number;
}

/** Reads one SSE response, one event per `data:` line, in as many calls as wanted. */
class EventReader {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  private buffered = "";

  constructor(res: Response) {
    this.reader = (res.body as ReadableStream<Uint8Array>).getReader();
  }

  /** Events until the stream ends or `stopAfter` more have been read. */
  async read(stopAfter = Number.POSITIVE_INFINITY): Promise<Event[]> {
    const events: Event[] = [];
    for (;;) {
      let end = this.buffered.indexOf("\n\n");
      while (end >= 0 && events.length < stopAfter) {
        const line = this.buffered.slice(0, end);
        this.buffered = this.buffered.slice(end + 2);
        expect(line.startsWith("data: ")).toBe(true);
        const payload = line.slice("data: ".length);
        events.push({ data: payload === "[DONE]" ? "[DONE]" : JSON.parse(payload), atMs: performance.now() });
        end = this.buffered.indexOf("\n\n");
      }
      if (events.length >= stopAfter) return events;
      const { done, value } = await this.reader.read();
      if (done) return events;
      this.buffered += this.decoder.decode(value, { stream: true });
    }
  }
}

/** Reads an SSE response to its end (or until `stopAfter` events). */
function readEvents(res: Response, stopAfter = Number.POSITIVE_INFINITY): Promise<Event[]> {
  return new EventReader(res).read(stopAfter);
}

function post(server: PeerServer, body: unknown, signal?: AbortSignal): Promise<Response> {
  return fetch(`${server.url}/v1/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });
}

const PROMPT = [1, 450, 4996, 17354, 1701];

interface Completion {
  choices: { text: string; finish_reason: string }[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

async function complete(server: PeerServer, body: unknown): Promise<Completion> {
  const res = await post(server, body);
  expect(res.status).toBe(200);
  return (await res.json()) as Completion;
}

/** Chunks that carry a generated token (not the finish chunk nor the usage chunk). */
function tokenChunks(events: Event[]): Event[] {
  return events.filter((e) => {
    if (e.data === "[DONE]") return false;
    const choice = (e.data.choices as { finish_reason: string | null }[])[0];
    return choice !== undefined && choice.finish_reason === null;
  });
}

async function health(server: PeerServer): Promise<Record<string, number | string>> {
  return (await (await fetch(`${server.url}/health`)).json()) as Record<string, number | string>;
}

/** /health once every sequence is free again (released sequences are cleared asynchronously). */
async function healthOnceFree(server: PeerServer): Promise<Record<string, number | string>> {
  const deadline = performance.now() + 10_000;
  let h = await health(server);
  while (h.free !== server.sequences && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    h = await health(server);
  }
  return h;
}

describe("bench peer-server (node-llama-cpp)", () => {
  let server: PeerServer;

  beforeAll(async () => {
    const modelPath = await testModelPath("tinyQ8");
    server = await startPeerServer({ modelPath, sequences: 2, port: 0, threads: 1, contextSize: 2048 });
  });

  afterAll(async () => {
    await server?.close();
  });

  it("streams exactly max_tokens token chunks, a finish chunk, a usage chunk and [DONE]", async () => {
    const res = await post(server, {
      prompt: PROMPT,
      max_tokens: 8,
      temperature: 0,
      ignore_eos: true,
      stream: true,
      stream_options: { include_usage: true },
      consumption_rate: 20,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const events = await readEvents(res);
    expect(tokenChunks(events)).toHaveLength(8);
    expect(events.at(-1)?.data).toBe("[DONE]");
    const finish = events.at(-3)?.data as { choices: { finish_reason: string }[]; object: string };
    expect(finish.object).toBe("text_completion");
    expect(finish.choices[0]?.finish_reason).toBe("length");
    const usage = events.at(-2)?.data as { choices: unknown[]; usage: Record<string, number> };
    expect(usage.choices).toEqual([]);
    expect(usage.usage).toEqual({ prompt_tokens: 5, completion_tokens: 8, total_tokens: 13 });
  });

  it("answers without streaming, from a token-id or a text prompt, greedily and repeatably", async () => {
    const body = { prompt: PROMPT, max_tokens: 8, temperature: 0, ignore_eos: true };
    const a = await complete(server, body);
    const b = await complete(server, body);
    expect(a.usage).toEqual({ prompt_tokens: 5, completion_tokens: 8, total_tokens: 13 });
    expect(a.choices[0]?.finish_reason).toBe("length");
    expect(a.choices[0]?.text).toBe(b.choices[0]?.text);
    const streamed = tokenChunks(await readEvents(await post(server, { ...body, stream: true })));
    const pieces = streamed.map((e) => (e.data as { choices: { text: string }[] }).choices[0]?.text);
    expect(pieces.join("")).toBe(a.choices[0]?.text);
    const text = await complete(server, { prompt: "Once upon a time", max_tokens: 4 });
    expect(text.usage.prompt_tokens).toBeGreaterThan(1);
    expect(text.usage.completion_tokens).toBeLessThanOrEqual(4);
  });

  it("serves 3 concurrent streams on 2 sequences: all complete, the third waits for a free one", async () => {
    const body = {
      prompt: PROMPT,
      max_tokens: 48,
      temperature: 0.8,
      seed: 7,
      ignore_eos: true,
      stream: true,
    };
    const streams = await Promise.all([0, 1, 2].map(async () => readEvents(await post(server, body))));
    for (const events of streams) {
      expect(tokenChunks(events)).toHaveLength(48);
      expect(events.at(-1)?.data).toBe("[DONE]");
    }
    const firstTokenMs = streams.map((e) => tokenChunks(e)[0]?.atMs ?? Number.NaN);
    const lastTokenMs = streams.map((e) => tokenChunks(e).at(-1)?.atMs ?? Number.NaN);
    // With two sequences one request cannot start before another has finished.
    // (A few ms of slack: client and server share one event loop.)
    expect(Math.max(...firstTokenMs)).toBeGreaterThanOrEqual(Math.min(...lastTokenMs) - 5);
    expect(await healthOnceFree(server)).toMatchObject({ status: "ok", sequences: 2, free: 2, queued: 0 });
  });

  it("frees the sequence when a client disconnects mid-stream", async () => {
    const abortedBefore = (await health(server)).aborted as number;
    const abort = new AbortController();
    const res = await post(
      server,
      { prompt: PROMPT, max_tokens: 2000, ignore_eos: true, stream: true },
      abort.signal,
    );
    expect(tokenChunks(await readEvents(res, 2))).toHaveLength(2);
    expect((await health(server)).free).toBeLessThan(2);
    abort.abort();
    expect(await healthOnceFree(server)).toMatchObject({ free: 2, queued: 0, aborted: abortedBefore + 1 });
  });

  it("answers 400 with an OpenAI error on bad input", async () => {
    const cases: [unknown, string | null][] = [
      [{ max_tokens: 4 }, "prompt"],
      [{ prompt: [1, 99_999_999], max_tokens: 4 }, "prompt"],
      [{ prompt: [], max_tokens: 4 }, "prompt"],
      [{ prompt: PROMPT, max_tokens: "four" }, "max_tokens"],
      [{ prompt: PROMPT, max_tokens: 0 }, "max_tokens"],
      [{ prompt: PROMPT, temperature: -1 }, "temperature"],
      [{ prompt: PROMPT, max_tokens: 2046 }, null],
      ["{not json", null],
    ];
    for (const [body, param] of cases) {
      const res = await post(server, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      const json = (await res.json()) as { error: { type: string; param: string | null; message: string } };
      expect(json.error.type).toBe("invalid_request_error");
      expect(json.error.param).toBe(param);
      expect(json.error.message.length).toBeGreaterThan(0);
    }
  });

  it("lists its model and reports health", async () => {
    const models = (await (await fetch(`${server.url}/v1/models`)).json()) as { data: { id: string }[] };
    expect(models.data[0]?.id).toMatch(/^tinyQ8-/);
    expect((await fetch(`${server.url}/v1/nothing`)).status).toBe(404);
  });
});

describe("bench peer-server shutdown", () => {
  it("ends running streams with finish_reason abort and queued ones with a 503-style error", async () => {
    const modelPath = await testModelPath("tinyQ8");
    const server = await startPeerServer({ modelPath, sequences: 1, port: 0, threads: 1, contextSize: 2048 });
    const body = { prompt: PROMPT, max_tokens: 2000, ignore_eos: true, stream: true };
    const running = new EventReader(await post(server, body));
    expect(tokenChunks(await running.read(1))).toHaveLength(1);
    const queued = await post(server, body);
    await healthOnceQueued(server);
    const [rest, queuedEvents] = await Promise.all([running.read(), readEvents(queued), server.close()]);
    const finish = rest.at(-2)?.data as { choices: { finish_reason: string }[] };
    expect(finish.choices[0]?.finish_reason).toBe("abort");
    expect(rest.at(-1)?.data).toBe("[DONE]");
    expect(tokenChunks(rest).length).toBeLessThan(1999);
    expect(queuedEvents.map((e) => e.data)).toEqual([
      { error: expect.objectContaining({ code: "engine_stopped", type: "server_error" }) },
      "[DONE]",
    ]);
  });
});

async function healthOnceQueued(server: PeerServer): Promise<void> {
  const deadline = performance.now() + 10_000;
  while ((await health(server)).queued !== 1 && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
  }
  expect((await health(server)).queued).toBe(1);
}
