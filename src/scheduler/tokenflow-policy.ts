import type { KvOffload } from "../kv/kv-offload.js";
import { ReaderBuffer } from "./buffer-model.js";
import type { PolicyContext, PolicyStepInfo, SchedulerPolicy } from "./policy.js";
import type { Sequence } from "./sequence.js";
import type { PreemptionMode, ResumeMode } from "./step-plan.js";
import { DEFAULT_TOKENFLOW_PARAMS, type TokenFlowParams } from "./tokenflow-params.js";
import { type PassCandidate, tokenFlowPass } from "./tokenflow-pass.js";

/** Costs of taking a running request off the device and back, per mode (ms). */
interface SwitchCost {
  readonly mode: PreemptionMode;
  /** Until its device memory is free and its KV safe. */
  readonly pauseMs: number;
  /** Bringing it back (load and/or recompute, with the queues ahead). */
  readonly backMs: number;
}

/**
 * Buffer-aware preemptive scheduling (TokenFlow, EuroSys 2026). Each request's reader is modelled
 * server-side ({@link ReaderBuffer}); every `scheduleIntervalMs`, under stress (requests waiting
 * or paused), a pass ({@link tokenFlowPass}) ranks requests by the buffer they would have once
 * on the device, pauses running requests whose buffers safely cover the pause and the way back
 * (their KV to the host tier: swap or hybrid, whichever is cheaper, or recompute without one),
 * and resumes or admits in their place. Between passes paused requests come back as their buffers
 * near empty. When the readers' total rate exceeds capacity it behaves like FCFS.
 */
export class TokenFlowPolicy implements SchedulerPolicy {
  readonly name = "tokenflow";
  readonly params: TokenFlowParams;
  private ctx: PolicyContext | null = null;
  private lastPassMs = Number.NEGATIVE_INFINITY;
  private passResumes: string[] = [];
  private passAdmits: Set<string> | null = null;
  private readonly modes = new Map<string, PreemptionMode>();
  private decodeStepMs: number;
  private prefillMsPerToken: number;
  /** Passes run so far (stats). */
  numPasses = 0;
  private hasMeasuredDecode = false;
  private hasMeasuredPrefill = false;
  /** Running and waiting sequences when this step was planned. */
  private numRunning = 0;
  private numWaiting = 0;

  constructor(params: Partial<TokenFlowParams> = {}) {
    this.params = { ...DEFAULT_TOKENFLOW_PARAMS, ...params };
    this.decodeStepMs = this.params.initialDecodeStepMs;
    this.prefillMsPerToken = this.params.initialPrefillMsPerToken;
  }

  attach(context: PolicyContext): void {
    this.ctx = context;
  }

  /** The reader model of `seq` (created on first use). */
  buffer(seq: Sequence): ReaderBuffer {
    if (!(seq.policyState instanceof ReaderBuffer))
      seq.policyState = new ReaderBuffer(
        seq.consumptionRateTokPerS ?? this.params.defaultConsumptionRateTokPerS,
      );
    return seq.policyState as ReaderBuffer;
  }

  onTokens(seq: Sequence, numNewTokens: number, nowMs: number): void {
    this.buffer(seq).onTokens(numNewTokens, nowMs);
  }

  onConsumed(seq: Sequence, numRead: number, nowMs: number): void {
    this.buffer(seq).acknowledge(numRead, nowMs);
  }

  onFinished(seq: Sequence): void {
    this.modes.delete(seq.id);
  }

  onStep(step: PolicyStepInfo): void {
    const isDecodeOnly = step.numPrefillTokens === 0 && step.numDecodeRows > 0;
    // Until a decode-only step is measured, any step's time bounds the decode time from above
    // (the initial guess may be far off on slow hardware, and admission depends on it).
    if (isDecodeOnly || !this.hasMeasuredDecode)
      this.decodeStepMs = this.hasMeasuredDecode ? 0.8 * this.decodeStepMs + 0.2 * step.stepMs : step.stepMs;
    if (isDecodeOnly) this.hasMeasuredDecode = true;
    if (step.numPrefillTokens > 0) {
      const perToken = step.stepMs / (step.numPrefillTokens + step.numDecodeRows);
      this.prefillMsPerToken = this.hasMeasuredPrefill
        ? 0.8 * this.prefillMsPerToken + 0.2 * perToken
        : perToken;
      this.hasMeasuredPrefill = true;
    }
  }

