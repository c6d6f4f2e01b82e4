/**
 * The HTTP target against a scripted SSE server (request bodies, multi-token chunks, 400
 * concurrent streams, errors) and against a real tokenflow server on the tiny test model.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../cli/main.js";
import type { Engine } from "../engine/engine.js";
import { type RunningTestServer, startRealEngineServer, TEST_MODEL_NAME } from "../server/test-server.js";
import { type BenchServeOptions, runBenchServe } from "./bench-serve.js";
import type { RunSummary } from "./bench-types.js";
import { parseRates } from "./readers.js";

function options(url: string, over: Partial<BenchServeOptions> = {}): BenchServeOptions {
  return {
    target: { kind: "http", url, modelName: null, apiKey: null, tokenizer: null, vocabSize: 1000 },
    workload: { kind: "burst", count: 4 },
    numRequests: null,
    inputLen: { kind: "fixed", value: 8 },
    outputLen: { kind: "fixed", value: 5 },
    rates: parseRates("20"),
    seed: 1,
    traceReplay: { windowStartS: 0, windowDurationS: null, speedup: 1 },
    schedulers: ["fcfs"],
    slo: null,
    qoeTtftTargetS: 1.3,
    jsonSchema: null,
    constrainedFraction: 1,
    prompts: { kind: "synthetic" },
    textPrompts: false,
    maxNumSeqs: 256,
    maxNumBatchedTokens: 2048,
    ...over,
  };
}

/** A scripted OpenAI-like server: each completion streams max_tokens tokens in pairs (one text chunk per pair). */
class ScriptedServer {
  readonly bodies: Record<string, unknown>[] = [];
  numOpen = 0;
  maxOpen = 0;
  /** Responses wait until this many requests are open (or 10 s pass). */
  barrier = 0;
  private waiting: (() => void)[] = [];
  private server: Server | null = null;
  url = "";

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server?.listen(0, "127.0.0.1", r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.url === "/v1/models") {
      res.end(JSON.stringify({ object: "list", data: [{ id: "scripted" }] }));
      return;
    }
    let raw = "";
    for await (const c of req) raw += c;
    const body = JSON.parse(raw) as Record<string, unknown>;
    this.bodies.push(body);
    if (body.max_tokens === 999) {
      res.writeHead(503, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: "queue full" } }));
      return;
    }
    this.numOpen++;
    this.maxOpen = Math.max(this.maxOpen, this.numOpen);
    if (this.numOpen >= this.barrier) for (const w of this.waiting.splice(0)) w();
    else await new Promise<void>((r) => this.waiting.push(r) && setTimeout(r, 10_000));
    res.writeHead(200, { "content-type": "text/event-stream" });
    const n = body.max_tokens as number;
    const send = (o: unknown) => res.write(`data: ${JSON.stringify(o)}\n\n`);
    for (let i = 0; i < n; i += 2) {
      send({ choices: [{ index: 0, text: "ab", finish_reason: null }] });
      send({ choices: [{ index: 0, text: "", finish_reason: null }] });
      await new Promise((r) => setTimeout(r, 2));
    }
    send({ choices: [{ index: 0, text: "", finish_reason: "length" }] });
    send({ choices: [], usage: { prompt_tokens: 8, completion_tokens: n, total_tokens: 8 + n } });
    res.end("data: [DONE]\n\n");
    this.numOpen--;
  }
}

