/**
 * Pausing to the host KV tier and resuming (mock runtime with a host tier, which moves the
 * per-slot tokens its fake logits depend on): outputs equal uninterrupted runs, whatever the
 * pause and resume modes, and both tiers return to idle.
 */
import { describe, expect, it } from "vitest";
import { MockRuntime } from "../runtime/mock-runtime.js";
import { VirtualClock } from "../runtime/runtime.js";
import { TokenFlowPolicy } from "../scheduler/tokenflow-policy.js";
import { RandomPausePolicy } from "../test-support/random-pause-policy.js";
import { Engine, type EngineOptions } from "./engine.js";
import { GREEDY, makeRequest } from "./engine-test-helpers.js";
import type { GenerationRequest } from "./engine-types.js";
import { createTestTokenizer } from "./test-tokenizer.js";

const tok = createTestTokenizer();

function makeEngine(numBlocks: number, numHostBlocks: number, opts: Partial<EngineOptions> = {}) {
  const clock = new VirtualClock();
  const runtime = new MockRuntime({ numBlocks, numHostBlocks, blockTokens: 4, clock, stepMs: () => 5 });
  return { engine: new Engine({ runtime, tokenizer: tok, clock, ...opts }), runtime };
}

function prompt(k: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => 2 + ((k * 37 + i * 11) % 100));
}

function requests(n: number): GenerationRequest[] {
  return Array.from({ length: n }, (_, k) =>
    makeRequest(`r${k}`, prompt(k, 3 + ((k * 5) % 17)), {
      maxTokens: 20 + (k % 13),
      ignoreEos: true,
      sampling: k % 2 === 0 ? GREEDY : { ...GREEDY, temperature: 1, seed: 100 + k },
    }),
  );
}

async function alone(reqs: readonly GenerationRequest[]): Promise<number[][]> {
  const out: number[][] = [];
  for (const r of reqs) out.push([...(await makeEngine(64, 0).engine.submit(r).collect()).tokenIds]);
  return out;
}

describe("Engine with a host KV tier", () => {
  it("random pauses (swap, hybrid, recompute) and resumes (reload, hybrid, recompute) leave outputs exact", async () => {
    const reqs = requests(12);
    const expected = await alone(reqs);
    for (const seed of [1, 2, 3]) {
      const policy = new RandomPausePolicy(seed);
      const { engine, runtime } = makeEngine(40, 64, { policy, maxNumBatchedTokens: 24 });
      const outs = await Promise.all(reqs.map((r) => engine.submit(r).collect()));
      expect(outs.map((o) => [...o.tokenIds])).toEqual(expected);
      for (const key of ["pause:swap", "pause:hybrid", "pause:recompute", "resume:reload", "resume:hybrid"])
        expect(policy.counts.get(key) ?? 0, key).toBeGreaterThan(0);
      expect(runtime.numBlocksCopied.store).toBeGreaterThan(0);
      expect(runtime.numBlocksCopied.load).toBeGreaterThan(0);
      const stats = engine.stats();
      expect(stats.numFreeBlocks).toBe(stats.numBlocks);
      expect(stats.hostTier?.numFreeBlocks).toBe(64);
      engine.offload?.checkInvariants();
    }
  });

  it("TokenFlow pauses requests with comfortable buffers to admit new ones, outputs exact", async () => {
    const reqs = requests(16).map((r) => ({ ...r, maxTokens: 60, consumptionRateTokPerS: 5 }));
    const expected = await alone(reqs);
    const policy = new TokenFlowPolicy({ scheduleIntervalMs: 50, bufferSafetyFactor: 1 });
    const { engine } = makeEngine(48, 256, { policy, maxNumSeqs: 4 });
    const modes: string[] = [];
    engine.events.on("preempted", (p) => modes.push(p.mode));
    const resumed: string[] = [];
    engine.events.on("resumed", (r) => resumed.push(r.mode));
    const outs = await Promise.all(reqs.map((r) => engine.submit(r).collect()));
    expect(outs.map((o) => [...o.tokenIds])).toEqual(expected);
    expect(modes.filter((m) => m !== "recompute").length).toBeGreaterThan(0);
    expect(resumed.length).toBeGreaterThan(0);
    expect(engine.stats().hostTier?.counters.numWriteThroughBytes).toBeGreaterThan(0);
    expect(engine.stats().numFreeBlocks).toBe(48);
  });
});
