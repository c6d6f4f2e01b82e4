/**
 * The engine: continuous batching over a {@link Runtime}. Typical wiring (serve command):
 *
 * ```ts
 * const model = await openModel(path);
 * const runtime = await NativeRuntime.create(model, { kvCacheBytes, maxBatchTokens });
 * const engine = new Engine({ runtime, tokenizer: tokenizerForModel(model),
 *   maxNumBatchedTokens, maxNumSeqs, maxModelLen: model.spec.contextLength });
 * const stream = engine.submit(request);          // throws QueueFullError → 503, etc.
 * for await (const out of stream) send(out);      // leaving the loop aborts the request
 * await engine.stop(graceMs); runtime.dispose();
 * ```
 */
import { randomInt } from "node:crypto";
import {
  EngineStoppedError,
  InvalidArgumentError,
  QueueFullError,
  RequestFailedError,
  ServingError,
} from "../errors.js";
import { BlockManager } from "../kv/block-manager.js";
import { HostBlockPool } from "../kv/host-block-pool.js";
import { KvOffload } from "../kv/kv-offload.js";
import { type Clock, type Runtime, type RuntimeStepOutput, systemClock } from "../runtime/runtime.js";
import { FcfsPolicy } from "../scheduler/fcfs-policy.js";
import { Scheduler } from "../scheduler/scheduler.js";
import { Sequence } from "../scheduler/sequence.js";
import type { StepPlan } from "../scheduler/step-plan.js";
import { checkRequest } from "./check-request.js";
import { type EngineEventMap, EngineEvents, type EngineStats, type StepStats } from "./engine-events.js";
import type { EngineOptions, EngineTokenizer } from "./engine-options.js";
import type { FinishReason, GenerationRequest, RequestPhase, RequestSnapshot } from "./engine-types.js";
import { InputPacker } from "./input-packer.js";
import { OutputStream } from "./output-stream.js";
import { RequestState } from "./request-state.js";
import { TokenLogprobBuilder } from "./token-logprobs.js";

export type { EngineOptions, EngineTokenizer };

/**
 * The continuous-batching engine: requests go in with `submit`, and one loop runs steps
 * (schedule → pack rows → runtime.step → append tokens, detokenize, stop checks → outputs) while
 * any request is active. A request's failure ends that request only.
 */
export class Engine {
  /** Typed events (steps, first tokens, inter-token latencies, preemptions, finishes). */
  readonly events = new EngineEvents();
  readonly blocks: BlockManager;
  readonly scheduler: Scheduler;
  /** The host KV tier's planner, when the runtime has a host tier. */
  readonly offload: KvOffload | null;
  private readonly runtime: Runtime;
  private readonly tokenizer: EngineTokenizer;
  private readonly clock: Clock;
  private readonly states = new Map<string, RequestState>();
  private readonly inFlight = new Set<string>();
  private readonly packer: InputPacker;
  private readonly logprobs: TokenLogprobBuilder;
  private loop: Promise<void> | null = null;
  private isAccepting = true;
  private stopDeadlineMs: number | null = null;
  private numStepsTotal = 0;
  private numPromptTokensTotal = 0;
  private numGenerationTokensTotal = 0;
  private numRequestsFinishedTotal = 0;
  private lastStep: StepStats | null = null;

  constructor(private readonly options: EngineOptions) {
    this.runtime = options.runtime;
    this.tokenizer = options.tokenizer;
    this.clock = options.clock ?? systemClock;
    const info = this.runtime.info;
    this.blocks = new BlockManager(info.numBlocks, info.blockTokens);
    const maxNumBatchedTokens = Math.min(options.maxNumBatchedTokens ?? 2048, info.maxBatchTokens);
    const numHostBlocks = info.numHostBlocks ?? 0;
    this.offload =
      numHostBlocks > 0 && this.runtime.flushTransfers
        ? new KvOffload(this.blocks, new HostBlockPool(numHostBlocks), Math.max(1, info.blockBytes))
        : null;
    this.scheduler = new Scheduler(
      {
        maxNumBatchedTokens,
        maxNumSeqs: options.maxNumSeqs ?? 256,
        maxNumWaiting: options.maxNumWaiting ?? 4096,
      },
      this.blocks,
      options.policy ?? new FcfsPolicy(),
      this.offload,
    );
    this.packer = new InputPacker(this.blocks, info.vocabSize, this.tokenizer.eogIds);
    this.logprobs = new TokenLogprobBuilder(this.tokenizer);
  }

