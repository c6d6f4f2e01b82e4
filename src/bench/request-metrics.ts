/**
 * Metrics of one request's token timeline, seen by a simulated reader who starts at the first
 * token and reads one token every 1/r seconds, waiting when the next token has not arrived (the
 * reader's timeline slips after a stall: the "clamped" buffer model of tokenflow.md §3).
 *
 * Reader: token 0 is read at t_0; token j is wanted at want_j = read_{j-1} + 1/r and read at
 * read_j = max(want_j, t_j). A token that arrives after it was wanted is a rebuffer event of
 * t_j − want_j seconds. A token counts as consumed (out of the buffer) once the reader starts it.
 */
import type { RequestTimeline } from "./bench-types.js";

/** Arrival times closer than this are treated as equal (float noise in summed gaps). */
const EPS_S = 1e-9;

/** Per-request metrics (seconds; `null` where the request has too few tokens). */
export interface RequestMetrics {
  /** Arrival to first token. */
  readonly ttftS: number | null;
  /** Gaps between consecutive tokens. */
  readonly itlsS: number[];
  /** (last − first token) / (tokens − 1). */
  readonly tpotS: number | null;
  /** Longest gap between consecutive tokens after the first (0 with fewer than 2 tokens). */
  readonly maxStallS: number;
  readonly rebufferEvents: number;
  readonly rebufferS: number;
  /** When the reader starts each token (see {@link simulateReader}). */
  readonly readS: number[];
  /** Σ of the tokens' timeliness weights (effective throughput's numerator). */
  readonly effectiveTokens: number;
  /** Andes QoE in [0, 1]; 0 for a failed request or one without tokens. */
  readonly qoe: number;
  /** Whether the request finished without error. */
  readonly isCompleted: boolean;
}

/** When the reader reads each token, and the rebuffering it suffered. */
export interface ReaderTimeline {
  /** Time the reader starts token j (≥ its arrival). */
  readonly readS: number[];
  readonly rebufferEvents: number;
  readonly rebufferS: number;
}

/** Replays `tokenTimesS` (non-decreasing) into a reader of `rateTokPerS`. */
export function simulateReader(tokenTimesS: readonly number[], rateTokPerS: number): ReaderTimeline {
  const perToken = 1 / rateTokPerS;
  const readS: number[] = [];
  let events = 0;
  let stalled = 0;
  for (const [j, t] of tokenTimesS.entries()) {
    if (j === 0) {
      readS.push(t);
      continue;
    }
    const want = (readS[j - 1] as number) + perToken;
    if (t > want + EPS_S) {
      events++;
      stalled += t - want;
    }
    readS.push(Math.max(want, t));
  }
  return { readS, rebufferEvents: events, rebufferS: stalled };
}

/**
 * TokenFlow's timeliness weight of a token that arrives when the reader's buffer holds
 * `bufferTokens` tokens, for a request of `outputLen` tokens: 1 up to 10% of the length, falling
 * linearly to 0 at 20%.
 */
export function timelinessWeight(bufferTokens: number, outputLen: number): number {
  const tenth = 0.1 * outputLen;
  return Math.min(1, Math.max(0, 1 - (bufferTokens - tenth) / tenth));
}

/**
 * Σ of timeliness weights: token j's buffer B_j = tokens before j that the reader has not started
 * at t_j (token j itself excluded); `outputLen` is the request's total output length L.
 */
export function effectiveTokens(
  tokenTimesS: readonly number[],
  readS: readonly number[],
  outputLen: number,
): number {
  let consumed = 0;
  let sum = 0;
  for (const [j, t] of tokenTimesS.entries()) {
    while (consumed < j && (readS[consumed] as number) <= t + EPS_S) consumed++;
    sum += timelinessWeight(j - consumed, outputLen);
  }
  return sum;
}

/**
 * Andes QoE = 1 − S_delay / S_whole. Expected consumption: token k at e_k = arrival + ttftTarget
 * + k/r; actual: c_k = max(t_k, e_k, c_{k−1} + 1/r) (never ahead of delivery, of the pace, or of
 * the expectation). With both curves as step functions up to T = c_last,
 * S_delay = Σ (c_k − e_k) and S_whole = Σ (T − e_k).
 */
export function andesQoe(
  arrivalS: number,
  tokenTimesS: readonly number[],
  rateTokPerS: number,
  ttftTargetS: number,
): number {
  if (tokenTimesS.length === 0) return 0;
  const perToken = 1 / rateTokPerS;
  const expected: number[] = [];
  const actual: number[] = [];
  for (const [k, t] of tokenTimesS.entries()) {
    const e = arrivalS + ttftTargetS + k * perToken;
    const prev = k === 0 ? Number.NEGATIVE_INFINITY : (actual[k - 1] as number) + perToken;
    expected.push(e);
    actual.push(Math.max(t, e, prev));
  }
  const end = actual[actual.length - 1] as number;
  let delay = 0;
  let whole = 0;
  for (const [k, e] of expected.entries()) {
    delay += (actual[k] as number) - e;
    whole += end - e;
  }
  return whole <= EPS_S ? 1 : Math.max(0, 1 - delay / whole);
}

/** Tokens the reader of a timeline has read by `atS` (fractional: a token takes 1/r to read). */
export function tokensReadBy(readS: readonly number[], rateTokPerS: number, atS: number): number {
  let n = 0;
  for (const r of readS) n += Math.min(1, Math.max(0, (atS - r) * rateTokPerS));
  return n;
}

/**
 * All per-request metrics. L for the timeliness weight is the number of tokens delivered when
 * the request completed, else the requested output length.
 */
export function requestMetrics(tl: RequestTimeline, qoeTtftTargetS: number): RequestMetrics {
  const times = tl.tokenTimesS;
  const isCompleted = tl.finishS !== null && tl.error === null;
  const itls: number[] = [];
  for (let j = 1; j < times.length; j++) itls.push((times[j] as number) - (times[j - 1] as number));
  const reader = simulateReader(times, tl.rateTokPerS);
  const length = isCompleted && times.length > 0 ? times.length : tl.outputLen;
  const first = times[0];
  const last = times[times.length - 1];
  return {
    ttftS: first === undefined ? null : first - tl.arrivalS,
    itlsS: itls,
    tpotS: times.length >= 2 ? ((last as number) - (first as number)) / (times.length - 1) : null,
    maxStallS: itls.reduce((m, g) => Math.max(m, g), 0),
    rebufferEvents: reader.rebufferEvents,
    rebufferS: reader.rebufferS,
    readS: reader.readS,
    effectiveTokens: effectiveTokens(times, reader.readS, length),
    qoe: isCompleted ? andesQoe(tl.arrivalS, times, tl.rateTokPerS, qoeTtftTargetS) : 0,
    isCompleted,
  };
}
