/**
 * The playground's "burst" button: N synthetic streaming chat users started by the server
 * against its own HTTP address, each reading at a chosen rate through its own pacer and
 * discarding the text. They run in the server because a browser opens at most six HTTP/1.1
 * connections to one origin, so a page could hold only a handful of streams at once.
 */
import { ReaderBuffer } from "../scheduler/buffer-model.js";
import type { DashboardBurstStats } from "./dashboard-frame.js";
import { FINISHED_ROW_MS } from "./dashboard-rows.js";

/** Most synthetic users streaming at once (all bursts together). */
export const MAX_BURST_USERS = 256;

/** One burst. */
export interface BurstSpec {
  readonly numUsers: number;
  /** Each user's reading rate (sent as `consumption_rate`), tok/s. */
  readonly rateTokPerS: number;
  readonly maxTokens: number;
  readonly prompt: string;
}

/** A reader that wanted a token and waited longer than this has stalled (s). */
const STALL_SEC = 0.05;

/** Yields the `data:` payloads of an SSE body. */
export async function* sseData(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let pending = "";
  for await (const bytes of body) {
    pending += decoder.decode(bytes, { stream: true });
    let end = pending.indexOf("\n\n");
    while (end >= 0) {
      for (const line of pending.slice(0, end).split("\n")) {
        if (line.startsWith("data:")) yield line.slice(5).trimStart();
      }
      pending = pending.slice(end + 2);
      end = pending.indexOf("\n\n");
    }
  }
}

/** Runs bursts of synthetic users; one per server. */
export class DashboardBurst {
  private readonly controllers = new Set<AbortController>();
  private readonly ids = new Set<string>();
  private counts = { numActive: 0, numDone: 0, numFailed: 0, numStalled: 0 };
  private hasStarted = false;

  /** @param apiKey sent as Bearer by every user, when the server requires one */
  constructor(private readonly apiKey: string | null) {}

  /** Counters of all bursts so far; `null` before the first. */
  get stats(): DashboardBurstStats | null {
    return this.hasStarted ? { ...this.counts } : null;
  }

  /** `burst` when engine request `id` belongs to a synthetic user. */
  tagOf(id: string): "burst" | null {
    return this.ids.has(id) ? "burst" : null;
  }

  /** Starts up to `spec.numUsers` users against `baseUrl` (within {@link MAX_BURST_USERS}); returns how many. */
  start(baseUrl: string, spec: BurstSpec): number {
    const n = Math.max(0, Math.min(spec.numUsers, MAX_BURST_USERS - this.counts.numActive));
    if (n > 0 && !this.hasStarted) this.hasStarted = true;
    for (let i = 0; i < n; i++) {
      const ctrl = new AbortController();
      this.controllers.add(ctrl);
      this.counts.numActive++;
      void this.runUser(baseUrl, spec, ctrl).finally(() => {
        this.controllers.delete(ctrl);
        this.counts.numActive--;
      });
    }
    return n;
  }

  /** Stops every user now (the server is closing). */
  abortAll(): void {
    for (const c of this.controllers) c.abort();
  }

  private async runUser(baseUrl: string, spec: BurstSpec, ctrl: AbortController): Promise<void> {
    const reader = new ReaderBuffer(spec.rateTokPerS);
    let engineId: string | null = null;
    let stalled = false;
    try {
      const res = await fetch(`${baseUrl}/v1/chat/completions`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {}),
        },
        body: JSON.stringify({
          messages: [{ role: "user", content: spec.prompt }],
          stream: true,
          max_tokens: spec.maxTokens,
          consumption_rate: spec.rateTokPerS,
        }),
        signal: ctrl.signal,
      });
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      for await (const data of sseData(res.body)) {
        if (data === "[DONE]") break;
        const chunk = JSON.parse(data) as { id?: string; choices?: { delta?: { content?: string } }[] };
        if (engineId === null && chunk.id) {
          engineId = `${chunk.id}-0`;
          this.ids.add(engineId);
        }
        // One streamed chunk is one engine output: one token, or a few held back by stop strings.
        if (chunk.choices?.[0]?.delta?.content) reader.onTokens(1, performance.now());
        if (!stalled && reader.rebufferSec > STALL_SEC) {
          stalled = true;
          this.counts.numStalled++;
        }
      }
      this.counts.numDone++;
    } catch {
      if (!ctrl.signal.aborted) this.counts.numFailed++;
    } finally {
      const id = engineId;
      if (id !== null) setTimeout(() => this.ids.delete(id), FINISHED_ROW_MS + 1000).unref();
    }
  }
}