  /**
   * Queues a request and returns its output stream. Throws (synchronously) QueueFullError,
   * EngineStoppedError, ContextLengthExceededError or InvalidArgumentError; a constraint the
   * factory refuses throws its error.
   */
  submit(request: GenerationRequest): OutputStream {
    this.validate(request);
    const now = this.clock.now();
    const matcher = request.constraint ? this.createMatcher(request) : null;
    const seq = new Sequence({
      id: request.id,
      promptTokens: request.promptTokens,
      maxTokens: request.maxTokens,
      arrivalMs: now,
      consumptionRateTokPerS: request.consumptionRateTokPerS,
    });
    const stream = new OutputStream(request.id, () => this.abort(request.id));
    const seed = request.sampling.seed ?? this.options.randomSeed?.() ?? randomInt(2 ** 47);
    const detok = this.tokenizer.createDetokenizer({ skipSpecial: true, stripLeadingSpace: false });
    const state = new RequestState(
      request,
      seq,
      stream,
      detok,
      matcher,
      seed,
      (id) => this.tokenizer.isEog(id),
      this.options.defaultConsumptionRateTokPerS ?? 20,
    );
    this.states.set(request.id, state);
    this.scheduler.add(seq);
    this.emit("requestAdded", { id: request.id, numPromptTokens: seq.numPromptTokens, timeMs: now });
    this.ensureLoop();
    return stream;
  }

  /**
   * Aborts a request: it ends with finishReason "abort" and its blocks are freed now, or right
   * after the step in flight if it is part of it. Returns false for an unknown or finished id.
   */
  abort(id: string): boolean {
    const state = this.states.get(id);
    if (!state) return false;
    if (this.inFlight.has(id)) state.isAbortRequested = true;
    else this.finishRequest(state, "abort", null, "");
    return true;
  }

  /**
   * The client of request `id` says it has read `numRead` of its tokens (TokenFlow's buffer
   * model is corrected by it). Returns false for an unknown or finished id.
   */
  acknowledgeConsumed(id: string, numRead: number): boolean {
    const state = this.states.get(id);
    if (!state) return false;
    this.scheduler.policy.onConsumed?.(state.seq, numRead, this.clock.now());
    state.reader.acknowledge(numRead, this.clock.now());
    return true;
  }

  /** Where each active request is and how its reader is doing (dashboards), in arrival order. */
  snapshot(): RequestSnapshot[] {
    const now = this.clock.now();
    return [...this.states.values()].map((st) => {
      st.reader.advance(now);
      const seq = st.seq;
      return {
        id: st.request.id,
        state: this.phaseOf(seq),
        rateTokPerS: st.reader.rateTokPerS,
        bufferSec: st.reader.bufferSec,
        numPromptTokens: seq.numPromptTokens,
        numGenerated: seq.numOutputTokens,
        numRead: Math.floor(st.reader.numRead),
        rebufferSec: st.reader.rebufferSec,
        ttftMs: st.firstTokenMs === null ? null : st.firstTokenMs - seq.arrivalMs,
        numPreemptions: seq.numPreemptions,
      };
    });
  }

  private phaseOf(seq: Sequence): RequestPhase {
    if (seq.status === "paused") return "paused";
    const started = seq.numOutputTokens > 0;
    if (seq.status === "waiting") return started ? "recomputing" : "queued";
    if (this.offload?.isLoading(seq.id)) return "reloading";
    if (seq.numUncomputedTokens > 1) return started ? "recomputing" : "prefilling";
    return "running";
  }