  orderRunning(running: readonly Sequence[], nowMs: number): readonly Sequence[] {
    return [...running].sort((a, b) => this.sortKey(a, nowMs) - this.sortKey(b, nowMs));
  }

  orderWaiting(waiting: readonly Sequence[]): readonly Sequence[] {
    const admits = this.passAdmits;
    if (!admits) return waiting;
    return [...waiting.filter((s) => admits.has(s.id)), ...waiting.filter((s) => !admits.has(s.id))];
  }

  pickVictim(_needy: Sequence, candidates: readonly Sequence[], nowMs: number): Sequence | null {
    let best: Sequence | null = null;
    for (const c of candidates) if (!best || this.sortKey(c, nowMs) > this.sortKey(best, nowMs)) best = c;
    return best;
  }

  preemptionMode(seq: Sequence): PreemptionMode {
    return this.modes.get(seq.id) ?? this.cheapestSwitch(seq).mode;
  }

  selectPreemptions(
    running: readonly Sequence[],
    waiting: readonly Sequence[],
    nowMs: number,
  ): readonly Sequence[] {
    this.numRunning = running.length;
    this.numWaiting = waiting.length;
    this.passResumes = [];
    this.passAdmits = null;
    const paused = this.ctx?.paused() ?? [];
    if (nowMs - this.lastPassMs < this.params.scheduleIntervalMs) return [];
    if (waiting.length === 0 && paused.length === 0) return [];
    this.lastPassMs = nowMs;
    this.numPasses++;
    for (const s of [...running, ...paused]) this.buffer(s).advance(nowMs);
    if (this.isOverloaded(running, paused)) return [];
    return this.runPass(running, waiting, paused, nowMs);
  }

  selectResumptions(paused: readonly Sequence[], nowMs: number): { seq: Sequence; mode: ResumeMode }[] {
    const offload = this.offload();
    if (offload && !this.params.overlapLoadEvict && offload.pendingStoreBytes > 0) return [];
    const ready = paused.filter((s) => !offload?.hasTransfersInFlight(s.id));
    const byId = new Map(ready.map((s) => [s.id, s]));
    const picked: Sequence[] = this.passResumes.flatMap((id) => byId.get(id) ?? []);
    // Room no running request will need before the next pass: paused requests may use it.
    let spare = (this.ctx?.numFreeBlocks() ?? 0) - this.numRunning * this.headroomBlocks();
    for (const s of [...ready].sort((a, b) => this.sortKey(a, nowMs) - this.sortKey(b, nowMs))) {
      if (picked.includes(s)) continue;
      this.buffer(s).advance(nowMs);
      const need = this.blocksFor(s.numTokens) + this.headroomBlocks();
      const isUrgent =
        this.buffer(s).bufferSec * 1000 <=
        this.backMs(s) + this.params.scheduleIntervalMs + this.params.resumeMarginMs;
      // Non-urgent ones use spare room only when no new request waits for it (or nothing runs).
      const isIdle = this.numRunning === 0;
      if (!isUrgent && !isIdle && (need > spare || this.numWaiting > 0)) continue;
      picked.push(s);
      spare -= need;
    }
    return picked.map((seq) => ({ seq, mode: this.resumeMode(seq) }));
  }

  canAdmit(): boolean {
    if (this.passAdmits) return this.passAdmits.size > 0;
    const ctx = this.ctx;
    if (!ctx) return true;
    // Between passes: admit into free room unless paused requests are waiting to come back.
    return ctx.paused().length === 0;
  }

  writeThrough(
    running: readonly Sequence[],
    nowMs: number,
  ): { order: Sequence[]; budgetBytes: number } | null {
    const offload = this.offload();
    if (!offload) return null;
    const order = [...running].sort((a, b) => this.sortKey(b, nowMs) - this.sortKey(a, nowMs));
    const bw = offload.storeBytesPerMs || this.params.initialCopyBytesPerMs;
    return { order, budgetBytes: bw * this.decodeStepMs * this.params.writeThroughFraction };
  }

  /** Lower = more urgent: not started first, then by seconds of buffer. */
  private sortKey(seq: Sequence, nowMs: number): number {
    const b = this.buffer(seq);
    if (!b.hasStarted) return -1e12 + seq.arrivalMs;
    b.advance(nowMs);
    return b.bufferSec;
  }