describe("HTTP target against a scripted server", () => {
  const s = new ScriptedServer();
  beforeAll(() => s.start());
  afterAll(() => s.stop());

  it("sends the documented body and counts tokens from chunks plus usage", async () => {
    s.bodies.length = 0;
    const schema = { type: "object", properties: { a: { type: "integer" } } };
    const report = await runBenchServe(
      options(`${s.url}/v1/`, { jsonSchema: schema, constrainedFraction: 1, rates: parseRates("12.5") }),
    );
    expect(s.bodies).toHaveLength(4);
    const body = s.bodies[0] as Record<string, unknown>;
    expect(body).toMatchObject({
      model: "scripted",
      max_tokens: 5,
      stream: true,
      stream_options: { include_usage: true },
      ignore_eos: true,
      consumption_rate: 12.5,
      response_format: { type: "json_schema", json_schema: { name: "bench", schema } },
    });
    expect(body.prompt).toHaveLength(8);
    expect((body.prompt as number[]).every((id) => Number.isInteger(id) && id >= 3 && id < 1000)).toBe(true);
    const run = report.runs[0];
    // 3 text chunks carry 5 tokens (usage): the 2 extra go to chunks 1 and 2.
    for (const tl of run?.timelines ?? []) {
      expect(tl.error).toBeNull();
      expect(tl.tokenTimesS).toHaveLength(5);
      expect(tl.tokenTimesS[1]).toBe(tl.tokenTimesS[2]);
    }
    expect(run?.summary.throughput_tok_s).toBeGreaterThan(0);
    expect(run?.summary.preemptions).toEqual({});
    expect(report.workload.target).toMatchObject({ kind: "http", model: "scripted" });
  });

  it("keeps 400 streams open at once", async () => {
    s.barrier = 400;
    s.maxOpen = 0;
    const report = await runBenchServe(options(s.url, { workload: { kind: "burst", count: 400 } }));
    s.barrier = 0;
    expect(s.maxOpen).toBe(400);
    expect(report.runs[0]?.timelines.every((tl) => tl.error === null && tl.tokenTimesS.length === 5)).toBe(
      true,
    );
  });

  it("records HTTP errors per request and goes on", async () => {
    const report = await runBenchServe(options(s.url, { outputLen: { kind: "fixed", value: 999 } }));
    const tls = report.runs[0]?.timelines ?? [];
    expect(tls.every((tl) => /HTTP 503: .*queue full/.test(tl.error ?? ""))).toBe(true);
    expect(report.runs[0]?.summary.qoe_mean).toBe(0);
  });
});

describe("HTTP target against a real tokenflow server (tiny model)", () => {
  let t: RunningTestServer<Engine>;
  const prompts: number[] = [];
  beforeAll(async () => {
    t = await startRealEngineServer();
    t.engine.events.on("requestFinished", (e) => prompts.push(e.numPromptTokens));
  }, 300_000);
  afterAll(async () => t?.close());

  it("runs a small burst through `tokenflow bench serve --json`", async () => {
    let printed = "";
    const code = await main(
      [
        "node",
        "tokenflow",
        "bench",
        "serve",
        "--target",
        t.url,
        "--workload",
        "burst:4",
        "--input-len",
        "16",
        "--output-len",
        "8",
        "--vocab-size",
        "32000",
        "--rates",
        "15:0.5,30:0.5",
        "--seed",
        "3",
        "--json",
      ],
      (s) => {
        printed += s;
      },
    );
    expect(code).toBe(0);
    const out = JSON.parse(printed) as { workload: Record<string, unknown>; runs: RunSummary[] };
    expect(out.workload).toMatchObject({ workload: "burst:4", num_requests: 4 });
    expect(out.runs).toHaveLength(1);
    const run = out.runs[0] as RunSummary;
    expect(run).toMatchObject({ scheduler: "fcfs", requests: 4, preemptions: {} });
    expect(run.throughput_tok_s).toBeGreaterThan(0);
    expect(run.ttft_s.p50).toBeGreaterThan(0);
    expect(run.qoe_mean).toBeGreaterThan(0);
    expect(prompts.slice(-4)).toEqual([16, 16, 16, 16]);
  });

  it("sends text prompts that the server tokenizes to exactly the input length", async () => {
    prompts.length = 0;
    const report = await runBenchServe(
      options(t.url, {
        target: {
          kind: "http",
          url: t.url,
          modelName: TEST_MODEL_NAME,
          apiKey: null,
          tokenizer: "llama2",
          vocabSize: null,
        },
        textPrompts: true,
        inputLen: { kind: "uniform", lo: 5, hi: 40 },
      }),
    );
    const tls = report.runs[0]?.timelines ?? [];
    expect(tls.every((tl) => tl.error === null && tl.tokenTimesS.length === 5)).toBe(true);
    expect([...prompts].sort((a, b) => a - b)).toEqual(tls.map((tl) => tl.inputLen).sort((a, b) => a - b));
  });
});
