import { describe, expect, it } from "vitest";
import { ChunkedRows, ShardedIntPairMap } from "./lazy-tables.js";
import { rng } from "./test-grammars.js";

describe("tables grown while masks are computed", () => {
  it("a sharded pair map agrees with a Map before and after it splits", () => {
    const r = rng(9);
    const map = new ShardedIntPairMap(100);
    const ref = new Map<string, number>();
    for (let op = 0; op < 80_000; op++) {
      const a = Math.floor(r() * 20_000);
      const b = Math.floor(r() * 40);
      const key = `${a},${b}`;
      if (r() < 0.5) {
        const v = Math.floor(r() * 1e6);
        map.set(a, b, v);
        ref.set(key, v);
      } else expect(map.get(a, b)).toBe(ref.get(key) ?? -1);
      if (op % 1009 === 0) expect(map.size).toBe(ref.size);
    }
    // Past the split (8,192 entries), every entry is still found.
    expect(ref.size).toBeGreaterThan(20_000);
    for (const [key, v] of ref) {
      const [a, b] = key.split(",").map(Number) as [number, number];
      expect(map.get(a, b)).toBe(v);
    }
    expect(map.size).toBe(ref.size);
  });

  it("chunked rows start filled and keep their values across chunks", () => {
    const rows = new ChunkedRows(7, -1);
    const ids = Array.from({ length: 100 }, () => rows.add());
    expect(ids).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(rows.get(99, 6)).toBe(-1);
    for (const r of ids) for (let c = 0; c < 7; c++) rows.set(r, c, r * 10 + c);
    for (const r of ids) for (let c = 0; c < 7; c++) expect(rows.get(r, c)).toBe(r * 10 + c);
  });
});
