/**
 * The boundary between the HTTP server and the engine. The server turns an OpenAI request into
 * one {@link GenerationRequest} per choice and consumes {@link EngineOutput}s; it never sees
 * blocks, steps or the runtime.
 */

/** Per-request sampling settings (already validated by the server). */
export interface SamplingOptions {
  /** 0 = greedy. */
  readonly temperature: number;
  readonly topP: number;
  /** 0 = disabled. */
  readonly topK: number;
  readonly minP: number;
  /** `null` = a random seed chosen by the engine. */
  readonly seed: number | null;
  /** OpenAI semantics: over generated tokens. */
  readonly presencePenalty: number;
  readonly frequencyPenalty: number;
  /** vLLM/HF semantics: over prompt and generated tokens. */
  readonly repetitionPenalty: number;
  /** Token id → additive bias. */
  readonly logitBias: ReadonlyMap<number, number>;
  /** `null` = no logprobs; 0..20 = the sampled token's logprob plus that many alternatives. */
  readonly topLogprobs: number | null;
}

/** A constraint on the output, compiled by the grammar engine (wired in by the server). */
export interface OutputConstraint {
  /** Opaque compiled grammar; the engine creates one matcher per request from it. */
  readonly compiled: unknown;
}

/** One sequence to generate (one OpenAI choice). */
export interface GenerationRequest {
  /** Unique id (the server's request id plus the choice index). */
  readonly id: string;
  readonly promptTokens: readonly number[];
  readonly sampling: SamplingOptions;
  /** Most tokens to generate. */
  readonly maxTokens: number;
  /** EOS and stop strings are ignored until this many tokens exist. */
  readonly minTokens: number;
  /** Stop strings: generation ends before the first occurrence; no partial one is ever emitted. */
  readonly stop: readonly string[];
  readonly stopTokenIds: readonly number[];
  readonly ignoreEos: boolean;
  readonly constraint: OutputConstraint | null;
  /** Tokens per second the client reads (TokenFlow scheduling); `null` = the server default. */
  readonly consumptionRateTokPerS: number | null;
}

/** Why a sequence ended. */
export type FinishReason = "stop" | "length" | "abort" | "error";

/** Log-probability of one emitted token and its alternatives. */
export interface TokenLogprob {
  readonly tokenId: number;
  /** The token's text (its exact bytes decoded; may be a partial character). */
  readonly token: string;
  readonly logprob: number;
  readonly top: readonly { readonly tokenId: number; readonly token: string; readonly logprob: number }[];
}

/**
 * An increment of one sequence's output. `text` is safe to stream: complete UTF-8 characters
 * only, never part of a possible stop string. The last output has `finishReason` set.
 */
export interface EngineOutput {
  readonly text: string;
  /** Ids of the tokens this increment covers. */
  readonly tokenIds: readonly number[];
  /** Present when logprobs were requested: one entry per token in `tokenIds`. */
  readonly logprobs: readonly TokenLogprob[] | null;
  readonly finishReason: FinishReason | null;
  /** For `finishReason: "stop"`: the stop string or token id that matched, if any. */
  readonly stopReason: string | number | null;
  readonly numPromptTokens: number;
  /** Generated so far, this increment included. */
  readonly numOutputTokens: number;
  /** For `finishReason: "error"`: what failed (a ServingError where the cause is known). */
  readonly error?: Error;
}

/** Where a request is: queued, prefilling, running, paused on host, reloading or recomputing its KV. */
export type RequestPhase = "queued" | "prefilling" | "running" | "paused" | "reloading" | "recomputing";

/** One active request as `Engine.snapshot` reports it. */
export interface RequestSnapshot {
  readonly id: string;
  readonly state: RequestPhase;
  /** The reader's rate (the request's `consumption_rate` or the default), tok/s. */
  readonly rateTokPerS: number;
  /** Seconds of reading buffered at the client (server-side model). */
  readonly bufferSec: number;
  readonly numPromptTokens: number;
  readonly numGenerated: number;
  /** Tokens the modelled reader has read. */
  readonly numRead: number;
  /** Seconds the modelled reader waited for tokens. */
  readonly rebufferSec: number;
  /** Arrival to first token, ms; `null` before it. */
  readonly ttftMs: number | null;
  readonly numPreemptions: number;
}
