import { InvalidArgumentError } from "../errors.js";
import type { BlockManager } from "../kv/block-manager.js";
import type { KvOffload } from "../kv/kv-offload.js";
import type { KvTransfer, TransferStats } from "../runtime/runtime.js";
import type { SchedulerPolicy } from "./policy.js";
import type { Sequence } from "./sequence.js";
import type { Preemption, PreemptionMode, Resumption, ScheduledRow, StepPlan } from "./step-plan.js";

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
 * until the budget, the sequence cap or the blocks run out. With a host KV tier (`offload`),
 * the policy may also pause sequences to the host (swap or hybrid) and resume them, and the
 * plan carries the write-through, evict and load copies; a sequence runs again only once its
 * loads completed.
 */
export class Scheduler {
  private readonly waitingQ: Sequence[] = [];
  private readonly runningQ: Sequence[] = [];
  private readonly pausedQ: Sequence[] = [];
  private transfers: KvTransfer[] = [];
  private nextAdmitOrder = 0;
  /** Preemptions since creation (`vllm:num_preemptions_total`). */
  numPreemptionsTotal = 0;

  constructor(
    readonly config: SchedulerConfig,
    readonly blocks: BlockManager,
    readonly policy: SchedulerPolicy,
    /** The host KV tier's planner; `null` = no host tier (every preemption recomputes). */
    readonly offload: KvOffload | null = null,
  ) {
    for (const [k, v] of Object.entries(config))
      if (!Number.isInteger(v) || v < 1) throw new InvalidArgumentError(`${k} must be an integer >= 1`, k);
    policy.attach?.({
      numDeviceBlocks: blocks.numBlocks,
      blockTokens: blocks.blockTokens,
      maxNumSeqs: config.maxNumSeqs,
      numFreeBlocks: () => blocks.numFreeBlocks,
      paused: () => this.pausedQ,
      offload,
    });
  }

  /** Sequences paused on the host tier (owned by the scheduler; read only). */
  get paused(): readonly Sequence[] {
    return this.pausedQ;
  }

