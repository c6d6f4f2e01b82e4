import type { EngineOutput } from "./engine-types.js";

/**
 * The outputs of one request as an async iterable. Outputs queue until read; the stream ends
 * after the output with `finishReason`. Leaving a `for await` early (break, throw) calls
 * `onCancel`, which the engine uses to abort the request.
 */
export class OutputStream implements AsyncIterable<EngineOutput> {
  private readonly queue: EngineOutput[] = [];
  private isEnded = false;
  private wake: (() => void) | null = null;

  constructor(
    /** The request's id. */
    readonly id: string,
    private readonly onCancel: () => void,
  ) {}

  /** Engine side: queues an output (ignored after the end). */
  push(output: EngineOutput): void {
    if (this.isEnded) return;
    this.queue.push(output);
    if (output.finishReason !== null) this.isEnded = true;
    this.wake?.();
  }

  /** Whether the final output was pushed. */
  get ended(): boolean {
    return this.isEnded;
  }

  /** Aborts the request (same as `engine.abort(id)`). */
  abort(): void {
    this.onCancel();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<EngineOutput> {
    let finished = false;
    try {
      for (;;) {
        const next = this.queue.shift();
        if (next) {
          if (next.finishReason !== null) finished = true;
          yield next;
          if (finished) return;
          continue;
        }
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        this.wake = null;
      }
    } finally {
      if (!finished) this.onCancel();
    }
  }

  /** Reads the whole stream: concatenated text, all token ids and the final output. */
  async collect(): Promise<{
    text: string;
    tokenIds: number[];
    outputs: EngineOutput[];
    final: EngineOutput;
  }> {
    const outputs: EngineOutput[] = [];
    for await (const o of this) outputs.push(o);
    const final = outputs[outputs.length - 1];
    if (!final) throw new Error(`stream ${this.id} ended without output`);
    return {
      text: outputs.map((o) => o.text).join(""),
      tokenIds: outputs.flatMap((o) => o.tokenIds),
      outputs,
      final,
    };
  }
}
