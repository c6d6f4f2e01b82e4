/**
 * The playground: chat with the served model at a chosen reading rate (sent as
 * `consumption_rate`), optionally constrained by a JSON Schema, the reply revealed by a
 * {@link Pacer} with its buffer shown; and the burst button, which asks the server to start N
 * synthetic streaming users reading at the same rate.
 */
import { apiFetch, sseData } from "./api.js";
import { fixed } from "./format.js";
import { Pacer } from "./pacer.js";

/** A buffer of this many seconds fills the playground's bar. */
const BAR_FULL_SEC = 10;
const PACER_TICK_MS = 50;

function el<T extends HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`missing #${id}`);
  return e as T;
}

interface ChatChunk {
  id?: string;
  choices?: { delta?: { content?: string }; finish_reason?: string | null }[];
}

/** The playground's widgets and its one stream at a time. */
export class Playground {
  private readonly rate = el<HTMLInputElement>("rate");
  private readonly reply = el<HTMLElement>("reply");
  private readonly stats = el<HTMLElement>("my-stats");
  private controller: AbortController | null = null;
  private pacer: Pacer | null = null;
  private timer: number | null = null;
  private sentMs = 0;
  private firstMs: number | null = null;
  private finishReason: string | null = null;

  /** @param onMine told the engine id of your stream (to highlight it in the table), or null */
  constructor(private readonly onMine: (id: string | null) => void) {
    this.rate.addEventListener("input", () => this.showRate());
    el("send").addEventListener("click", () => void this.send());
    el("stop").addEventListener("click", () => this.controller?.abort());
    el("burst").addEventListener("click", () => void this.burst());
    this.showRate();
  }

  private get rateTokPerS(): number {
    return Number(this.rate.value);
  }

  private showRate(): void {
    el("rate-out").textContent = `${this.rateTokPerS} tok/s`;
    if (this.pacer) this.pacer.rateTokPerS = this.rateTokPerS;
  }

  private requestBody(): Record<string, unknown> {
    const body: Record<string, unknown> = {
      messages: [{ role: "user", content: el<HTMLTextAreaElement>("prompt").value }],
      stream: true,
      max_tokens: Number(el<HTMLInputElement>("max-tokens").value),
      consumption_rate: this.rateTokPerS,
    };
    const schema = el<HTMLTextAreaElement>("schema").value.trim();
    if (schema) {
      body.response_format = {
        type: "json_schema",
        json_schema: { name: "playground", schema: JSON.parse(schema), strict: true },
      };
    }
    return body;
  }

  private async send(): Promise<void> {
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    this.reply.textContent = "";
    this.reply.classList.remove("error");
    this.sentMs = performance.now();
    this.firstMs = null;
    this.finishReason = null;
    const pacer = new Pacer(this.rateTokPerS, (text) => this.reply.append(text));
    this.pacer = pacer;
    this.startTicking();
    el<HTMLButtonElement>("stop").disabled = false;
    try {
      const res = await apiFetch("/v1/chat/completions", {
        method: "POST",
        body: JSON.stringify(this.requestBody()),
        signal: controller.signal,
      });
      for await (const data of sseData(res)) {
        if (data === "[DONE]") break;
        this.onChunk(JSON.parse(data) as ChatChunk, pacer);
      }
    } catch (err) {
      if (!controller.signal.aborted) this.showError(err);
    } finally {
      pacer.end();
      if (this.controller === controller) el<HTMLButtonElement>("stop").disabled = true;
    }
  }

  private onChunk(chunk: ChatChunk, pacer: Pacer): void {
    if (this.firstMs === null && chunk.id) this.onMine(`${chunk.id}-0`);
    const choice = chunk.choices?.[0];
    const text = choice?.delta?.content;
    if (text) {
      if (this.firstMs === null) this.firstMs = performance.now();
      pacer.push(text, performance.now());
    }
    if (choice?.finish_reason) this.finishReason = choice.finish_reason;
  }

  private showError(err: unknown): void {
    this.reply.classList.add("error");
    this.reply.textContent = err instanceof Error ? err.message : String(err);
  }

  private startTicking(): void {
    if (this.timer !== null) return;
    this.timer = window.setInterval(() => this.tick(), PACER_TICK_MS);
  }

  private tick(): void {
    const p = this.pacer;
    if (!p) return;
    p.tick(performance.now());
    const bar = el<HTMLElement>("my-buffer-bar");
    bar.style.width = `${(Math.min(1, p.bufferSec / BAR_FULL_SEC) * 100).toFixed(1)}%`;
    el("my-buffer").textContent = `${fixed(p.bufferSec, 1)} s`;
    const ttft = this.firstMs === null ? "—" : `${fixed(this.firstMs - this.sentMs, 0)} ms`;
    this.stats.textContent =
      `TTFT ${ttft} · received ${p.numReceived} · read ${p.numRead} · ` +
      `stalls ${p.numStalls} (${fixed(p.stallSec, 1)} s)` +
      (this.finishReason ? ` · finished: ${this.finishReason}` : "");
    if (p.isDone && this.timer !== null) {
      window.clearInterval(this.timer);
      this.timer = null;
    }
  }

  private async burst(): Promise<void> {
    const status = el("burst-status");
    try {
      const res = await apiFetch("/v1/dashboard/burst", {
        method: "POST",
        body: JSON.stringify({
          users: Number(el<HTMLInputElement>("burst-n").value),
          consumption_rate: this.rateTokPerS,
          max_tokens: Number(el<HTMLInputElement>("max-tokens").value),
        }),
      });
      const body = (await res.json()) as { started: number };
      status.textContent = `started ${body.started} users`;
    } catch (err) {
      status.textContent = err instanceof Error ? err.message : String(err);
    }
  }
}
