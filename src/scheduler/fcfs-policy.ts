import type { SchedulerPolicy } from "./policy.js";
import type { Sequence } from "./sequence.js";
import type { PreemptionMode } from "./step-plan.js";

/**
 * vLLM-like first come, first served: running sequences in admission order, then waiting ones
 * in queue order (preempted sequences go back to the front); when blocks run out, the most
 * recently admitted running sequence is preempted and later recomputed.
 */
export class FcfsPolicy implements SchedulerPolicy {
  readonly name: string = "fcfs";

  orderRunning(running: readonly Sequence[]): readonly Sequence[] {
    return [...running].sort((a, b) => a.admitOrder - b.admitOrder);
  }

  orderWaiting(waiting: readonly Sequence[]): readonly Sequence[] {
    return waiting;
  }

  pickVictim(needy: Sequence, candidates: readonly Sequence[]): Sequence | null {
    let victim: Sequence | null = null;
    for (const c of candidates) if (!victim || c.admitOrder > victim.admitOrder) victim = c;
    // Never preempt an older request to serve a younger one.
    return victim && victim.admitOrder > needy.admitOrder ? victim : null;
  }

  preemptionMode(_seq: Sequence): PreemptionMode {
    return "recompute";
  }
}
