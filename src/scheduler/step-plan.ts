import type { Sequence } from "./sequence.js";

/** How a preempted sequence gets its KV back: recomputed from its tokens, or swapped (later). */
export type PreemptionMode = "recompute" | "swap";

/** One row of a step: `numNewTokens` tokens of `seq` starting at `startToken`. */
export interface ScheduledRow {
  readonly seq: Sequence;
  /** Index of the row's first token in `seq.tokens` (= its computed tokens when planned). */
  readonly startToken: number;
  readonly numNewTokens: number;
  /** The row reaches the end of the sequence's tokens, so a token is sampled from it. */
  readonly isSampled: boolean;
  /** One token the model sampled (not prompt): the runtime's decode path. */
  readonly isDecode: boolean;
}

/** A sequence preempted while planning this step (its blocks are already freed for recompute). */
export interface Preemption {
  readonly seq: Sequence;
  readonly mode: PreemptionMode;
}

/**
 * What one engine step runs: decode rows and prefill chunks under the token budget, and the
 * preemptions made to fit them. Later: resumed sequences and KV tier transfers.
 */
export interface StepPlan {
  readonly rows: readonly ScheduledRow[];
  readonly preempted: readonly Preemption[];
  /** Sum of the rows' new tokens (≤ maxNumBatchedTokens). */
  readonly numBatchedTokens: number;
  /** Sequences admitted from the waiting queue this step. */
  readonly numAdmitted: number;
}
