import type { KvTransfer } from "../runtime/runtime.js";
import type { Sequence } from "./sequence.js";

/**
 * How a preempted sequence gets its KV back: recomputed from its tokens; swapped (its KV copied
 * to the host tier, then reloaded); or hybrid (the part already written through is reloaded,
 * the rest recomputed).
 */
export type PreemptionMode = "recompute" | "swap" | "hybrid";

/** How a paused sequence comes back: its whole KV loaded, the host prefix loaded and the tail recomputed, or all recomputed. */
export type ResumeMode = "reload" | "hybrid" | "recompute";

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

/** A sequence preempted while planning this step (its device blocks are given up). */
export interface Preemption {
  readonly seq: Sequence;
  readonly mode: PreemptionMode;
}

/** A paused sequence brought back while planning this step. */
export interface Resumption {
  readonly seq: Sequence;
  readonly mode: ResumeMode;
  /** Tokens whose KV is loaded from the host (the rest is recomputed). */
  readonly numLoadedTokens: number;
}

/**
 * What one engine step runs: decode rows and prefill chunks under the token budget, the
 * preemptions and resumptions made, and the KV tier transfers to issue with the step.
 */
export interface StepPlan {
  readonly rows: readonly ScheduledRow[];
  readonly preempted: readonly Preemption[];
  readonly resumed: readonly Resumption[];
  /** Write-through, evict and load copies to start with this step. */
  readonly transfers: readonly KvTransfer[];
  /** Sum of the rows' new tokens (≤ maxNumBatchedTokens). */
  readonly numBatchedTokens: number;
  /** Sequences admitted from the waiting queue this step. */
  readonly numAdmitted: number;
  /** Those of them that ran before and were preempted to recompute (they start over). */
  readonly readmitted: readonly Sequence[];
}
