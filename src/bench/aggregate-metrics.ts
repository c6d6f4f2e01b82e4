/**
 * Aggregation of per-request metrics into a run summary.
 *
 * - Percentiles: linear interpolation between closest ranks (numpy's default, "R-7"): for
 *   sorted x of length n, position h = (n − 1)·p, value x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋]).
 *   An empty list gives NaN (`null` in JSON).
 * - TTFT over requests that got a token; ITL pooled over every gap of every request; TPOT over
 *   requests with ≥ 2 tokens; longest stall per request with ≥ 1 token.
 * - Rebuffer events and seconds are totals over all requests.
 * - Rates divide by the makespan: first arrival to the end of the last request (its finish, else
 *   its last token). Throughput counts delivered tokens; effective throughput the Σ of TokenFlow
 *   weights; read goodput the tokens readers had read by the makespan's end.
 * - QoE is the mean over all requests (failed ones count 0).
 */
import { InvalidArgumentError } from "../errors.js";
import type { RequestTimeline, RunSummary } from "./bench-types.js";
import { type RequestMetrics, requestMetrics, tokensReadBy } from "./request-metrics.js";

/** Request SLOs of `--slo` (ms; `null` = not constrained). */
export interface SloSpec {
  readonly ttftMs: number | null;
  readonly tpotMs: number | null;
}

/** Options of {@link summarizeTimelines}. */
export interface AggregateOptions {
  /** Andes QoE's expected time to first token, seconds. */
  readonly qoeTtftTargetS: number;
  /** `null` = no SLO goodput. */
  readonly slo: SloSpec | null;
}

/** The metric part of a {@link RunSummary} (the run adds scheduler, preemptions, wall time, engine). */
export type MetricsSummary = Omit<RunSummary, "scheduler" | "preemptions" | "wall_s" | "engine">;

/** Parses `--slo ttft:MS,tpot:MS` (either or both). */
export function parseSlo(raw: string): SloSpec {
  const slo: { ttftMs: number | null; tpotMs: number | null } = { ttftMs: null, tpotMs: null };
  for (const item of raw.split(",")) {
    const [key, value, extra] = item.trim().split(":");
    const ms = Number(value);
    if (
      (key !== "ttft" && key !== "tpot") ||
      extra !== undefined ||
      !value ||
      !Number.isFinite(ms) ||
      ms <= 0
    )
      throw new InvalidArgumentError(
        `--slo must look like ttft:MS,tpot:MS (positive ms), got "${raw}"`,
        "slo",
      );
    if (key === "ttft") slo.ttftMs = ms;
    else slo.tpotMs = ms;
  }
  return slo;
}

/** The p-quantile (0 ≤ p ≤ 1) of ascending `sorted` by linear interpolation; NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const a = sorted[lo] as number;
  const b = sorted[Math.min(lo + 1, sorted.length - 1)] as number;
  return a + (h - lo) * (b - a);
}

function mean(xs: readonly number[]): number {
  return xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}

function ascending(xs: number[]): number[] {
  return xs.sort((a, b) => a - b);
}

/** Start (first arrival) and end (last finish or token) of a run, seconds. */
export function runSpanS(timelines: readonly RequestTimeline[]): { startS: number; endS: number } {
  let startS = Number.POSITIVE_INFINITY;
  let endS = Number.NEGATIVE_INFINITY;
  for (const tl of timelines) {
    startS = Math.min(startS, tl.arrivalS);
    const last = tl.tokenTimesS[tl.tokenTimesS.length - 1];
    endS = Math.max(endS, tl.finishS ?? last ?? tl.arrivalS, last ?? tl.arrivalS);
  }
  return timelines.length === 0 ? { startS: 0, endS: 0 } : { startS, endS };
}

function meetsSlo(m: RequestMetrics, slo: SloSpec): boolean {
  if (!m.isCompleted || m.ttftS === null) return false;
  if (slo.ttftMs !== null && m.ttftS * 1000 > slo.ttftMs) return false;
  return slo.tpotMs === null || (m.tpotS ?? 0) * 1000 <= slo.tpotMs;
}

/** Tokens delivered, their Σ of timeliness weights, and tokens read by `endS`, over all requests. */
function tokenTotals(
  timelines: readonly RequestTimeline[],
  metrics: readonly RequestMetrics[],
  endS: number,
): { delivered: number; effective: number; read: number } {
  const totals = { delivered: 0, effective: 0, read: 0 };
  for (const [i, m] of metrics.entries()) {
    const tl = timelines[i] as RequestTimeline;
    totals.delivered += tl.tokenTimesS.length;
    totals.effective += m.effectiveTokens;
    totals.read += tokensReadBy(m.readS, tl.rateTokPerS, endS);
  }
  return totals;
}

/** Summarises the timelines of one run. */
export function summarizeTimelines(
  timelines: readonly RequestTimeline[],
  options: AggregateOptions,
): MetricsSummary {
  const metrics = timelines.map((tl) => requestMetrics(tl, options.qoeTtftTargetS));
  const { startS, endS } = runSpanS(timelines);
  const makespan = endS - startS;
  const rate = (x: number) => (makespan > 0 ? x / makespan : 0);
  const ttfts = ascending(metrics.flatMap((m) => (m.ttftS === null ? [] : [m.ttftS])));
  const itls = ascending(metrics.flatMap((m) => m.itlsS));
  const tpots = ascending(metrics.flatMap((m) => (m.tpotS === null ? [] : [m.tpotS])));
  const stalls = ascending(
    metrics.flatMap((m, i) => ((timelines[i]?.tokenTimesS.length ?? 0) > 0 ? [m.maxStallS] : [])),
  );
  const totals = tokenTotals(timelines, metrics, endS);
  const summary: MetricsSummary = {
    requests: timelines.length,
    ttft_s: { mean: mean(ttfts), p50: percentile(ttfts, 0.5), p99: percentile(ttfts, 0.99) },
    itl_s: { p50: percentile(itls, 0.5), p99: percentile(itls, 0.99) },
    tpot_s: { mean: mean(tpots), p99: percentile(tpots, 0.99) },
    max_stall_s: { p50: percentile(stalls, 0.5), p99: percentile(stalls, 0.99) },
    rebuffer: {
      events: metrics.reduce((s, m) => s + m.rebufferEvents, 0),
      seconds: metrics.reduce((s, m) => s + m.rebufferS, 0),
    },
    throughput_tok_s: rate(totals.delivered),
    effective_throughput_tok_s: rate(totals.effective),
    read_goodput_tok_s: rate(totals.read),
    qoe_mean: mean(metrics.map((m) => m.qoe)),
  };
  const slo = options.slo;
  if (slo) summary.slo_goodput_req_s = rate(metrics.filter((m) => meetsSlo(m, slo)).length);
  return summary;
}
