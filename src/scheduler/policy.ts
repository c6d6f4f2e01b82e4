import type { KvOffload } from "../kv/kv-offload.js";
import type { Sequence } from "./sequence.js";
import type { PreemptionMode, ResumeMode } from "./step-plan.js";

/** What a policy may read of its scheduler (live views, owned by the scheduler). */
export interface PolicyContext {
  readonly numDeviceBlocks: number;
  readonly blockTokens: number;
  readonly maxNumSeqs: number;
  /** Free device blocks now. */
  numFreeBlocks(): number;
  /** Sequences paused on the host tier. */
  paused(): readonly Sequence[];
  /** The host tier's planner, `null` without one. */
  readonly offload: KvOffload | null;
}

/** The measured times of one step, for cost models. */
export interface PolicyStepInfo {
  readonly stepMs: number;
  readonly numDecodeRows: number;
  readonly numPrefillTokens: number;
}

/**
 * A scheduling policy: the decisions that differ between FCFS and buffer-aware (TokenFlow)
 * scheduling. The {@link Scheduler} keeps the mechanics (token budget, sequence cap, block
 * allocation, chunked prefill); the policy orders and chooses. Methods must not mutate the
 * arrays they get.
 */
export interface SchedulerPolicy {
  readonly name: string;
  /** Running sequences in the order they get this step's token budget (most important first). */
  orderRunning(running: readonly Sequence[], nowMs: number): readonly Sequence[];
  /** Waiting sequences in the order to admit them (admission stops at the first that does not fit). */
  orderWaiting(waiting: readonly Sequence[], nowMs: number): readonly Sequence[];
  /**
   * The sequence to preempt so that `needy` gets blocks, from `candidates` (running, not yet
   * scheduled this step, `needy` excluded); `null` = preempt `needy` itself.
   */
  pickVictim(needy: Sequence, candidates: readonly Sequence[], nowMs: number): Sequence | null;
  /** How to preempt `seq` (FCFS: always recompute; TokenFlow: reload vs recompute cost). */
  preemptionMode(seq: Sequence, nowMs: number): PreemptionMode;
  /**
   * Voluntary preemptions before planning (TokenFlow pauses requests whose buffers are
   * comfortable); absent = none.
   */
  selectPreemptions?(
    running: readonly Sequence[],
    waiting: readonly Sequence[],
    nowMs: number,
  ): readonly Sequence[];
  /** Whether waiting sequences may be admitted this step (absent = always). */
  canAdmit?(nowMs: number): boolean;
  /**
   * Paused sequences to bring back this step, most urgent first, each with how (absent = none;
   * the scheduler stops at the first that does not fit in device memory).
   */
  selectResumptions?(
    paused: readonly Sequence[],
    nowMs: number,
  ): readonly { readonly seq: Sequence; readonly mode: ResumeMode }[];
  /**
   * Write-through for this step: running sequences in the order their new blocks are copied to
   * the host (likeliest to be paused first) and the byte budget (absent = none).
   */
  writeThrough?(
    running: readonly Sequence[],
    nowMs: number,
  ): { readonly order: readonly Sequence[]; readonly budgetBytes: number } | null;
  /** Called once by the scheduler with what the policy may read: pool sizes, paused queue, host tier. */
  attach?(context: PolicyContext): void;
  /** Called after each engine step with its measured times (cost models: step and prefill time). */
  onStep?(step: PolicyStepInfo, nowMs: number): void;
  /** The client says it has read `numRead` tokens of `seq` in all (buffer-aware policies). */
  onConsumed?(seq: Sequence, numRead: number, nowMs: number): void;
  /** Called when `seq` got `numNewTokens` generated tokens (the buffer model's input). */
  onTokens?(seq: Sequence, numNewTokens: number, nowMs: number): void;
  /** Called when `seq` leaves the scheduler (finished or aborted). */
  onFinished?(seq: Sequence, nowMs: number): void;
}
