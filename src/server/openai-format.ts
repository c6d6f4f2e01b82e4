/**
 * OpenAI response shapes for both endpoints: whole responses, stream chunks, logprobs and usage,
 * exactly as the OpenAI API writes them.
 */
import type { TokenLogprob } from "../engine/engine-types.js";

/** Token counts of a request (prompt counted once, completions summed over choices). */
export interface Usage {
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly total_tokens: number;
}

/** Builds a usage object. */
export function usageOf(promptTokens: number, completionTokens: number): Usage {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
  };
}

/** `/v1/completions` logprobs (the legacy shape). */
export interface CompletionLogprobs {
  tokens: string[];
  token_logprobs: number[];
  top_logprobs: Record<string, number>[];
  text_offset: number[];
}

/** Appends `logprobs` to a completions logprobs object; `offset` is the text offset of the first. */
export function completionLogprobs(logprobs: readonly TokenLogprob[], offset: number): CompletionLogprobs {
  const out: CompletionLogprobs = { tokens: [], token_logprobs: [], top_logprobs: [], text_offset: [] };
  let at = offset;
  for (const lp of logprobs) {
    out.tokens.push(lp.token);
    out.token_logprobs.push(lp.logprob);
    const top: Record<string, number> = {};
    for (const alt of lp.top) top[alt.token] = alt.logprob;
    out.top_logprobs.push(top);
    out.text_offset.push(at);
    at += lp.token.length;
  }
  return out;
}

/** One token of chat logprobs. */
export interface ChatTokenLogprob {
  token: string;
  logprob: number;
  bytes: number[];
  top_logprobs: { token: string; logprob: number; bytes: number[] }[];
}

function bytesOf(s: string): number[] {
  return [...Buffer.from(s, "utf8")];
}

/** `/v1/chat/completions` logprobs `content` entries. */
export function chatLogprobs(logprobs: readonly TokenLogprob[], numTop: number): ChatTokenLogprob[] {
  return logprobs.map((lp) => ({
    token: lp.token,
    logprob: lp.logprob,
    bytes: bytesOf(lp.token),
    top_logprobs: lp.top
      .slice(0, numTop)
      .map((alt) => ({ token: alt.token, logprob: alt.logprob, bytes: bytesOf(alt.token) })),
  }));
}

/** The fields every response and chunk starts with. */
export interface ResponseHead {
  readonly id: string;
  readonly object: string;
  readonly created: number;
  readonly model: string;
}
