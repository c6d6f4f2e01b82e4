import type { GenerationRequest, OutputConstraint } from "./engine-types.js";

/**
 * Per-request matcher of an output constraint (xgrammar's Matcher shape); the grammar engine
 * implements it. Before a step the engine asks it for the row's allowed tokens; after the step
 * it feeds the sampled token.
 */
export interface ConstraintMatcher {
  /**
   * Writes the allowed next tokens into row `row` of `mask` (a caller-owned bitmask of
   * `ceil(vocab / 32)` Int32 words per row; bit `id % 32` of word `id / 32` set = allowed).
   */
  fillNextTokenMask(mask: Int32Array, row: number): void;
  /** Advances by a sampled token; false = the token violates the constraint (request fails). */
  acceptToken(id: number): boolean;
  /** Whether the constraint is complete (it accepted its end); the request then finishes "stop". */
  isTerminated(): boolean;
}

/** Creates the matcher of one request; throw a ServingError to refuse the constraint. */
export type ConstraintMatcherFactory = (
  constraint: OutputConstraint,
  request: GenerationRequest,
) => ConstraintMatcher;
