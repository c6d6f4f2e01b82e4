/**
 * The engine-specific half of a GrammarMatcher: consuming bytes token by token with rollback,
 * acceptance, masks and state (de)serialisation. Two implementations: the Pre³ DPDA (LR(1)
 * grammars) and an Earley recogniser (fallback for grammars that are not LR(1)).
 */

/** One request's parse state for an engine. */
export interface MatcherCore {
  /** Consumes `bytes` as one history entry; on rejection nothing changes and false is returned. */
  acceptBytes(bytes: Uint8Array): boolean;
  /** Undoes the last `n` history entries (n ≤ numEntries). */
  rollback(n: number): void;
  /** Number of history entries that can be rolled back. */
  readonly numEntries: number;
  /** Whether the bytes so far form a complete sentence. */
  isCompleted(): boolean;
  /** Writes the text-token mask (EOG bits set iff complete) at `mask[offset .. offset + wordsPerRow)`. */
  fillMask(mask: Int32Array, offset: number): void;
  /** JSON-able state. */
  save(): unknown;
  /** Restores a state from `save()`; throws InvalidArgumentError on a malformed state. */
  load(state: unknown): void;
  /** Back to the start. */
  reset(): void;
}
