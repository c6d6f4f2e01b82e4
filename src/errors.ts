/**
 * The one error hierarchy of tokenflow. Every error a user can cause carries a stable `code`;
 * the server maps codes to HTTP status and OpenAI error JSON in one place.
 */

/** Base class: an error with a stable machine-readable `code`. */
export class ServingError extends Error {
  /** Stable identifier, e.g. `model_format_error`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * A model file (GGUF, safetensors, llama2.c, Hugging Face directory) is malformed, truncated
 * or uses something we do not support. The message always names the file.
 */
export class ModelFormatError extends ServingError {
  /** Path of the offending file. */
  readonly file: string;

  constructor(file: string, problem: string, options?: { cause?: unknown }) {
    super("model_format_error", `${file}: ${problem}`, options);
    this.file = file;
  }
}

/** The model is well-formed but asks for something tokenflow does not implement (yet). */
export class UnsupportedError extends ServingError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("unsupported", message, options);
  }
}

/** A caller passed an invalid argument (CLI flag, API parameter, function argument). */
export class InvalidArgumentError extends ServingError {
  /** The parameter at fault, when there is one. */
  readonly param: string | null;

  constructor(message: string, param: string | null = null) {
    super("invalid_argument", message);
    this.param = param;
  }
}

/** A grammar (GBNF, regex, JSON Schema, choice list) is malformed or too large to compile. */
export class GrammarError extends ServingError {
  constructor(message: string) {
    super("grammar_error", message);
  }
}

/**
 * A JSON Schema uses a keyword (or keyword value) that tokenflow does not enforce. Refusing is
 * the rule: a keyword is never silently dropped.
 */
export class UnsupportedSchemaError extends ServingError {
  /** The JSON Schema keyword at fault, e.g. `patternProperties`. */
  readonly keyword: string;
  /** JSON Pointer of the schema location, e.g. `/properties/name`. */
  readonly pointer: string;

  constructor(keyword: string, pointer: string, detail = "") {
    super(
      "unsupported_schema",
      `unsupported JSON Schema keyword "${keyword}" at ${pointer || "/"}${detail ? `: ${detail}` : ""}`,
    );
    this.keyword = keyword;
    this.pointer = pointer;
  }
}

/** The engine's waiting queue is full; the server answers 503 with `Retry-After`. */
export class QueueFullError extends ServingError {
  constructor(message = "the request queue is full; retry later") {
    super("queue_full", message);
  }
}

/** The engine is stopping or stopped and accepts no new requests (server: 503). */
export class EngineStoppedError extends ServingError {
  constructor(message = "the engine is shutting down") {
    super("engine_stopped", message);
  }
}

/** Prompt plus max tokens do not fit the model context or the KV cache (server: 400). */
export class ContextLengthExceededError extends ServingError {
  constructor(message: string) {
    super("context_length_exceeded", message);
  }
}

/** A request failed inside the engine (a runtime step or a constraint failed); others go on. */
export class RequestFailedError extends ServingError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("request_failed", message, options);
  }
}

/** Codes the server produces; each has one status in `error-response.ts`. */
export type ApiErrorCode =
  | "model_not_found"
  | "context_length_exceeded"
  | "invalid_api_key"
  | "server_shutting_down"
  | "not_found"
  | "method_not_allowed";

/** An error produced by the HTTP layer itself (bad model, auth, overload...). */
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
