/**
 * Pausing to the host KV tier and resuming (mock runtime with a host tier, which moves the
 * per-slot tokens its fake logits depend on): outputs equal uninterrupted runs, whatever the
 * pause and resume modes, and both tiers return to idle.
 */
import { describe, expect, it } from "vitest";
import { simulateReader } from "../bench/request-metrics.js";
import { MockRuntime } from "../runtime/mock-runtime.js";
import { VirtualClock } from "../runtime/runtime.js";
import { TokenFlowPolicy } from "../scheduler/tokenflow-policy.js";
import { RandomPausePolicy } from "../test-support/random-pause-policy.js";
import { Engine, type EngineOptions } from "./engine.js";
import type { RequestFinishedEvent } from "./engine-events.js";
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

  it("events carry the engine clock; each preemption gets one `resumed` when the request runs again; finishes report the reader's rebuffering", async () => {
    const rate = 150; // tokens/s against 5 ms steps: only pauses make readers wait
    const reqs = requests(12).map((r) => ({ ...r, consumptionRateTokPerS: rate }));
    const policy = new RandomPausePolicy(7);
    const { engine } = makeEngine(40, 64, { policy, maxNumBatchedTokens: 24 });
    const marks = new Map<string, string[]>();
    const tokenMs = new Map<string, number[]>();
    const finished = new Map<string, RequestFinishedEvent>();
    let lastMs = Number.NEGATIVE_INFINITY;
    let ordered = true;
    const mark = (id: string, what: string, timeMs: number) => {
      marks.set(id, [...(marks.get(id) ?? []), what]);
      ordered &&= timeMs >= lastMs;
      lastMs = timeMs;
    };
    const token = (e: { id: string; timeMs: number }) => {
      mark(e.id, "token", e.timeMs);
      tokenMs.set(e.id, [...(tokenMs.get(e.id) ?? []), e.timeMs]);
    };
    engine.events.on("preempted", (e) => mark(e.id, "preempted", e.timeMs));
    engine.events.on("resumed", (e) => mark(e.id, `resumed:${e.mode}`, e.timeMs));
    engine.events.on("firstToken", token);
    engine.events.on("interToken", token);
    engine.events.on("requestFinished", (e) => {
      mark(e.id, "finished", e.timeMs);
      finished.set(e.id, e);
    });
    await Promise.all(reqs.map((r) => engine.submit(r).collect()));
    expect(ordered).toBe(true);
    const resumeModes = new Set<string>();
    let totalRebufferSec = 0;
    for (const r of reqs) {
      // Between a preemption and the next token (or the next preemption) exactly one `resumed`.
      let open = false;
      for (const m of marks.get(r.id) ?? []) {
        if (m === "preempted") {
          expect(open, `${r.id}: preempted twice without resuming`).toBe(false);
          open = true;
        } else if (m.startsWith("resumed:")) {
          expect(open, `${r.id}: resumed without a preemption`).toBe(true);
          open = false;
          resumeModes.add(m);
        } else expect(open, `${r.id}: ${m} while preempted`).toBe(false);
      }
      const times = (tokenMs.get(r.id) ?? []).map((ms) => ms / 1000);
      const e = finished.get(r.id);
      expect(e?.rebufferSec).toBeCloseTo(simulateReader(times, rate).rebufferS, 9);
      totalRebufferSec += e?.rebufferSec ?? 0;
    }
    expect([...resumeModes].sort()).toEqual(["resumed:hybrid", "resumed:recompute", "resumed:reload"]);
    expect(totalRebufferSec).toBeGreaterThan(0);
  });
});
