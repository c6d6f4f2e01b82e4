import { UnsupportedError } from "../errors.js";
import {
  benchPrompt,
  median,
  type RuntimeBenchOptions,
  type RuntimeThroughput,
} from "./runtime-bench-types.js";

type NodeLlamaCpp = typeof import("node-llama-cpp");
type Token = import("node-llama-cpp").Token;
type Sequence = import("node-llama-cpp").LlamaContextSequence;

async function loadPeer(): Promise<NodeLlamaCpp> {
  try {
    return await import("node-llama-cpp");
  } catch {
    throw new UnsupportedError(
      "the llama.cpp peer needs the node-llama-cpp package (a development dependency)",
    );
  }
}

/** Generates `n` greedy tokens after `prompt` on a sequence; resolves when done. */
async function decodeTokens(sequence: Sequence, last: number, n: number): Promise<void> {
  let produced = 0;
  for await (const _token of sequence.evaluate([last as Token], { temperature: 0 })) {
    if (++produced >= n) break;
  }
}

/**
 * The same measurements as `benchOursRuntime`, on llama.cpp through node-llama-cpp (its
 * prebuilt CPU binary, default context settings apart from sizes and threads).
 */
export async function benchLlamaCppRuntime(
  opts: RuntimeBenchOptions,
  vocabSize: number,
): Promise<RuntimeThroughput> {
  const { getLlama, LlamaLogLevel } = await loadPeer();
  const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath: opts.modelPath });
  try {
    const prefill: number[] = [];
    const ctx1 = await model.createContext({
      contextSize: opts.promptTokens + 256,
      batchSize: opts.promptTokens,
      threads: opts.threads,
    });
    for (let r = 0; r < opts.repeat; r++) {
      const seq = ctx1.getSequence();
      const prompt = benchPrompt(opts.promptTokens, vocabSize, opts.seed + r) as Token[];
      const started = performance.now();
      await seq.evaluateWithoutGeneratingNewTokens(prompt);
      prefill.push((opts.promptTokens / (performance.now() - started)) * 1000);
      seq.dispose();
    }
    await ctx1.dispose();
    const decode: Record<string, number> = {};
    for (const c of opts.concurrency) {
      const perSeq = opts.decodePromptTokens + opts.decodeTokens + 16;
      const ctx = await model.createContext({
        contextSize: perSeq * c,
        sequences: c,
        batchSize: Math.max(512, c * opts.decodePromptTokens),
        threads: opts.threads,
      });
      const runs: number[] = [];
      for (let r = 0; r < opts.repeat; r++) {
        const seqs = Array.from({ length: c }, () => ctx.getSequence());
        const prompts = seqs.map((_, i) =>
          benchPrompt(opts.decodePromptTokens, vocabSize, opts.seed + 100 * r + i),
        );
        await Promise.all(
          seqs.map((s, i) =>
            s.evaluateWithoutGeneratingNewTokens((prompts[i] ?? []).slice(0, -1) as Token[]),
          ),
        );
        const started = performance.now();
        await Promise.all(seqs.map((s, i) => decodeTokens(s, prompts[i]?.at(-1) ?? 0, opts.decodeTokens)));
        runs.push(((c * opts.decodeTokens) / (performance.now() - started)) * 1000);
        for (const s of seqs) s.dispose();
      }
      decode[String(c)] = median(runs);
      await ctx.dispose();
    }
    return { prefill: median(prefill), decode };
  } finally {
    await model.dispose();
  }
}
