/**
 * Exactness of the native runtime against llama.cpp (node-llama-cpp 3.21.1, CPU, flash attention
 * off, F16 KV cache) on the same GGUF files: identical greedy tokens for 64 steps from several
 * prompts, and last-prompt-position logits compared through llama.cpp's probabilities.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openModel } from "../model/open-model.js";
import { llamaGreedy, type ReferenceRun } from "../test-support/llama-reference.js";
import { generateAlone, TestBlocks, topTwoMargin } from "../test-support/runner-harness.js";
import { storiesGgufPath, type TestModelName, testModelPath } from "../test-support/test-models.js";
import { NativeRunner } from "./native-runner.js";

const STEPS = 64;
const BASE_PROMPTS: readonly (readonly number[])[] = [
  [1, 450, 4996, 17354, 1701, 432],
  [1, 15043, 29892, 920],
  [1, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61],
];

/**
 * Largest |logit difference| at the last prompt position, recovered from llama.cpp's
 * probabilities: logits are compared relative to our argmax token, over tokens with ln p > -60
 * (float noise of exp/log there is ~1e-6).
 */
function maxLogitDiff(ours: Float32Array, ref: ReferenceRun): number {
  let top = 0;
  for (let i = 1; i < ours.length; i++) if ((ours[i] as number) > (ours[top] as number)) top = i;
  const lpTop = ref.lastLogProbs[top] as number;
  let max = 0;
  for (let i = 0; i < ours.length; i++) {
    const lp = ref.lastLogProbs[i] as number;
    if (!(lp > -60)) continue;
    const d = Math.abs((ours[i] as number) - (ours[top] as number) - (lp - lpTop));
    if (d > max) max = d;
  }
  return max;
}

async function compare(path: string, prompts: readonly (readonly number[])[]): Promise<void> {
  const model = await openModel(path);
  const vocab = model.spec.vocabSize;
  const ref = await llamaGreedy(path, prompts, STEPS, { vocabSize: vocab, threads: 2 });
  const runner = await NativeRunner.create(model, { kvCacheBytes: 64 << 20 });
  try {
    const blocks = new TestBlocks(runner.info.numBlocks);
    for (const [p, prompt] of prompts.entries()) {
      const seq = await generateAlone(runner, blocks, prompt, STEPS);
      const expected = (ref[p] as ReferenceRun).tokens;
      const diff = maxLogitDiff(seq.logits[0] as Float32Array, ref[p] as ReferenceRun);
      const mismatch = seq.generated.findIndex((t, i) => t !== expected[i]);
      const margin = mismatch >= 0 ? topTwoMargin(seq.logits[mismatch] as Float32Array) : null;
      const minMargin = Math.min(...seq.logits.map(topTwoMargin));
      console.log(
        `parity ${model.spec.name} prompt ${p}: tokens ${mismatch < 0 ? "identical" : `differ at step ${mismatch} (our top-2 margin ${margin})`}, ` +
          `max |logit diff| ${diff.toExponential(2)}, smallest top-2 margin ${minMargin.toExponential(2)}`,
      );
      expect(
        seq.generated,
        `prompt ${p}: first mismatch at step ${mismatch}, our top-2 margin there ${margin}`,
      ).toEqual(expected);
      expect(diff).toBeLessThan(1e-4);
    }
  } finally {
    runner.dispose();
  }
}

const prompts = (vocab: number) => BASE_PROMPTS.map((p) => p.map((t) => t % vocab));

describe("native runtime vs llama.cpp: greedy tokens and logits", () => {
  const paths = new Map<string, string>();
  beforeAll(async () => {
    for (const name of ["tinyF32", "tinyQ8", "qwen2F16", "qwen3F16", "benchShaped"] as TestModelName[]) {
      paths.set(name, await testModelPath(name));
    }
  });
  afterAll(() => paths.clear());

  it("tiny llama, F32", async () => compare(paths.get("tinyF32") as string, prompts(32000)));
  it("tiny llama, Q8_0", async () => compare(paths.get("tinyQ8") as string, prompts(32000)));
  it("Qwen2 architecture (QKV bias, NeoX rope, tied embeddings), F16", async () =>
    compare(paths.get("qwen2F16") as string, prompts(32000)));
  it("Qwen3 architecture (q/k norm), F16", async () =>
    compare(paths.get("qwen3F16") as string, prompts(32000)));
  it("bench-shaped (Qwen2.5-0.5B layers, qwen3 vocabulary), F16", async () =>
    compare(paths.get("benchShaped") as string, prompts(151669).slice(0, 2)));
});

describe("native runtime vs llama.cpp on trained weights", async () => {
  const stories = await storiesGgufPath();
  it.skipIf(stories === null)("stories260K converted to GGUF", async () =>
    compare(stories as string, prompts(512)),
  );
});
