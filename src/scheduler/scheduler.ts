import { InvalidArgumentError } from "../errors.js";
import type { BlockManager } from "../kv/block-manager.js";
import type { SchedulerPolicy } from "./policy.js";
import type { Sequence } from "./sequence.js";
import type { Preemption, PreemptionMode, ScheduledRow, StepPlan } from "./step-plan.js";

/** Limits of a {@link Scheduler}. */
export interface SchedulerConfig {
  /** Token budget of one step (prefill chunks plus decodes). */
  readonly maxNumBatchedTokens: number;
  /** Most running sequences (rows per step). */
  readonly maxNumSeqs: number;
  /** Most waiting sequences; beyond it the engine refuses new requests ("queue full"). */
  readonly maxNumWaiting: number;
}

/**
 * Plans each engine step (vLLM v1 style): running sequences first, in the policy's order, each
 * getting up to its uncomputed tokens from the step's token budget (a prefill is chunked when
 * the budget runs short); when a sequence needs blocks and none are free, the policy picks a
 * victim to preempt (recompute: its blocks are freed and its tokens recomputed on readmission).
 * Then, if nothing had to be preempted, waiting sequences are admitted in the policy's order
 * until the budget, the sequence cap or the blocks run out.
 */
export class Scheduler {
  private readonly waitingQ: Sequence[] = [];
  private readonly runningQ: Sequence[] = [];
  private nextAdmitOrder = 0;
  /** Preemptions since creation (`vllm:num_preemptions_total`). */
  numPreemptionsTotal = 0;

  constructor(
    readonly config: SchedulerConfig,
    readonly blocks: BlockManager,
    readonly policy: SchedulerPolicy,
  ) {
    for (const [k, v] of Object.entries(config))
      if (!Number.isInteger(v) || v < 1) throw new InvalidArgumentError(`${k} must be an integer >= 1`, k);
  }

  /** Waiting sequences, queue order (owned by the scheduler; read only). */
  get waiting(): readonly Sequence[] {
    return this.waitingQ;
  }

  /** Running sequences (owned by the scheduler; read only). */
  get running(): readonly Sequence[] {
    return this.runningQ;
  }

  get numWaiting(): number {
    return this.waitingQ.length;
  }

  get numRunning(): number {
    return this.runningQ.length;
  }

  /** Whether the waiting queue is at its cap (new requests are refused). */
  isQueueFull(): boolean {
    return this.waitingQ.length >= this.config.maxNumWaiting;
  }

  /** Whether any sequence is waiting or running. */
  hasWork(): boolean {
    return this.waitingQ.length > 0 || this.runningQ.length > 0;
  }

  /** Queues a new sequence (the caller checked `isQueueFull`). */
  add(seq: Sequence): void {
    seq.status = "waiting";
    this.waitingQ.push(seq);
  }

  /** Plans the next step. */
  schedule(nowMs: number): StepPlan {
    const rows: ScheduledRow[] = [];
    const preempted: Preemption[] = [];
    const scheduled = new Set<Sequence>();
    let budget = this.config.maxNumBatchedTokens;
    for (const v of this.policy.selectPreemptions?.(this.runningQ, this.waitingQ, nowMs) ?? [])
      if (v.status === "running") this.preempt(v, this.policy.preemptionMode(v, nowMs), preempted);
    const numVoluntary = preempted.length;
    let ranOutOfBlocks = false;
    for (const seq of this.policy.orderRunning(this.runningQ, nowMs)) {
      if (budget <= 0) break;
      if (seq.status !== "running") continue;
      const n = Math.min(seq.numUncomputedTokens, budget);
      if (n <= 0) continue;
      if (!this.allocateOrPreempt(seq, n, scheduled, preempted, nowMs)) {
        ranOutOfBlocks = true;
        continue;
      }
      if (preempted.length > numVoluntary) ranOutOfBlocks = true;
      rows.push(rowOf(seq, n));
      scheduled.add(seq);
      budget -= n;
    }
    let numAdmitted = 0;
    if (!ranOutOfBlocks && (this.policy.canAdmit?.(nowMs) ?? true)) {
      numAdmitted = this.admit(budget, rows, nowMs);
    }
    const numBatchedTokens = rows.reduce((s, r) => s + r.numNewTokens, 0);
    return { rows, preempted, numBatchedTokens, numAdmitted };
  }

