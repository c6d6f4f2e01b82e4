/**
 * The parameters `/v1/completions` and `/v1/chat/completions` share (sampling, limits, stop
 * conditions, n, streaming), read and range-checked, and turned into engine requests.
 */
import type { GenerationRequest, OutputConstraint, SamplingOptions } from "../engine/engine-types.js";
import { ApiError, InvalidArgumentError } from "../errors.js";
import { nestedFields, type RequestFields, show, typeError } from "./request-fields.js";
import type { ServedModel } from "./served-model.js";
import { type ConstraintCompiler, readConstraint } from "./structured-output.js";

/** Limits on what one request may ask for. */
export interface RequestLimits {
  /** Largest `n`. */
  readonly maxN: number;
  /** Most stop strings, and most stop token ids. */
  readonly maxStops: number;
}

/** Shared parameters of one request, validated. */
export interface GenerationParams {
  readonly n: number;
  readonly stream: boolean;
  readonly includeUsage: boolean;
  /** Requested output limit; `null` = up to the end of the context. */
  readonly maxTokens: number | null;
  /** Which parameter gave `maxTokens` (for error messages). */
  readonly maxTokensParam: string;
  readonly minTokens: number;
  readonly stop: readonly string[];
  readonly stopTokenIds: readonly number[];
  readonly ignoreEos: boolean;
  /** `consumption_rate`: the client's reading rate (tok/s); `null` = the server default. */
  readonly consumptionRateTokPerS: number | null;
  /** Sampling without `topLogprobs` (that one is endpoint-specific). */
  readonly sampling: Omit<SamplingOptions, "topLogprobs">;
  readonly constraint: OutputConstraint | null;
}

function readStop(fields: RequestFields, limits: RequestLimits): string[] {
  const v = fields.raw("stop");
  if (v === undefined) return [];
  const list = typeof v === "string" ? [v] : v;
  if (!Array.isArray(list) || !list.every((s) => typeof s === "string")) {
    typeError("stop", "a string or an array of strings", v);
  }
  if (list.length > limits.maxStops) {
    throw new InvalidArgumentError(
      `'stop' may hold at most ${limits.maxStops} strings, got ${list.length}`,
      "stop",
    );
  }
  if (list.some((s) => s.length === 0 || s.length > 1024)) {
    throw new InvalidArgumentError("each 'stop' string must hold 1 to 1024 characters", "stop");
  }
  return list as string[];
}

function readTokenIds(fields: RequestFields, name: string, vocabSize: number, maxLen: number): number[] {
  const v = fields.raw(name);
  if (v === undefined) return [];
  if (!Array.isArray(v) || !v.every((id) => Number.isSafeInteger(id)))
    typeError(name, "an array of token ids", v);
  if (v.length > maxLen) throw new InvalidArgumentError(`'${name}' may hold at most ${maxLen} ids`, name);
  for (const id of v as number[]) {
    if (id < 0 || id >= vocabSize) {
      throw new InvalidArgumentError(
        `'${name}': ${id} is not a token id (vocabulary size ${vocabSize})`,
        name,
      );
    }
  }
  return v as number[];
}

function readLogitBias(fields: RequestFields, vocabSize: number): Map<number, number> {
  const obj = fields.optObject("logit_bias");
  const bias = new Map<number, number>();
  if (obj === undefined) return bias;
  for (const [key, value] of Object.entries(obj)) {
    const id = Number(key);
    if (!/^\d+$/.test(key) || id >= vocabSize) {
      throw new InvalidArgumentError(
        `'logit_bias': key ${show(key)} is not a token id (vocabulary size ${vocabSize})`,
        "logit_bias",
      );
    }
    if (typeof value !== "number" || !Number.isFinite(value) || value < -100 || value > 100) {
      throw new InvalidArgumentError(
        `'logit_bias': the bias of token ${key} must be a number in [-100, 100], got ${show(value)}`,
        "logit_bias",
      );
    }
    bias.set(id, value);
  }
  return bias;
}

/** A client seed (any safe integer) folded into the engine's unsigned 32-bit seed space. */
function normaliseSeed(seed: number | undefined): number | null {
  if (seed === undefined) return null;
  return ((seed % 2 ** 32) + 2 ** 32) % 2 ** 32;
}

function readSampling(fields: RequestFields, vocabSize: number): Omit<SamplingOptions, "topLogprobs"> {
  const topK = fields.int("top_k", 0, { min: -1, max: vocabSize });
  return {
    temperature: fields.number("temperature", 1, { min: 0, max: 2 }),
    topP: fields.number("top_p", 1, { min: 0, minExclusive: true, max: 1 }),
    topK: topK === -1 ? 0 : topK,
    minP: fields.number("min_p", 0, { min: 0, max: 1 }),
    seed: normaliseSeed(fields.optInt("seed")),
    presencePenalty: fields.number("presence_penalty", 0, { min: -2, max: 2 }),
    frequencyPenalty: fields.number("frequency_penalty", 0, { min: -2, max: 2 }),
    repetitionPenalty: fields.number("repetition_penalty", 1, { min: 0, minExclusive: true, max: 10 }),
    logitBias: readLogitBias(fields, vocabSize),
  };
}

