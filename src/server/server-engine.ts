/**
 * What the HTTP server needs from an engine. The real engine (`src/engine/`) satisfies it
 * directly or through a thin adapter; tests use `fake-engine.ts`.
 */
import type { EngineEventMap } from "../engine/engine-events.js";
import type { EngineOutput, GenerationRequest, RequestSnapshot } from "../engine/engine-types.js";
import type { DashboardEngineStats } from "./dashboard-engine-stats.js";

/** The host KV tier as `/metrics` sees it (byte counters are monotonic since start). */
export interface ServerHostTierStats {
  /** Fraction of host KV blocks in use, 0..1. */
  readonly usage: number;
  /** Bytes copied device → host ahead of pauses (write-through), at pauses (evict), and back (load). */
  readonly writeThroughBytes: number;
  readonly evictBytes: number;
  readonly loadBytes: number;
  /** Measured copy bandwidth per direction, bytes/s (0 until measured). */
  readonly storeBytesPerS: number;
  readonly loadBytesPerS: number;
  /** Pauses that fell back to recompute because the host tier was full. */
  readonly numHostFullFallbacks: number;
}

/** A point-in-time view of the engine for `/metrics` and `/health`. */
export interface ServerEngineStats {
  /** Sequences in the running batch. */
  readonly numRunning: number;
  /** Sequences admitted but waiting (including preempted ones). */
  readonly numWaiting: number;
  /** Sequences paused with their KV on the host tier. */
  readonly numPaused: number;
  /** Preemptions of every kind (recompute, swap, hybrid) since start (monotonic). */
  readonly numPreemptions: number;
  /** Fraction of device KV blocks in use, 0..1. */
  readonly kvUsage: number;
  /** `null` = the engine has no host KV tier. */
  readonly hostTier: ServerHostTierStats | null;
}

/** The engine events the server listens to (`Engine.events` fits). */
export interface ServerEngineEvents {
  on<K extends keyof EngineEventMap>(event: K, listener: (payload: EngineEventMap[K]) => void): unknown;
  off<K extends keyof EngineEventMap>(event: K, listener: (payload: EngineEventMap[K]) => void): unknown;
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
  /**
   * The client of sequence `id` has read `numRead` of its generated tokens in all (corrects the
   * reader's buffer model). Returns false when `id` is unknown or finished.
   */
  acknowledgeConsumed(id: string, numRead: number): boolean;
  /** Every active sequence with its phase and modelled reader buffer (a fresh array). */
  snapshot(): readonly RequestSnapshot[];
  /** Engine events: preemptions, resumptions, tokens, steps, finishes. */
  readonly events: ServerEngineEvents;
  /** Current counters. */
  stats(): ServerEngineStats;
  /** The live dashboard's extra view (block counts, copy backlog, max tokens); absent = not shown. */
  dashboardStats?(): DashboardEngineStats;
  /**
   * Stops accepting work, lets running sequences finish for up to `graceMs`, then aborts the
   * rest; resolves when nothing runs any more.
   */
  stop(graceMs: number): Promise<void>;
}
