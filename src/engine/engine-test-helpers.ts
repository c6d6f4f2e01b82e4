import type { GenerationRequest, SamplingOptions } from "./engine-types.js";

/** Greedy sampling with every option neutral (tests and benchmarks). */
export const GREEDY: SamplingOptions = {
  temperature: 0,
  topP: 1,
  topK: 0,
  minP: 0,
  seed: null,
  presencePenalty: 0,
  frequencyPenalty: 0,
  repetitionPenalty: 1,
  logitBias: new Map(),
  topLogprobs: null,
};

/** A request with neutral defaults (greedy, 16 tokens, no stops), overridden by `over`. */
export function makeRequest(
  id: string,
  promptTokens: readonly number[],
  over: Partial<GenerationRequest> = {},
): GenerationRequest {
  return {
    id,
    promptTokens,
    sampling: GREEDY,
    maxTokens: 16,
    minTokens: 0,
    stop: [],
    stopTokenIds: [],
    ignoreEos: false,
    constraint: null,
    consumptionRateTokPerS: null,
    ...over,
  };
}
