/** `POST /v1/completions`. */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { EngineOutput } from "../engine/engine-types.js";
import { InvalidArgumentError, UnsupportedError } from "../errors.js";
import { type ChoiceState, type EndpointFormat, runGeneration } from "./generation-driver.js";
import { buildEngineRequests, readGenerationParams } from "./generation-params.js";
import { completionLogprobs } from "./openai-format.js";
import { checkModel, newRequestId } from "./request-common.js";
import { RequestFields, show, typeError } from "./request-fields.js";
import type { ServedModel } from "./served-model.js";
import type { ServerContext } from "./server-context.js";

function isIdList(v: unknown): v is number[] {
  return Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === "number");
}

function checkIds(ids: number[], model: ServedModel): number[] {
  for (const id of ids) {
    if (!Number.isSafeInteger(id) || id < 0 || id >= model.vocabSize) {
      throw new InvalidArgumentError(
        `'prompt': ${show(id)} is not a token id (vocabulary size ${model.vocabSize})`,
        "prompt",
      );
    }
  }
  return ids;
}

/** The prompt as token ids: a string, a list of ids, or a list holding one of those. */
function readPrompt(fields: RequestFields, model: ServedModel): { tokens: number[]; text: string } {
  let v = fields.raw("prompt");
  if (v === undefined) throw new InvalidArgumentError("'prompt' is required", "prompt");
  if (Array.isArray(v) && v.length === 1 && (typeof v[0] === "string" || Array.isArray(v[0]))) v = v[0];
  if (Array.isArray(v) && v.length > 1 && v.every((x) => typeof x === "string" || Array.isArray(x))) {
    throw new InvalidArgumentError("'prompt': only one prompt per request is supported", "prompt");
  }
  const tokenizer = model.tokenizer;
  if (typeof v === "string") {
    if (!tokenizer) throw new UnsupportedError("this model has no tokenizer: send 'prompt' as token ids");
    return {
      tokens: tokenizer.encode(v, { addBos: model.addBos && tokenizer.bosId !== null, parseSpecial: true }),
      text: v,
    };
  }
  if (!isIdList(v)) typeError("prompt", "a string, an array of token ids, or an array of one of those", v);
  const tokens = checkIds(v, model);
  return { tokens, text: tokenizer ? tokenizer.decode(tokens) : "" };
}

function completionFormat(echoText: string, topLogprobs: number | null): EndpointFormat {
  const lp = (output: EngineOutput, state: ChoiceState) =>
    topLogprobs === null || !output.logprobs
      ? null
      : completionLogprobs(output.logprobs, echoText.length + state.text.length - output.text.length);
  return {
    name: "completions",
    object: "text_completion",
    chunkObject: "text_completion",
    startChunks: (index) =>
      echoText ? [{ index, text: echoText, logprobs: null, finish_reason: null }] : [],
    chunkChoice: (index, output, state) =>
      output.text === "" && !output.logprobs?.length
        ? null
        : { index, text: output.text, logprobs: lp(output, state), finish_reason: null },
    finishChoice: (index, state) => ({ index, text: "", logprobs: null, finish_reason: state.finishReason }),
    fullChoice: (index, state) => ({
      index,
      text: echoText + state.text,
      logprobs: topLogprobs === null ? null : completionLogprobs(state.logprobs, echoText.length),
      finish_reason: state.finishReason,
    }),
  };
}

/** Handles one completions request. */
export async function handleCompletion(
  ctx: ServerContext,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<unknown> {
  const arrivalMs = performance.now();
  const fields = new RequestFields(request.body);
  checkModel(fields, ctx.model);
  const prompt = readPrompt(fields, ctx.model);
  const topLogprobs = fields.optInt("logprobs", { min: 0, max: 20 }) ?? null;
  const echo = fields.bool("echo", false);
  if (echo && topLogprobs !== null) {
    throw new InvalidArgumentError("'echo' with 'logprobs' is not supported (no prompt logprobs)", "echo");
  }
  const suffix = fields.optString("suffix");
  if (suffix) throw new InvalidArgumentError("'suffix' is not supported", "suffix");
  const params = await readGenerationParams(fields, ctx.model, ctx.limits, ["max_tokens"], ctx.compiler);
  const bestOf = fields.optInt("best_of", { min: 1, max: ctx.limits.maxN });
  if (bestOf !== undefined && bestOf !== params.n) {
    throw new InvalidArgumentError("'best_of' other than 'n' is not supported", "best_of");
  }
  fields.rejectUnknown();
  const id = newRequestId("cmpl");
  const requests = buildEngineRequests(id, prompt.tokens, params, topLogprobs, ctx.model, "prompt");
  const format = completionFormat(echo ? prompt.text : "", topLogprobs);
  return runGeneration(ctx, { id, arrivalMs, promptTokens: prompt.tokens, requests, params, format }, reply);
}
