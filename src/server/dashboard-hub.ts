/**
 * The live dashboard's event hub: while at least one client is connected it takes one engine
 * snapshot per tick (≈4 Hz), turns it into one JSON frame (table rows, KV tiers, a time-series
 * point) and writes that same frame to every client. With no client connected there is no timer,
 * no engine listener and nothing computed.
 */
import type { ServerResponse } from "node:http";
import type { EngineEventMap } from "../engine/engine-events.js";
import type { DashboardBurst } from "./dashboard-burst.js";
import type { DashboardFrame, DashboardHello, DashboardPoint } from "./dashboard-frame.js";
import { DashboardRows } from "./dashboard-rows.js";
import { DashboardSeries, EFFECTIVE_THROUGHPUT_NOTE, type SeriesFinished } from "./dashboard-series.js";
import type { ServerEngine } from "./server-engine.js";

/** Settings of a {@link DashboardHub}; every field has a default. */
export interface DashboardHubOptions {
  /** Time between frames (ms). Default 250 (4 Hz). */
  readonly tickMs?: number;
  /** TTFT percentile window (ms). Default 30 s. */
  readonly ttftWindowMs?: number;
  /** Points kept for clients that connect later. Default 480 (2 minutes at 4 Hz). */
  readonly historyPoints?: number;
  /** Epoch ms. Default `Date.now`. */
  readonly now?: () => number;
  /** Called when a tick throws (the hub goes on). */
  readonly onError?: (err: unknown) => void;
}

/** A client whose socket holds more unsent bytes than this skips frames until it catches up. */
const MAX_CLIENT_BACKLOG_BYTES = 1 << 20;

/** SSE response headers of the event stream. */
export const DASHBOARD_SSE_HEADERS: Readonly<Record<string, string>> = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
  connection: "keep-alive",
  "x-accel-buffering": "no",
};

/** Pushes dashboard frames to connected clients; one per server. */
export class DashboardHub {
  /** Frames computed since start (each is shared by all clients). */
  numTicks = 0;
  private readonly clients = new Set<ServerResponse>();
  private readonly series: DashboardSeries;
  private readonly rows = new DashboardRows();
  private readonly history: DashboardPoint[] = [];
  private finishedSinceTick: SeriesFinished[] = [];
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private lastTickCostMs = 0;
  private readonly tickMs: number;
  private readonly now: () => number;

  constructor(
    private readonly engine: ServerEngine,
    private readonly burst: DashboardBurst | null,
    private readonly options: DashboardHubOptions = {},
  ) {
    this.tickMs = options.tickMs ?? 250;
    this.now = options.now ?? Date.now;
    this.series = new DashboardSeries(1000, options.ttftWindowMs ?? 30_000);
  }

  /** Connected clients. */
  get numClients(): number {
    return this.clients.size;
  }

  /** Whether the hub is ticking (some client is connected). */
  get isRunning(): boolean {
    return this.timer !== null;
  }

  /**
   * Takes over `res` (headers not yet sent) as an event stream: sends the hello with the recent
   * history, then every frame until the client goes away or {@link closeAll}.
   */
  add(res: ServerResponse): void {
    res.writeHead(200, DASHBOARD_SSE_HEADERS);
    this.pruneHistory(this.now());
    const hello: DashboardHello = {
      type: "hello",
      tickMs: this.tickMs,
      ttftWindowMs: this.series.ttftWindowMs,
      history: this.history,
      notes: { effectiveThroughput: EFFECTIVE_THROUGHPUT_NOTE },
    };
    res.write(`data: ${JSON.stringify(hello)}\n\n`);
    this.clients.add(res);
    res.on("close", () => this.remove(res));
    if (!this.timer) this.start();
  }

  /** Ends every stream (the server is closing). */
  closeAll(): void {
    for (const res of [...this.clients]) res.end();
    this.clients.clear();
    this.stop();
  }

  private remove(res: ServerResponse): void {
    this.clients.delete(res);
    if (this.clients.size === 0) this.stop();
  }

