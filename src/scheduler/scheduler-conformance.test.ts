/**
 * Properties every scheduling policy must keep, on random workloads driven step by step as the
 * engine drives them: budget and sequence caps hold, block accounting never leaks, every
 * sequence finishes (no livelock under preemption), the pool returns to idle.
 */
import { describe, expect, it } from "vitest";
import { BlockManager } from "../kv/block-manager.js";
import { prngUnit as rng } from "../test-support/prng.js";
import { FcfsPolicy } from "./fcfs-policy.js";
import type { SchedulerPolicy } from "./policy.js";
import { Scheduler } from "./scheduler.js";
import { Sequence } from "./sequence.js";

const POLICIES: [string, () => SchedulerPolicy][] = [["fcfs", () => new FcfsPolicy()]];

for (const [name, makePolicy] of POLICIES) {
  describe(`Scheduler conformance: ${name}`, () => {
    it("keeps its limits and finishes every sequence on random workloads", () => {
      let numPreemptions = 0;
      for (let seed = 1; seed <= 30; seed++) {
        const rand = rng(seed);
        const blockTokens = 4;
        const numBlocks = 8 + Math.floor(rand() * 40);
        const blocks = new BlockManager(numBlocks, blockTokens);
        const config = {
          maxNumBatchedTokens: 4 + Math.floor(rand() * 60),
          maxNumSeqs: 1 + Math.floor(rand() * 8),
          maxNumWaiting: 1000,
        };
        const s = new Scheduler(config, blocks, makePolicy());
        const all: Sequence[] = [];
        let step = 0;
        while (step < 20_000) {
          if (all.length < 40 && rand() < 0.3) {
            const promptLen = 1 + Math.floor(rand() * 30);
            const maxTokens = 1 + Math.floor(rand() * 30);
            if (Math.ceil((promptLen + maxTokens) / blockTokens) <= numBlocks) {
              const q = new Sequence({
                id: `s${all.length}`,
                promptTokens: new Array(promptLen).fill(3),
                maxTokens,
                arrivalMs: step,
              });
              all.push(q);
              s.add(q);
            }
          }
          if (!s.hasWork() && all.length >= 40) break;
          const plan = s.schedule(step);
          expect(plan.numBatchedTokens).toBeLessThanOrEqual(config.maxNumBatchedTokens);
          expect(plan.rows.length).toBeLessThanOrEqual(config.maxNumSeqs);
          expect(new Set(plan.rows.map((r) => r.seq)).size).toBe(plan.rows.length);
          for (const row of plan.rows) {
            expect(row.seq.status).toBe("running");
            const table = blocks.blockTable(row.seq.id);
            expect((table?.length ?? 0) * blockTokens).toBeGreaterThanOrEqual(
              row.startToken + row.numNewTokens,
            );
          }
          blocks.checkInvariants();
          s.commit(plan);
          for (const row of plan.rows) {
            if (!row.isSampled) continue;
            row.seq.appendToken(5);
            if (row.seq.numOutputTokens >= row.seq.maxTokens || rand() < 0.02) s.finish(row.seq, step);
          }
          if (rand() < 0.01 && all.length > 0)
            s.finish(all[Math.floor(rand() * all.length)] as Sequence, step); // abort
          step++;
        }
        expect(s.hasWork()).toBe(false);
        expect(all.every((q) => q.status === "finished")).toBe(true);
        expect(blocks.numFreeBlocks).toBe(numBlocks);
        blocks.checkInvariants();
        numPreemptions += s.numPreemptionsTotal;
      }
      expect(numPreemptions).toBeGreaterThan(10);
    });
  });
}
