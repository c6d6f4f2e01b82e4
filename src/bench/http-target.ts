/**
 * HTTP target: streams `/v1/completions` from any OpenAI-compatible server, one request per
 * workload request at its arrival time, and records when each content chunk arrives.
 *
 * Body: `prompt` as token ids (or text with `--text-prompts`), `max_tokens` = output length,
 * `stream: true`, `stream_options.include_usage`, `ignore_eos: true`, `temperature: 0`,
 * `consumption_rate` (the reader's tokens/s, for TokenFlow scheduling), and for constrained
 * requests `response_format: {type: "json_schema", json_schema: {name, schema}}`.
 *
 * Connections: Node's `fetch` (undici) pools per origin without a connection cap, so every
 * concurrent stream gets its own keep-alive connection (400 concurrent streams need nothing
 * special). Tokens per chunk: see {@link tokenTimesFromChunks}.
 */
import { InvalidArgumentError } from "../errors.js";
import { systemClock } from "../runtime/runtime.js";
import {
  type BenchTarget,
  dispatchInRealTime,
  emptyTimeline,
  errorMessage,
  type TargetRun,
} from "./bench-target.js";
import type { BenchRequest, RequestTimeline } from "./bench-types.js";
import { sseEvents, tokenTimesFromChunks } from "./sse-events.js";

/** Options of {@link HttpTarget}. */
export interface HttpTargetOptions {
  /** Server base URL, e.g. `http://127.0.0.1:8080` (a trailing `/v1` is accepted). */
  readonly url: string;
  /** Model id to request; `null` = the first id of `GET /v1/models` (omitted if that fails). */
  readonly modelName: string | null;
  /** JSON Schema for constrained requests (`null` = none). */
  readonly jsonSchema: unknown;
  /** Sent as `Authorization: Bearer …` when set. */
  readonly apiKey: string | null;
}

interface StreamResult {
  chunkTimesS: number[];
  usageTokens: number | null;
}

/** Streams completions from an OpenAI-compatible server. */
export class HttpTarget implements BenchTarget {
  readonly isSchedulerChosen = false;

  private constructor(
    private readonly baseUrl: string,
    private readonly modelName: string | null,
    private readonly options: HttpTargetOptions,
  ) {}

  /** Normalises the URL and resolves the model id. */
  static async create(options: HttpTargetOptions): Promise<HttpTarget> {
    let base: URL;
    try {
      base = new URL(options.url);
    } catch {
      throw new InvalidArgumentError(
        `--target must be a URL like http://127.0.0.1:8080, got "${options.url}"`,
        "target",
      );
    }
    const baseUrl = base.href.replace(/\/+$/, "").replace(/\/v1$/, "");
    const target = new HttpTarget(baseUrl, null, options);
    const model = options.modelName ?? (await target.firstModelId());
    return new HttpTarget(baseUrl, model, options);
  }

  get description(): Record<string, unknown> {
    return { kind: "http", url: this.baseUrl, model: this.modelName };
  }

  async run(requests: readonly BenchRequest[]): Promise<TargetRun> {
    const originMs = performance.now();
    const launched = await dispatchInRealTime(requests, systemClock, originMs, (req) =>
      this.streamOne(req, originMs),
    );
    return { timelines: await Promise.all(launched), preemptions: {} };
  }

  async close(): Promise<void> {}

  private headers(): Record<string, string> {
    const h: Record<string, string> = { "content-type": "application/json" };
    if (this.options.apiKey) h.authorization = `Bearer ${this.options.apiKey}`;
    return h;
  }

  private async firstModelId(): Promise<string | null> {
    try {
      const res = await fetch(`${this.baseUrl}/v1/models`, { headers: this.headers() });
      const body = (await res.json()) as { data?: { id?: unknown }[] };
      const id = body.data?.[0]?.id;
      return typeof id === "string" ? id : null;
    } catch {
      return null;
    }
  }

  private body(req: BenchRequest): Record<string, unknown> {
    const body: Record<string, unknown> = {
      ...(this.modelName ? { model: this.modelName } : {}),
      prompt: req.promptText ?? req.promptTokens,
      max_tokens: req.outputLen,
      temperature: 0,
      stream: true,
      stream_options: { include_usage: true },
      ignore_eos: true,
      consumption_rate: req.rateTokPerS,
    };
    if (req.isConstrained)
      body.response_format = {
        type: "json_schema",
        json_schema: { name: "bench", schema: this.options.jsonSchema },
      };
    return body;
  }

  private async streamOne(req: BenchRequest, originMs: number): Promise<RequestTimeline> {
    const tl = emptyTimeline(req);
    const nowS = () => (performance.now() - originMs) / 1000;
    let result: StreamResult = { chunkTimesS: [], usageTokens: null };
    try {
      result = await this.stream(req, nowS);
    } catch (err) {
      tl.error = errorMessage(err);
    }
    tl.finishS = nowS();
    tl.tokenTimesS = tokenTimesFromChunks(result.chunkTimesS, result.usageTokens, tl.finishS);
    return tl;
  }

  private async stream(req: BenchRequest, nowS: () => number): Promise<StreamResult> {
    const res = await fetch(`${this.baseUrl}/v1/completions`, {
      method: "POST",
      headers: this.headers(),
      body: JSON.stringify(this.body(req)),
    });
    if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}: ${(await res.text()).slice(0, 300)}`);
    const out: StreamResult = { chunkTimesS: [], usageTokens: null };
    for await (const data of sseEvents(res.body)) {
      if (data.trim() === "[DONE]") break;
      const event = JSON.parse(data) as {
        error?: { message?: string };
        choices?: { text?: unknown }[];
        usage?: { completion_tokens?: unknown } | null;
      };
      if (event.error) throw new Error(`stream error: ${event.error.message ?? JSON.stringify(event.error)}`);
      const text = event.choices?.[0]?.text;
      if (typeof text === "string" && text.length > 0) out.chunkTimesS.push(nowS());
      const used = event.usage?.completion_tokens;
      if (typeof used === "number") out.usageTokens = used;
    }
    return out;
  }
}