  /** Whether `id` is active (waiting or running). */
  hasRequest(id: string): boolean {
    return this.states.has(id);
  }

  /** A snapshot of the engine's counters. */
  stats(): EngineStats {
    return {
      numRunning: this.scheduler.numRunning,
      numWaiting: this.scheduler.numWaiting,
      numPaused: this.scheduler.numPaused,
      numActive: this.states.size,
      numPreemptionsTotal: this.scheduler.numPreemptionsTotal,
      kvCacheUsage: this.blocks.usage,
      numBlocks: this.blocks.numBlocks,
      numFreeBlocks: this.blocks.numFreeBlocks,
      numStepsTotal: this.numStepsTotal,
      numPromptTokensTotal: this.numPromptTokensTotal,
      numGenerationTokensTotal: this.numGenerationTokensTotal,
      numRequestsFinishedTotal: this.numRequestsFinishedTotal,
      lastStep: this.lastStep,
      hostTier: this.offload
        ? {
            numBlocks: this.offload.host.numBlocks,
            numFreeBlocks: this.offload.host.numFreeBlocks,
            pendingStoreBytes: this.offload.pendingStoreBytes,
            pendingLoadBytes: this.offload.pendingLoadBytes,
            storeBytesPerMs: this.offload.storeBytesPerMs,
            loadBytesPerMs: this.offload.loadBytesPerMs,
            counters: { ...this.offload.stats },
          }
        : null,
    };
  }

  /**
   * Stops accepting requests, lets active ones run for up to `graceMs` (clock time, checked
   * after each step), aborts the rest, and resolves once the loop is idle.
   */
  async stop(graceMs = 0): Promise<void> {
    this.isAccepting = false;
    this.stopDeadlineMs = this.clock.now() + Math.max(0, graceMs);
    if (graceMs <= 0) this.abortAll();
    await this.loop;
  }

  private validate(r: GenerationRequest): void {
    if (!this.isAccepting) throw new EngineStoppedError();
    if (this.states.has(r.id)) throw new InvalidArgumentError(`request id ${r.id} is already active`, "id");
    checkRequest(r, {
      vocabSize: this.runtime.info.vocabSize,
      maxModelLen: this.options.maxModelLen ?? Number.POSITIVE_INFINITY,
      kvCacheTokens: this.blocks.numBlocks * this.blocks.blockTokens,
      blockTokens: this.blocks.blockTokens,
    });
    if (this.scheduler.isQueueFull()) throw new QueueFullError();
  }

  private createMatcher(request: GenerationRequest) {
    const factory = this.options.constraintMatcherFactory;
    if (!factory)
      throw new InvalidArgumentError("structured output is not enabled on this engine", "response_format");
    return factory(request.constraint as NonNullable<GenerationRequest["constraint"]>, request);
  }

