import type { LlamaModel, Token } from "node-llama-cpp";
import { referenceLlama } from "./llama-cpp.js";

/** What llama.cpp produced for one prompt. */
export interface ReferenceRun {
  /** Greedy tokens, the first sampled right after the prompt. */
  readonly tokens: number[];
  /**
   * llama.cpp's next-token probabilities at the last prompt position (softmax of its raw
   * logits, greedy sampler: the full vocabulary), as ln p per token id (-Infinity when p = 0).
   */
  readonly lastLogProbs: Float64Array;
}

/** Settings that make llama.cpp's arithmetic the one tokenflow reproduces. */
export interface ReferenceOptions {
  /** Vocabulary size of the model (sizes `lastLogProbs`). */
  readonly vocabSize: number;
  readonly threads?: number;
  readonly contextSize?: number;
}

/**
 * Runs llama.cpp (node-llama-cpp, CPU, flash attention off, F16 KV cache) greedily over each
 * prompt for `steps` tokens, one fresh sequence per prompt. The model is unloaded afterwards.
 */
export async function llamaGreedy(
  modelPath: string,
  prompts: readonly (readonly number[])[],
  steps: number,
  opts: ReferenceOptions,
): Promise<ReferenceRun[]> {
  const llama = await referenceLlama();
  const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
  try {
    const out: ReferenceRun[] = [];
    for (const prompt of prompts) out.push(await runPrompt(model, prompt, steps, opts));
    return out;
  } finally {
    await model.dispose();
  }
}

async function runPrompt(
  model: LlamaModel,
  prompt: readonly number[],
  steps: number,
  opts: ReferenceOptions,
): Promise<ReferenceRun> {
  const maxLen = prompt.length + steps + 8;
  const context = await model.createContext({
    contextSize: opts.contextSize ?? Math.max(256, maxLen),
    batchSize: Math.max(256, prompt.length),
    threads: opts.threads ?? 2,
    flashAttention: false,
    sequences: 1,
  });
  try {
    const seq = context.getSequence();
    const greedy = { temperature: 0 };
    const items = prompt.map((t, i) =>
      i === prompt.length - 1
        ? ([t, { generateNext: { token: true, probabilities: true, options: greedy } }] as const)
        : t,
    );
    const first = (await seq.controlledEvaluate(items as Parameters<typeof seq.controlledEvaluate>[0]))[
      prompt.length - 1
    ];
    const next = first?.next;
    if (next?.token === undefined || next.token === null || !next.probabilities)
      throw new Error("llama.cpp returned no token for the prompt");
    const logProbs = new Float64Array(opts.vocabSize).fill(Number.NEGATIVE_INFINITY);
    for (const [id, p] of next.probabilities) logProbs[id] = Math.log(p);
    const tokens: number[] = [next.token];
    for (let i = 1; i < steps; i++) {
      const prev = tokens[i - 1] as Token;
      const r = await seq.controlledEvaluate([[prev, { generateNext: { token: true, options: greedy } }]]);
      const token = r[0]?.next?.token;
      if (token === undefined || token === null) throw new Error(`llama.cpp returned no token at step ${i}`);
      tokens.push(token);
    }
    return { tokens, lastLogProbs: logProbs };
  } finally {
    await context.dispose();
  }
}
