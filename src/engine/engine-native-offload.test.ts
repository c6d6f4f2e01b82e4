/**
 * The engine over the native runtime with a host KV tier: random pauses (swap, hybrid,
 * recompute) and resumes (reload, hybrid, recompute) move real KV bytes through the copy
 * thread, and every output equals the request run alone. This is the engine-side check that it
 * keeps the transfer contract the native runner enforces (a violation would reject a step).
 */
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import type { CompiledGrammar } from "../grammar/compiled-grammar.js";
import { grammarFromJsonSchema } from "../grammar/front-ends.js";
import { GrammarCompiler } from "../grammar/grammar-compiler.js";
import { GrammarMatcher } from "../grammar/grammar-matcher.js";
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

  it("JSON-schema-constrained streams paused and resumed at random still validate", async () => {
    const model = await openModel(await testModelPath("llama3TinyUntied"));
    const tok = tokenizerForModel(model);
    const schema = {
      type: "object",
      properties: {
        name: { type: "string", maxLength: 12 },
        n: { type: "integer", minimum: 0, maximum: 999 },
        tags: { type: "array", items: { enum: ["a", "b", "c"] }, maxItems: 3 },
      },
      required: ["name", "n", "tags"],
      additionalProperties: false,
    };
    const compiled = new GrammarCompiler(tok.info).compile(grammarFromJsonSchema(schema).ast);
    const validate = new Ajv().compile(schema);
    // Temperature 2 over the untied model's nearly flat logits: varied, valid JSON under the mask.
    const reqs = Array.from({ length: 8 }, (_, k) =>
      makeRequest(`j${k}`, tok.encode(`JSON ${k}:`, { addBos: true }), {
        maxTokens: 120,
        sampling: { ...GREEDY, temperature: 2, seed: 7 + k },
        constraint: { compiled },
      }),
    );
    const factory = (c: { compiled: unknown }) => new GrammarMatcher(c.compiled as CompiledGrammar);
    const base = await NativeRuntime.create(model, { kvCacheBytes: 8 << 20, numThreads: 2 });
    const alone: string[] = [];
    for (const r of reqs)
      alone.push(
        (
          await new Engine({ runtime: base, tokenizer: tok, constraintMatcherFactory: factory })
            .submit(r)
            .collect()
        ).text,
      );
    const blockBytes = base.info.blockBytes;
    base.dispose();
    const rt = await NativeRuntime.create(model, {
      kvCacheBytes: 24 * blockBytes,
      hostKvBytes: 64 * blockBytes,
      numThreads: 2,
    });
    try {
      const policy = new RandomPausePolicy(5, 0.2, 0.4);
      const engine = new Engine({ runtime: rt, tokenizer: tok, policy, constraintMatcherFactory: factory });
      const outs = await Promise.all(reqs.map((r) => engine.submit(r).collect()));
      expect(outs.map((o) => o.text)).toEqual(alone);
      for (const o of outs) {
        expect(o.final.finishReason).toBe("stop");
        expect(validate(JSON.parse(o.text)), o.text).toBe(true);
      }
      expect(
        (policy.counts.get("pause:swap") ?? 0) + (policy.counts.get("pause:hybrid") ?? 0),
      ).toBeGreaterThan(0);
    } finally {
      rt.dispose();
    }
  });
});
