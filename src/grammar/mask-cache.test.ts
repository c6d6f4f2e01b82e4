import { describe, expect, it } from "vitest";
import { packRow, unpackRow } from "./mask-cache.js";
import { rng } from "./test-grammars.js";

describe("packed mask rows", () => {
  it("unpack to the row they were packed from, over what was there before", () => {
    const r = rng(11);
    const words = 4008;
    const forms = { bits: 0, pairs: 0 };
    for (const density of [0, 0.001, 0.05, 0.3, 0.49, 0.51, 0.9, 1]) {
      for (let trial = 0; trial < 5; trial++) {
        const row = new Int32Array(words);
        for (let w = 0; w < words; w++) if (r() < density) row[w] = (Math.floor(r() * 2 ** 32) | 1) >> 0;
        const packed = packRow(row);
        forms[packed.bits ? "bits" : "pairs"]++;
        const nonzero = row.filter((v) => v !== 0).length;
        expect(packed.words).toBe(packed.bits ? words : 2 * nonzero);
        expect(packed.words).toBeLessThanOrEqual(words);
        // Written at an offset of a batch array holding garbage: every word is overwritten.
        const batch = new Int32Array(3 * words).fill(-1);
        unpackRow(packed, batch, words, words);
        expect(batch.subarray(words, 2 * words)).toEqual(row);
        expect(batch[words - 1]).toBe(-1);
        expect(batch[2 * words]).toBe(-1);
        // The packed row is a copy: changing the row afterwards does not change it.
        const expected = row.slice();
        row.fill(7);
        const again = new Int32Array(words);
        unpackRow(packed, again, 0, words);
        expect(again).toEqual(expected);
      }
    }
    expect(forms.bits).toBeGreaterThan(0);
    expect(forms.pairs).toBeGreaterThan(0);
  });
});
