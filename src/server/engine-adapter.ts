/** Adapts the engine of `src/engine/` to the {@link ServerEngine} the server drives. */

import type { Engine } from "../engine/engine.js";
import type { EngineStats } from "../engine/engine-events.js";
import { dashboardStatsOf } from "./dashboard-engine-stats.js";
import type { ServerEngine, ServerEngineStats, ServerHostTierStats } from "./server-engine.js";

function hostTierOf(host: EngineStats["hostTier"]): ServerHostTierStats | null {
  if (!host) return null;
  const c = host.counters;
  return {
    usage: host.numBlocks > 0 ? 1 - host.numFreeBlocks / host.numBlocks : 0,
    writeThroughBytes: c.numWriteThroughBytes,
    evictBytes: c.numEvictBytes,
    loadBytes: c.numLoadBytes,
    storeBytesPerS: host.storeBytesPerMs * 1000,
    loadBytesPerS: host.loadBytesPerMs * 1000,
    numHostFullFallbacks: c.numHostFullFallbacks,
  };
}

/** The server's view of an engine's counters. */
export function serverStatsOf(s: EngineStats): ServerEngineStats {
  return {
    numRunning: s.numRunning,
    numWaiting: s.numWaiting,
    numPaused: s.numPaused,
    numPreemptions: s.numPreemptionsTotal,
    kvUsage: s.kvCacheUsage,
    hostTier: hostTierOf(s.hostTier),
  };
}

/** The server's view of `engine` (calls pass through; stats are renamed). */
export function serverEngineFrom(engine: Engine): ServerEngine {
  return {
    submit: (request) => engine.submit(request),
    abort: (id) => {
      engine.abort(id);
    },
    acknowledgeConsumed: (id, numRead) => engine.acknowledgeConsumed(id, numRead),
    snapshot: () => engine.snapshot(),
    events: engine.events,
    stats: () => serverStatsOf(engine.stats()),
    dashboardStats: () => dashboardStatsOf(engine),
    stop: (graceMs) => engine.stop(graceMs),
  };
}
