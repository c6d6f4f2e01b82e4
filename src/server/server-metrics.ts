/**
 * Prometheus metrics of one server (its own registry): the vLLM names that dashboards and
 * routers already understand, `tokenflow_*` HTTP counters, and the `tokenflow:` scheduling and
 * KV-tier series ({@link TokenFlowMetrics}). Engine gauges are read from `engine.stats()` at
 * scrape time; latencies are measured by the server per request.
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { ServerEngine } from "./server-engine.js";
import { TokenFlowMetrics, type TokenFlowSampling } from "./tokenflow-metrics.js";

const LATENCY_BUCKETS_S = [
  0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80,
];
const ITL_BUCKETS_S = [
  0.001, 0.0025, 0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5,
  0.75, 1, 2.5,
];

/** The metrics of one server. */
export class ServerMetrics {
  /** The registry `/metrics` exposes. */
  readonly registry = new Registry();
  readonly ttftS: Histogram<"model_name">;
  readonly itlS: Histogram<"model_name">;
  readonly e2eS: Histogram<"model_name">;
  readonly promptTokens: Counter<"model_name">;
  readonly generationTokens: Counter<"model_name">;
  /** Finished HTTP requests by endpoint and status. */
  readonly requests: Counter<"endpoint" | "status">;
  /** Requests ended because the client disconnected. */
  readonly clientAborts: Counter<"endpoint">;
  readonly finishes: Counter<"finish_reason">;
  /** The `tokenflow:` series (preemptions by mode, host tier, paused time, stalls, buffers). */
  readonly tokenflow: TokenFlowMetrics;

  constructor(engine: ServerEngine, modelName: string, sampling: TokenFlowSampling = {}) {
    const registers = [this.registry];
    const stat = (name: string, help: string, read: (s: ReturnType<ServerEngine["stats"]>) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ["model_name"],
        registers,
        collect() {
          this.set({ model_name: modelName }, read(engine.stats()));
        },
      });
    stat("vllm:num_requests_running", "Sequences in the running batch.", (s) => s.numRunning);
    stat("vllm:num_requests_waiting", "Sequences waiting to run (incl. preempted).", (s) => s.numWaiting);
    stat("vllm:kv_cache_usage_perc", "Fraction of KV cache blocks in use (0..1).", (s) => s.kvUsage);
    let seenPreemptions = 0;
    const preemptions = new Counter({
      name: "vllm:num_preemptions_total",
      help: "Preemptions of every kind (recompute, swap, hybrid) since start.",
      labelNames: ["model_name"],
      registers,
      collect() {
        const now = engine.stats().numPreemptions;
        if (now > seenPreemptions) this.inc({ model_name: modelName }, now - seenPreemptions);
        seenPreemptions = Math.max(seenPreemptions, now);
      },
    });
    preemptions.inc({ model_name: modelName }, 0);
    const histogram = (name: string, help: string, buckets: number[]) =>
      new Histogram({ name, help, buckets, labelNames: ["model_name"], registers });
    this.ttftS = histogram("vllm:time_to_first_token_seconds", "Time to first token (s).", LATENCY_BUCKETS_S);
    this.itlS = histogram(
      "vllm:inter_token_latency_seconds",
      "Time between output increments (s).",
      ITL_BUCKETS_S,
    );
    this.e2eS = histogram(
      "vllm:e2e_request_latency_seconds",
      "Request latency, arrival to finish (s).",
      LATENCY_BUCKETS_S,
    );
    const counter = (name: string, help: string) =>
      new Counter({ name, help, labelNames: ["model_name"], registers });
    this.promptTokens = counter("vllm:prompt_tokens_total", "Prompt tokens processed.");
    this.generationTokens = counter("vllm:generation_tokens_total", "Tokens generated.");
    this.requests = new Counter({
      name: "tokenflow_http_requests_total",
      help: "Finished generation requests by endpoint and HTTP status.",
      labelNames: ["endpoint", "status"],
      registers,
    });
    this.clientAborts = new Counter({
      name: "tokenflow_client_disconnects_total",
      help: "Requests aborted because the client disconnected.",
      labelNames: ["endpoint"],
      registers,
    });
    this.finishes = new Counter({
      name: "tokenflow_sequences_finished_total",
      help: "Finished sequences (choices) by finish reason.",
      labelNames: ["finish_reason"],
      registers,
    });
    this.tokenflow = new TokenFlowMetrics(engine, modelName, this.registry, sampling);
  }

  /** Stops listening to the engine's events. */
  dispose(): void {
    this.tokenflow.dispose();
  }
}