  private runPass(
    running: readonly Sequence[],
    waiting: readonly Sequence[],
    paused: readonly Sequence[],
    nowMs: number,
  ): Sequence[] {
    const ctx = this.ctx as PolicyContext;
    const candidates = [
      ...running.map((s) => this.candidate(s, "running", nowMs)),
      ...paused.map((s) => this.candidate(s, "paused", nowMs)),
      ...waiting.map((s) => this.candidate(s, "waiting", nowMs)),
    ];
    const workingSet = running.length + paused.length;
    const decision = tokenFlowPass(
      candidates,
      {
        numDeviceBlocks: ctx.numDeviceBlocks,
        maxNumSeqs: ctx.maxNumSeqs,
        scheduleIntervalMs: this.params.scheduleIntervalMs,
        bufferSafetyFactor: this.params.bufferSafetyFactor,
        resumeMarginMs: this.params.resumeMarginMs,
        maxAdmissions: Math.min(
          Math.max(0, this.workingSetTarget(running, paused, waiting) - workingSet),
          this.numAdmissibleByRate(
            [...running, ...paused],
            waiting.filter((w) => !this.buffer(w).hasStarted),
          ),
        ),
      },
      (c) => this.cheapestSwitchById(running, c.id),
    );
    this.passResumes = [...decision.resume];
    this.passAdmits = new Set(decision.admit);
    const byId = new Map(running.map((s) => [s.id, s]));
    return decision.pause.flatMap((id) => {
      const s = byId.get(id);
      if (!s) return [];
      this.modes.set(id, this.cheapestSwitch(s).mode);
      return [s];
    });
  }

  /** Tokens a running request may add before the next pass. */
  private headroomTokens(): number {
    return Math.ceil(this.params.scheduleIntervalMs / Math.max(1, this.decodeStepMs)) + 1;
  }

  private headroomBlocks(): number {
    return this.blocksFor(this.headroomTokens());
  }

  private blocksFor(numTokens: number): number {
    return Math.ceil(numTokens / (this.ctx?.blockTokens ?? 16));
  }

  private candidate(seq: Sequence, place: PassCandidate["place"], nowMs: number): PassCandidate {
    const b = this.buffer(seq);
    b.advance(nowMs);
    const cost = place === "running" ? this.cheapestSwitch(seq) : null;
    const tokens =
      seq.numTokens + Math.min(this.headroomTokens(), Math.max(0, seq.maxTokens - seq.numOutputTokens));
    return {
      id: seq.id,
      place,
      hasStarted: b.hasStarted,
      bufferSec: b.bufferSec,
      rateTokPerS: b.rateTokPerS,
      switchInMs: place === "running" ? 0 : this.backMs(seq),
      pauseMs: cost?.pauseMs ?? 0,
      numBlocks: this.blocksFor(tokens),
      arrivalMs: seq.arrivalMs,
    };
  }

  private cheapestSwitchById(running: readonly Sequence[], id: string): number {
    const s = running.find((r) => r.id === id);
    return s ? this.cheapestSwitch(s).backMs : 0;
  }

  /** The cheapest way to pause a running `seq` and bring it back. */
  private cheapestSwitch(seq: Sequence): SwitchCost {
    const recompute: SwitchCost = { mode: "recompute", pauseMs: 0, backMs: this.recomputeMs(seq.numTokens) };
    const offload = this.offload();
    if (!offload) return recompute;
    const { store, load } = this.bandwidths(offload);
    const bytesPerToken = offload.blockBytes / (this.ctx?.blockTokens ?? 16);
    const loadAhead = offload.pendingLoadBytes / load;
    const swap: SwitchCost = {
      mode: "swap",
      pauseMs: (offload.pendingStoreBytes + offload.unsyncedBytes(seq.id, seq.numComputedTokens)) / store,
      backMs: loadAhead + (seq.numComputedTokens * bytesPerToken) / load,
    };
    const held = offload.numHostTokens(seq.id, seq.numComputedTokens);
    const hybrid: SwitchCost = {
      mode: "hybrid",
      pauseMs: 0,
      backMs: loadAhead + (held * bytesPerToken) / load + this.recomputeMs(seq.numTokens - held),
    };
    return [swap, hybrid, recompute].reduce((a, b) => (b.pauseMs + b.backMs < a.pauseMs + a.backMs ? b : a));
  }

