/** Adapts the engine of `src/engine/` to the {@link ServerEngine} the server drives. */
import type { Engine } from "../engine/engine.js";
import type { ServerEngine } from "./server-engine.js";

/** The server's view of `engine` (submit/abort/stop pass through; stats are renamed). */
export function serverEngineFrom(engine: Engine): ServerEngine {
  return {
    submit: (request) => engine.submit(request),
    abort: (id) => {
      engine.abort(id);
    },
    stats: () => {
      const s = engine.stats();
      return {
        numRunning: s.numRunning,
        numWaiting: s.numWaiting,
        numPreemptions: s.numPreemptionsTotal,
        kvUsage: s.kvCacheUsage,
      };
    },
    stop: (graceMs) => engine.stop(graceMs),
  };
}
