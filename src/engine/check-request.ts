import { ContextLengthExceededError, InvalidArgumentError } from "../errors.js";
import type { GenerationRequest } from "./engine-types.js";

/** The limits a request is checked against at submission. */
export interface RequestLimits {
  readonly vocabSize: number;
  /** Longest prompt + max tokens (the model's context). */
  readonly maxModelLen: number;
  /** Tokens the whole KV pool holds (a request must fit alone). */
  readonly kvCacheTokens: number;
  readonly blockTokens: number;
}

/**
 * Throws InvalidArgumentError for a malformed request and ContextLengthExceededError when its
 * prompt plus max tokens exceed the context or the KV pool (it could never run).
 */
export function checkRequest(r: GenerationRequest, limits: RequestLimits): void {
  if (r.promptTokens.length === 0) throw new InvalidArgumentError("the prompt must not be empty", "prompt");
  const vocab = limits.vocabSize;
  for (const id of r.promptTokens)
    if (!Number.isInteger(id) || id < 0 || id >= vocab)
      throw new InvalidArgumentError(`prompt token ${id} is not in [0, ${vocab})`, "prompt");
  if (!Number.isInteger(r.maxTokens) || r.maxTokens < 1)
    throw new InvalidArgumentError("max_tokens must be an integer >= 1", "max_tokens");
  if (!Number.isInteger(r.minTokens) || r.minTokens < 0)
    throw new InvalidArgumentError("min_tokens must be an integer >= 0", "min_tokens");
  checkSampling(r, vocab);
  const total = r.promptTokens.length + r.maxTokens;
  if (total > limits.maxModelLen)
    throw new ContextLengthExceededError(
      `prompt (${r.promptTokens.length} tokens) plus max_tokens (${r.maxTokens}) exceeds the context of ${limits.maxModelLen} tokens`,
    );
  const kvTokens = Math.ceil(total / limits.blockTokens) * limits.blockTokens;
  if (kvTokens > limits.kvCacheTokens)
    throw new ContextLengthExceededError(
      `prompt plus max_tokens (${total} tokens) exceeds the KV cache (${limits.kvCacheTokens} tokens)`,
    );
}

function fail(param: string, what: string): never {
  throw new InvalidArgumentError(`${param} ${what}`, param);
}

/**
 * Sampling settings the runtime would reject. Checked here so that one bad request fails alone
 * instead of failing the whole step it would share with others.
 */
function checkSampling(r: GenerationRequest, vocab: number): void {
  const s = r.sampling;
  const isId = (id: number) => Number.isInteger(id) && id >= 0 && id < vocab;
  if (!(Number.isFinite(s.temperature) && s.temperature >= 0)) fail("temperature", "must be >= 0");
  if (!(s.topP > 0 && s.topP <= 1)) fail("top_p", "must be in (0, 1]");
  if (!(Number.isInteger(s.topK) && s.topK >= 0)) fail("top_k", "must be an integer >= 0 (0 = disabled)");
  if (!(s.minP >= 0 && s.minP <= 1)) fail("min_p", "must be in [0, 1]");
  if (!(Number.isFinite(s.repetitionPenalty) && s.repetitionPenalty > 0))
    fail("repetition_penalty", "must be > 0");
  if (!Number.isFinite(s.presencePenalty)) fail("presence_penalty", "must be a finite number");
  if (!Number.isFinite(s.frequencyPenalty)) fail("frequency_penalty", "must be a finite number");
  if (s.seed !== null && !Number.isSafeInteger(s.seed)) fail("seed", "must be a safe integer");
  if (
    s.topLogprobs !== null &&
    !(Number.isInteger(s.topLogprobs) && s.topLogprobs >= 0 && s.topLogprobs <= 20)
  )
    fail("top_logprobs", "must be an integer in [0, 20]");
  for (const [id, bias] of s.logitBias)
    if (!isId(id) || Number.isNaN(bias)) fail("logit_bias", `has an invalid entry ${id}: ${bias}`);
  for (const id of r.stopTokenIds)
    if (!isId(id)) fail("stop_token_ids", `has token ${id} outside [0, ${vocab})`);
}
