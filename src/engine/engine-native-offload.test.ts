/**
 * The engine over the native runtime with a host KV tier: random pauses (swap, hybrid,
 * recompute) and resumes (reload, hybrid, recompute) move real KV bytes through the copy
 * thread, and every output equals the request run alone. This is the engine-side check that it
 * keeps the transfer contract the native runner enforces (a violation would reject a step).
 */
import { describe, expect, it } from "vitest";
import { openModel } from "../model/open-model.js";
import { tokenizerForModel } from "../model/tokenizer-for-model.js";
import { NativeRuntime } from "../runtime/native-runtime.js";
import { RandomPausePolicy } from "../test-support/random-pause-policy.js";
import { testModelPath } from "../test-support/test-models.js";
import { Engine } from "./engine.js";
import { GREEDY, makeRequest } from "./engine-test-helpers.js";

describe("Engine on the native runtime with a host tier", () => {
  it("random pauses and resumes through the host tier leave greedy and seeded outputs exact", async () => {
    const model = await openModel(await testModelPath("tinyF32"));
    const tok = tokenizerForModel(model);
    const reqs = Array.from({ length: 10 }, (_, k) =>
      makeRequest(`r${k}`, tok.encode(`Once upon a time ${k} there was`, { addBos: true }), {
        maxTokens: 30 + (k % 7),
        ignoreEos: true,
        sampling: k % 2 === 0 ? GREEDY : { ...GREEDY, temperature: 1, seed: 100 + k },
      }),
    );
    const base = await NativeRuntime.create(model, { kvCacheBytes: 1 << 20, numThreads: 2 });
    const expected: number[][] = [];
    for (const r of reqs)
      expected.push([...(await new Engine({ runtime: base, tokenizer: tok }).submit(r).collect()).tokenIds]);
    base.dispose();
    const blockBytes = base.info.blockBytes;
    for (const seed of [1, 2]) {
      const rt = await NativeRuntime.create(model, {
        kvCacheBytes: 40 * blockBytes,
        hostKvBytes: 64 * blockBytes,
        numThreads: 2,
      });
      try {
        const policy = new RandomPausePolicy(seed);
        const engine = new Engine({ runtime: rt, tokenizer: tok, policy, maxNumBatchedTokens: 24 });
        const outs = await Promise.all(reqs.map((r) => engine.submit(r).collect()));
        expect(outs.map((o) => [...o.tokenIds])).toEqual(expected);
        for (const key of ["pause:swap", "pause:hybrid", "resume:reload", "resume:hybrid"])
          expect(policy.counts.get(key) ?? 0, key).toBeGreaterThan(0);
        expect(engine.stats().numFreeBlocks).toBe(40);
      } finally {
        rt.dispose();
      }
    }
  });
});
