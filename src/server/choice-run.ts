/**
 * Runs the n choices of one request on the engine: submits them, merges their outputs into one
 * ordered-per-choice stream, and aborts whatever is unfinished when the client goes away.
 */
import type { EngineOutput, GenerationRequest } from "../engine/engine-types.js";
import type { ServerEngine } from "./server-engine.js";

/** One engine output, tagged with its choice index. */
export interface ChoiceEvent {
  readonly index: number;
  readonly output: EngineOutput;
}

type Step = { readonly index: number; readonly result: IteratorResult<EngineOutput> };

/** The running choices of one request. */
export class ChoiceRun {
  private readonly iterators: (AsyncIterator<EngineOutput> | null)[] = [];
  private readonly finished: boolean[];
  private aborted = false;

  /**
   * Submits every request. If one submission fails (e.g. a full queue) the ones already
   * submitted are aborted and the error is rethrown.
   */
  constructor(
    private readonly engine: ServerEngine,
    private readonly requests: readonly GenerationRequest[],
  ) {
    this.finished = requests.map(() => false);
    try {
      for (const r of requests) this.iterators.push(engine.submit(r)[Symbol.asyncIterator]());
    } catch (err) {
      this.abort();
      this.releaseIterators();
      throw err;
    }
  }

  /**
   * Tells every engine iterator that nothing more will be read, so that its cleanup runs
   * (queued behind a pending `next()` when there is one).
   */
  private releaseIterators(): void {
    for (const it of this.iterators) void it?.return?.()?.catch(() => {});
  }

  /** Whether {@link abort} was called. */
  get isAborted(): boolean {
    return this.aborted;
  }

  /** Aborts every unfinished choice on the engine (idempotent). */
  abort(): void {
    this.aborted = true;
    this.requests.forEach((r, i) => {
      if (this.finished[i] || i >= this.iterators.length) return;
      // Called from socket 'close' listeners: an engine error here must not become uncaught.
      try {
        this.engine.abort(r.id);
      } catch {}
    });
  }

  /**
   * All outputs of all choices, in arrival order (per choice, in order). Ends when every choice
   * has finished. An engine error aborts the other choices and is rethrown.
   */
  async *events(): AsyncGenerator<ChoiceEvent> {
    const pending = new Map<number, Promise<Step>>();
    const pull = (index: number) => {
      const it = this.iterators[index];
      if (it)
        pending.set(
          index,
          it.next().then((result) => ({ index, result })),
        );
    };
    for (let i = 0; i < this.iterators.length; i++) pull(i);
    try {
      while (pending.size > 0) {
        const { index, result } = await Promise.race(pending.values());
        pending.delete(index);
        if (result.done) {
          this.finished[index] = true;
          continue;
        }
        if (result.value.finishReason !== null) {
          this.finished[index] = true;
        } else pull(index);
        yield { index, output: result.value };
      }
    } finally {
      if (this.finished.some((f) => !f)) this.abort();
      for (const p of pending.values()) p.catch(() => {});
      this.releaseIterators();
    }
  }
}
