import { describe, expect, it } from "vitest";
import type { RequestTimeline } from "./bench-types.js";
import {
  andesQoe,
  effectiveTokens,
  requestMetrics,
  simulateReader,
  timelinessWeight,
  tokensReadBy,
} from "./request-metrics.js";

function timeline(over: Partial<RequestTimeline>): RequestTimeline {
  const tokenTimesS = over.tokenTimesS ?? [];
  return {
    id: "r0",
    arrivalS: 0,
    inputLen: 8,
    outputLen: tokenTimesS.length,
    rateTokPerS: 10,
    tokenTimesS,
    finishS: tokenTimesS[tokenTimesS.length - 1] ?? null,
    error: null,
    ...over,
  };
}

describe("the simulated reader", () => {
  it("reads at its rate from the first token and accounts each wait as a rebuffer", () => {
    // r = 10 tok/s: wants tokens at 1.1 and 1.2 (on time), 1.3 (arrives 1.5: waits 0.2),
    // then 1.6 (arrives 2.0: waits 0.4); the timeline slips after each stall.
    const r = simulateReader([1.0, 1.1, 1.2, 1.5, 2.0], 10);
    expect(r.readS).toEqual([1.0, 1.1, 1.2, 1.5, 2.0].map((x) => expect.closeTo(x, 9)));
    expect(r.rebufferEvents).toBe(2);
    expect(r.rebufferS).toBeCloseTo(0.6, 9);
  });

  it("never rebuffers when tokens arrive ahead of the reader, and then reads them at its pace", () => {
    const r = simulateReader([0, 0, 0, 0], 4);
    expect(r.rebufferEvents).toBe(0);
    expect(r.rebufferS).toBe(0);
    expect(r.readS).toEqual([0, 0.25, 0.5, 0.75]);
  });

  it("counts tokens read by a time, fractionally while a token is being read", () => {
    expect(tokensReadBy([0, 1, 2], 1, 1.5)).toBeCloseTo(1.5, 12);
    expect(tokensReadBy([0, 1, 2], 1, 10)).toBe(3);
    expect(tokensReadBy([5], 1, 4)).toBe(0);
  });
});

describe("TokenFlow effective throughput weights", () => {
  it("weighs 1 up to 10% of the output length, falling linearly to 0 at 20%", () => {
    expect(timelinessWeight(0, 100)).toBe(1);
    expect(timelinessWeight(10, 100)).toBe(1);
    expect(timelinessWeight(12.5, 100)).toBeCloseTo(0.75, 12);
    expect(timelinessWeight(15, 100)).toBeCloseTo(0.5, 12);
    expect(timelinessWeight(20, 100)).toBe(0);
    expect(timelinessWeight(35, 100)).toBe(0);
  });

  it("weighs every token of an instant 100-token answer by the buffer the reader has not read", () => {
    // All 100 tokens at t = 0, reader at 10 tok/s: token 0 is read at once, so token j finds
    // j − 1 unread tokens: j = 0..11 weigh 1, j = 12..20 weigh 0.9 … 0.1, the rest 0.
    const times = new Array<number>(100).fill(0);
    const reader = simulateReader(times, 10);
    expect(effectiveTokens(times, reader.readS, 100)).toBeCloseTo(12 + 4.5, 9);
  });

  it("gives full weight to tokens delivered exactly at the reading pace", () => {
    const times = Array.from({ length: 50 }, (_, j) => 2 + j / 5);
    const reader = simulateReader(times, 5);
    expect(reader.rebufferEvents).toBe(0);
    expect(effectiveTokens(times, reader.readS, 50)).toBeCloseTo(50, 9);
  });
});

describe("Andes QoE", () => {
  it("is 1 when every token is there when expected, whatever arrives early", () => {
    expect(andesQoe(0, [1, 2, 3], 1, 1)).toBe(1);
    expect(andesQoe(0, [0, 0, 0], 1, 1)).toBe(1);
  });

  it("is 1 − S_delay / S_whole for a late stream", () => {
    // Expected 1, 2, 3; actual 2, 3, 4: S_delay = 3, S_whole (to t = 4) = 3 + 2 + 1 = 6.
    expect(andesQoe(0, [2, 3, 4], 1, 1)).toBeCloseTo(0.5, 12);
  });

  it("is 0 without tokens", () => {
    expect(andesQoe(0, [], 1, 1)).toBe(0);
  });
});

describe("requestMetrics", () => {
  it("derives TTFT, ITLs, TPOT, the longest stall and rebuffering from one timeline", () => {
    const m = requestMetrics(timeline({ arrivalS: 0.5, tokenTimesS: [1.0, 1.1, 1.2, 1.5, 2.0] }), 1);
    expect(m.ttftS).toBeCloseTo(0.5, 12);
    expect(m.itlsS.map((x) => Number(x.toFixed(9)))).toEqual([0.1, 0.1, 0.3, 0.5]);
    expect(m.tpotS).toBeCloseTo(0.25, 12);
    expect(m.maxStallS).toBeCloseTo(0.5, 12);
    expect(m.rebufferEvents).toBe(2);
    expect(m.rebufferS).toBeCloseTo(0.6, 9);
    expect(m.isCompleted).toBe(true);
    expect(m.qoe).toBeGreaterThan(0);
    expect(m.qoe).toBeLessThan(1);
  });

  it("gives a failed request QoE 0 and weighs its tokens against the requested length", () => {
    const tl = timeline({ tokenTimesS: [0, 0, 0], outputLen: 10, error: "boom", finishS: 0.5 });
    const m = requestMetrics(tl, 1);
    expect(m.isCompleted).toBe(false);
    expect(m.qoe).toBe(0);
    // L = 10 (requested): token 2 finds 1 unread token = 10% → weight 1.
    expect(m.effectiveTokens).toBe(3);
    expect(requestMetrics(timeline({ tokenTimesS: [], finishS: 1, error: "x" }), 1)).toMatchObject({
      ttftS: null,
      tpotS: null,
      maxStallS: 0,
    });
  });
});
