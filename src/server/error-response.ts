/**
 * The one place that maps errors to HTTP status codes and OpenAI-style error JSON
 * (`{"error": {"message", "type", "param", "code"}}`). Every route, hook and the SSE writer use
 * {@link errorResponse}; nothing else decides a status for an error.
 */
import { ApiError, ServingError, UnsupportedSchemaError } from "../errors.js";

/** The body of an OpenAI error response. */
export interface OpenAiErrorBody {
  readonly error: {
    readonly message: string;
    readonly type: string;
    readonly param: string | null;
    readonly code: string | null;
  };
}

/** An error turned into what goes on the wire. */
export interface ErrorResponse {
  readonly status: number;
  readonly body: OpenAiErrorBody;
  /** Extra response headers (e.g. `retry-after`). */
  readonly headers: Readonly<Record<string, string>>;
}

/** Status and OpenAI error `type` per {@link ServingError} code. Unlisted codes are 500s. */
const BY_CODE: Readonly<Record<string, { status: number; type: string }>> = {
  invalid_argument: { status: 400, type: "invalid_request_error" },
  context_length_exceeded: { status: 400, type: "invalid_request_error" },
  grammar_error: { status: 400, type: "invalid_request_error" },
  unsupported_schema: { status: 400, type: "invalid_request_error" },
  unsupported: { status: 400, type: "invalid_request_error" },
  invalid_api_key: { status: 401, type: "invalid_request_error" },
  model_not_found: { status: 404, type: "invalid_request_error" },
  not_found: { status: 404, type: "invalid_request_error" },
  method_not_allowed: { status: 405, type: "invalid_request_error" },
  queue_full: { status: 503, type: "server_error" },
  server_shutting_down: { status: 503, type: "server_error" },
  engine_stopped: { status: 503, type: "server_error" },
  request_failed: { status: 500, type: "server_error" },
};

/** Fastify's own client errors (bad JSON, body too large...) carry a 4xx `statusCode`. */
interface HttpishError {
  readonly statusCode?: unknown;
  readonly code?: unknown;
  readonly message?: unknown;
}

function body(message: string, type: string, param: string | null, code: string | null): OpenAiErrorBody {
  return { error: { message, type, param, code } };
}

/** The parameter at fault: `param` of the error when it has one (any ServingError may). */
function paramOf(err: ServingError): string | null {
  const param = (err as { param?: unknown }).param;
  if (typeof param === "string") return param;
  if (err instanceof UnsupportedSchemaError) return "response_format";
  return null;
}

function fromServingError(err: ServingError): ErrorResponse {
  const known = BY_CODE[err.code];
  const headers: Record<string, string> = {};
  if (err instanceof ApiError && err.retryAfterS !== null) headers["retry-after"] = String(err.retryAfterS);
  else if (known?.status === 503) headers["retry-after"] = "1";
  if (!known) return { status: 500, body: body(err.message, "server_error", null, err.code), headers };
  return { status: known.status, body: body(err.message, known.type, paramOf(err), err.code), headers };
}

/** Fastify's error codes, renamed to what a client can act on. */
function fromFastifyError(status: number, err: HttpishError): ErrorResponse {
  const fastifyCode = typeof err.code === "string" ? err.code : "";
  const raw = typeof err.message === "string" ? err.message : "bad request";
  let message = raw;
  let code = "invalid_request";
  if (status === 413) {
    message = `request body is too large: ${raw}`;
    code = "request_too_large";
  } else if (fastifyCode.includes("JSON") || err instanceof SyntaxError) {
    message = `the request body is not valid JSON: ${raw}`;
    code = "invalid_json";
  } else if (status === 415) {
    message = `${raw} (send the body as application/json)`;
    code = "unsupported_media_type";
  }
  return { status, body: body(message, "invalid_request_error", null, code), headers: {} };
}

/**
 * Maps any thrown value to an HTTP error response. {@link ServingError}s map by `code`; client
 * errors raised by fastify itself (invalid JSON, oversized body, wrong content type) keep their
 * 4xx status; anything else is a 500 whose message is generic (details go to the log).
 */
export function errorResponse(err: unknown): ErrorResponse {
  if (err instanceof ServingError) return fromServingError(err);
  const e = (err ?? {}) as HttpishError;
  const status = typeof e.statusCode === "number" ? e.statusCode : 500;
  if (status >= 400 && status < 500) return fromFastifyError(status, e);
  return {
    status: 500,
    body: body("internal server error", "server_error", null, "internal_error"),
    headers: {},
  };
}
