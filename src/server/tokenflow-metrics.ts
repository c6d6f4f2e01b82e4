/**
 * The `tokenflow:` Prometheus series of one server: preemptions and resumptions by mode, paused
 * requests, the host KV tier (usage, bytes moved, measured bandwidth), and per-request paused
 * time, modelled stalls and modelled reader buffers. Gauges and byte counters are read from
 * `engine.stats()` at scrape time; the paused-time and stall histograms come from engine events
 * (timed on the engine's clock), the buffer histogram from `engine.snapshot()` after steps.
 */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { RequestFinishedEvent } from "../engine/engine-events.js";
import type { PreemptionMode, ResumeMode } from "../scheduler/step-plan.js";
import { RequestPauseTracker } from "./request-pause-tracker.js";
import type { ServerEngine, ServerHostTierStats } from "./server-engine.js";

const PREEMPTION_MODES: readonly PreemptionMode[] = ["recompute", "swap", "hybrid"];
const RESUME_MODES: readonly ResumeMode[] = ["reload", "hybrid", "recompute"];
const PAUSED_BUCKETS_S = [0, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 40, 80];
const STALL_BUCKETS_S = [0, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 40];
const BUFFER_BUCKETS_S = [0, 0.25, 0.5, 1, 2, 5, 10, 20, 40, 80, 160, 320];

/** How often engine snapshots feed `tokenflow:buffer_seconds` (ms). */
export interface TokenFlowSampling {
  /** Buffer histogram observations at most this often, after engine steps. Default 250. */
  readonly bufferIntervalMs?: number;
}

/** One labelled series of a counter that follows a monotonic engine total. */
type Followed = readonly [labels: Record<string, string>, read: () => number];

/**
 * A counter whose series follow monotonic totals read at scrape time (each series starts at 0,
 * so it is exported before anything happened).
 */
function followingCounter(
  name: string,
  help: string,
  labelNames: string[],
  registers: Registry[],
  series: readonly Followed[],
): Counter<string> {
  const seen = series.map(() => 0);
  const counter = new Counter({
    name,
    help,
    labelNames,
    registers,
    collect() {
      series.forEach(([labels, read], i) => {
        const now = read();
        const before = seen[i] ?? 0;
        if (now > before) this.inc(labels, now - before);
        seen[i] = Math.max(before, now);
      });
    },
  });
  for (const [labels] of series) counter.inc(labels, 0);
  return counter;
}

/** The preemption and resumption counters by mode, every mode exported from the start. */
function modeCounters(registers: Registry[], labels: { model_name: string }) {
  const byMode = (name: string, help: string, modes: readonly string[]) => {
    const c = new Counter({ name, help, labelNames: ["model_name", "mode"], registers });
    for (const mode of modes) c.inc({ ...labels, mode }, 0);
    return c;
  };
  return {
    preemptions: byMode(
      "tokenflow:num_preemptions_total",
      "Preemptions by mode: recompute (KV dropped), swap (KV moved to host), hybrid (host prefix kept, tail recomputed).",
      PREEMPTION_MODES,
    ),
    resumptions: byMode(
      "tokenflow:num_resumptions_total",
      "Paused requests brought back, by mode: reload, hybrid (reload prefix + recompute tail), recompute.",
      RESUME_MODES,
    ),
  };
}

/** The per-request histograms (paused time, stalls, buffers), exported (empty) from the start. */
function requestHistograms(registers: Registry[], labels: { model_name: string }) {
  const histogram = (name: string, help: string, buckets: number[]) => {
    const h = new Histogram({ name, help, buckets, labelNames: ["model_name"], registers });
    h.zero(labels);
    return h;
  };
  return {
    pausedS: histogram(
      "tokenflow:request_paused_seconds",
      "Per finished request: total seconds spent preempted.",
      PAUSED_BUCKETS_S,
    ),
    stallS: histogram(
      "tokenflow:request_stall_seconds",
      "Per finished request with output: seconds its modelled reader waited for tokens (rebuffering).",
      STALL_BUCKETS_S,
    ),
    bufferS: histogram(
      "tokenflow:buffer_seconds",
      "Modelled client buffers (seconds of reading) of active requests past their first token, sampled every 250 ms of engine steps.",
      BUFFER_BUCKETS_S,
    ),
  };
}

/** The `tokenflow:` series of one server, registered on `registry`. Call {@link dispose} when done. */
export class TokenFlowMetrics {
  readonly preemptions: Counter<"model_name" | "mode">;
  readonly resumptions: Counter<"model_name" | "mode">;
  /** Per finished request: seconds spent preempted (preempted → resumed, or → next token after a recompute). */
  readonly pausedS: Histogram<"model_name">;
  /** Per finished request that produced a token: seconds its modelled reader waited for tokens. */
  readonly stallS: Histogram<"model_name">;
  /** Active requests' modelled reader buffers (seconds of reading), sampled periodically. */
  readonly bufferS: Histogram<"model_name">;
  private readonly pauses = new RequestPauseTracker();
  private lastBufferMs = Number.NEGATIVE_INFINITY;
  private readonly labels: { model_name: string };
  private readonly unsubscribe: () => void;

