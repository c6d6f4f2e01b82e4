import { describe, expect, it } from "vitest";
import { MaskRows } from "./mask-rows.js";
import { rng } from "./test-grammars.js";

describe("packed mask rows", () => {
  it("write back the rows they stored, over what was there before, and store equal rows once", () => {
    const r = rng(11);
    const words = 4008;
    const rows = new MaskRows(words);
    const stored: { id: number; row: Int32Array }[] = [];
    let expectedWords = 0;
    for (const density of [0, 0.001, 0.05, 0.3, 0.49, 0.51, 0.9, 1]) {
      for (let trial = 0; trial < 5; trial++) {
        const row = new Int32Array(words);
        for (let w = 0; w < words; w++) if (r() < density) row[w] = (Math.floor(r() * 2 ** 32) | 1) >> 0;
        // Read from an offset of a larger array, as the caches do.
        const batch = new Int32Array(3 * words).fill(5);
        batch.set(row, words);
        const before = rows.size;
        const id = rows.add(batch, words);
        const nonzero = row.filter((v) => v !== 0).length;
        if (rows.size > before) expectedWords += Math.min(2 * nonzero, words);
        stored.push({ id, row: row.slice() });
        // The stored row is a copy: changing the source afterwards does not change it.
        batch.fill(7);
      }
    }
    // Zero rows repeat (density 0), and some dense ones too (density 1: every word nonzero, random).
    expect(rows.size).toBeLessThan(stored.length);
    expect(rows.words).toBe(expectedWords);
    for (const { id, row } of stored) {
      const out = new Int32Array(3 * words).fill(-1);
      rows.write(id, out, words);
      expect(out.subarray(words, 2 * words)).toEqual(row);
      expect(out[words - 1]).toBe(-1);
      expect(out[2 * words]).toBe(-1);
    }
    // An equal row (same content, from another array) gets the same number and adds no words.
    const again = stored[stored.length - 1] as { id: number; row: Int32Array };
    const w0 = rows.words;
    expect(rows.add(again.row.slice(), 0)).toBe(again.id);
    expect(rows.words).toBe(w0);
    // Differing in one word is a different row.
    const changed = again.row.slice();
    changed[17] = (changed[17] as number) ^ 1;
    expect(rows.add(changed, 0)).not.toBe(again.id);
  });
});
