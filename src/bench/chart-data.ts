/**
 * The numbers behind the benchmark charts, computed from runs' token timelines: TTFT
 * distributions, per-request state segments and each simulated reader's buffer level over time.
 * Pure functions; times in seconds from the run's start.
 */
import type { BenchRun, RequestTimeline } from "./bench-types.js";

/** One point of a TTFT CDF: the fraction of a run's requests whose first token came by `ttftS`. */
export interface CdfPoint {
  readonly policy: string;
  readonly ttftS: number;
  readonly fraction: number;
}

/** A span of one request in one state (`waiting`/`streaming` when the target reports no states). */
export interface StateSegment {
  readonly request: string;
  readonly state: string;
  readonly startS: number;
  readonly endS: number;
}

/** One sample of a reader's buffer. */
export interface BufferPoint {
  readonly request: string;
  readonly tS: number;
  /** Tokens received but not yet read. */
  readonly tokens: number;
}

/**
 * Display names of the runs: the scheduler names, with ` #2`, ` #3`... added to repeats so that
 * every series is distinct (e.g. fcfs with and without chunked prefill).
 */
export function runLabels(runs: readonly BenchRun[]): string[] {
  const seen = new Map<string, number>();
  return runs.map((run) => {
    const name = run.summary.scheduler;
    const count = (seen.get(name) ?? 0) + 1;
    seen.set(name, count);
    return count === 1 ? name : `${name} #${count}`;
  });
}

/** Time to first token of a request in seconds, `null` when no token ever arrived. */
export function ttftOf(t: RequestTimeline): number | null {
  const first = t.tokenTimesS[0];
  return first === undefined ? null : first - t.arrivalS;
}

/**
 * A run's TTFT CDF, one point per request that got a token. Fractions are over all requests, so
 * a run with requests that never started plateaus below 1.
 */
export function ttftCdf(policy: string, timelines: readonly RequestTimeline[]): CdfPoint[] {
  const ttfts = timelines
    .map(ttftOf)
    .filter((v): v is number => v !== null)
    .sort((a, b) => a - b);
  return ttfts.map((ttftS, i) => ({ policy, ttftS, fraction: (i + 1) / timelines.length }));
}

/** Up to `max` items spread evenly over `items` (first and last included), in order. */
export function pickEvenly<T>(items: readonly T[], max: number): T[] {
  if (items.length <= max) return [...items];
  if (max <= 1) return items.slice(0, Math.max(0, max));
  return Array.from({ length: max }, (_, i) => items[Math.round((i * (items.length - 1)) / (max - 1))] as T);
}

/** When a request stopped being drawn: its finish, else its last token, else its arrival. */
function endOf(t: RequestTimeline): number {
  return t.finishS ?? t.tokenTimesS.at(-1) ?? t.arrivalS;
}

/**
 * A request's state spans: from `states` when present (each state lasts until the next change;
 * `finished` ends the request), else `waiting` from arrival to the first token and `streaming`
 * from there to the finish.
 */
export function stateSegments(t: RequestTimeline): StateSegment[] {
  const endS = endOf(t);
  if (t.states && t.states.length > 0) {
    const out: StateSegment[] = [];
    t.states.forEach((s, i) => {
      if (s.state === "finished") return;
      const next = t.states?.[i + 1]?.tS ?? Math.max(endS, s.tS);
      if (next > s.tS) out.push({ request: t.id, state: s.state, startS: s.tS, endS: next });
    });
    return out;
  }
  const first = t.tokenTimesS[0];
  if (first === undefined) return [{ request: t.id, state: "waiting", startS: t.arrivalS, endS }];
  const out: StateSegment[] = [];
  if (first > t.arrivalS) out.push({ request: t.id, state: "waiting", startS: t.arrivalS, endS: first });
  if (endS > first) out.push({ request: t.id, state: "streaming", startS: first, endS });
  return out;
}

/** Number of values in the ascending `sorted` that are <= `x`. */
function countAtOrBefore(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A reader's buffer at time `tS`: tokens arrived by `tS` minus what a reader consuming
 * `rateTokPerS` since the first token would have read, floored at 0 (0 before the first token).
 * `tokenTimesS` must be ascending.
 */
export function bufferLevelAt(tokenTimesS: readonly number[], rateTokPerS: number, tS: number): number {
  const first = tokenTimesS[0];
  if (first === undefined || tS < first) return 0;
  return Math.max(0, countAtOrBefore(tokenTimesS, tS) - rateTokPerS * (tS - first));
}

/**
 * A request's buffer sampled at `numPoints` evenly spaced times from its first token until the
 * reader would have read every token (or `untilS`, whichever is first). Empty without tokens.
 */
export function bufferCurve(t: RequestTimeline, numPoints: number, untilS: number): BufferPoint[] {
  const first = t.tokenTimesS[0];
  if (first === undefined || numPoints < 2) return [];
  const drainedS = first + t.tokenTimesS.length / t.rateTokPerS;
  const endS = Math.max(first, Math.min(untilS, Math.max(drainedS, t.tokenTimesS.at(-1) ?? first)));
  const stepS = (endS - first) / (numPoints - 1);
  return Array.from({ length: numPoints }, (_, i) => {
    const tS = first + i * stepS;
    return { request: t.id, tS, tokens: bufferLevelAt(t.tokenTimesS, t.rateTokPerS, tS) };
  });
}

/** The latest time anything happens in a run (a finish, a token or an arrival). */
export function runEndS(timelines: readonly RequestTimeline[]): number {
  let end = 0;
  for (const t of timelines) end = Math.max(end, endOf(t), t.tokenTimesS.at(-1) ?? 0);
  return end;
}
