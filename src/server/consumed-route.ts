/**
 * `POST /v1/streams/{id}/consumed` with `{"tokens": n, "index"?: i}`: the client of response
 * `{id}` has read `n` tokens of choice `i` (default 0) in all. The engine's model of that
 * reader's buffer is corrected to it (TokenFlow scheduling pauses requests whose readers are
 * far behind and hurries those about to run dry). `n` beyond what was generated counts as all.
 */
import type { FastifyRequest } from "fastify";
import { ApiError, InvalidArgumentError } from "../errors.js";
import { RequestFields } from "./request-fields.js";
import type { ServerContext } from "./server-context.js";

/** The success body: what was recorded. */
export interface ConsumedResponse {
  readonly id: string;
  readonly object: "stream.consumption";
  readonly index: number;
  readonly tokens: number;
}

/**
 * Handles one acknowledgement.
 * @throws InvalidArgumentError (400) for a bad body or an index beyond the response's choices;
 *   ApiError `not_found` (404) when the response or the choice is unknown or has finished.
 */
export async function handleConsumed(ctx: ServerContext, request: FastifyRequest): Promise<ConsumedResponse> {
  const id = (request.params as { id: string }).id;
  const fields = new RequestFields(request.body);
  const tokens = fields.optInt("tokens", { min: 0 });
  if (tokens === undefined) {
    throw new InvalidArgumentError(
      "'tokens' is required: how many tokens of the stream were read in all",
      "tokens",
    );
  }
  const index = fields.int("index", 0, { min: 0 });
  fields.rejectUnknown();
  const sequenceIds = ctx.streams.sequenceIds(id);
  if (!sequenceIds) {
    throw new ApiError("not_found", `no active stream '${id}': it is unknown or has finished`);
  }
  const sequenceId = sequenceIds[index];
  if (sequenceId === undefined) {
    throw new InvalidArgumentError(
      `invalid value for 'index': stream '${id}' has ${sequenceIds.length} choice(s), so 'index' must be < ${sequenceIds.length}`,
      "index",
    );
  }
  if (!ctx.engine.acknowledgeConsumed(sequenceId, tokens)) {
    throw new ApiError("not_found", `choice ${index} of stream '${id}' has finished`);
  }
  return { id, object: "stream.consumption", index, tokens };
}
