/**
 * Reading a `POST /v1/completions` body for the node-llama-cpp peer server. It accepts what the
 * benchmark sends (token-id prompts, `ignore_eos`, `seed`) and, unlike tokenflow's own server,
 * ignores fields it does not know (e.g. `consumption_rate`), as most OpenAI-compatible servers do.
 */
import { ContextLengthExceededError, InvalidArgumentError } from "../errors.js";
import { RequestFields, show, typeError } from "../server/request-fields.js";

/** What the peer needs to know about its model to check a request. */
export interface PeerModelLimits {
  /** Token ids must be below this. */
  readonly vocabSize: number;
  /** Tokens one sequence holds: prompt plus output must fit. */
  readonly contextSize: number;
  /** Text prompt to token ids (with BOS when the model wants one). */
  tokenize(text: string): number[];
}

/** One validated completion request. */
export interface PeerCompletionRequest {
  /** The prompt as token ids (owned by the request). */
  readonly promptTokens: number[];
  /** Most tokens to generate (OpenAI default 16). */
  readonly maxTokens: number;
  /** 0 = greedy (OpenAI default 1). */
  readonly temperature: number;
  /** Nucleus mass, 1 = off. */
  readonly topP: number;
  /** 0 = off. */
  readonly topK: number;
  /** Sampling seed, `undefined` = random. */
  readonly seed: number | undefined;
  /** Keep generating past end-of-generation tokens until `maxTokens`. */
  readonly ignoreEos: boolean;
  readonly stream: boolean;
  /** Send a final usage chunk (`stream_options.include_usage`). */
  readonly includeUsage: boolean;
}

function readPromptTokens(fields: RequestFields, limits: PeerModelLimits): number[] {
  let v = fields.raw("prompt");
  if (v === undefined) throw new InvalidArgumentError("'prompt' is required", "prompt");
  if (Array.isArray(v) && v.length === 1 && (typeof v[0] === "string" || Array.isArray(v[0]))) v = v[0];
  if (typeof v === "string") {
    const tokens = limits.tokenize(v);
    if (tokens.length === 0) throw new InvalidArgumentError("'prompt' is empty", "prompt");
    return tokens;
  }
  if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === "number")) {
    typeError("prompt", "a string or a non-empty array of token ids", v);
  }
  for (const id of v as number[]) {
    if (!Number.isSafeInteger(id) || id < 0 || id >= limits.vocabSize) {
      throw new InvalidArgumentError(
        `'prompt': ${show(id)} is not a token id (vocabulary size ${limits.vocabSize})`,
        "prompt",
      );
    }
  }
  return [...(v as number[])];
}

function readStreamOptions(fields: RequestFields, stream: boolean): boolean {
  const options = fields.optObject("stream_options");
  if (options === undefined) return false;
  if (!stream) throw new InvalidArgumentError("'stream_options' needs 'stream': true", "stream_options");
  const include = options.include_usage;
  if (include === undefined || include === null) return false;
  if (typeof include !== "boolean") typeError("stream_options.include_usage", "a boolean", include);
  return include;
}

/**
 * Validates a request body.
 * @throws InvalidArgumentError (400) on a missing or malformed field;
 *   ContextLengthExceededError (400) when prompt plus `max_tokens` exceed a sequence's context.
 */
export function readPeerCompletion(body: unknown, limits: PeerModelLimits): PeerCompletionRequest {
  const fields = new RequestFields(body);
  fields.optString("model"); // any name: the peer serves one model
  const promptTokens = readPromptTokens(fields, limits);
  const maxTokens = fields.int("max_tokens", 16, { min: 1 });
  const n = fields.int("n", 1, { min: 1 });
  if (n !== 1) throw new InvalidArgumentError("'n' other than 1 is not supported", "n");
  if (fields.has("stop")) throw new InvalidArgumentError("'stop' is not supported", "stop");
  const stream = fields.bool("stream", false);
  const request: PeerCompletionRequest = {
    promptTokens,
    maxTokens,
    temperature: fields.number("temperature", 1, { min: 0, max: 2 }),
    topP: fields.number("top_p", 1, { min: 0, minExclusive: true, max: 1 }),
    topK: fields.int("top_k", 0, { min: 0 }),
    seed: fields.optInt("seed", { min: 0, max: 0xffff_ffff }),
    ignoreEos: fields.bool("ignore_eos", false),
    stream,
    includeUsage: readStreamOptions(fields, stream),
  };
  if (promptTokens.length + maxTokens > limits.contextSize) {
    throw new ContextLengthExceededError(
      `prompt (${promptTokens.length} tokens) plus max_tokens (${maxTokens}) exceed the context of ` +
        `a sequence (${limits.contextSize} tokens)`,
    );
  }
  return request;
}
