/**
 * The dashboard's time series, computed from one engine snapshot per tick: output and effective
 * throughput, TTFT percentiles over a sliding window, preemptions by kind, stalled streams and
 * KV copy rates. Pure bookkeeping (no timers, no I/O); `dashboard-hub.ts` drives it.
 */
import type { DashboardPoint, DashboardPreemptions } from "./dashboard-frame.js";

/** How effective throughput is computed, shown on the page. */
export const EFFECTIVE_THROUGHPUT_NOTE =
  "Effective throughput weights each token by the reader's buffer B (tokens) when it was generated, " +
  "relative to the output length L as in the TokenFlow paper: weight 1 while B ≤ 10% of L, falling " +
  "linearly to 0 at 20% of L. L is unknown while a request runs, so the request's max_tokens stands in " +
  "for it (lenient for requests that stop early); B is the server's reader model, taken midway " +
  "between two ticks. Computed server-side from the same snapshots as the table.";

/** A rebuffer increase below this within one tick is rounding, not a stall (s). */
const STALL_EPSILON_SEC = 0.02;
/** Most TTFT samples kept in the window (oldest dropped first). */
const MAX_TTFT_SAMPLES = 4096;

/** The paper's timeliness weight of a token generated with `bufferTokens` buffered, output length `outputLen`. */
export function effectiveWeight(bufferTokens: number, outputLen: number | null): number {
  if (outputLen === null || !(outputLen > 0)) return 1;
  const tenth = 0.1 * outputLen;
  return Math.min(1, Math.max(0, 1 - (bufferTokens - tenth) / tenth));
}

/** The `p`-quantile (0..1) of ascending `sorted` by nearest rank; `null` when empty. */
export function quantile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length)));
  return sorted[rank - 1] ?? null;
}

/** One active request as a tick sees it (a table row fits). */
export interface SeriesRequest {
  readonly id: string;
  readonly numGenerated: number;
  readonly bufferSec: number;
  readonly rateTokPerS: number;
  readonly rebufferSec: number;
  readonly maxTokens: number | null;
  /** `null` before the first token. */
  readonly ttftMs: number | null;
}

/** A request that finished since the previous tick. */
export interface SeriesFinished {
  readonly id: string;
  readonly numOutputTokens: number;
}

/** Monotonic copy byte counters of the host tier (device → host, host → device). */
export interface CopyTotals {
  readonly storeBytes: number;
  readonly loadBytes: number;
}

/** A tick's point plus the copy rates (bytes/s) for the tier panel. */
export interface SeriesTick {
  readonly point: DashboardPoint;
  readonly storeBytesPerS: number;
  readonly loadBytesPerS: number;
}

interface Totals {
  tMs: number;
  out: number;
  eff: number;
  swap: number;
  hybrid: number;
  recompute: number;
  store: number;
  load: number;
}

interface Seen {
  numGenerated: number;
  bufferTokens: number;
  maxTokens: number | null;
  rebufferSec: number;
}

/** Accumulates the series; one instance per dashboard hub. */
export class DashboardSeries {
  private readonly seen = new Map<string, Seen>();
  private readonly samples: Totals[] = [];
  private readonly ttfts: { tMs: number; ttftMs: number }[] = [];
  private totals: Totals = { tMs: 0, out: 0, eff: 0, swap: 0, hybrid: 0, recompute: 0, store: 0, load: 0 };
  private copyBase: CopyTotals | null = null;

  /**
   * @param rateWindowMs rates are averaged over this window (ms)
   * @param ttftWindowMs TTFT percentiles cover first tokens within this window (ms)
   */
  constructor(
    readonly rateWindowMs = 1000,
    readonly ttftWindowMs = 30_000,
  ) {}

  /** A first token arrived at `nowMs` (epoch ms), `ttftMs` after its request. */
  recordFirstToken(nowMs: number, ttftMs: number): void {
    this.ttfts.push({ tMs: nowMs, ttftMs });
    if (this.ttfts.length > MAX_TTFT_SAMPLES) this.ttfts.shift();
  }

  /** A request was preempted (`swap`, `hybrid` or `recompute`). */
  recordPreemption(mode: keyof DashboardPreemptions): void {
    this.totals[mode]++;
  }

  /** Forgets per-request state and rate samples (the hub stopped: nobody watches). */
  reset(): void {
    this.seen.clear();
    this.samples.length = 0;
    this.copyBase = null;
  }