  constructor(
    private readonly engine: ServerEngine,
    modelName: string,
    registry: Registry,
    private readonly sampling: TokenFlowSampling = {},
  ) {
    const registers = [registry];
    this.labels = { model_name: modelName };
    ({ preemptions: this.preemptions, resumptions: this.resumptions } = modeCounters(registers, this.labels));
    ({
      pausedS: this.pausedS,
      stallS: this.stallS,
      bufferS: this.bufferS,
    } = requestHistograms(registers, this.labels));
    this.registerGauges(registers);
    this.unsubscribe = this.subscribe();
  }

  /** Stops listening to the engine. */
  dispose(): void {
    this.unsubscribe();
  }

  private registerGauges(registers: Registry[]): void {
    const engine = this.engine;
    const labels = this.labels;
    const host = (): ServerHostTierStats | null => engine.stats().hostTier;
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        labelNames: ["model_name"],
        registers,
        collect() {
          this.set(labels, read());
        },
      });
    gauge("tokenflow:num_requests_paused", "Requests paused with their KV on the host tier.", () => {
      return engine.stats().numPaused;
    });
    gauge("tokenflow:host_kv_cache_usage_perc", "Fraction of host-tier KV blocks in use (0..1).", () => {
      return host()?.usage ?? 0;
    });
    new Gauge({
      name: "tokenflow:kv_transfer_bandwidth_bytes_per_second",
      help: "Measured KV copy bandwidth: store = device to host, load = host to device (0 until measured).",
      labelNames: ["model_name", "direction"],
      registers,
      collect() {
        const h = host();
        this.set({ ...labels, direction: "store" }, h?.storeBytesPerS ?? 0);
        this.set({ ...labels, direction: "load" }, h?.loadBytesPerS ?? 0);
      },
    });
    this.registerByteCounters(registers, host);
  }

  private registerByteCounters(registers: Registry[], host: () => ServerHostTierStats | null): void {
    const labels = this.labels;
    const kind = (k: string, read: (h: ServerHostTierStats) => number): Followed => [
      { ...labels, kind: k },
      () => {
        const h = host();
        return h ? read(h) : 0;
      },
    ];
    followingCounter(
      "tokenflow:kv_transfer_bytes_total",
      "KV bytes copied between tiers: write_through and evict (device to host), load (host to device).",
      ["model_name", "kind"],
      registers,
      [
        kind("write_through", (h) => h.writeThroughBytes),
        kind("evict", (h) => h.evictBytes),
        kind("load", (h) => h.loadBytes),
      ],
    );
    followingCounter(
      "tokenflow:host_full_fallbacks_total",
      "Pauses that fell back to recompute because the host KV tier was full.",
      ["model_name"],
      registers,
      [[labels, () => host()?.numHostFullFallbacks ?? 0]],
    );
  }

  private subscribe(): () => void {
    const events = this.engine.events;
    const onPreempted = (e: { id: string; mode: PreemptionMode; timeMs: number }) => {
      this.preemptions.inc({ ...this.labels, mode: e.mode });
      this.pauses.onPreempted(e.id, e.timeMs);
    };
    const onResumed = (e: { id: string; mode: ResumeMode; timeMs: number }) => {
      this.resumptions.inc({ ...this.labels, mode: e.mode });
      this.pauses.onResumed(e.id, e.timeMs);
    };
    const onToken = (e: { id: string; timeMs: number }) => this.pauses.onToken(e.id, e.timeMs);
    const onStep = () => this.sample();
    const onFinished = (e: RequestFinishedEvent) => this.onFinished(e);
    events.on("preempted", onPreempted);
    events.on("resumed", onResumed);
    events.on("firstToken", onToken);
    events.on("interToken", onToken);
    events.on("step", onStep);
    events.on("requestFinished", onFinished);
    return () => {
      events.off("preempted", onPreempted);
      events.off("resumed", onResumed);
      events.off("firstToken", onToken);
      events.off("interToken", onToken);
      events.off("step", onStep);
      events.off("requestFinished", onFinished);
    };
  }

  private onFinished(e: RequestFinishedEvent): void {
    this.pausedS.observe(this.labels, this.pauses.finish(e.id, e.timeMs) / 1000);
    if (e.rebufferSec !== null) this.stallS.observe(this.labels, e.rebufferSec);
  }

  /** After a step, at most every `bufferIntervalMs`: observes the active requests' modelled buffers. */
  private sample(): void {
    const now = performance.now();
    if (now - this.lastBufferMs < (this.sampling.bufferIntervalMs ?? 250)) return;
    this.lastBufferMs = now;
    for (const r of this.engine.snapshot())
      if (r.ttftMs !== null) this.bufferS.observe(this.labels, r.bufferSec);
  }
}
