/** `POST /v1/chat/completions`. */
import type { FastifyReply, FastifyRequest } from "fastify";
import { InvalidArgumentError, UnsupportedError } from "../errors.js";
import { chatPromptTokens, readMessages } from "./chat-template.js";
import type { EndpointFormat } from "./generation-driver.js";
import { runGeneration } from "./generation-driver.js";
import { buildEngineRequests, readGenerationParams } from "./generation-params.js";
import { chatLogprobs } from "./openai-format.js";
import { checkModel, newRequestId } from "./request-common.js";
import { RequestFields } from "./request-fields.js";
import type { ServerContext } from "./server-context.js";

function chatFormat(topLogprobs: number | null): EndpointFormat {
  const lp = (list: Parameters<typeof chatLogprobs>[0] | null) =>
    topLogprobs === null || !list ? null : { content: chatLogprobs(list, topLogprobs), refusal: null };
  return {
    name: "chat",
    object: "chat.completion",
    chunkObject: "chat.completion.chunk",
    startChunks: (index) => [
      { index, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null },
    ],
    chunkChoice: (index, output) =>
      output.text === "" && !output.logprobs?.length
        ? null
        : { index, delta: { content: output.text }, logprobs: lp(output.logprobs), finish_reason: null },
    finishChoice: (index, state) => ({ index, delta: {}, logprobs: null, finish_reason: state.finishReason }),
    fullChoice: (index, state) => ({
      index,
      message: { role: "assistant", content: state.text, refusal: null },
      logprobs: lp(state.logprobs),
      finish_reason: state.finishReason,
    }),
  };
}

function readTopLogprobs(fields: RequestFields): number | null {
  const logprobs = fields.bool("logprobs", false);
  const top = fields.optInt("top_logprobs", { min: 0, max: 20 });
  if (top !== undefined && !logprobs) {
    throw new InvalidArgumentError("'top_logprobs' requires 'logprobs' to be true", "top_logprobs");
  }
  return logprobs ? (top ?? 0) : null;
}

/** Handles one chat completions request. */
export async function handleChat(
  ctx: ServerContext,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<unknown> {
  const arrivalMs = performance.now();
  const fields = new RequestFields(request.body);
  checkModel(fields, ctx.model);
  const messages = readMessages(fields.raw("messages"));
  const addGenerationPrompt = fields.bool("add_generation_prompt", true);
  const topLogprobs = readTopLogprobs(fields);
  const params = await readGenerationParams(
    fields,
    ctx.model,
    ctx.limits,
    ["max_completion_tokens", "max_tokens"],
    ctx.compiler,
  );
  fields.rejectUnknown();
  const tokenizer = ctx.model.tokenizer;
  if (!tokenizer)
    throw new UnsupportedError("this model has no tokenizer: use /v1/completions with token ids");
  const promptTokens = chatPromptTokens(
    messages,
    ctx.model.chatTemplate,
    tokenizer,
    ctx.model.addBos,
    addGenerationPrompt,
  );
  const id = newRequestId("chatcmpl");
  const requests = buildEngineRequests(id, promptTokens, params, topLogprobs, ctx.model, "messages");
  return runGeneration(
    ctx,
    { id, arrivalMs, promptTokens, requests, params, format: chatFormat(topLogprobs) },
    reply,
  );
}