  /** Advances to `nowMs` with this tick's snapshot, finishes and copy counters. */
  tick(
    nowMs: number,
    active: readonly SeriesRequest[],
    finished: readonly SeriesFinished[],
    copies: CopyTotals | null,
  ): SeriesTick {
    let numStalled = 0;
    for (const r of active) {
      if (this.account(r)) numStalled++;
    }
    for (const f of finished) this.accountFinished(f);
    if (this.seen.size > active.length) this.forgetGone(active);
    this.accountCopies(copies);
    this.totals.tMs = nowMs;
    this.samples.push({ ...this.totals });
    while (this.samples.length > 2 && (this.samples[1]?.tMs ?? nowMs) <= nowMs - this.rateWindowMs)
      this.samples.shift();
    const first = this.samples[0] ?? this.totals;
    const dtS = Math.max(1e-3, (nowMs - first.tMs) / 1000);
    const rate = (k: keyof Totals) => (this.samples.length < 2 ? 0 : (this.totals[k] - first[k]) / dtS);
    const ttft = this.ttftWindow(nowMs);
    return {
      point: {
        tMs: nowMs,
        outputTokPerS: rate("out"),
        effectiveTokPerS: rate("eff"),
        ttftP50Ms: quantile(ttft, 0.5),
        ttftP99Ms: quantile(ttft, 0.99),
        preemptionsPerS: { swap: rate("swap"), hybrid: rate("hybrid"), recompute: rate("recompute") },
        numStalled,
      },
      storeBytesPerS: rate("store"),
      loadBytesPerS: rate("load"),
    };
  }

  /** Counts `r`'s new tokens (weighted) and returns whether its reader stalled since the last tick. */
  private account(r: SeriesRequest): boolean {
    const prev = this.seen.get(r.id);
    const bufferTokens = r.bufferSec * r.rateTokPerS;
    const delta = Math.max(0, r.numGenerated - (prev?.numGenerated ?? 0));
    if (delta > 0) {
      const midBuffer = ((prev?.bufferTokens ?? 0) + bufferTokens) / 2;
      this.totals.out += delta;
      this.totals.eff += delta * effectiveWeight(midBuffer, r.maxTokens);
    }
    this.seen.set(r.id, {
      numGenerated: r.numGenerated,
      bufferTokens,
      maxTokens: r.maxTokens,
      rebufferSec: r.rebufferSec,
    });
    return r.ttftMs !== null && prev !== undefined && r.rebufferSec - prev.rebufferSec > STALL_EPSILON_SEC;
  }

  /** Counts the tokens a finished request made after the last snapshot that saw it. */
  private accountFinished(f: SeriesFinished): void {
    const prev = this.seen.get(f.id);
    this.seen.delete(f.id);
    const delta = Math.max(0, f.numOutputTokens - (prev?.numGenerated ?? 0));
    if (delta === 0) return;
    const midBuffer = (prev?.bufferTokens ?? 0) + delta / 2;
    this.totals.out += delta;
    this.totals.eff += delta * effectiveWeight(midBuffer, prev?.maxTokens ?? null);
  }

  /** Drops requests that left without a finish event (an engine that reports none). */
  private forgetGone(active: readonly SeriesRequest[]): void {
    const ids = new Set(active.map((r) => r.id));
    for (const id of this.seen.keys()) if (!ids.has(id)) this.seen.delete(id);
  }

  /** Copy counters are monotonic since the engine started: rates use increments since the first tick. */
  private accountCopies(copies: CopyTotals | null): void {
    if (!copies) return;
    const base = this.copyBase ?? copies;
    this.copyBase = copies;
    this.totals.store += Math.max(0, copies.storeBytes - base.storeBytes);
    this.totals.load += Math.max(0, copies.loadBytes - base.loadBytes);
  }

  /** TTFTs of first tokens within the window, ascending (drops older ones). */
  private ttftWindow(nowMs: number): number[] {
    const since = nowMs - this.ttftWindowMs;
    let drop = 0;
    while (drop < this.ttfts.length && (this.ttfts[drop]?.tMs ?? 0) < since) drop++;
    if (drop > 0) this.ttfts.splice(0, drop);
    return this.ttfts.map((s) => s.ttftMs).sort((a, b) => a - b);
  }
}
