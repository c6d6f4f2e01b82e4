import { describe, expect, it } from "vitest";
import { formatRates, parseRates, sampleRate } from "./readers.js";
import { SeededRandom } from "./seeded-random.js";

describe("reader rates", () => {
  it("parses one rate and a mix (shares normalised)", () => {
    expect(parseRates("20")).toEqual({ ratesTokPerS: [20], shares: [1] });
    expect(parseRates("15:0.4,20:0.6")).toEqual({ ratesTokPerS: [15, 20], shares: [0.4, 0.6] });
    expect(parseRates("15:2,20:2").shares).toEqual([0.5, 0.5]);
    expect(formatRates(parseRates("15:0.4,20:0.6"))).toBe("15:0.4,20:0.6");
  });

  it("rejects malformed mixes", () => {
    for (const bad of ["", "0", "-5", "x", "15,20", "15:0", "15:0.4:1", "15:-1,20:1"])
      expect(() => parseRates(bad), bad).toThrow(/--rates must be/);
  });

  it("assigns rates per request in the mix's proportions, reproducibly", () => {
    const mix = parseRates("15:0.4,20:0.6");
    const draw = (seed: number) => {
      const rng = new SeededRandom(seed);
      return Array.from({ length: 10_000 }, () => sampleRate(mix, rng));
    };
    const rates = draw(9);
    const share15 = rates.filter((r) => r === 15).length / rates.length;
    expect(share15).toBeGreaterThan(0.38);
    expect(share15).toBeLessThan(0.42);
    expect(rates.every((r) => r === 15 || r === 20)).toBe(true);
    expect(draw(9)).toEqual(rates);
  });
});
