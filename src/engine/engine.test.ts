import { describe, expect, it } from "vitest";
import { EngineStoppedError, QueueFullError } from "../errors.js";
import { MockRuntime, type MockRuntimeOptions } from "../runtime/mock-runtime.js";
import { VirtualClock } from "../runtime/runtime.js";
import type { ConstraintMatcher } from "./constraint.js";
import { Engine, type EngineOptions } from "./engine.js";
import type { RequestFinishedEvent } from "./engine-events.js";
import { GREEDY, makeRequest } from "./engine-test-helpers.js";
import type { GenerationRequest } from "./engine-types.js";
import { createTestTokenizer } from "./test-tokenizer.js";

const tok = createTestTokenizer();

function makeEngine(
  mock: Partial<MockRuntimeOptions> = {},
  opts: Partial<EngineOptions> = {},
): { engine: Engine; runtime: MockRuntime; clock: VirtualClock } {
  const clock = new VirtualClock();
  const runtime = new MockRuntime({ numBlocks: 256, blockTokens: 4, clock, stepMs: () => 5, ...mock });
  const engine = new Engine({ runtime, tokenizer: tok, clock, ...opts });
  return { engine, runtime, clock };
}

/** Prompt of `n` tokens derived from `k` (distinct prompts, never EOS/BOS). */
function prompt(k: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => 2 + ((k * 31 + i * 7) % 100));
}

/** A script that makes the model emit `pieces` after a prompt of `promptLen` tokens, then `fallback`. */
function scripted(promptLen: number, ids: readonly number[], fallback = tok.idOf("x")) {
  return (ctx: readonly number[]) => ids[ctx.length - promptLen] ?? fallback;
}

async function run(engine: Engine, req: GenerationRequest) {
  return engine.submit(req).collect();
}

