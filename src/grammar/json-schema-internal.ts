/**
 * Internal keywords of synthetic schemas (made by negation, `dependencies`, `if`/`then`/`else`):
 * symbol-keyed, so no JSON document can contain them and `Object.keys` never lists them.
 */

/** `[NOT_VALUES]: unknown[]`: the instance is none of these values. */
export const NOT_VALUES: unique symbol = Symbol("notValues");

/** `[NOT_PATTERNS]: NotPattern[]`: a string instance matches none of these patterns. */
export const NOT_PATTERNS: unique symbol = Symbol("notPatterns");

/** `[FRACTIONAL]: true`: a number instance is not an integer (negated `type: integer`, `multipleOf: 1`). */
export const FRACTIONAL: unique symbol = Symbol("fractional");

/** A pattern a string must not match: search semantics (`pattern`) or whole-string (`format`). */
export interface NotPattern {
  readonly source: string;
  readonly whole: boolean;
}
