/**
 * What the HTTP server needs from an engine. The real engine (`src/engine/`) satisfies it
 * directly or through a thin adapter; tests use `fake-engine.ts`.
 */
import type { EngineOutput, GenerationRequest } from "../engine/engine-types.js";

/** A point-in-time view of the engine for `/metrics` and `/health`. */
export interface ServerEngineStats {
  /** Sequences in the running batch. */
  readonly numRunning: number;
  /** Sequences admitted but waiting (including preempted ones). */
  readonly numWaiting: number;
  /** Preemptions since start (monotonic). */
  readonly numPreemptions: number;
  /** Fraction of device KV blocks in use, 0..1. */
  readonly kvUsage: number;
}

/** The engine as seen by the server. */
export interface ServerEngine {
  /**
   * Starts generating one sequence. Outputs arrive in order; the iterable ends after the output
   * whose `finishReason` is set. Throws (synchronously, or from the iterable's first `next()`)
   * a `ServingError` with code `queue_full` when the engine cannot take more requests.
   */
  submit(request: GenerationRequest): AsyncIterable<EngineOutput>;
  /** Aborts a sequence (no-op when unknown or finished); its iterable ends with `abort`. */
  abort(id: string): void;
  /** Current counters. */
  stats(): ServerEngineStats;
  /**
   * Stops accepting work, lets running sequences finish for up to `graceMs`, then aborts the
   * rest; resolves when nothing runs any more.
   */
  stop(graceMs: number): Promise<void>;
}
