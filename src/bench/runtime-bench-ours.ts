import { openModel } from "../model/open-model.js";
import { generateSequences, kvBytesFor } from "../runtime/generate.js";
import { NativeRunner } from "../runtime/native-runner.js";
import {
  benchPrompt,
  median,
  type RuntimeBenchOptions,
  type RuntimeThroughput,
} from "./runtime-bench-types.js";

/** Prefill and batched-decode throughput of tokenflow's native runtime on one model file. */
export async function benchOursRuntime(opts: RuntimeBenchOptions): Promise<RuntimeThroughput> {
  const model = await openModel(opts.modelPath);
  const maxC = Math.max(...opts.concurrency);
  const perSeq = Math.max(opts.promptTokens + 1, opts.decodePromptTokens + opts.decodeTokens + 1);
  const runner = await NativeRunner.create(model, {
    kvCacheBytes: kvBytesFor(model.spec, Math.max(maxC, 1), perSeq),
    numThreads: opts.threads,
    maxBatchTokens: Math.max(opts.promptTokens, maxC * opts.decodePromptTokens),
  });
  try {
    const vocab = model.spec.vocabSize;
    const noEog = new Set<number>();
    const prefill: number[] = [];
    for (let r = 0; r < opts.repeat; r++) {
      const prompt = benchPrompt(opts.promptTokens, vocab, opts.seed + r);
      const [seq] = await generateSequences(runner, [prompt], { maxTokens: 1, sampling: {}, eogIds: noEog });
      prefill.push((opts.promptTokens / (seq?.prefillMs ?? 1)) * 1000);
    }
    const decode: Record<string, number> = {};
    for (const c of opts.concurrency) {
      const runs: number[] = [];
      for (let r = 0; r < opts.repeat; r++) {
        const prompts = Array.from({ length: c }, (_, i) =>
          benchPrompt(opts.decodePromptTokens, vocab, opts.seed + 100 * r + i),
        );
        const seqs = await generateSequences(runner, prompts, {
          maxTokens: opts.decodeTokens + 1,
          sampling: {},
          eogIds: noEog,
        });
        const s = seqs[0];
        runs.push(((c * (s?.decodeSteps ?? 0)) / (s?.decodeMs ?? 1)) * 1000);
      }
      decode[String(c)] = median(runs);
    }
    return { prefill: median(prefill), decode };
  } finally {
    runner.dispose();
  }
}
