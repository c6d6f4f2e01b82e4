import { describe, expect, it } from "vitest";
import { BlockManager } from "../kv/block-manager.js";
import { FcfsPolicy } from "./fcfs-policy.js";
import { Scheduler, type SchedulerConfig } from "./scheduler.js";
import { Sequence } from "./sequence.js";
import type { StepPlan } from "./step-plan.js";

function setup(numBlocks: number, config: Partial<SchedulerConfig> = {}) {
  const blocks = new BlockManager(numBlocks, 4);
  const s = new Scheduler(
    { maxNumBatchedTokens: 64, maxNumSeqs: 8, maxNumWaiting: 100, ...config },
    blocks,
    new FcfsPolicy(),
  );
  return { s, blocks };
}

function seq(id: string, promptLen: number, maxTokens = 100, arrivalMs = 0): Sequence {
  return new Sequence({
    id,
    promptTokens: Array.from({ length: promptLen }, (_, i) => i + 2),
    maxTokens,
    arrivalMs,
  });
}

/** Runs the plan as an engine would: commit, then one token for each sampled row. */
function runStep(s: Scheduler, plan: StepPlan): void {
  s.commit(plan);
  for (const row of plan.rows) if (row.isSampled) row.seq.appendToken(7);
}

describe("Scheduler (fcfs)", () => {
  it("chunks prefills under the token budget, running sequences first", () => {
    const { s } = setup(100, { maxNumBatchedTokens: 10 });
    const a = seq("a", 25);
    const b = seq("b", 3);
    s.add(a);
    s.add(b);
    let plan = s.schedule(0);
    expect(plan.rows.map((r) => [r.seq.id, r.numNewTokens, r.isSampled])).toEqual([["a", 10, false]]);
    runStep(s, plan);
    plan = s.schedule(1);
    expect(plan.rows.map((r) => [r.seq.id, r.numNewTokens])).toEqual([["a", 10]]);
    runStep(s, plan);
    plan = s.schedule(2);
    expect(plan.rows.map((r) => [r.seq.id, r.numNewTokens, r.isSampled])).toEqual([
      ["a", 5, true],
      ["b", 3, true],
    ]);
    runStep(s, plan);
    plan = s.schedule(3);
    expect(plan.rows.map((r) => [r.seq.id, r.numNewTokens, r.isDecode])).toEqual([
      ["a", 1, true],
      ["b", 1, true],
    ]);
  });

  it("caps running sequences at maxNumSeqs and refuses at the waiting cap", () => {
    const { s } = setup(100, { maxNumSeqs: 2, maxNumWaiting: 3 });
    for (const id of ["a", "b", "c"]) s.add(seq(id, 2));
    expect(s.isQueueFull()).toBe(true);
    const plan = s.schedule(0);
    expect(plan.rows.map((r) => r.seq.id)).toEqual(["a", "b"]);
    expect(s.numWaiting).toBe(1);
    expect(s.isQueueFull()).toBe(false);
  });

  it("preempts the most recently admitted sequence and requeues it first; no admissions that step", () => {
    const { s, blocks } = setup(3);
    const a = seq("a", 4);
    const b = seq("b", 4);
    const c = seq("c", 2);
    s.add(a);
    s.add(b);
    runStep(s, s.schedule(0)); // a and b each take one full block and sample
    s.add(c);
    runStep(s, s.schedule(1)); // decodes need a second block each: a gets the last one, b is preempted
    expect(b.status).toBe("waiting");
    expect(b.numComputedTokens).toBe(0);
    expect(s.waiting.map((x) => x.id)).toEqual(["b", "c"]);
    expect(s.numPreemptionsTotal).toBe(1);
    expect(blocks.blockTable("b")).toBeNull();
    blocks.checkInvariants();
    s.finish(a, 2);
    const plan = s.schedule(2);
    expect(plan.rows.map((r) => [r.seq.id, r.startToken, r.numNewTokens])).toEqual([
      ["b", 0, 5],
      ["c", 0, 2],
    ]);
  });

  it("a lone sequence that cannot grow preempts itself rather than an older one", () => {
    const { s } = setup(2);
    const a = seq("a", 4);
    const b = seq("b", 4);
    s.add(a);
    s.add(b);
    runStep(s, s.schedule(0));
    const plan = s.schedule(1);
    expect(plan.preempted.map((p) => p.seq.id)).toEqual(["b"]);
    expect(plan.rows.map((r) => r.seq.id)).toEqual(["a"]);
  });

  it("finish frees blocks and is idempotent", () => {
    const { s, blocks } = setup(10);
    const a = seq("a", 9);
    s.add(a);
    runStep(s, s.schedule(0));
    expect(blocks.numFreeBlocks).toBe(7);
    s.finish(a, 1);
    s.finish(a, 1);
    expect(blocks.numFreeBlocks).toBe(10);
    expect(s.hasWork()).toBe(false);
  });
});
