import { describe, expect, it } from "vitest";
import { IntPairMap } from "./int-vec.js";
import { rng } from "./test-grammars.js";

describe("int pair maps", () => {
  it("IntPairMaps, cleared now and then or never, agree with a Map through growth", () => {
    const r = rng(5);
    const plain = new IntPairMap(4);
    const kept = new IntPairMap(4);
    let refPlain = new Map<string, number>();
    const refKept = new Map<string, number>();
    let clears = 0;
    for (let op = 0; op < 60_000; op++) {
      const a = Math.floor(r() * 3000);
      const b = Math.floor(r() * 50);
      const key = `${a},${b}`;
      const x = r();
      if (x < 0.6) {
        const v = Math.floor(r() * 1e6);
        plain.set(a, b, v);
        kept.set(a, b, v);
        refPlain.set(key, v);
        refKept.set(key, v);
      } else if (x < 0.9998) {
        expect(plain.get(a, b)).toBe(refPlain.get(key) ?? -1);
        expect(kept.get(a, b)).toBe(refKept.get(key) ?? -1);
      } else {
        plain.clear(4);
        refPlain = new Map();
        clears++;
      }
      if (op % 97 === 0) expect(plain.size).toBe(refPlain.size);
    }
    expect(clears).toBeGreaterThan(3);
    expect(kept.size).toBe(refKept.size);
    expect(kept.size).toBeGreaterThan(10_000);
    for (const [key, v] of refKept) {
      const [a, b] = key.split(",").map(Number) as [number, number];
      expect(kept.get(a, b)).toBe(v);
    }
  });
});
