import { describe, expect, it } from "vitest";
import { formatLengthDist, parseLengthDist, sampleLength } from "./length-dist.js";
import { SeededRandom } from "./seeded-random.js";

describe("length distributions", () => {
  it("parses fixed, normal and uniform specs", () => {
    expect(parseLengthDist("512", "input-len")).toEqual({ kind: "fixed", value: 512 });
    expect(parseLengthDist("normal:512:128", "input-len")).toEqual({ kind: "normal", mean: 512, std: 128 });
    expect(parseLengthDist("uniform:512:1024", "input-len")).toEqual({ kind: "uniform", lo: 512, hi: 1024 });
    expect(formatLengthDist(parseLengthDist("normal:512:128", "x"))).toBe("normal:512:128");
  });

  it("rejects malformed specs naming the flag", () => {
    for (const bad of [
      "0",
      "-3",
      "1.5",
      "abc",
      "normal:512",
      "normal:a:b",
      "uniform:9:3",
      "zipf:1:2",
      "normal:1:2:3",
    ])
      expect(() => parseLengthDist(bad, "output-len"), bad).toThrow(/--output-len must be/);
  });

  it("draws normal lengths with the right mean and spread, clamped to >= 1", () => {
    const rng = new SeededRandom(11);
    const xs = Array.from({ length: 20_000 }, () =>
      sampleLength({ kind: "normal", mean: 512, std: 128 }, rng),
    );
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const std = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / xs.length);
    expect(mean).toBeGreaterThan(505);
    expect(mean).toBeLessThan(519);
    expect(std).toBeGreaterThan(123);
    expect(std).toBeLessThan(133);
    expect(xs.every(Number.isInteger)).toBe(true);
    const wide = Array.from({ length: 2000 }, () => sampleLength({ kind: "normal", mean: 2, std: 50 }, rng));
    expect(Math.min(...wide)).toBe(1);
  });

  it("draws uniform lengths over both ends", () => {
    const rng = new SeededRandom(5);
    const xs = Array.from({ length: 5000 }, () => sampleLength({ kind: "uniform", lo: 3, hi: 6 }, rng));
    expect(new Set(xs)).toEqual(new Set([3, 4, 5, 6]));
    expect(sampleLength({ kind: "fixed", value: 77 }, rng)).toBe(77);
  });
});