  private ensureLoop(): void {
    if (this.loop) return;
    // Start on the next macrotask: requests submitted in the same tick share the first step.
    this.loop = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.runLoop())
      .finally(() => {
        this.loop = null;
      });
  }

  private async runLoop(): Promise<void> {
    // Copies still in flight when the last request left are landed too (a finished request's
    // host blocks go back once its copies are done), so an idle engine holds no host blocks.
    while (
      this.scheduler.hasWork() ||
      (this.scheduler.hasTransfersInFlight() && this.runtime.flushTransfers)
    ) {
      try {
        await this.step();
      } catch (error) {
        this.emit("error", { error });
      }
      if (this.stopDeadlineMs !== null && this.clock.now() >= this.stopDeadlineMs) this.abortAll();
      // Let I/O (new requests, disconnects) in between steps, even when the runtime is instant.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  private async step(): Promise<void> {
    const startMs = this.clock.now();
    const plan = this.scheduler.schedule(startMs);
    this.emitPlanEvents(plan, startMs);
    if (plan.rows.length === 0) return this.stepWithoutRows(plan);
    const packed = this.packer.pack(plan.rows, (id) => this.states.get(id));
    for (const f of packed.failed) this.failRequest(f.id, f.error);
    if (packed.rows.length === 0) return this.stepWithoutRows(plan);
    const ran: StepPlan = { ...plan, rows: packed.planned };
    for (const row of ran.rows) this.inFlight.add(row.seq.id);
    const runtimeStartMs = this.clock.now();
    let out: RuntimeStepOutput;
    try {
      out = await this.runtime.step({
        rows: packed.rows,
        ...(packed.fillMasks ? { fillMasks: packed.fillMasks } : {}),
        ...(plan.transfers.length > 0 ? { transfers: plan.transfers } : {}),
      });
    } catch (error) {
      this.inFlight.clear();
      for (const row of ran.rows) this.failRequest(row.seq.id, error);
      return;
    }
    this.inFlight.clear();
    const runtimeMs = this.clock.now() - runtimeStartMs;
    this.scheduler.onTransfersCompleted(
      out.completedTransferIds ?? [],
      this.clock.now(),
      this.runtime.takeTransferStats?.(),
    );
    try {
      this.scheduler.commit(ran);
      for (const f of packed.maskErrors) this.failRequest(f.id, f.error);
      this.processOutputs(ran, out);
    } catch (error) {
      // A bug outside any one request: fail this step's requests rather than retry it forever.
      for (const row of ran.rows) this.failRequest(row.seq.id, error);
    }
    this.recordStep(ran, out, startMs, runtimeMs);
  }

  /**
   * Preemptions and resumptions of a planned step. A request resumed by recompute is reported
   * when it is admitted again (it may wait in the queue first), like one preempted to recompute.
   */
  private emitPlanEvents(plan: StepPlan, timeMs: number): void {
    for (const p of plan.preempted) this.emit("preempted", { id: p.seq.id, mode: p.mode, timeMs });
    for (const r of plan.resumed)
      if (r.mode !== "recompute")
        this.emit("resumed", { id: r.seq.id, mode: r.mode, numLoadedTokens: r.numLoadedTokens, timeMs });
    for (const seq of plan.readmitted)
      this.emit("resumed", { id: seq.id, mode: "recompute", numLoadedTokens: 0, timeMs });
  }

  private processOutputs(plan: StepPlan, out: RuntimeStepOutput): void {
    const now = this.clock.now();
    for (const [r, row] of plan.rows.entries()) {
      const state = this.states.get(row.seq.id);
      if (!state || state.isFinished) continue;
      if (state.isAbortRequested) {
        this.finishRequest(state, "abort", null, "");
        continue;
      }
      this.numPromptTokensTotal += row.isDecode ? 0 : row.numNewTokens;
      if (!row.isSampled) continue;
      try {
        this.acceptToken(state, out, r, now);
      } catch (error) {
        this.failRequest(state.request.id, error);
      }
    }
  }

  private acceptToken(state: RequestState, out: RuntimeStepOutput, r: number, now: number): void {
    const token = out.tokens[r] as number;
    if (token < 0)
      throw new RequestFailedError("no token is allowed here (constraint and min_tokens conflict)");
    this.numGenerationTokensTotal++;
    const id = state.request.id;
    if (state.firstTokenMs === null) {
      state.firstTokenMs = now;
      this.emit("firstToken", { id, ttftMs: now - state.seq.arrivalMs, timeMs: now });
    } else this.emit("interToken", { id, itlMs: now - (state.lastTokenMs ?? now), timeMs: now });
    state.lastTokenMs = now;
    const numTop = state.request.sampling.topLogprobs;
    const lp = numTop === null ? null : this.logprobs.build(out, r, token, numTop);
    const end = state.acceptToken(token, lp);
    this.scheduler.policy.onTokens?.(state.seq, 1, now);
    state.reader.onTokens(1, now);
    if (end) this.finishRequest(state, end.reason, end.stopReason, end.text);
  }

  private finishRequest(
    state: RequestState,
    reason: FinishReason,
    stopReason: string | number | null,
    text: string,
    error?: Error,
  ): void {
    if (state.isFinished) return;
    const now = this.clock.now();
    state.finish(reason, stopReason, text, error);
    this.scheduler.finish(state.seq, now);
    this.states.delete(state.request.id);
    this.numRequestsFinishedTotal++;
    const seq = state.seq;
    state.reader.advance(now);
    this.emit("requestFinished", {
      id: state.request.id,
      finishReason: reason,
      numPromptTokens: seq.numPromptTokens,
      numOutputTokens: seq.numOutputTokens,
      e2eMs: now - seq.arrivalMs,
      queueMs: seq.firstScheduledMs === null ? null : seq.firstScheduledMs - seq.arrivalMs,
      ttftMs: state.firstTokenMs === null ? null : state.firstTokenMs - seq.arrivalMs,
      numPreemptions: seq.numPreemptions,
      rebufferSec: state.firstTokenMs === null ? null : state.reader.rebufferSec,
      timeMs: now,
      error: error ?? null,
    });
  }

  private failRequest(id: string, error: unknown): void {
    const state = this.states.get(id);
    if (!state) return;
    const err =
      error instanceof ServingError
        ? error
        : new RequestFailedError(
            `request ${id} failed: ${error instanceof Error ? error.message : String(error)}`,
            { cause: error },
          );
    this.finishRequest(state, "error", null, "", err);
  }

  /**
   * A step with nothing to compute: copies between the tiers may still have to land (paused
   * requests loading back) — issue and wait for them; otherwise nothing can run, which should
   * not happen: fail the queue head rather than spin.
   */
  private async stepWithoutRows(plan: StepPlan): Promise<void> {
    const flush = this.runtime.flushTransfers?.bind(this.runtime);
    if (flush && (plan.transfers.length > 0 || this.scheduler.hasTransfersInFlight())) {
      const done = await flush(plan.transfers);
      this.scheduler.onTransfersCompleted(done, this.clock.now(), this.runtime.takeTransferStats?.());
      return;
    }
    if (plan.resumed.length > 0 || plan.preempted.length > 0) return;
    this.failUnschedulable();
  }

  /** No row could be planned although work exists (should not happen): fail the queue head, never spin. */
  private failUnschedulable(): void {
    const head = this.scheduler.waiting[0] ?? this.scheduler.running[0];
    if (head) this.failRequest(head.id, new RequestFailedError(`request ${head.id} cannot be scheduled`));
  }

  private abortAll(): void {
    for (const state of [...this.states.values()]) this.abort(state.request.id);
  }

  private recordStep(plan: StepPlan, out: RuntimeStepOutput, startMs: number, runtimeMs: number): void {
    const stepMs = this.clock.now() - startMs;
    const numDecodeRows = plan.rows.filter((r) => r.isDecode).length;
    this.lastStep = {
      stepIndex: this.numStepsTotal++,
      numRows: plan.rows.length,
      numDecodeRows,
      numPrefillTokens: plan.numBatchedTokens - numDecodeRows,
      numBatchedTokens: plan.numBatchedTokens,
      numPreempted: plan.preempted.length,
      numAdmitted: plan.numAdmitted,
      stepMs,
      runtimeMs,
      overheadMs: stepMs - runtimeMs,
      forwardMs: out.forwardMs,
      sampleMs: out.sampleMs,
      maskMs: out.maskMs ?? 0,
      numTransfersIssued: plan.transfers.length,
      numTransfersCompleted: out.completedTransferIds?.length ?? 0,
    };
    this.scheduler.policy.onStep?.(
      { stepMs, numDecodeRows, numPrefillTokens: this.lastStep.numPrefillTokens },
      this.clock.now(),
    );
    this.emit("step", this.lastStep);
  }

  private emit<K extends keyof EngineEventMap>(event: K, payload: EngineEventMap[K]): void {
    this.events.emit(event, payload);
  }
}