function readStreamOptions(fields: RequestFields, stream: boolean): boolean {
  const so = fields.optObject("stream_options");
  if (so === undefined) return false;
  if (!stream) {
    throw new InvalidArgumentError(
      "'stream_options' is only allowed when 'stream' is true",
      "stream_options",
    );
  }
  const f = nestedFields("stream_options", so);
  const include = f.bool("stream_options.include_usage", false);
  f.bool("stream_options.continuous_usage_stats", false);
  f.rejectUnknown();
  return include;
}

/** Accepts parameters that are metadata only (they change nothing about generation). */
function readMetadataOnly(fields: RequestFields): void {
  fields.optString("user");
  fields.optObject("metadata");
  fields.bool("store", false);
  fields.optString("service_tier");
  const tools = fields.raw("tools");
  if (tools !== undefined && (!Array.isArray(tools) || tools.length > 0)) {
    throw new UnsupportedParam("tools", "tool calling is not supported");
  }
  const choice = fields.raw("tool_choice");
  if (choice !== undefined && choice !== "none")
    throw new UnsupportedParam("tool_choice", "tool calling is not supported");
  fields.bool("parallel_tool_calls", true);
}

/** Highest `consumption_rate` (tok/s): far above any human reader, so a typo gets a 400. */
export const MAX_CONSUMPTION_RATE_TOK_PER_S = 1000;

/** `consumption_rate`: how fast the client reads (tok/s, > 0); absent or null = the server default. */
function readConsumptionRate(fields: RequestFields): number | null {
  if (!fields.has("consumption_rate")) {
    fields.raw("consumption_rate");
    return null;
  }
  return fields.number("consumption_rate", 0, {
    min: 0,
    minExclusive: true,
    max: MAX_CONSUMPTION_RATE_TOK_PER_S,
  });
}

/** A parameter tokenflow understands but does not implement. */
class UnsupportedParam extends InvalidArgumentError {
  constructor(param: string, why: string) {
    super(`'${param}' is not supported: ${why}`, param);
  }
}

/**
 * Reads the shared parameters. `maxTokensParams` lists the names of the output limit, preferred
 * first (chat: `max_completion_tokens`, `max_tokens`).
 */
export async function readGenerationParams(
  fields: RequestFields,
  model: ServedModel,
  limits: RequestLimits,
  maxTokensParams: readonly string[],
  compiler: ConstraintCompiler | null,
): Promise<GenerationParams> {
  let maxTokens: number | null = null;
  let maxTokensParam = maxTokensParams[0] ?? "max_tokens";
  for (const name of maxTokensParams) {
    const v = fields.optInt(name, { min: 1 });
    if (v !== undefined && maxTokens === null) {
      maxTokens = v;
      maxTokensParam = name;
    }
  }
  const n = fields.int("n", 1, { min: 1, max: limits.maxN });
  const stream = fields.bool("stream", false);
  const minTokens = fields.int("min_tokens", 0, { min: 0, max: maxTokens ?? model.contextLength });
  readMetadataOnly(fields);
  return {
    n,
    stream,
    includeUsage: readStreamOptions(fields, stream),
    maxTokens,
    maxTokensParam,
    minTokens,
    stop: readStop(fields, limits),
    stopTokenIds: readTokenIds(fields, "stop_token_ids", model.vocabSize, limits.maxStops),
    ignoreEos: fields.bool("ignore_eos", false),
    consumptionRateTokPerS: readConsumptionRate(fields),
    sampling: readSampling(fields, model.vocabSize),
    constraint: await readConstraint(fields, compiler),
  };
}

/**
 * Checks the prompt against the context and builds one engine request per choice (ids
 * `${requestId}-${index}`; seeded choices get seed + index so that they differ).
 * @throws ApiError `context_length_exceeded` naming `promptParam` or the max-tokens parameter.
 */
export function buildEngineRequests(
  requestId: string,
  promptTokens: readonly number[],
  params: GenerationParams,
  topLogprobs: number | null,
  model: ServedModel,
  promptParam: string,
): GenerationRequest[] {
  const room = model.contextLength - promptTokens.length;
  if (promptTokens.length === 0) throw new InvalidArgumentError(`'${promptParam}' is empty`, promptParam);
  if (room < 1 || (params.maxTokens !== null && params.maxTokens > room)) {
    const asked =
      params.maxTokens === null ? "" : ` + ${params.maxTokens} output tokens ('${params.maxTokensParam}')`;
    throw new ApiError(
      "context_length_exceeded",
      `this model's maximum context length is ${model.contextLength} tokens, but the request has ` +
        `${promptTokens.length} prompt tokens${asked}; shorten the prompt or lower '${params.maxTokensParam}'`,
      { param: params.maxTokens !== null && room >= 1 ? params.maxTokensParam : promptParam },
    );
  }
  const maxTokens = params.maxTokens ?? room;
  return Array.from({ length: params.n }, (_, index) => ({
    id: `${requestId}-${index}`,
    promptTokens,
    sampling: {
      ...params.sampling,
      seed: params.sampling.seed === null ? null : (params.sampling.seed + index) % 2 ** 32,
      topLogprobs,
    },
    maxTokens,
    minTokens: Math.min(params.minTokens, maxTokens),
    stop: params.stop,
    stopTokenIds: params.stopTokenIds,
    ignoreEos: params.ignoreEos,
    constraint: params.constraint,
    consumptionRateTokPerS: params.consumptionRateTokPerS,
  }));
}