  get numPaused(): number {
    return this.pausedQ.length;
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

  /** Whether any sequence is waiting, running or paused. */
  hasWork(): boolean {
    return this.waitingQ.length > 0 || this.runningQ.length > 0 || this.pausedQ.length > 0;
  }

  /** Whether copies between the tiers are in flight (a step with no rows must wait for them). */
  hasTransfersInFlight(): boolean {
    return (this.offload?.numTransfersInFlight ?? 0) > 0;
  }

  /** Applies copies the runtime reports complete (`completedTransferIds`). */
  onTransfersCompleted(ids: readonly number[], _nowMs: number, stats?: TransferStats): void {
    this.offload?.complete(ids);
    if (stats) this.offload?.measure(stats);
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
    this.transfers = [];
    let budget = this.config.maxNumBatchedTokens;
    for (const v of this.policy.selectPreemptions?.(this.runningQ, this.waitingQ, nowMs) ?? [])
      if (v.status === "running") this.preempt(v, this.policy.preemptionMode(v, nowMs), preempted, nowMs);
    const numVoluntary = preempted.length;
    const resumed = this.resume(nowMs);
    let ranOutOfBlocks = false;
    for (const seq of this.policy.orderRunning(this.runningQ, nowMs)) {
      if (budget <= 0) break;
      if (seq.status !== "running" || this.offload?.isLoading(seq.id)) continue;
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
    const readmitted: Sequence[] = [];
    let numAdmitted = 0;
    if (!ranOutOfBlocks && (this.policy.canAdmit?.(nowMs) ?? true))
      numAdmitted = this.admit(budget, rows, readmitted, nowMs);
    const numBatchedTokens = rows.reduce((s, r) => s + r.numNewTokens, 0);
    this.planWriteThrough(nowMs);
    return {
      rows,
      preempted,
      resumed,
      transfers: this.transfers,
      numBatchedTokens,
      numAdmitted,
      readmitted,
    };
  }

  /** Brings back the paused sequences the policy picks, while device memory allows. */
  private resume(nowMs: number): Resumption[] {
    const out: Resumption[] = [];
    const offload = this.offload;
    if (!offload || this.pausedQ.length === 0) return out;
    for (const { seq, mode } of this.policy.selectResumptions?.(this.pausedQ, nowMs) ?? []) {
      if (seq.status !== "paused" || this.runningQ.length >= this.config.maxNumSeqs) break;
      if (mode === "recompute") {
        offload.drop(seq.id);
        seq.numComputedTokens = 0;
        removeFrom(this.pausedQ, seq);
        seq.status = "waiting";
        this.waitingQ.unshift(seq);
        out.push({ seq, mode, numLoadedTokens: 0 });
        continue;
      }
      const held = offload.numHostTokens(seq.id, seq.numComputedTokens);
      const loads = offload.resume(seq.id, held, nowMs);
      if (!loads) break;
      this.transfers.push(...loads);
      const hadTokens = seq.numComputedTokens;
      seq.numComputedTokens = held;
      removeFrom(this.pausedQ, seq);
      seq.status = "running";
      seq.admitOrder = this.nextAdmitOrder++;
      this.runningQ.push(seq);
      out.push({ seq, mode: held >= hadTokens ? "reload" : "hybrid", numLoadedTokens: held });
    }
    return out;
  }

  private planWriteThrough(nowMs: number): void {
    if (!this.offload) return;
    const wt = this.policy.writeThrough?.(this.runningQ, nowMs);
    if (!wt || wt.budgetBytes <= 0) return;
    const seqs = wt.order.filter((s) => s.status === "running" && !this.offload?.isLoading(s.id));
    this.transfers.push(...this.offload.planWriteThrough(seqs, wt.budgetBytes, nowMs));
  }

  /**
   * Records that a planned step ran: each row's tokens are now in the KV cache. Rows of
   * sequences that left the scheduler meanwhile are skipped.
   */
  commit(plan: StepPlan): void {
    for (const row of plan.rows)
      if (row.seq.status === "running") row.seq.numComputedTokens = row.startToken + row.numNewTokens;
  }

  /** Removes `seq` (finished or aborted) and frees its blocks (after copies in flight). Idempotent. */
  finish(seq: Sequence, nowMs: number): void {
    if (seq.status === "finished") return;
    removeFrom(this.runningQ, seq);
    removeFrom(this.waitingQ, seq);
    removeFrom(this.pausedQ, seq);
    if (this.offload) this.offload.drop(seq.id);
    else this.blocks.free(seq.id);
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
      const candidates = this.runningQ.filter(
        (c) => c !== seq && !scheduled.has(c) && !this.offload?.isLoading(c.id),
      );
      const victim = this.policy.pickVictim(seq, candidates, nowMs);
      this.preempt(victim ?? seq, this.policy.preemptionMode(victim ?? seq, nowMs), preempted, nowMs);
      if (!victim) return false;
    }
  }

  /**
   * Admits waiting sequences in the policy's order while budget, slots and blocks allow; those
   * that ran before (only a recompute preemption sends a sequence back) are also put in
   * `readmitted`. Returns how many were admitted.
   */
  private admit(budget: number, rows: ScheduledRow[], readmitted: Sequence[], nowMs: number): number {
    const admitted = new Set<Sequence>();
    for (const seq of this.policy.orderWaiting(this.waitingQ, nowMs)) {
      if (budget <= 0 || this.runningQ.length >= this.config.maxNumSeqs) break;
      const n = Math.min(seq.numUncomputedTokens, budget);
      if (!this.blocks.allocateSlots(seq.id, seq.numComputedTokens + n)) break;
      seq.status = "running";
      seq.admitOrder = this.nextAdmitOrder++;
      if (seq.firstScheduledMs === null) seq.firstScheduledMs = nowMs;
      else readmitted.push(seq);
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

  /**
   * Preempts `seq`: to the host tier (`swap`, `hybrid`) when there is one with room, otherwise
   * by recompute (blocks freed, tokens recomputed on readmission from the queue's front).
   */
  private preempt(seq: Sequence, mode: PreemptionMode, out: Preemption[], nowMs: number): void {
    seq.numPreemptions++;
    this.numPreemptionsTotal++;
    removeFrom(this.runningQ, seq);
    if (mode !== "recompute" && this.offload) {
      const paused = this.offload.pause(seq.id, seq.numComputedTokens, mode, nowMs);
      if (paused) {
        this.transfers.push(...paused.transfers);
        seq.status = "paused";
        this.pausedQ.push(seq);
        out.push({ seq, mode });
        return;
      }
    }
    if (this.offload) this.offload.drop(seq.id);
    else this.blocks.free(seq.id);
    seq.numComputedTokens = 0;
    seq.status = "waiting";
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
