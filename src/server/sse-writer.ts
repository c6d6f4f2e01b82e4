/**
 * Server-sent events as OpenAI streams them: `data: <json>\n\n` per chunk, `data: [DONE]\n\n`
 * at the end. Honours back-pressure (waits for `drain`) and notices a client that went away.
 */
import { once } from "node:events";
import type { ServerResponse } from "node:http";

/** Writes one SSE stream onto a raw Node response the caller has taken over. */
export class SseWriter {
  private closed = false;

  constructor(private readonly res: ServerResponse) {
    res.on("close", () => {
      this.closed = true;
    });
  }

  /** Whether the client disconnected (or the stream ended). */
  get isClosed(): boolean {
    return this.closed || this.res.destroyed;
  }

  /** Sends the status line and SSE headers. */
  open(extraHeaders: Readonly<Record<string, string>> = {}): void {
    this.res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      connection: "keep-alive",
      "x-accel-buffering": "no",
      ...extraHeaders,
    });
    this.res.flushHeaders();
  }

  /** Sends one event; resolves `false` when the client is gone (nothing more should be sent). */
  async send(data: unknown): Promise<boolean> {
    return this.write(`data: ${JSON.stringify(data)}\n\n`);
  }

  /** Sends `data: [DONE]` and ends the response. */
  async done(): Promise<void> {
    if (await this.write("data: [DONE]\n\n")) this.res.end();
  }

  private async write(text: string): Promise<boolean> {
    if (this.isClosed) return false;
    if (!this.res.write(text)) {
      await Promise.race([once(this.res, "drain"), once(this.res, "close")]).catch(() => {});
    }
    return !this.isClosed;
  }
}
