import { describe, expect, it } from "vitest";
import { parseWorkloadSpec, syntheticArrivalsS } from "./arrivals.js";
import { deriveSeed, SeededRandom } from "./seeded-random.js";

function gapStats(times: readonly number[]): { meanGap: number; cv: number } {
  const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
  const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
  const variance = gaps.reduce((a, g) => a + (g - mean) ** 2, 0) / (gaps.length - 1);
  return { meanGap: mean, cv: Math.sqrt(variance) / mean };
}

/** Variance / mean of arrivals per 1-s bin (1 for Poisson, larger when bursty). */
function indexOfDispersion(times: readonly number[]): number {
  const bins = new Array<number>(Math.ceil(times[times.length - 1] as number) + 1).fill(0);
  for (const t of times) bins[Math.floor(t)] = (bins[Math.floor(t)] ?? 0) + 1;
  const mean = bins.reduce((a, b) => a + b, 0) / bins.length;
  return bins.reduce((a, c) => a + (c - mean) ** 2, 0) / (bins.length - 1) / mean;
}

const rng = (seed = 7) => new SeededRandom(deriveSeed(seed, "arrivals"));

describe("parseWorkloadSpec", () => {
  it("parses each process", () => {
    expect(parseWorkloadSpec("burst:400")).toEqual({ kind: "burst", count: 400 });
    expect(parseWorkloadSpec("poisson:2.5")).toEqual({ kind: "poisson", ratePerS: 2.5 });
    expect(parseWorkloadSpec("gamma:5:2")).toEqual({ kind: "gamma", ratePerS: 5, cv: 2 });
    expect(parseWorkloadSpec("trace:/a/b:c.csv")).toEqual({ kind: "trace", path: "/a/b:c.csv" });
  });

  it("rejects malformed specs with a clear message", () => {
    for (const bad of [
      "",
      "burst",
      "burst:0",
      "burst:1.5",
      "burst:3:4",
      "poisson:",
      "poisson:-1",
      "poisson:x",
      "gamma:5",
      "gamma:5:0",
      "trace:",
      "uniform:3",
    ])
      expect(() => parseWorkloadSpec(bad), bad).toThrow(/--workload must be burst:N/);
  });
});

describe("synthetic arrivals", () => {
  it("sends a burst all at t = 0", () => {
    const t = syntheticArrivalsS({ kind: "burst", count: 60 }, 5, rng());
    expect(t).toHaveLength(60);
    expect(t.every((x) => x === 0)).toBe(true);
  });

  it("draws Poisson arrivals at the requested mean rate with exponential gaps (CV 1)", () => {
    const t = syntheticArrivalsS({ kind: "poisson", ratePerS: 5 }, 20_000, rng());
    expect(t).toHaveLength(20_000);
    expect(t[0]).toBe(0);
    expect(t.every((x, i) => i === 0 || x >= (t[i - 1] as number))).toBe(true);
    const { meanGap, cv } = gapStats(t);
    expect(1 / meanGap).toBeGreaterThan(5 * 0.97);
    expect(1 / meanGap).toBeLessThan(5 * 1.03);
    expect(cv).toBeGreaterThan(0.95);
    expect(cv).toBeLessThan(1.05);
    expect(indexOfDispersion(t)).toBeGreaterThan(0.85);
    expect(indexOfDispersion(t)).toBeLessThan(1.15);
  });

  it.each([0.5, 2, 3])("draws Gamma arrivals with CV %s at the same mean rate", (target) => {
    const t = syntheticArrivalsS({ kind: "gamma", ratePerS: 10, cv: target }, 40_000, rng());
    const { meanGap, cv } = gapStats(t);
    expect(1 / meanGap).toBeGreaterThan(10 * 0.95);
    expect(1 / meanGap).toBeLessThan(10 * 1.05);
    expect(cv).toBeGreaterThan(target * 0.9);
    expect(cv).toBeLessThan(target * 1.1);
  });

  it("is burstier per second with a larger CV", () => {
    const smooth = indexOfDispersion(
      syntheticArrivalsS({ kind: "gamma", ratePerS: 10, cv: 0.5 }, 20_000, rng()),
    );
    const bursty = indexOfDispersion(
      syntheticArrivalsS({ kind: "gamma", ratePerS: 10, cv: 3 }, 20_000, rng()),
    );
    expect(smooth).toBeLessThan(0.5);
    expect(bursty).toBeGreaterThan(4);
  });

  it("is deterministic per seed and differs across seeds", () => {
    const spec = { kind: "gamma", ratePerS: 3, cv: 2 } as const;
    const a = syntheticArrivalsS(spec, 500, rng(1));
    expect(syntheticArrivalsS(spec, 500, rng(1))).toEqual(a);
    expect(syntheticArrivalsS(spec, 500, rng(2))).not.toEqual(a);
  });
});

describe("SeededRandom", () => {
  it("draws uniform floats in [0, 1) with the right mean", () => {
    const r = new SeededRandom(3);
    const xs = Array.from({ length: 100_000 }, () => r.next());
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(xs.reduce((a, b) => a + b, 0) / xs.length).toBeCloseTo(0.5, 2);
  });

  it("derives different streams per name", () => {
    expect(deriveSeed(1, "rates")).not.toBe(deriveSeed(1, "arrivals"));
    expect(deriveSeed(1, "rates")).toBe(deriveSeed(1, "rates"));
    expect(deriveSeed(1, "rates")).not.toBe(deriveSeed(2, "rates"));
  });
});
