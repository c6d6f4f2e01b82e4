/**
 * Errors raised by the HTTP layer itself (as opposed to those raised by the engine, the model
 * or the grammar compiler). They are plain {@link ServingError}s with a `code` and an optional
 * `param`; `error-response.ts` turns them (and every other error) into HTTP responses.
 *
 * NOTE for the lead: by house style these belong in `src/errors.ts`; they are here only because
 * this change may not touch that file. They can move verbatim.
 */
import { ServingError } from "../errors.js";

/** Codes the server produces; each has one status in `error-response.ts`. */
export type ApiErrorCode =
  | "model_not_found"
  | "context_length_exceeded"
  | "invalid_api_key"
  | "server_shutting_down"
  | "not_found"
  | "method_not_allowed";

/** An error produced while handling an HTTP request (bad model, auth, overload...). */
export class ApiError extends ServingError {
  /** The request parameter at fault, when there is one (e.g. `model`, `messages`). */
  readonly param: string | null;
  /** For overload errors: seconds a client should wait before retrying; `null` otherwise. */
  readonly retryAfterS: number | null;

  constructor(
    code: ApiErrorCode,
    message: string,
    options: { param?: string | null; retryAfterS?: number | null } = {},
  ) {
    super(code, message);
    this.param = options.param ?? null;
    this.retryAfterS = options.retryAfterS ?? null;
  }
}
