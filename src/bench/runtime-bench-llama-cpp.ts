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
type LlamaModel = import("node-llama-cpp").LlamaModel;

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

/** One timed prefill of a `promptTokens` prompt on a fresh context; tokens/s. */
async function prefillRun(
  model: LlamaModel,
  opts: RuntimeBenchOptions,
  vocabSize: number,
  r: number,
): Promise<number> {
  const ctx = await model.createContext({
    contextSize: opts.promptTokens + 256,
    batchSize: opts.promptTokens,
    threads: opts.threads,
  });
  try {
    const prompt = benchPrompt(opts.promptTokens, vocabSize, opts.seed + r) as Token[];
    const started = performance.now();
    await ctx.getSequence().evaluateWithoutGeneratingNewTokens(prompt);
    return (opts.promptTokens / (performance.now() - started)) * 1000;
  } finally {
    await ctx.dispose();
  }
}

/** One timed decode run of `c` concurrent sequences on a fresh context; aggregate tokens/s. */
async function decodeRun(
  model: LlamaModel,
  opts: RuntimeBenchOptions,
  vocabSize: number,
  c: number,
  r: number,
): Promise<number> {
  const perSeq = opts.decodePromptTokens + opts.decodeTokens + 16;
  const ctx = await model.createContext({
    contextSize: perSeq * c,
    sequences: c,
    batchSize: Math.max(512, c * opts.decodePromptTokens),
    threads: opts.threads,
  });
  try {
    const seqs = Array.from({ length: c }, () => ctx.getSequence());
    const prompts = seqs.map((_, i) =>
      benchPrompt(opts.decodePromptTokens, vocabSize, opts.seed + 100 * r + i),
    );
    await Promise.all(
      seqs.map((s, i) => s.evaluateWithoutGeneratingNewTokens((prompts[i] ?? []).slice(0, -1) as Token[])),
    );
    const started = performance.now();
    await Promise.all(seqs.map((s, i) => decodeTokens(s, prompts[i]?.at(-1) ?? 0, opts.decodeTokens)));
    return ((c * opts.decodeTokens) / (performance.now() - started)) * 1000;
  } finally {
    await ctx.dispose();
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
    for (let r = 0; r < opts.repeat; r++) prefill.push(await prefillRun(model, opts, vocabSize, r));
    const decode: Record<string, number> = {};
    for (const c of opts.concurrency) {
      const runs: number[] = [];
      for (let r = 0; r < opts.repeat; r++) runs.push(await decodeRun(model, opts, vocabSize, c, r));
      decode[String(c)] = median(runs);
    }
    return { prefill: median(prefill), decode };
  } finally {
    await model.dispose();
  }
}
