import type { Sequence } from "./sequence.js";
import type { PreemptionMode } from "./step-plan.js";

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
  /** Called when `seq` got `numNewTokens` generated tokens (the buffer model's input). */
  onTokens?(seq: Sequence, numNewTokens: number, nowMs: number): void;
  /** Called when `seq` leaves the scheduler (finished or aborted). */
  onFinished?(seq: Sequence, nowMs: number): void;
}
