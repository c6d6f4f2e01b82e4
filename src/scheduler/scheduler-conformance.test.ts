/**
 * Properties every scheduling policy must keep, on random workloads driven step by step as the
 * engine drives them (with a host tier: copies completing after random delays): budget and
 * sequence caps hold, block accounting over both tiers never leaks or double-frees, no row runs
 * before its loads completed, every sequence finishes (no livelock under preemption), both
 * pools return to idle.
 */
import { describe, expect, it } from "vitest";
import { BlockManager } from "../kv/block-manager.js";
import { HostBlockPool } from "../kv/host-block-pool.js";
import { KvOffload } from "../kv/kv-offload.js";
import { prngUnit as rng } from "../test-support/prng.js";
import { FcfsPolicy } from "./fcfs-policy.js";
import type { SchedulerPolicy } from "./policy.js";
import { Scheduler } from "./scheduler.js";
import { Sequence } from "./sequence.js";
import { TokenFlowPolicy } from "./tokenflow-policy.js";

/** name, policy, host tier blocks (0 = none). */
const POLICIES: [string, () => SchedulerPolicy, number][] = [
  ["fcfs", () => new FcfsPolicy(), 0],
  ["tokenflow without a host tier", () => new TokenFlowPolicy(FAST), 0],
  ["tokenflow with a host tier", () => new TokenFlowPolicy(FAST), 24],
  ["tokenflow with a tiny host tier", () => new TokenFlowPolicy(FAST), 3],
];

/** A clock of 10 ms per step, readers at 2 tok/s: buffers grow, so TokenFlow pauses and resumes. */
const FAST = { scheduleIntervalMs: 30, bufferSafetyFactor: 1, defaultConsumptionRateTokPerS: 2 };

/** Transfers in flight: completed after a random number of steps (FIFO is not assumed). */
class FakeCopier {
  private readonly inFlight: { id: number; dueStep: number }[] = [];
  issue(ids: readonly number[], step: number, rand: () => number): void {
    for (const id of ids) this.inFlight.push({ id, dueStep: step + Math.floor(rand() * 4) });
  }
  due(step: number, all = false): number[] {
    const done = this.inFlight.filter((t) => all || t.dueStep <= step);
    for (const t of done) this.inFlight.splice(this.inFlight.indexOf(t), 1);
    return done.map((t) => t.id);
  }
}

for (const [name, makePolicy, numHostBlocks] of POLICIES) {
  describe(`Scheduler conformance: ${name}`, () => {
    it("keeps its limits and finishes every sequence on random workloads", () => {
      let numPreemptions = 0;
      let numPaused = 0;
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
        const offload =
          numHostBlocks > 0 ? new KvOffload(blocks, new HostBlockPool(numHostBlocks), 64) : null;
        const s = new Scheduler(config, blocks, makePolicy(), offload);
        const copier = new FakeCopier();
        const all: Sequence[] = [];
        let step = 0;
        while (step < 20_000) {
          const nowMs = step * 10;
          offload?.complete(copier.due(step));
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
          const plan = s.schedule(nowMs);
          copier.issue(
            plan.transfers.map((t) => t.id),
            step,
            rand,
          );
          numPaused += plan.preempted.filter((p) => p.mode !== "recompute").length;
          if (plan.rows.length === 0) offload?.complete(copier.due(step, true));
          expect(plan.numBatchedTokens).toBeLessThanOrEqual(config.maxNumBatchedTokens);
          expect(plan.rows.length).toBeLessThanOrEqual(config.maxNumSeqs);
          expect(new Set(plan.rows.map((r) => r.seq)).size).toBe(plan.rows.length);
          for (const row of plan.rows) {
            expect(row.seq.status).toBe("running");
            expect(offload?.isLoading(row.seq.id) ?? false).toBe(false);
            const table = blocks.blockTable(row.seq.id);
            expect((table?.length ?? 0) * blockTokens).toBeGreaterThanOrEqual(
              row.startToken + row.numNewTokens,
            );
          }
          blocks.checkInvariants();
          offload?.checkInvariants();
          s.commit(plan);
          for (const row of plan.rows) {
            if (!row.isSampled) continue;
            row.seq.appendToken(5);
            s.policy.onTokens?.(row.seq, 1, nowMs);
            if (row.seq.numOutputTokens >= row.seq.maxTokens || rand() < 0.02) s.finish(row.seq, nowMs);
          }
          if (rand() < 0.01 && all.length > 0)
            s.finish(all[Math.floor(rand() * all.length)] as Sequence, nowMs); // abort
          step++;
        }
        offload?.complete(copier.due(step, true));
        expect(s.hasWork()).toBe(false);
        expect(all.every((q) => q.status === "finished")).toBe(true);
        expect(blocks.numFreeBlocks).toBe(numBlocks);
        blocks.checkInvariants();
        offload?.checkInvariants();
        expect(offload?.host.numFreeBlocks ?? 0).toBe(numHostBlocks);
        numPreemptions += s.numPreemptionsTotal;
      }
      expect(numPreemptions).toBeGreaterThan(10);
      if (numHostBlocks > 0) expect(numPaused).toBeGreaterThan(10);
    });
  });
}
