/**
 * The wire format of the live dashboard's event stream (`GET /v1/dashboard/events`): one
 * {@link DashboardHello} when a client connects, then one {@link DashboardFrame} per tick, each as
 * an SSE `data:` line of JSON. Types only: the server (`dashboard-hub.ts`) and the page
 * (`web/src/`) both compile against this file, so they cannot drift apart.
 */

/** A request's state in the table: the engine's phases, plus `finished` (shown for a few seconds). */
export type DashboardRowState =
  | "queued"
  | "prefilling"
  | "running"
  | "paused"
  | "reloading"
  | "recomputing"
  | "finished";

/** One request in the live table. */
export interface DashboardRow {
  /** The engine's request id (`<completion id>-<choice index>`). */
  readonly id: string;
  readonly state: DashboardRowState;
  /** The reader's rate (tok/s); 0 when unknown (a request that finished before any tick saw it). */
  readonly rateTokPerS: number;
  /** Seconds of reading buffered at the client (the server's reader model). */
  readonly bufferSec: number;
  readonly numGenerated: number;
  /** Tokens the modelled reader has read. */
  readonly numRead: number;
  /** The request's `max_tokens`; `null` when the engine does not say. */
  readonly maxTokens: number | null;
  /** Arrival to first token (ms); `null` before it. */
  readonly ttftMs: number | null;
  readonly numPreemptions: number;
  /** Seconds the modelled reader waited for tokens (stalls). */
  readonly rebufferSec: number;
  /** `burst` for the dashboard's own synthetic users. */
  readonly tag: "burst" | null;
}

/** The host KV tier in a frame. */
export interface DashboardHostTier {
  /** Fraction of host blocks in use, 0..1. */
  readonly usage: number;
  readonly numBlocks: number | null;
  /** Write-through and eviction bytes queued or in flight (device → host). */
  readonly pendingStoreBytes: number | null;
  /** Load bytes queued or in flight (host → device). */
  readonly pendingLoadBytes: number | null;
  /** Bytes actually copied per second over the last second, each way. */
  readonly storeBytesPerS: number;
  readonly loadBytesPerS: number;
  /** The copy bandwidth the engine measured (bytes/s while copying; 0 until measured). */
  readonly linkStoreBytesPerS: number;
  readonly linkLoadBytesPerS: number;
}

/** Both KV tiers in a frame. */
export interface DashboardTiers {
  readonly device: {
    /** Fraction of device blocks in use, 0..1. */
    readonly usage: number;
    readonly numBlocks: number | null;
  };
  /** `null` = the engine has no host tier. */
  readonly host: DashboardHostTier | null;
}

/** Preemption counts by kind. */
export interface DashboardPreemptions {
  readonly swap: number;
  readonly hybrid: number;
  readonly recompute: number;
}

/** One point of the time series (one per tick). */
export interface DashboardPoint {
  /** Epoch ms. */
  readonly tMs: number;
  /** Tokens generated per second over the last second. */
  readonly outputTokPerS: number;
  /** Timeliness-weighted tokens per second over the last second (see {@link DashboardHello.notes}). */
  readonly effectiveTokPerS: number;
  /** TTFT percentiles over the sliding window (ms); `null` when no first token fell in it. */
  readonly ttftP50Ms: number | null;
  readonly ttftP99Ms: number | null;
  /** Preemptions per second over the last second, by kind. */
  readonly preemptionsPerS: DashboardPreemptions;
  /** Streams whose reader waited for tokens during the last tick. */
  readonly numStalled: number;
}

/** The dashboard's own burst of synthetic users. */
export interface DashboardBurstStats {
  /** Users still streaming, finished, and failed (HTTP or network errors). */
  readonly numActive: number;
  readonly numDone: number;
  readonly numFailed: number;
  /** Users whose own pacer ran dry at least once after their first token. */
  readonly numStalled: number;
}

/** Sent once per tick. */
export interface DashboardFrame {
  readonly type: "frame";
  readonly point: DashboardPoint;
  readonly counts: {
    readonly numRunning: number;
    readonly numWaiting: number;
    readonly numPaused: number;
    /** Preemptions since the server started. */
    readonly numPreemptions: number;
  };
  readonly tiers: DashboardTiers;
  /** Active requests in arrival order, then recently finished ones, newest first (capped). */
  readonly rows: readonly DashboardRow[];
  /** Rows left out by the cap. */
  readonly numRowsHidden: number;
  /** `null` before the first burst. */
  readonly burst: DashboardBurstStats | null;
  /** Event-loop time the server spent on the previous frame (snapshot, JSON, writes), ms. */
  readonly tickCostMs: number;
}

/** Sent once when a client connects. */
export interface DashboardHello {
  readonly type: "hello";
  readonly tickMs: number;
  /** TTFT percentile window (ms). */
  readonly ttftWindowMs: number;
  /** Recent points (oldest first), so charts start filled. */
  readonly history: readonly DashboardPoint[];
  /** How the numbers are computed, for the page to show. */
  readonly notes: { readonly effectiveThroughput: string };
}

/** Anything the event stream carries. */
export type DashboardMessage = DashboardHello | DashboardFrame;