  /**
   * Records that a planned step ran: each row's tokens are now in the KV cache. Rows of
   * sequences that left the scheduler meanwhile are skipped.
   */
  commit(plan: StepPlan): void {
    for (const row of plan.rows)
      if (row.seq.status === "running") row.seq.numComputedTokens = row.startToken + row.numNewTokens;
  }

  /** Removes `seq` (finished or aborted) and frees its blocks. Idempotent. */
  finish(seq: Sequence, nowMs: number): void {
    if (seq.status === "finished") return;
    removeFrom(this.runningQ, seq);
    removeFrom(this.waitingQ, seq);
    this.blocks.free(seq.id);
    seq.status = "finished";
    this.policy.onFinished?.(seq, nowMs);
  }

  /** Gets blocks for `n` more tokens of `seq`, preempting victims; false = `seq` itself was preempted. */
  private allocateOrPreempt(
    seq: Sequence,
    n: number,
    scheduled: ReadonlySet<Sequence>,
    preempted: Preemption[],
    nowMs: number,
  ): boolean {
    for (;;) {
      if (this.blocks.allocateSlots(seq.id, seq.numComputedTokens + n)) return true;
      const candidates = this.runningQ.filter((c) => c !== seq && !scheduled.has(c));
      const victim = this.policy.pickVictim(seq, candidates, nowMs);
      this.preempt(victim ?? seq, this.policy.preemptionMode(victim ?? seq, nowMs), preempted);
      if (!victim) return false;
    }
  }

  private admit(budget: number, rows: ScheduledRow[], nowMs: number): number {
    const admitted = new Set<Sequence>();
    for (const seq of this.policy.orderWaiting(this.waitingQ, nowMs)) {
      if (budget <= 0 || this.runningQ.length >= this.config.maxNumSeqs) break;
      const n = Math.min(seq.numUncomputedTokens, budget);
      if (!this.blocks.allocateSlots(seq.id, seq.numComputedTokens + n)) break;
      seq.status = "running";
      seq.admitOrder = this.nextAdmitOrder++;
      seq.firstScheduledMs ??= nowMs;
      this.runningQ.push(seq);
      admitted.add(seq);
      rows.push(rowOf(seq, n));
      budget -= n;
    }
    if (admitted.size > 0) {
      const rest = this.waitingQ.filter((s) => !admitted.has(s));
      this.waitingQ.splice(0, this.waitingQ.length, ...rest);
    }
    return admitted.size;
  }

  private preempt(seq: Sequence, mode: PreemptionMode, out: Preemption[]): void {
    // Swapping to a host tier lands with the KV tiers; until then every preemption recomputes.
    void mode;
    this.blocks.free(seq.id);
    seq.numComputedTokens = 0;
    seq.status = "waiting";
    seq.numPreemptions++;
    this.numPreemptionsTotal++;
    removeFrom(this.runningQ, seq);
    this.waitingQ.unshift(seq);
    out.push({ seq, mode: "recompute" });
  }
}

function rowOf(seq: Sequence, n: number): ScheduledRow {
  const start = seq.numComputedTokens;
  const isSampled = start + n === seq.numTokens;
  return {
    seq,
    startToken: start,
    numNewTokens: n,
    isSampled,
    isDecode: n === 1 && isSampled && seq.numOutputTokens > 0,
  };
}

function removeFrom(list: Sequence[], seq: Sequence): void {
  const i = list.indexOf(seq);
  if (i >= 0) list.splice(i, 1);
}
