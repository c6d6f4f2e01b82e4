/**
 * The engine on the native runtime and a tiny generated model: batching, chunking and
 * preemption never change a request's greedy output.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type OpenedModel, openModel } from "../model/open-model.js";
import type { Tokenizer } from "../model/tokenizer.js";
import { tokenizerForModel } from "../model/tokenizer-for-model.js";
import { NativeRuntime } from "../runtime/native-runtime.js";
import { testModelPath } from "../test-support/test-models.js";
import { Engine, type EngineOptions } from "./engine.js";
import { GREEDY, makeRequest } from "./engine-test-helpers.js";
import type { GenerationRequest } from "./engine-types.js";

const TEXTS = [
  "Once upon a time",
  "The quick brown fox jumps over the lazy dog",
  "In a hole in the ground there lived a hobbit.",
  "Hello",
  "It was the best of times, it was the worst of times, it was the age of wisdom",
  "Call me Ishmael.",
  "A B C D E F G",
  "Lorem ipsum dolor sit amet, consectetur adipiscing elit",
];

describe("Engine (native runtime, tiny model)", () => {
  let model: OpenedModel;
  let tok: Tokenizer;
  const runtimes: NativeRuntime[] = [];

  beforeAll(async () => {
    model = await openModel(await testModelPath("tinyF32"));
    tok = tokenizerForModel(model);
  });
  afterAll(() => {
    for (const r of runtimes) r.dispose();
  });

  async function engineWith(kvCacheBytes: number, opts: Partial<EngineOptions> = {}): Promise<Engine> {
    const runtime = await NativeRuntime.create(model, { kvCacheBytes, numThreads: 2 });
    runtimes.push(runtime);
    return new Engine({ runtime, tokenizer: tok, ...opts });
  }

  function requests(n: number, maxTokens: number): GenerationRequest[] {
    return Array.from({ length: n }, (_, k) => {
      const text = `${TEXTS[k % TEXTS.length]} ${k}`;
      return makeRequest(`r${k}`, tok.encode(text, { addBos: true }), {
        maxTokens: maxTokens + (k % 5),
        ignoreEos: true,
      });
    });
  }

  async function alone(engine: Engine, reqs: readonly GenerationRequest[]): Promise<number[][]> {
    const out: number[][] = [];
    for (const r of reqs) out.push((await engine.submit(r).collect()).tokenIds);
    return out;
  }

  it("32 concurrent greedy requests each equal the request run alone", async () => {
    const reqs = requests(32, 12);
    const single = await alone(await engineWith(1 << 20), reqs);
    const engine = await engineWith(1 << 20);
    let maxRows = 0;
    engine.events.on("step", (s) => {
      maxRows = Math.max(maxRows, s.numRows);
    });
    const outs = await Promise.all(reqs.map((r) => engine.submit(r).collect()));
    expect(outs.map((o) => o.tokenIds)).toEqual(single);
    expect(outs.every((o) => o.final.finishReason === "length")).toBe(true);
    expect(outs.map((o) => o.text)).toEqual(
      single.map((ids) => tok.decode(ids, { skipSpecial: true, stripLeadingSpace: false })),
    );
    expect(maxRows).toBe(32);
    expect(engine.blocks.numFreeBlocks).toBe(engine.blocks.numBlocks);
  });

  it("chunked prefill (5-token budget) equals whole-prompt prefill", async () => {
    const reqs = requests(4, 8);
    const whole = await alone(await engineWith(1 << 20), reqs);
    const engine = await engineWith(1 << 20, { maxNumBatchedTokens: 5 });
    const outs = await Promise.all(reqs.map((r) => engine.submit(r).collect()));
    expect(outs.map((o) => o.tokenIds)).toEqual(whole);
  });

  it("preemption under a tiny KV pool recomputes to identical greedy output", async () => {
    const reqs = requests(6, 24);
    const single = await alone(await engineWith(1 << 20), reqs);
    const engine = await engineWith(14 * 4096);
    expect(engine.blocks.numBlocks).toBe(14);
    const outs = await Promise.all(reqs.map((r) => engine.submit(r).collect()));
    expect(engine.stats().numPreemptionsTotal).toBeGreaterThan(0);
    expect(outs.map((o) => o.tokenIds)).toEqual(single);
    expect(engine.blocks.numFreeBlocks).toBe(14);
  });

  it("seeded sampling is reproducible across batch compositions", async () => {
    const p = tok.encode("Once upon a time", { addBos: true });
    const sampling = { ...GREEDY, temperature: 0.9, topP: 0.95, seed: 7, topLogprobs: 2 };
    const solo = await (await engineWith(1 << 20))
      .submit(makeRequest("s", p, { sampling, maxTokens: 12, ignoreEos: true }))
      .collect();
    const engine = await engineWith(1 << 20);
    const outs = await Promise.all(
      [7, 7, 8].map((seed, i) =>
        engine
          .submit(
            makeRequest(`s${i}`, p, { sampling: { ...sampling, seed }, maxTokens: 12, ignoreEos: true }),
          )
          .collect(),
      ),
    );
    expect(outs[0]?.tokenIds).toEqual(solo.tokenIds);
    expect(outs[1]?.tokenIds).toEqual(solo.tokenIds);
    expect(outs[2]?.tokenIds).not.toEqual(solo.tokenIds);
    expect(solo.outputs.flatMap((o) => o.logprobs ?? []).every((lp) => lp.top.length === 2)).toBe(true);
  });
});
