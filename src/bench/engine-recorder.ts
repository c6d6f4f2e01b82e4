/**
 * Records an in-process engine run from its events: each request's token times (`firstToken`,
 * `interToken`), its states (queued at arrival, prefilling when a step that runs it starts,
 * running at its next token, paused when preempted, running or prefilling when resumed by
 * reload or by recompute, finished), preemptions by kind, and step statistics. Times come from
 * the engine's clock, relative to the run's origin.
 */
import type { Engine } from "../engine/engine.js";
import type { EngineEventMap, StepStats } from "../engine/engine-events.js";
import type { Clock, Runtime, RuntimeStepInput, RuntimeStepOutput } from "../runtime/runtime.js";
import { emptyTimeline, errorMessage } from "./bench-target.js";
import type { BenchRequest, RequestStateName, RequestTimeline, RunSummary } from "./bench-types.js";

type Listeners = { [K in keyof EngineEventMap]?: (payload: EngineEventMap[K]) => void };

/**
 * A runtime wrapper that reports each step's start (after scheduling, before the forward pass),
 * so the recorder can stamp "prefilling" when the step that runs a prefill starts.
 */
export class ObservedRuntime implements Runtime {
  readonly kind: string;
  onStepStart: () => void = () => {};

  readonly flushTransfers?: Runtime["flushTransfers"];
  readonly takeTransferStats?: Runtime["takeTransferStats"];

  constructor(readonly inner: Runtime) {
    this.kind = inner.kind;
    // Forward the host-tier methods only where the inner runtime has them (the engine checks).
    const flush = inner.flushTransfers?.bind(inner);
    const take = inner.takeTransferStats?.bind(inner);
    if (flush) this.flushTransfers = (transfers) => flush(transfers);
    if (take) this.takeTransferStats = () => take();
  }

  get info() {
    return this.inner.info;
  }

  async step(input: RuntimeStepInput): Promise<RuntimeStepOutput> {
    this.onStepStart();
    return this.inner.step(input);
  }

  dispose(): void {
    this.inner.dispose();
  }
}

/** Collects the timelines and statistics of one engine run. */
export class EngineRecorder {
  /** Requests submitted and not yet finished. */
  numActive = 0;
  readonly preemptions: Record<string, number> = {};
  private readonly timelines = new Map<string, RequestTimeline>();
  private readonly listeners: Listeners;
  private idleWaiters: (() => void)[] = [];
  private numSteps = 0;
  private sumStepMs = 0;
  private sumOverheadMs = 0;
  private sumForwardMs = 0;
  private sumMaskMs = 0;

  constructor(
    private readonly engine: Engine,
    runtime: ObservedRuntime,
    private readonly clock: Clock,
    private readonly originMs: number,
  ) {
    runtime.onStepStart = () => this.markPrefilling();
    this.listeners = {
      firstToken: (e) => this.onToken(e.id),
      interToken: (e) => this.onToken(e.id),
      preempted: (e) => this.onPreempted(e.id, e.mode),
      // A paused request whose KV comes back by reload decodes at once; otherwise it prefills.
      resumed: (e) => this.onResumed(e.id, e.mode === "reload" ? "running" : "prefilling"),
      requestFinished: (e) => this.onFinished(e),
      step: (s) => this.onStep(s),
    };
    for (const [name, fn] of Object.entries(this.listeners))
      engine.events.on(name as keyof EngineEventMap, fn as (p: unknown) => void);
  }

  /** Seconds since the run's origin on the engine's clock. */
  nowS(): number {
    return (this.clock.now() - this.originMs) / 1000;
  }

  /** Starts the timeline of `req` (queued at its arrival). Call before submitting it. */
  track(req: BenchRequest): void {
    const tl = emptyTimeline(req);
    tl.states = [{ tS: req.arrivalS, state: "queued" }];
    this.timelines.set(req.id, tl);
  }

  /** The engine accepted the request. */
  submitted(): void {
    this.numActive++;
  }

  /** The engine refused the request at submission. */
  refused(id: string, err: unknown): void {
    const tl = this.timelines.get(id);
    if (!tl) return;
    tl.error = errorMessage(err);
    tl.finishS = this.nowS();
    this.pushState(tl, "finished");
  }

  /** Resolves once no submitted request is active (immediately if none is). */
  idle(): Promise<void> {
    if (this.numActive === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** The timelines of `requests`, in their order. */
  timelinesOf(requests: readonly BenchRequest[]): RequestTimeline[] {
    return requests.map((r) => this.timelines.get(r.id) ?? emptyTimeline(r));
  }

  /** Step statistics (ms on the engine's clock). */
  engineStats(): NonNullable<RunSummary["engine"]> {
    const n = Math.max(1, this.numSteps);
    return {
      steps: this.numSteps,
      step_ms_mean: this.sumStepMs / n,
      overhead_ms_mean: this.sumOverheadMs / n,
      overhead_frac: this.sumStepMs > 0 ? this.sumOverheadMs / this.sumStepMs : 0,
      forward_ms_mean: this.sumForwardMs / n,
      mask_ms_mean: this.sumMaskMs / n,
    };
  }

  /** Removes the event listeners. */
  detach(): void {
    for (const [name, fn] of Object.entries(this.listeners))
      this.engine.events.off(name as keyof EngineEventMap, fn as (p: unknown) => void);
  }

  private pushState(tl: RequestTimeline, state: RequestStateName): void {
    const states = tl.states ?? [];
    if (states[states.length - 1]?.state !== state) states.push({ tS: this.nowS(), state });
    tl.states = states;
  }

  private lastState(tl: RequestTimeline): RequestStateName | undefined {
    return tl.states?.[tl.states.length - 1]?.state;
  }

  private markPrefilling(): void {
    for (const seq of this.engine.scheduler.running) {
      const tl = this.timelines.get(seq.id);
      const last = tl && this.lastState(tl);
      if (tl && (last === "queued" || last === "paused")) this.pushState(tl, "prefilling");
    }
  }

  private onToken(id: string): void {
    const tl = this.timelines.get(id);
    if (!tl) return;
    tl.tokenTimesS.push(this.nowS());
    this.pushState(tl, "running");
  }

  private onPreempted(id: string, mode: string): void {
    this.preemptions[mode] = (this.preemptions[mode] ?? 0) + 1;
    const tl = this.timelines.get(id);
    if (tl) this.pushState(tl, "paused");
  }

  private onResumed(id: string, state: RequestStateName): void {
    const tl = this.timelines.get(id);
    if (tl) this.pushState(tl, state);
  }

  private onFinished(e: EngineEventMap["requestFinished"]): void {
    const tl = this.timelines.get(e.id);
    if (!tl) return;
    tl.finishS = this.nowS();
    if (e.finishReason === "error") tl.error = e.error?.message ?? "request failed";
    else if (e.finishReason === "abort") tl.error = "aborted";
    this.pushState(tl, "finished");
    this.numActive--;
    if (this.numActive === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private onStep(s: StepStats): void {
    this.numSteps++;
    this.sumStepMs += s.stepMs;
    this.sumOverheadMs += s.overheadMs;
    this.sumForwardMs += s.forwardMs;
    // `maskMs` is newer than the other step fields; read it defensively.
    this.sumMaskMs += (s as { maskMs?: number }).maskMs ?? 0;
  }
}