describe("Engine (mock runtime)", () => {
  it("generates max_tokens greedy tokens and finishes with length", async () => {
    const { engine } = makeEngine();
    const r = await run(engine, makeRequest("a", prompt(1, 9), { maxTokens: 12, ignoreEos: true }));
    expect(r.tokenIds).toHaveLength(12);
    expect(r.final.finishReason).toBe("length");
    expect(r.final.numOutputTokens).toBe(12);
    expect(r.final.numPromptTokens).toBe(9);
    expect(r.text).toBe(tok.decode(r.tokenIds, { skipSpecial: true }));
    expect(engine.blocks.numFreeBlocks).toBe(engine.blocks.numBlocks);
  });

  it("continuous batching: 32 concurrent requests each equal the request run alone", async () => {
    const reqs = Array.from({ length: 32 }, (_, k) =>
      makeRequest(`r${k}`, prompt(k, 3 + (k % 11)), { maxTokens: 5 + (k % 7), ignoreEos: true }),
    );
    const alone = [];
    for (const r of reqs) alone.push((await run(makeEngine().engine, r)).tokenIds);
    const { engine } = makeEngine({}, { maxNumBatchedTokens: 40 });
    let maxRows = 0;
    engine.events.on("step", (s) => {
      maxRows = Math.max(maxRows, s.numRows);
    });
    const together = await Promise.all(reqs.map((r) => run(engine, r)));
    expect(together.map((t) => t.tokenIds)).toEqual(alone);
    expect(maxRows).toBeGreaterThan(8);
    expect(engine.stats().numFreeBlocks).toBe(engine.blocks.numBlocks);
  });

  it("chunked prefill gives the same output as whole-prompt prefill", async () => {
    const req = makeRequest("c", prompt(3, 50), { maxTokens: 10, ignoreEos: true });
    const whole = await run(makeEngine().engine, req);
    const { engine } = makeEngine({}, { maxNumBatchedTokens: 7 });
    let steps = 0;
    engine.events.on("step", () => steps++);
    const chunked = await run(engine, req);
    expect(chunked.tokenIds).toEqual(whole.tokenIds);
    expect(steps).toBeGreaterThanOrEqual(Math.ceil(50 / 7) + 9);
  });

  it("preempts under a tiny KV pool and recomputes to identical greedy output", async () => {
    const reqs = Array.from({ length: 6 }, (_, k) =>
      makeRequest(`p${k}`, prompt(k, 10), { maxTokens: 20, ignoreEos: true }),
    );
    const alone = [];
    for (const r of reqs) alone.push((await run(makeEngine().engine, r)).tokenIds);
    const { engine } = makeEngine({ numBlocks: 20 });
    const preempted: string[] = [];
    engine.events.on("preempted", (e) => preempted.push(e.id));
    const together = await Promise.all(reqs.map((r) => run(engine, r)));
    expect(together.map((t) => t.tokenIds)).toEqual(alone);
    expect(preempted.length).toBeGreaterThan(0);
    expect(engine.stats().numPreemptionsTotal).toBe(preempted.length);
    // FCFS: the most recently admitted request is the victim, never the oldest.
    expect(preempted).not.toContain("p0");
    expect(engine.blocks.numFreeBlocks).toBe(20);
    engine.blocks.checkInvariants();
  });

  it("abort frees the request's blocks within one step (engine.abort and leaving the stream)", async () => {
    const { engine } = makeEngine();
    const a = engine.submit(makeRequest("a", prompt(1, 20), { maxTokens: 1000, ignoreEos: true }));
    const b = engine.submit(makeRequest("b", prompt(2, 20), { maxTokens: 1000, ignoreEos: true }));
    let n = 0;
    for await (const o of a) {
      n += o.tokenIds.length;
      if (n >= 3) break; // leaving the loop aborts "a"
    }
    const outs = [];
    for await (const o of b) {
      outs.push(o);
      if (outs.length === 2) expect(engine.abort("b")).toBe(true);
    }
    expect(outs[outs.length - 1]?.finishReason).toBe("abort");
    expect(engine.hasRequest("a")).toBe(false);
    expect(engine.abort("a")).toBe(false);
    expect(engine.blocks.numFreeBlocks).toBe(engine.blocks.numBlocks);
    expect(engine.stats().numRunning + engine.stats().numWaiting).toBe(0);
  });

  it("aborts a waiting request at once", async () => {
    const { engine } = makeEngine({}, { maxNumSeqs: 1 });
    const a = engine.submit(makeRequest("a", prompt(1, 4), { maxTokens: 5, ignoreEos: true }));
    const b = engine.submit(makeRequest("b", prompt(2, 4), { maxTokens: 5, ignoreEos: true }));
    engine.abort("b");
    expect((await b.collect()).final.finishReason).toBe("abort");
    expect((await a.collect()).final.finishReason).toBe("length");
  });

  it("stop strings: split across tokens, never partially streamed, text cut before the stop", async () => {
    const ids = tok.encode("Hello world ST").concat(tok.encode("OP tail"));
    const { engine } = makeEngine({ script: scripted(2, ids) });
    const r = await run(engine, makeRequest("s", [1, 2], { maxTokens: 30, stop: ["STOP"] }));
    expect(r.text).toBe("Hello world ");
    expect(r.final.finishReason).toBe("stop");
    expect(r.final.stopReason).toBe("STOP");
    for (const o of r.outputs) expect(o.text).not.toMatch(/S/);
    expect(r.tokenIds).toEqual(ids.slice(0, tok.encode("Hello world ST").length + 1));
  });

  it("stop strings: a held-back prefix that does not complete is emitted later", async () => {
    const ids = tok.encode("aST.b");
    const { engine } = makeEngine({ script: scripted(1, ids) });
    const r = await run(engine, makeRequest("s", [2], { maxTokens: 4, stop: ["STOP", "zz"] }));
    expect(r.text).toBe("aST.b");
    expect(r.final.finishReason).toBe("length");
    expect(r.outputs.map((o) => o.text)).toEqual(["a", "ST.", "b"]);
  });

  it("min_tokens: EOS is masked until then, stop strings ignored until then", async () => {
    const { engine } = makeEngine({ script: () => tok.eosId });
    const r = await run(engine, makeRequest("m", [2, 3], { maxTokens: 30, minTokens: 5 }));
    expect(r.final.finishReason).toBe("stop");
    expect(r.tokenIds).toHaveLength(6);
    expect(r.tokenIds.slice(0, 5)).not.toContain(tok.eosId);
    expect(r.tokenIds[5]).toBe(tok.eosId);
    const ids = tok.encode("STOPabcSTOP");
    const { engine: e2 } = makeEngine({ script: scripted(1, ids) });
    const r2 = await run(e2, makeRequest("m2", [2], { maxTokens: 30, minTokens: 3, stop: ["STOP"] }));
    expect(r2.text).toBe("STOPabc");
  });

  it("EOS ends with stop unless ignore_eos; stop_token_ids end with that id", async () => {
    const ids = [...tok.encode("abc"), tok.eosId, ...tok.encode("de")];
    const { engine } = makeEngine({ script: scripted(1, ids) });
    const r = await run(engine, makeRequest("e", [2], { maxTokens: 10 }));
    expect([r.text, r.final.finishReason, r.final.stopReason]).toEqual(["abc", "stop", null]);
    const r2 = await run(engine, makeRequest("e2", [2], { maxTokens: 6, ignoreEos: true }));
    expect([r2.text, r2.final.finishReason]).toEqual(["abcdex", "length"]);
    const c = tok.idOf("c");
    const r3 = await run(engine, makeRequest("e3", [2], { maxTokens: 10, stopTokenIds: [c] }));
    expect([r3.text, r3.final.finishReason, r3.final.stopReason]).toEqual(["abc", "stop", c]);
  });

  it("streams a character split across byte tokens whole", async () => {
    const [c3, a9, e2, x82, xac] = tok.byteIds as [number, number, number, number, number];
    const ids = [tok.idOf("a"), c3, a9, e2, x82, xac, tok.idOf("b")];
    const { engine } = makeEngine({ script: scripted(1, ids) });
    const r = await run(engine, makeRequest("u", [2], { maxTokens: 7 }));
    expect(r.text).toBe("aé€b");
    expect(r.outputs.map((o) => o.text)).toEqual(["a", "é", "€", "b"]);
    for (const o of r.outputs) expect(o.text).not.toContain("\uFFFD");
  });

  it("seeded sampling is reproducible; independent requests (n > 1) differ by seed", async () => {
    const sampled = (seed: number | null) => ({ ...GREEDY, temperature: 1, seed });
    const { engine } = makeEngine();
    const p = prompt(5, 6);
    const outs = await Promise.all(
      [42, 42, 43, null, null].map((seed, i) =>
        run(engine, makeRequest(`n${i}`, p, { sampling: sampled(seed), maxTokens: 20, ignoreEos: true })),
      ),
    );
    const [a, b, c] = outs.map((o) => o.tokenIds);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    const again = await run(
      makeEngine().engine,
      makeRequest("x", p, { sampling: sampled(42), maxTokens: 20, ignoreEos: true }),
    );
    expect(again.tokenIds).toEqual(a);
  });

  it("reports logprobs with top alternatives", async () => {
    const { engine } = makeEngine();
    const r = await run(
      engine,
      makeRequest("l", prompt(1, 4), {
        sampling: { ...GREEDY, topLogprobs: 3 },
        maxTokens: 5,
        ignoreEos: true,
      }),
    );
    const lps = r.outputs.flatMap((o) => o.logprobs ?? []);
    expect(lps).toHaveLength(5);
    for (const [i, lp] of lps.entries()) {
      expect(lp.tokenId).toBe(r.tokenIds[i]);
      expect(lp.top).toHaveLength(3);
      expect(lp.top[0]?.tokenId).toBe(lp.tokenId);
      expect(lp.logprob).toBeLessThanOrEqual(0);
      expect(lp.token).toBe(tok.decode([lp.tokenId]));
    }
  });

  it("refuses requests when the queue is full, too long, or the engine stopped", async () => {
    const { engine } = makeEngine({ numBlocks: 8 }, { maxNumWaiting: 2 });
    engine.submit(makeRequest("q1", [2], { maxTokens: 3 }));
    engine.submit(makeRequest("q2", [2], { maxTokens: 3 }));
    expect(() => engine.submit(makeRequest("q3", [2]))).toThrow(QueueFullError);
    expect(() => engine.submit(makeRequest("big", [2], { maxTokens: 40 }))).toThrow(/KV cache/);
    expect(() => engine.submit(makeRequest("bad", [500]))).toThrow(/prompt token/);
    const bad = (sampling: Partial<typeof GREEDY>) =>
      makeRequest("s", [2], { sampling: { ...GREEDY, ...sampling } });
    expect(() => engine.submit(bad({ seed: 1.5 }))).toThrow(/seed/);
    expect(() => engine.submit(bad({ topP: 0 }))).toThrow(/top_p/);
    expect(() => engine.submit(bad({ logitBias: new Map([[999, 1]]) }))).toThrow(/logit_bias/);
    expect(() => engine.submit(makeRequest("s", [2], { stopTokenIds: [-1] }))).toThrow(/stop_token_ids/);
    await engine.stop(1000);
    expect(() => engine.submit(makeRequest("late", [2]))).toThrow(EngineStoppedError);
  });

  it("a constraint matcher masks tokens; a failing request does not stop the others", async () => {
    const a = tok.idOf("a");
    const b = tok.idOf("b");
    const factory = (c: { compiled: unknown }): ConstraintMatcher => {
      let n = 0;
      const bad = c.compiled === "bad";
      return {
        fillNextTokenMask(mask, row) {
          const words = Math.ceil(tok.vocabSize / 32);
          mask.fill(0, row * words, (row + 1) * words);
          for (const id of [a, b])
            mask[row * words + (id >> 5)] = (mask[row * words + (id >> 5)] as number) | (1 << (id & 31));
        },
        acceptToken: () => !bad && ++n > 0,
        isTerminated: () => n >= 4,
      };
    };
    const { engine } = makeEngine({}, { constraintMatcherFactory: factory });
    const [good, bad, plain] = await Promise.all([
      run(engine, makeRequest("g", prompt(1, 3), { constraint: { compiled: "ok" }, maxTokens: 10 })),
      run(engine, makeRequest("b", prompt(2, 3), { constraint: { compiled: "bad" }, maxTokens: 10 })),
      run(engine, makeRequest("p", prompt(3, 3), { maxTokens: 10, ignoreEos: true })),
    ]);
    expect(good.text).toMatch(/^[ab]{4}$/);
    expect(good.final.finishReason).toBe("stop");
    expect(bad.final.finishReason).toBe("error");
    expect(bad.final.error?.message).toMatch(/constraint/);
    expect(plain.final.finishReason).toBe("length");
    expect(engine.blocks.numFreeBlocks).toBe(engine.blocks.numBlocks);
  });

  it("a failing runtime step fails only that step's requests; the loop goes on", async () => {
    const { engine, runtime } = makeEngine();
    const realStep = runtime.step.bind(runtime);
    let calls = 0;
    runtime.step = (input) => (++calls === 2 ? Promise.reject(new Error("boom")) : realStep(input));
    const r1 = await run(engine, makeRequest("f", prompt(1, 3), { maxTokens: 5, ignoreEos: true }));
    expect(r1.final.finishReason).toBe("error");
    const r2 = await run(engine, makeRequest("ok", prompt(1, 3), { maxTokens: 5, ignoreEos: true }));
    expect(r2.final.finishReason).toBe("length");
  });

  it("stop(grace) finishes or aborts in-flight requests and reports TTFT / ITL in clock time", async () => {
    const { engine } = makeEngine({ stepMs: () => 10 });
    const ttft: number[] = [];
    const itl: number[] = [];
    engine.events.on("firstToken", (e) => ttft.push(e.ttftMs));
    engine.events.on("interToken", (e) => itl.push(e.itlMs));
    const short = engine.submit(makeRequest("s", prompt(1, 3), { maxTokens: 2, ignoreEos: true }));
    const long = engine.submit(makeRequest("l", prompt(2, 3), { maxTokens: 900, ignoreEos: true }));
    await engine.stop(100);
    expect((await short.collect()).final.finishReason).toBe("length");
    const l = await long.collect();
    expect(l.final.finishReason).toBe("abort");
    expect(l.final.numOutputTokens).toBeLessThan(20);
    expect(ttft).toEqual([10, 10]);
    expect(itl.every((x) => x === 10)).toBe(true);
    expect(engine.stats().kvCacheUsage).toBe(0);
  });
  it("a matcher that throws while filling its mask fails only its request", async () => {
    const factory = (): ConstraintMatcher => ({
      fillNextTokenMask() {
        throw new Error("mask exploded");
      },
      acceptToken: () => true,
      isTerminated: () => false,
    });
    const { engine } = makeEngine({}, { constraintMatcherFactory: factory });
    const [bad, ok] = await Promise.all([
      run(engine, makeRequest("x", prompt(1, 3), { constraint: { compiled: 1 }, maxTokens: 5 })),
      run(engine, makeRequest("y", prompt(2, 3), { maxTokens: 5, ignoreEos: true })),
    ]);
    expect(bad.final.finishReason).toBe("error");
    expect(bad.final.error?.message).toMatch(/mask exploded/);
    expect(ok.final.finishReason).toBe("length");
    expect(engine.blocks.numFreeBlocks).toBe(engine.blocks.numBlocks);
  });

  it("min_tokens also holds back stop_token_ids", async () => {
    const c = tok.idOf("c");
    const { engine } = makeEngine({ script: () => c });
    const r = await run(engine, makeRequest("m", [2], { maxTokens: 10, minTokens: 3, stopTokenIds: [c] }));
    expect(r.tokenIds).toHaveLength(4);
    expect(r.tokenIds.slice(0, 3)).not.toContain(c);
    expect(r.final.stopReason).toBe(c);
  });

  it("emits requestFinished with queue time, TTFT and preemptions", async () => {
    const { engine } = makeEngine({ stepMs: () => 10 }, { maxNumSeqs: 1 });
    const done: RequestFinishedEvent[] = [];
    engine.events.on("requestFinished", (e) => done.push(e));
    await Promise.all([
      run(engine, makeRequest("a", [2, 3], { maxTokens: 3, ignoreEos: true })),
      run(engine, makeRequest("b", [2, 3], { maxTokens: 3, ignoreEos: true })),
    ]);
    expect(done.map((d) => [d.id, d.finishReason, d.queueMs, d.ttftMs, d.e2eMs, d.numOutputTokens])).toEqual([
      ["a", "length", 0, 10, 30, 3],
      ["b", "length", 30, 40, 60, 3],
    ]);
  });
});
