import { describe, expect, it } from "vitest";
import { IntPairMap, ShardedIntPairMap } from "./int-vec.js";
import { rng } from "./test-grammars.js";

describe("int pair maps", () => {
  it("IntPairMap (with clears) and ShardedIntPairMap agree with a Map through growth", () => {
    const r = rng(5);
    const plain = new IntPairMap(4);
    const sharded = new ShardedIntPairMap(4, 8);
    let refPlain = new Map<string, number>();
    const refSharded = new Map<string, number>();
    let clears = 0;
    for (let op = 0; op < 60_000; op++) {
      const a = Math.floor(r() * 3000);
      const b = Math.floor(r() * 50);
      const key = `${a},${b}`;
      const x = r();
      if (x < 0.6) {
        const v = Math.floor(r() * 1e6);
        plain.set(a, b, v);
        sharded.set(a, b, v);
        refPlain.set(key, v);
        refSharded.set(key, v);
      } else if (x < 0.9998) {
        expect(plain.get(a, b)).toBe(refPlain.get(key) ?? -1);
        expect(sharded.get(a, b)).toBe(refSharded.get(key) ?? -1);
      } else {
        plain.clear(4);
        refPlain = new Map();
        clears++;
      }
      if (op % 97 === 0) expect(plain.size).toBe(refPlain.size);
    }
    expect(clears).toBeGreaterThan(3);
    expect(sharded.size).toBe(refSharded.size);
    expect(sharded.size).toBeGreaterThan(10_000);
  });
});
