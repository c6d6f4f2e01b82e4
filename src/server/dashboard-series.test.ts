import { describe, expect, it } from "vitest";
import { DashboardSeries, effectiveWeight, quantile, type SeriesRequest } from "./dashboard-series.js";

const req = (over: Partial<SeriesRequest> & { id: string }): SeriesRequest => ({
  numGenerated: 0,
  bufferSec: 0,
  rateTokPerS: 10,
  rebufferSec: 0,
  maxTokens: 100,
  ttftMs: 50,
  ...over,
});

describe("effectiveWeight (TokenFlow's 10%/20% of output length)", () => {
  it("is 1 up to 10% of L, falls linearly to 0 at 20%, and 1 when L is unknown", () => {
    expect(effectiveWeight(0, 100)).toBe(1);
    expect(effectiveWeight(10, 100)).toBe(1);
    expect(effectiveWeight(15, 100)).toBeCloseTo(0.5, 12);
    expect(effectiveWeight(20, 100)).toBe(0);
    expect(effectiveWeight(80, 100)).toBe(0);
    expect(effectiveWeight(80, null)).toBe(1);
  });
});

describe("quantile", () => {
  it("takes the nearest rank", () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(quantile(xs, 0.5)).toBe(50);
    expect(quantile(xs, 0.99)).toBe(99);
    expect(quantile([7], 0.99)).toBe(7);
    expect(quantile([], 0.5)).toBeNull();
  });
});

describe("DashboardSeries", () => {
  it("counts output tokens per second and weights them by the reader's buffer", () => {
    const s = new DashboardSeries(1000);
    s.tick(0, [req({ id: "a" }), req({ id: "b" })], [], null);
    // a: 10 tokens with a small buffer (full weight); b: 10 tokens with 30 buffered of L=100 (weight 0).
    const t = s.tick(
      500,
      [req({ id: "a", numGenerated: 10, bufferSec: 0.2 }), req({ id: "b", numGenerated: 10, bufferSec: 6 })],
      [],
      null,
    );
    expect(t.point.outputTokPerS).toBeCloseTo(40, 9);
    // b's midpoint buffer is (0 + 60)/2 = 30 tokens ≥ 20: weight 0; a's is 1 token: weight 1.
    expect(t.point.effectiveTokPerS).toBeCloseTo(20, 9);
  });

  it("averages rates over the window only", () => {
    const s = new DashboardSeries(1000);
    s.tick(0, [req({ id: "a" })], [], null);
    s.tick(500, [req({ id: "a", numGenerated: 100 })], [], null);
    s.tick(1000, [req({ id: "a", numGenerated: 100 })], [], null);
    const t = s.tick(2000, [req({ id: "a", numGenerated: 100 })], [], null);
    expect(t.point.outputTokPerS).toBe(0);
  });

  it("counts the tokens of a finished request made after its last snapshot", () => {
    const s = new DashboardSeries(1000);
    s.tick(0, [req({ id: "a", numGenerated: 5 })], [], null);
    const t = s.tick(1000, [], [{ id: "a", numOutputTokens: 25 }], null);
    expect(t.point.outputTokPerS).toBeCloseTo(20, 9);
  });

  it("keeps TTFT percentiles over a sliding window", () => {
    const s = new DashboardSeries(1000, 10_000);
    for (let i = 1; i <= 100; i++) s.recordFirstToken(0, i);
    s.recordFirstToken(9_000, 1000);
    let p = s.tick(9_500, [], [], null).point;
    expect(p.ttftP50Ms).toBe(51);
    expect(p.ttftP99Ms).toBe(100);
    p = s.tick(12_000, [], [], null).point;
    expect(p.ttftP50Ms).toBe(1000);
    expect(s.tick(30_000, [], [], null).point.ttftP99Ms).toBeNull();
  });

  it("reports preemptions per second by kind, stalled readers and copy rates", () => {
    const s = new DashboardSeries(1000);
    s.tick(0, [req({ id: "a" }), req({ id: "b", ttftMs: null })], [], {
      storeBytes: 1e6,
      loadBytes: 0,
    });
    s.recordPreemption("swap");
    s.recordPreemption("swap");
    s.recordPreemption("recompute");
    const t = s.tick(
      500,
      [req({ id: "a", rebufferSec: 0.3 }), req({ id: "b", ttftMs: null, rebufferSec: 0.3 })],
      [],
      { storeBytes: 3e6, loadBytes: 5e5 },
    );
    expect(t.point.preemptionsPerS).toEqual({ swap: 4, hybrid: 0, recompute: 2 });
    expect(t.point.numStalled).toBe(1);
    expect(t.storeBytesPerS).toBeCloseTo(4e6, 3);
    expect(t.loadBytesPerS).toBeCloseTo(1e6, 3);
  });
});
