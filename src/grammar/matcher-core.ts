/**
 * The engine-specific half of a GrammarMatcher: consuming bytes token by token with rollback,
 * acceptance, masks and state (de)serialisation. Three implementations: the Pre³ DPDA (LR(1)
 * grammars), GLR over that DPDA (grammars with LR conflicts) and an Earley recogniser.
 */

import { InvalidArgumentError } from "../errors.js";

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

/**
 * Restores `core` from a byte-history state `{bytes, lengths}` (the format of engines that save
 * their history and replay it): validates it, resets the core, and accepts each entry in turn.
 * Throws InvalidArgumentError naming `engine` on a malformed or rejected history.
 */
export function replayByteHistory(core: MatcherCore, state: unknown, engine: string): void {
  const { bytes, lengths } = state as { bytes?: unknown; lengths?: unknown };
  const valid =
    Array.isArray(bytes) &&
    Array.isArray(lengths) &&
    bytes.every((b) => Number.isInteger(b) && b >= 0 && b < 256) &&
    lengths.every((n) => Number.isInteger(n) && n >= 0) &&
    lengths.reduce((a: number, n: number) => a + n, 0) === bytes.length;
  if (!valid) throw new InvalidArgumentError(`matcher state: invalid ${engine} history`, "state");
  core.reset();
  let at = 0;
  for (const n of lengths as number[]) {
    if (!core.acceptBytes(Uint8Array.from((bytes as number[]).slice(at, at + n))))
      throw new InvalidArgumentError("matcher state: history is not accepted by this grammar", "state");
    at += n;
  }
}
