import { describe, expect, it } from "vitest";
import { parseSlo, percentile, runSpanS, summarizeTimelines } from "./aggregate-metrics.js";
import type { RequestTimeline } from "./bench-types.js";

const base = { inputLen: 4, outputLen: 2, states: undefined };

/** Two hand-computed requests and a failed one (see the expected values below). */
const TIMELINES: RequestTimeline[] = [
  { ...base, id: "a", arrivalS: 0, rateTokPerS: 1, tokenTimesS: [1, 2], finishS: 2, error: null },
  { ...base, id: "b", arrivalS: 1, rateTokPerS: 1, tokenTimesS: [1.5, 3], finishS: 3.5, error: null },
  { ...base, id: "c", arrivalS: 0.2, rateTokPerS: 1, tokenTimesS: [], finishS: 0.3, error: "refused" },
];

describe("percentile", () => {
  it("interpolates linearly between closest ranks", () => {
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(percentile([1, 2, 3, 4], 0.99)).toBeCloseTo(3.97, 12);
    expect(percentile([1, 2, 3, 4], 0)).toBe(1);
    expect(percentile([1, 2, 3, 4], 1)).toBe(4);
    expect(percentile([7], 0.99)).toBe(7);
    expect(percentile([], 0.5)).toBeNaN();
  });
});

describe("summarizeTimelines", () => {
  it("aggregates hand-built timelines", () => {
    expect(runSpanS(TIMELINES)).toEqual({ startS: 0, endS: 3.5 });
    const s = summarizeTimelines(TIMELINES, { qoeTtftTargetS: 0, slo: { ttftMs: 800, tpotMs: null } });
    expect(s.requests).toBe(3);
    expect(s.ttft_s.mean).toBeCloseTo(0.75, 12);
    expect(s.ttft_s.p50).toBeCloseTo(0.75, 12);
    expect(s.itl_s.p50).toBeCloseTo(1.25, 12);
    expect(s.tpot_s.mean).toBeCloseTo(1.25, 12);
    expect(s.max_stall_s.p99).toBeCloseTo(1.495, 12);
    // b's reader reads token 0 at 1.5 and wants token 1 at 2.5; it arrives at 3.
    expect(s.rebuffer).toEqual({ events: 1, seconds: 0.5 });
    expect(s.throughput_tok_s).toBeCloseTo(4 / 3.5, 12);
    // Every token finds an empty buffer: weight 1 each.
    expect(s.effective_throughput_tok_s).toBeCloseTo(4 / 3.5, 12);
    // By t = 3.5: a has read both tokens, b one and a half.
    expect(s.read_goodput_tok_s).toBeCloseTo(3.5 / 3.5, 12);
    // QoE with a 0 s TTFT target: a = 1 − 2/3, b = 1 − 1.5/3, c (failed) = 0.
    expect(s.qoe_mean).toBeCloseTo((1 / 3 + 0.5 + 0) / 3, 12);
    // Only b meets ttft ≤ 800 ms.
    expect(s.slo_goodput_req_s).toBeCloseTo(1 / 3.5, 12);
  });

  it("applies a TPOT SLO and omits SLO goodput without --slo", () => {
    const withTpot = summarizeTimelines(TIMELINES, { qoeTtftTargetS: 0, slo: { ttftMs: 800, tpotMs: 1200 } });
    expect(withTpot.slo_goodput_req_s).toBe(0);
    const loose = summarizeTimelines(TIMELINES, { qoeTtftTargetS: 0, slo: { ttftMs: null, tpotMs: 2000 } });
    expect(loose.slo_goodput_req_s).toBeCloseTo(2 / 3.5, 12);
    expect("slo_goodput_req_s" in summarizeTimelines(TIMELINES, { qoeTtftTargetS: 0, slo: null })).toBe(
      false,
    );
  });

  it("parses --slo and rejects malformed specs", () => {
    expect(parseSlo("ttft:1000,tpot:50")).toEqual({ ttftMs: 1000, tpotMs: 50 });
    expect(parseSlo("tpot:20")).toEqual({ ttftMs: null, tpotMs: 20 });
    for (const bad of ["ttft", "ttft:-1", "e2el:100", "ttft:1:2", "ttft:abc"])
      expect(() => parseSlo(bad), bad).toThrow(/--slo must look like/);
  });
});
