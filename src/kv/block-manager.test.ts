import { describe, expect, it } from "vitest";
import { prngUnit as rng } from "../test-support/prng.js";
import { BlockManager } from "./block-manager.js";

describe("BlockManager", () => {
  it("allocates ceil(tokens / blockTokens) blocks and grows tables in place", () => {
    const bm = new BlockManager(10, 16);
    expect(bm.allocateSlots("a", 17)).toHaveLength(2);
    expect(bm.allocateSlots("a", 32)).toHaveLength(2);
    expect(bm.allocateSlots("a", 33)).toHaveLength(3);
    expect(bm.numFreeBlocks).toBe(7);
    expect(bm.usage).toBeCloseTo(0.3);
  });

  it("returns null and changes nothing when the pool lacks room", () => {
    const bm = new BlockManager(4, 16);
    bm.allocateSlots("a", 48);
    expect(bm.canAllocate(2)).toBe(false);
    expect(bm.allocateSlots("b", 20)).toBeNull();
    expect(bm.blockTable("b")).toBeNull();
    expect(bm.numFreeBlocks).toBe(1);
    bm.free("a");
    expect(bm.numFreeBlocks).toBe(4);
    bm.checkInvariants();
  });

  it("property: random allocate/append/free/preempt sequences never leak or double-free", () => {
    for (let seed = 1; seed <= 50; seed++) {
      const rand = rng(seed);
      const numBlocks = 4 + Math.floor(rand() * 60);
      const bm = new BlockManager(numBlocks, 1 + Math.floor(rand() * 16));
      const live = new Map<string, number>(); // id → tokens held
      let nextId = 0;
      for (let op = 0; op < 500; op++) {
        const r = rand();
        const ids = [...live.keys()];
        const pick = ids[Math.floor(rand() * ids.length)];
        const freeBefore = bm.numFreeBlocks;
        if (r < 0.3 || pick === undefined) {
          const id = `r${nextId++}`;
          const tokens = 1 + Math.floor(rand() * 100);
          const table = bm.allocateSlots(id, tokens);
          if (table) live.set(id, tokens);
          else expect(bm.numFreeBlocks).toBe(freeBefore);
        } else if (r < 0.75) {
          const tokens = (live.get(pick) as number) + 1 + Math.floor(rand() * 20);
          if (bm.allocateSlots(pick, tokens)) live.set(pick, tokens);
          else {
            // The scheduler's response: preempt someone (recompute), here a random live request.
            const victim = ids[Math.floor(rand() * ids.length)] as string;
            bm.free(victim);
            live.delete(victim);
          }
        } else {
          bm.free(pick);
          live.delete(pick);
        }
        bm.checkInvariants();
        for (const [id, tokens] of live)
          expect(bm.blockTable(id)?.length).toBe(Math.ceil(tokens / bm.blockTokens));
      }
      for (const id of live.keys()) bm.free(id);
      bm.checkInvariants();
      expect(bm.numFreeBlocks).toBe(numBlocks);
      expect(bm.numRequests).toBe(0);
    }
  });
});
