import { EventEmitter } from "node:events";
import type { OffloadStats } from "../kv/kv-offload.js";
import type { PreemptionMode, ResumeMode } from "../scheduler/step-plan.js";
import type { FinishReason } from "./engine-types.js";

/** What one engine step did (for /metrics, the dashboard and overhead benchmarks). */
export interface StepStats {
  readonly stepIndex: number;
  readonly numRows: number;
  readonly numDecodeRows: number;
  readonly numPrefillTokens: number;
  readonly numBatchedTokens: number;
  readonly numPreempted: number;
  readonly numAdmitted: number;
  /** Wall time of the whole step (clock ms), and of the runtime call inside it. */
  readonly stepMs: number;
  readonly runtimeMs: number;
  /** Time outside the runtime call: scheduling, packing, output processing. */
  readonly overheadMs: number;
  /** What the runtime reported for its forward pass and sampling. */
  readonly forwardMs: number;
  readonly sampleMs: number;
  /** Time the JS thread spent filling grammar masks, overlapping the forward pass (ms). */
  readonly maskMs: number;
  /** KV copies issued with the step, and copies the runtime reported complete after it. */
  readonly numTransfersIssued: number;
  readonly numTransfersCompleted: number;
}

/** A snapshot of the engine's counters (`engine.stats()`). */
export interface EngineStats {
  readonly numRunning: number;
  readonly numWaiting: number;
  /** Requests paused with their KV on the host tier. */
  readonly numPaused: number;
  /** Requests submitted and not yet finished (waiting, running, or just preempted). */
  readonly numActive: number;
  readonly numPreemptionsTotal: number;
  /** KV pool in use, 0..1 (`vllm:kv_cache_usage_perc`). */
  readonly kvCacheUsage: number;
  readonly numBlocks: number;
  readonly numFreeBlocks: number;
  readonly numStepsTotal: number;
  /** Prompt tokens put into the KV cache (recomputed tokens included). */
  readonly numPromptTokensTotal: number;
  readonly numGenerationTokensTotal: number;
  readonly numRequestsFinishedTotal: number;
  readonly lastStep: StepStats | null;
  /** The host tier: blocks, free blocks, copy counters and measured bandwidths; `null` = none. */
  readonly hostTier: {
    readonly numBlocks: number;
    readonly numFreeBlocks: number;
    readonly pendingStoreBytes: number;
    readonly pendingLoadBytes: number;
    readonly storeBytesPerMs: number;
    readonly loadBytesPerMs: number;
    readonly counters: Readonly<OffloadStats>;
  } | null;
}

/** Payload of `requestFinished`. */
export interface RequestFinishedEvent {
  readonly id: string;
  readonly finishReason: FinishReason;
  readonly numPromptTokens: number;
  readonly numOutputTokens: number;
  /** Arrival to finish, ms. */
  readonly e2eMs: number;
  /** Arrival to first admission (ms), `null` if never scheduled. */
  readonly queueMs: number | null;
  /** Arrival to first token (ms), `null` if none. */
  readonly ttftMs: number | null;
  readonly numPreemptions: number;
  /**
   * Seconds the request's modelled reader (at its consumption rate, from the first token) waited
   * for tokens that had not arrived, up to the finish; `null` if no token was produced.
   */
  readonly rebufferSec: number | null;
  /** When it finished (engine clock ms). */
  readonly timeMs: number;
  readonly error: Error | null;
}

/**
 * The engine's typed events; `timeMs` is the engine clock when it happened. Listeners run
 * synchronously on the engine loop: keep them cheap.
 */
export interface EngineEventMap {
  step: StepStats;
  requestAdded: { readonly id: string; readonly numPromptTokens: number; readonly timeMs: number };
  /** First generated token of a request: `vllm:time_to_first_token_seconds`. */
  firstToken: { readonly id: string; readonly ttftMs: number; readonly timeMs: number };
  /** A later token: `vllm:inter_token_latency_seconds` (ms since the request's previous token). */
  interToken: { readonly id: string; readonly itlMs: number; readonly timeMs: number };
  preempted: { readonly id: string; readonly mode: PreemptionMode; readonly timeMs: number };
  /**
   * A preempted request runs again: its KV loaded (`reload`), partly loaded and partly
   * recomputed (`hybrid`), or recomputed from the queue (`recompute`, sent when it is admitted
   * again, whichever way it was preempted).
   */
  resumed: {
    readonly id: string;
    readonly mode: ResumeMode;
    readonly numLoadedTokens: number;
    readonly timeMs: number;
  };
  requestFinished: RequestFinishedEvent;
  /** A listener threw or something failed outside any request. */
  error: { readonly error: unknown };
}

/** A small typed wrapper over EventEmitter; a throwing listener never breaks the engine loop. */
export class EngineEvents {
  private readonly emitter = new EventEmitter();

  on<K extends keyof EngineEventMap>(event: K, listener: (payload: EngineEventMap[K]) => void): this {
    this.emitter.on(event, listener);
    return this;
  }

  off<K extends keyof EngineEventMap>(event: K, listener: (payload: EngineEventMap[K]) => void): this {
    this.emitter.off(event, listener);
    return this;
  }

  /** Engine side. */
  emit<K extends keyof EngineEventMap>(event: K, payload: EngineEventMap[K]): void {
    if (this.emitter.listenerCount(event) === 0) return;
    try {
      this.emitter.emit(event, payload);
    } catch (error) {
      if (event !== "error") this.emit("error", { error });
    }
  }
}
