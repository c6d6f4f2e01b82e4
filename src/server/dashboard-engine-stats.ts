/**
 * What the live dashboard reads from an engine beyond {@link ServerEngine.stats} and
 * `snapshot()`: block counts of both KV tiers, the copy backlog, and each active request's
 * `max_tokens` (the output length that weights effective throughput).
 */
import type { Engine } from "../engine/engine.js";

/** The dashboard's extra engine view (`ServerEngine.dashboardStats`). */
export interface DashboardEngineStats {
  readonly numDeviceBlocks: number;
  /** `null` = no host tier. */
  readonly host: {
    readonly numBlocks: number;
    readonly numFreeBlocks: number;
    /** Device → host bytes queued or in flight (write-through and evictions). */
    readonly pendingStoreBytes: number;
    /** Host → device bytes queued or in flight. */
    readonly pendingLoadBytes: number;
  } | null;
  /** `max_tokens` of every active request, by request id (a fresh map the caller owns). */
  readonly maxTokensById: ReadonlyMap<string, number>;
}

/** Reads {@link DashboardEngineStats} from the engine (O(active requests); call a few times a second). */
export function dashboardStatsOf(engine: Engine): DashboardEngineStats {
  const maxTokensById = new Map<string, number>();
  const s = engine.scheduler;
  for (const list of [s.running, s.waiting, s.paused]) {
    for (const seq of list) maxTokensById.set(seq.id, seq.maxTokens);
  }
  const offload = engine.offload;
  return {
    numDeviceBlocks: engine.blocks.numBlocks,
    host: offload
      ? {
          numBlocks: offload.host.numBlocks,
          numFreeBlocks: offload.host.numFreeBlocks,
          pendingStoreBytes: offload.pendingStoreBytes,
          pendingLoadBytes: offload.pendingLoadBytes,
        }
      : null,
    maxTokensById,
  };
}
