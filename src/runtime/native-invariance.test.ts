/**
 * Batch and chunking invariance of the native runtime: a request's logits (hence its greedy
 * tokens) are bit-identical alone, among 16 decodes, while other requests prefill in the same
 * steps, and whatever the prefill chunk size.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openModel } from "../model/open-model.js";
import {
  generateAlone,
  newSequence,
  sameBits,
  stepSequences,
  TestBlocks,
  type TestSequence,
} from "../test-support/runner-harness.js";
import { type TestModelName, testModelPath } from "../test-support/test-models.js";
import { NativeRunner } from "./native-runner.js";

const STEPS = 20;
const PROMPT = [
  1, 450, 4996, 17354, 1701, 432, 338, 263, 1243, 29889, 13, 306, 763, 7375, 29892, 322, 372, 29879, 29901,
];

/** A deterministic pseudo-random prompt. */
function prompt(seed: number, length: number, vocab: number): number[] {
  let x = seed * 2654435761;
  return Array.from({ length }, () => {
    x = (x * 1103515245 + 12345) >>> 0;
    return x % vocab;
  });
}

function expectSameLogits(actual: TestSequence, expected: TestSequence, what: string): void {
  expect(actual.generated, what).toEqual(expected.generated);
  for (const [i, row] of expected.logits.entries()) {
    expect(sameBits(actual.logits[i] as Float32Array, row), `${what}: logits of step ${i} differ`).toBe(true);
  }
}

for (const name of ["qwen2F16", "tinyQ8"] as TestModelName[]) {
  describe(`invariance (${name})`, () => {
    let runner: NativeRunner;
    let blocks: TestBlocks;
    let vocab: number;
    let alone: TestSequence;
    beforeAll(async () => {
      const model = await openModel(await testModelPath(name));
      runner = await NativeRunner.create(model, { kvCacheBytes: 32 << 20 });
      blocks = new TestBlocks(runner.info.numBlocks);
      vocab = model.spec.vocabSize;
      alone = await generateAlone(runner, blocks, PROMPT, STEPS);
    });
    afterAll(() => runner?.dispose());

    it("is bit-identical among 16 sequences prefilled and decoded together", async () => {
      const seqs = [newSequence(blocks, PROMPT, STEPS)];
      for (let i = 1; i < 16; i++)
        seqs.push(newSequence(blocks, prompt(i, 3 + ((i * 7) % 29), vocab), STEPS));
      while ((seqs[0] as TestSequence).generated.length < STEPS) await stepSequences(runner, seqs);
      expectSameLogits(seqs[0] as TestSequence, alone, "batched");
    });

    it("is bit-identical while other requests prefill in chunks in the same steps", async () => {
      const target = newSequence(blocks, PROMPT, STEPS);
      const others: TestSequence[] = [];
      while (target.generated.length < STEPS) {
        // A new request arrives every third step and prefills in chunks of 5 beside the target.
        if (target.generated.length % 3 === 0 && others.length < 8) {
          others.push(newSequence(blocks, prompt(100 + others.length, 11 + others.length * 3, vocab), STEPS));
        }
        const active = others.filter((s) => s.generated.length < 2);
        await stepSequences(runner, [...active, target], 5);
      }
      expectSameLogits(target, alone, "mixed with prefills");
    });

    it.each([1, 2, 3, 7, 16, 17])(
      "prefill in chunks of %i is bit-identical to whole-prompt prefill",
      async (chunk) => {
        const chunked = await generateAlone(runner, blocks, PROMPT, STEPS, chunk);
        expectSameLogits(chunked, alone, `chunk ${chunk}`);
      },
    );
  });
}

describe("kernel levels and KV types", () => {
  let path: string;
  beforeAll(async () => {
    path = await testModelPath("tinyF32");
  });

  it("AVX2 and scalar kernels give the same greedy tokens and close logits", async () => {
    const model = await openModel(path);
    const results = [];
    for (const isa of ["auto", "avx2", "scalar"] as const) {
      const runner = await NativeRunner.create(model, { kvCacheBytes: 8 << 20, isa });
      results.push(await generateAlone(runner, new TestBlocks(runner.info.numBlocks), PROMPT, 12));
      runner.dispose();
    }
    const [best, ...others] = results as [TestSequence, ...TestSequence[]];
    for (const other of others) {
      expect(other.generated).toEqual(best.generated);
      const a = best.logits[0] as Float32Array;
      const b = other.logits[0] as Float32Array;
      let max = 0;
      for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] as number) - (b[i] as number)));
      expect(max).toBeLessThan(1e-4);
    }
  });

  it("runs with an F32 KV cache (twice the block bytes) and stays close to F16", async () => {
    const model = await openModel(path);
    const f16 = await NativeRunner.create(model, { kvCacheBytes: 8 << 20 });
    const f32 = await NativeRunner.create(model, { kvCacheBytes: 8 << 20, kvDtype: "f32" });
    expect(f32.info.blockBytes).toBe(2 * f16.info.blockBytes);
    const a = await generateAlone(f16, new TestBlocks(f16.info.numBlocks), PROMPT, 1);
    const b = await generateAlone(f32, new TestBlocks(f32.info.numBlocks), PROMPT, 1);
    const la = a.logits[0] as Float32Array;
    const lb = b.logits[0] as Float32Array;
    let max = 0;
    for (let i = 0; i < la.length; i++) max = Math.max(max, Math.abs((la[i] as number) - (lb[i] as number)));
    expect(max).toBeGreaterThan(0);
    expect(max).toBeLessThan(5e-2);
    f16.dispose();
    f32.dispose();
  });
});
