/**
 * A fixed set of llama.cpp context sequences handed out first come, first served: the peer
 * server's whole scheduling policy. Requests beyond the pool's size wait in a FIFO queue.
 */
import { EngineStoppedError } from "../errors.js";

interface Waiter<S> {
  readonly resolve: (item: S) => void;
  readonly reject: (err: unknown) => void;
  readonly signal: AbortSignal | null;
  readonly onAbort: () => void;
}

/** The error a waiter gets when its signal aborts or the pool closes (a 503 if ever sent). */
export class PoolAbortedError extends EngineStoppedError {
  constructor(message = "aborted while waiting for a free sequence") {
    super(message);
  }
}

/**
 * Hands out items (sequences) one request at a time. The pool owns the items; a borrower
 * returns its item with {@link release}, which resets it (clears the sequence's history)
 * before the next waiter gets it.
 */
export class SequencePool<S> {
  private readonly free: S[];
  private readonly waiters: Waiter<S>[] = [];
  private resetting = 0;
  private closed = false;

  /**
   * @param items the sequences; the pool owns them from now on.
   * @param reset makes a returned item fresh again (awaited before it is handed out).
   */
  constructor(
    items: readonly S[],
    private readonly reset: (item: S) => Promise<void>,
  ) {
    this.free = [...items];
  }

  /** Items free right now. */
  get numFree(): number {
    return this.free.length;
  }

  /** Requests waiting for an item. */
  get numWaiting(): number {
    return this.waiters.length;
  }

  /** Items being reset after a release (neither free nor lent). */
  get numResetting(): number {
    return this.resetting;
  }

  /**
   * An item, as soon as one is free and every earlier caller has been served.
   * @throws PoolAbortedError when `signal` aborts first or the pool closes.
   */
  acquire(signal: AbortSignal | null = null): Promise<S> {
    if (this.closed) return Promise.reject(new PoolAbortedError("the server is shutting down"));
    if (signal?.aborted) return Promise.reject(new PoolAbortedError());
    const item = this.waiters.length === 0 ? this.free.shift() : undefined;
    if (item !== undefined) return Promise.resolve(item);
    return new Promise<S>((resolve, reject) => {
      const waiter: Waiter<S> = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          const at = this.waiters.indexOf(waiter);
          if (at >= 0) this.waiters.splice(at, 1);
          reject(new PoolAbortedError());
        },
      };
      signal?.addEventListener("abort", waiter.onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /**
   * Takes an item back: resets it, then gives it to the longest waiter (or keeps it free).
   * Never rejects: an item whose reset fails (its context was disposed) is dropped.
   */
  async release(item: S): Promise<void> {
    this.resetting++;
    let isReset = false;
    try {
      await this.reset(item);
      isReset = true;
    } catch {
      // Dropped: only a disposed context fails to clear, and then the pool is closing anyway.
    } finally {
      this.resetting--;
    }
    if (!isReset) return;
    const waiter = this.waiters.shift();
    if (waiter) {
      waiter.signal?.removeEventListener("abort", waiter.onAbort);
      waiter.resolve(item);
    } else {
      this.free.push(item);
    }
  }

  /** Refuses new callers and rejects every waiter. Items already lent stay with borrowers. */
  close(): void {
    this.closed = true;
    for (const waiter of this.waiters.splice(0)) {
      waiter.signal?.removeEventListener("abort", waiter.onAbort);
      waiter.reject(new PoolAbortedError("the server is shutting down"));
    }
  }
}
