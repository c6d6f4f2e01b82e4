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