  /** Time to bring a paused or waiting `seq` back onto the device (ms). */
  private backMs(seq: Sequence): number {
    const offload = this.offload();
    if (!offload || seq.status !== "paused") return this.recomputeMs(seq.numTokens);
    const { store, load } = this.bandwidths(offload);
    const held = offload.numHostTokens(seq.id, seq.numComputedTokens);
    const bytes = held * (offload.blockBytes / (this.ctx?.blockTokens ?? 16));
    const storesAhead = offload.hasTransfersInFlight(seq.id) ? offload.pendingStoreBytes / store : 0;
    const viaLoad =
      storesAhead + (offload.pendingLoadBytes + bytes) / load + this.recomputeMs(seq.numTokens - held);
    return Math.min(viaLoad, this.recomputeMs(seq.numTokens));
  }

  private resumeMode(seq: Sequence): ResumeMode {
    const offload = this.offload();
    if (!offload) return "recompute";
    return this.backMs(seq) >= this.recomputeMs(seq.numTokens) &&
      offload.numHostTokens(seq.id, seq.numComputedTokens) < seq.numComputedTokens
      ? "recompute"
      : "reload";
  }

  /** The host tier's planner, unless the host tier is switched off by `useHostTier`. */
  private offload(): KvOffload | null {
    return this.params.useHostTier ? (this.ctx?.offload ?? null) : null;
  }

  private recomputeMs(numTokens: number): number {
    return numTokens * this.prefillMsPerToken;
  }

  private bandwidths(offload: KvOffload): { store: number; load: number } {
    return {
      store: offload.storeBytesPerMs || this.params.initialCopyBytesPerMs,
      load: offload.loadBytesPerMs || this.params.initialCopyBytesPerMs,
    };
  }

  /** Eq. 4–5: how many requests may be in flight across both tiers. */
  private workingSetTarget(
    running: readonly Sequence[],
    paused: readonly Sequence[],
    waiting: readonly Sequence[],
  ): number {
    const ctx = this.ctx as PolicyContext;
    const all = [...running, ...paused, ...waiting];
    const meanTokens =
      all.reduce((sum, s) => sum + s.numPromptTokens + s.maxTokens, 0) / Math.max(1, all.length);
    const perRequest = Math.max(1, Math.ceil(meanTokens / ctx.blockTokens));
    const memory = ctx.numDeviceBlocks + (this.offload()?.host.numBlocks ?? 0);
    const wStatic = Math.max(1, Math.floor(memory / perRequest));
    const n = running.length;
    return n < wStatic ? Math.round(wStatic - this.params.workingSetAdjustRate * (wStatic - n)) : wStatic;
  }

  /** Total reading rate over capacity (FCFS fallback, paper §4.3). */
  private isOverloaded(running: readonly Sequence[], paused: readonly Sequence[]): boolean {
    if (!this.ctx || running.length === 0) return false;
    const active = [...running, ...paused];
    return this.demandTokPerS(active) > this.params.overloadThreshold * this.capacityTokPerS(active);
  }

  /**
   * How many waiting requests (in queue order) the working set can take while the readers'
   * total rate stays within capacity (the paper's schedulability condition Σ r ≤ Γ).
   */
  private numAdmissibleByRate(active: readonly Sequence[], waiting: readonly Sequence[]): number {
    const set = [...active];
    let n = 0;
    for (const w of waiting) {
      set.push(w);
      if (this.demandTokPerS(set) > this.params.overloadThreshold * this.capacityTokPerS(set)) break;
      n++;
    }
    // An empty device always takes one request (liveness, whatever the estimates say).
    return active.length === 0 ? Math.max(n, 1) : n;
  }

  private demandTokPerS(seqs: readonly Sequence[]): number {
    return seqs.reduce((sum, s) => sum + this.buffer(s).rateTokPerS, 0);
  }

  /**
   * Γ: tokens/s the device delivers to the requests it can hold at once (device blocks over the
   * requests' mean footprint across their lives, prompt + half their output), each at the
   * measured decode speed.
   */
  private capacityTokPerS(seqs: readonly Sequence[]): number {
    const ctx = this.ctx as PolicyContext;
    const meanTokens = seqs.reduce((sum, s) => sum + s.numPromptTokens + s.maxTokens / 2, 0) / seqs.length;
    const fitByMemory = Math.floor(ctx.numDeviceBlocks / Math.max(1, this.blocksFor(meanTokens)));
    const fit = Math.max(1, Math.min(ctx.maxNumSeqs, seqs.length, fitByMemory));
    return (fit * 1000) / Math.max(1e-3, this.decodeStepMs);
  }
}
