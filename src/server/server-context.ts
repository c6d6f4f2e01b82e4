/** Everything a route handler needs, shared by the routes of one server. */
import type { ActiveStreams } from "./active-streams.js";
import type { RequestLimits } from "./generation-params.js";
import type { ServedModel } from "./served-model.js";
import type { ServerEngine } from "./server-engine.js";
import type { ServerMetrics } from "./server-metrics.js";
import type { ConstraintCompiler } from "./structured-output.js";

/** Per-server state handed to routes. */
export interface ServerContext {
  readonly engine: ServerEngine;
  readonly model: ServedModel;
  readonly metrics: ServerMetrics;
  readonly limits: RequestLimits;
  /** `null` until a grammar compiler is wired in: constraints are then refused with a 400. */
  readonly compiler: ConstraintCompiler | null;
  /** Generations in progress by response id (for consumption acknowledgements). */
  readonly streams: ActiveStreams;
}