  private start(): void {
    this.unsubscribe = this.subscribe();
    this.timer = setInterval(() => this.safeTick(), this.tickMs);
    this.timer.unref();
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.series.reset();
    this.rows.reset();
    this.finishedSinceTick = [];
  }

  /** Listens to first tokens, preemptions and finishes while clients are connected. */
  private subscribe(): () => void {
    const events = this.engine.events;
    const onFirst = (e: EngineEventMap["firstToken"]) => this.series.recordFirstToken(this.now(), e.ttftMs);
    const onPreempted = (e: EngineEventMap["preempted"]) => this.series.recordPreemption(e.mode);
    const onFinished = (e: EngineEventMap["requestFinished"]) => {
      this.rows.finish(this.now(), e);
      this.finishedSinceTick.push({ id: e.id, numOutputTokens: e.numOutputTokens });
    };
    events.on("firstToken", onFirst);
    events.on("preempted", onPreempted);
    events.on("requestFinished", onFinished);
    return () => {
      events.off("firstToken", onFirst);
      events.off("preempted", onPreempted);
      events.off("requestFinished", onFinished);
    };
  }

  private safeTick(): void {
    try {
      this.tick();
    } catch (err) {
      this.options.onError?.(err);
    }
  }

  /** Computes one frame and writes it to every client. */
  tick(): DashboardFrame {
    const startMs = performance.now();
    const frame = this.frame(this.now());
    this.numTicks++;
    this.history.push(frame.point);
    this.pruneHistory(frame.point.tMs);
    const chunk = `data: ${JSON.stringify(frame)}\n\n`;
    for (const res of this.clients) {
      if (res.writableLength < MAX_CLIENT_BACKLOG_BYTES) res.write(chunk);
    }
    this.lastTickCostMs = performance.now() - startMs;
    return frame;
  }

  private frame(nowMs: number): DashboardFrame {
    const snapshot = this.engine.snapshot();
    const stats = this.engine.stats();
    const extra = this.engine.dashboardStats?.() ?? null;
    const maxTokensById = extra?.maxTokensById ?? null;
    const tagOf = (id: string) => this.burst?.tagOf(id) ?? null;
    const { rows, numHidden, active } = this.rows.build(nowMs, snapshot, maxTokensById, tagOf);
    const host = stats.hostTier;
    const copies = host
      ? { storeBytes: host.writeThroughBytes + host.evictBytes, loadBytes: host.loadBytes }
      : null;
    const t = this.series.tick(nowMs, active, this.finishedSinceTick, copies);
    this.finishedSinceTick = [];
    return {
      type: "frame",
      point: t.point,
      counts: {
        numRunning: stats.numRunning,
        numWaiting: stats.numWaiting,
        numPaused: stats.numPaused,
        numPreemptions: stats.numPreemptions,
      },
      tiers: {
        device: { usage: stats.kvUsage, numBlocks: extra?.numDeviceBlocks ?? null },
        host: host && {
          usage: host.usage,
          numBlocks: extra?.host?.numBlocks ?? null,
          pendingStoreBytes: extra?.host?.pendingStoreBytes ?? null,
          pendingLoadBytes: extra?.host?.pendingLoadBytes ?? null,
          storeBytesPerS: t.storeBytesPerS,
          loadBytesPerS: t.loadBytesPerS,
          linkStoreBytesPerS: host.storeBytesPerS,
          linkLoadBytesPerS: host.loadBytesPerS,
        },
      },
      rows,
      numRowsHidden: numHidden,
      burst: this.burst?.stats ?? null,
      tickCostMs: this.lastTickCostMs,
    };
  }

  private pruneHistory(nowMs: number): void {
    const keep = this.options.historyPoints ?? 480;
    const since = nowMs - keep * this.tickMs;
    let drop = Math.max(0, this.history.length - keep);
    while (drop < this.history.length && (this.history[drop]?.tMs ?? 0) < since) drop++;
    if (drop > 0) this.history.splice(0, drop);
  }
}
