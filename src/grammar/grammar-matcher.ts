/**
 * GrammarMatcher (xgrammar-like): the per-request state of constrained decoding. It accepts
 * tokens, fills one row of a caller-owned int32 bitmask with the tokens allowed next, rolls
 * back, and serialises its state so a paused request can resume elsewhere.
 *
 * Mask bit `i % 32` of word `row * wordsPerRow + (i >> 5)` set = token i allowed. End-of-
 * generation tokens are allowed exactly when the output so far is complete; other special
 * tokens never are.
 */

import { InvalidArgumentError } from "../errors.js";
import { TokenFlag } from "../model/tokenizer-info.js";
import type { CompiledGrammar } from "./compiled-grammar.js";
import type { MatcherCore } from "./matcher-core.js";

/** Options of one matcher. */
export interface GrammarMatcherOptions {
  /** Deepest DPDA stack allowed; a token that would go deeper is rejected (default 10,000). */
  readonly maxStackDepth?: number;
}

const encoder = new TextEncoder();
/** History marker of an accepted end-of-generation token. */
const EOS_ENTRY = -1;

/** Matching state of one request against a CompiledGrammar. */
export class GrammarMatcher {
  private readonly core: MatcherCore;
  /** Per accepted token/string: core entry (1) or EOS (EOS_ENTRY). */
  private readonly history: number[] = [];
  private terminated = false;

  constructor(
    readonly compiled: CompiledGrammar,
    options: GrammarMatcherOptions = {},
  ) {
    this.core = compiled.newCore(options.maxStackDepth ?? 10_000);
  }

  /** Number of tokens (and strings) accepted that `rollback` can undo. */
  get numAccepted(): number {
    return this.history.length;
  }

  /**
   * Accepts token `id` if the grammar allows it next (end-of-generation: only when complete,
   * which terminates the matcher). Returns false, changing nothing, otherwise.
   */
  acceptToken(id: number): boolean {
    const info = this.compiled.tokenizerInfo;
    if (this.terminated || !Number.isInteger(id) || id < 0 || id >= info.vocabSize) return false;
    const flags = info.tokenFlags[id] ?? 0;
    if (flags & TokenFlag.EOG) {
      if (!this.core.isCompleted()) return false;
      this.terminated = true;
      this.history.push(EOS_ENTRY);
      return true;
    }
    if (flags & (TokenFlag.SPECIAL | TokenFlag.UNUSED)) return false;
    const bytes = info.tokenBytes(id);
    if (bytes.length === 0 || !this.core.acceptBytes(bytes)) return false;
    this.history.push(1);
    return true;
  }

  /** Accepts a whole string (one rollback step); false, changing nothing, if not viable. */
  acceptString(text: string | Uint8Array): boolean {
    if (this.terminated) return false;
    const bytes = typeof text === "string" ? encoder.encode(text) : text;
    if (!this.core.acceptBytes(bytes)) return false;
    this.history.push(1);
    return true;
  }

  /**
   * Writes the allowed-next-token bitset into row `row` of `mask` (caller-owned, at least
   * (row + 1) × wordsPerRow words). After termination only end-of-generation tokens are set.
   */
  fillNextTokenMask(mask: Int32Array, row = 0): void {
    const words = this.compiled.wordsPerRow;
    const offset = row * words;
    if (!Number.isInteger(row) || row < 0 || offset + words > mask.length)
      throw new InvalidArgumentError(`mask row ${row} is outside a mask of ${mask.length} words`, "row");
    if (!this.terminated) {
      this.core.fillMask(mask, offset);
      return;
    }
    mask.fill(0, offset, offset + words);
    for (const id of this.compiled.trie.eogIds) {
      const w = offset + (id >> 5);
      mask[w] = (mask[w] as number) | (1 << (id & 31));
    }
  }

  /** A fresh mask for one row: `Int32Array(wordsPerRow)`. */
  newMask(): Int32Array {
    return new Int32Array(this.compiled.wordsPerRow);
  }

  /** Undoes the last `numTokens` accepted tokens/strings (clamped to what was accepted). */
  rollback(numTokens: number): void {
    const n = Math.min(Math.max(0, Math.floor(numTokens)), this.history.length);
    let coreEntries = 0;
    for (let k = 0; k < n; k++) {
      const e = this.history.pop();
      if (e === EOS_ENTRY) this.terminated = false;
      else coreEntries++;
    }
    this.core.rollback(coreEntries);
  }

  /** Whether an end-of-generation token was accepted. */
  isTerminated(): boolean {
    return this.terminated;
  }

  /** Whether the output so far is complete (end-of-generation allowed). */
  isCompleted(): boolean {
    return this.terminated || this.core.isCompleted();
  }

  /** Back to the start. */
  reset(): void {
    this.core.reset();
    this.history.length = 0;
    this.terminated = false;
  }

  /** The matcher state as a JSON string (for pausing a request); see `deserialize`. */
  serialize(): string {
    return JSON.stringify({
      v: 1,
      key: this.compiled.key,
      engine: this.compiled.engine,
      history: this.history,
      terminated: this.terminated,
      core: this.core.save(),
    });
  }

  /**
   * Rebuilds a matcher from `serialize()` output. Throws InvalidArgumentError when the state is
   * malformed or belongs to another grammar.
   */
  static deserialize(
    compiled: CompiledGrammar,
    state: string,
    options: GrammarMatcherOptions = {},
  ): GrammarMatcher {
    let s: { v?: unknown; key?: unknown; history?: unknown; terminated?: unknown; core?: unknown };
    try {
      s = JSON.parse(state);
    } catch {
      throw new InvalidArgumentError("matcher state is not valid JSON", "state");
    }
    if (s.v !== 1 || s.key !== compiled.key)
      throw new InvalidArgumentError("matcher state belongs to another grammar or version", "state");
    const history = s.history;
    if (!Array.isArray(history) || !history.every((e) => e === 1 || e === EOS_ENTRY))
      throw new InvalidArgumentError("matcher state: invalid history", "state");
    const m = new GrammarMatcher(compiled, options);
    m.core.load(s.core);
    if (m.core.numEntries !== history.filter((e) => e === 1).length)
      throw new InvalidArgumentError("matcher state: history does not match the engine state", "state");
    m.history.push(...(history as number[]));
    m.terminated = s.terminated === true;
    return m;
  }

  /** @internal The DPDA stack (bottom first), or null for the Earley engine; for tests. */
  debugStack(): Int32Array | null {
    const core = this.core as { st?: { snapshot(): Int32Array } };
    return core.st ? core.st.snapshot() : null;
  }
}
