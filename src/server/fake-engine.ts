/**
 * A small stand-in engine for server tests: it "generates" a fixed script of tokens with the real
 * tokenizer, one token per tick, honouring max tokens, stop strings (never streaming part of
 * one), stop token ids, logprobs, abort and a bounded queue. It records what it was asked
 * (requests, aborts, consumption acknowledgements), emits the token and finish events, and can
 * be told to report a preemption or resumption; it has no KV tiers and no buffer model (zeros).
 */
import { EngineEvents } from "../engine/engine-events.js";
import type {
  EngineOutput,
  FinishReason,
  GenerationRequest,
  RequestSnapshot,
  TokenLogprob,
} from "../engine/engine-types.js";
import { QueueFullError } from "../errors.js";
import type { Tokenizer } from "../model/tokenizer.js";
import type { PreemptionMode, ResumeMode } from "../scheduler/step-plan.js";
import type { ServerEngine, ServerEngineStats } from "./server-engine.js";

/** Settings of a {@link FakeEngine}. */
export interface FakeEngineOptions {
  readonly tokenizer: Tokenizer;
  /** Text whose tokens are generated, cyclically. */
  readonly script?: string;
  /** Delay before each token, ms. Default 1. */
  readonly tokenDelayMs?: number;
  /** Most sequences at once; more get a `queue_full` error. Default 64. */
  readonly maxSequences?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Length of the longest suffix of `text` that is a proper prefix of some stop string. */
function heldBack(text: string, stops: readonly string[]): number {
  let hold = 0;
  for (const s of stops) {
    for (let k = Math.min(s.length - 1, text.length); k > hold; k--) {
      if (text.endsWith(s.slice(0, k))) {
        hold = k;
        break;
      }
    }
  }
  return hold;
}

function firstStop(text: string, stops: readonly string[]): { at: number; stop: string } | null {
  let best: { at: number; stop: string } | null = null;
  for (const stop of stops) {
    const at = text.indexOf(stop);
    if (at >= 0 && (best === null || at < best.at)) best = { at, stop };
  }
  return best;
}

/** A deterministic in-process engine for tests. */
export class FakeEngine implements ServerEngine {
  /** Every request submitted, in order. */
  readonly submitted: GenerationRequest[] = [];
  /** Ids passed to {@link abort}, in order. */
  readonly aborted: string[] = [];
  /** Calls of {@link acknowledgeConsumed} that found their sequence, in order. */
  readonly acknowledged: { readonly id: string; readonly numRead: number }[] = [];
  readonly events = new EngineEvents();
  private readonly active = new Set<string>();
  private numPreemptions = 0;
  private readonly abortFlags = new Set<string>();
  /** Sequences whose generator body has begun (an unstarted one cleans up on abort). */
  private readonly started = new Set<string>();
  /** Aborted before their generator began: if it begins after all, it ends at once. */
  private readonly abortedBeforeStart = new Set<string>();
  /** Paused to the "host tier" by {@link simulatePreemption}: no tokens until resumed. */
  private readonly held = new Set<string>();
  /** Sequences that produced their last output (finished for the engine, maybe not yet read). */
  private readonly finished = new Set<string>();
  private readonly script: number[];
  private stopping = false;

  constructor(private readonly options: FakeEngineOptions) {
    this.script = options.tokenizer.encode(options.script ?? "The quick brown fox jumps over the lazy dog.");
  }

  submit(request: GenerationRequest): AsyncIterable<EngineOutput> {
    if (this.stopping || this.active.size >= (this.options.maxSequences ?? 64)) {
      throw new QueueFullError();
    }
    this.submitted.push(request);
    this.active.add(request.id);
    return this.generate(request);
  }

  abort(id: string): void {
    this.aborted.push(id);
    if (!this.active.has(id)) return;
    if (this.started.has(id)) this.abortFlags.add(id);
    else {
      this.active.delete(id);
      this.abortedBeforeStart.add(id);
    }
  }

  acknowledgeConsumed(id: string, numRead: number): boolean {
    if (!this.active.has(id) || this.finished.has(id)) return false;
    this.acknowledged.push({ id, numRead });
    return true;
  }

  snapshot(): RequestSnapshot[] {
    const live = [...this.active].filter((id) => !this.finished.has(id));
    return live.map((id) => ({
      id,
      state: "running",
      rateTokPerS: 20,
      bufferSec: 0,
      numPromptTokens: 0,
      numGenerated: 0,
      numRead: 0,
      rebufferSec: 0,
      ttftMs: null,
      numPreemptions: 0,
    }));
  }

  stats(): ServerEngineStats {
    return {
      numRunning: this.active.size,
      numWaiting: 0,
      numPaused: 0,
      numPreemptions: this.numPreemptions,
      kvUsage: this.active.size / 64,
      hostTier: null,
    };
  }

  /**
   * Reports a preemption of `id` as the engine would. A `swap` or `hybrid` one holds the
   * sequence's tokens until {@link simulateResumption}; a `recompute` one is readmitted at once.
   */
  simulatePreemption(id: string, mode: PreemptionMode): void {
    this.numPreemptions++;
    if (mode !== "recompute") this.held.add(id);
    this.events.emit("preempted", { id, mode, timeMs: performance.now() });
  }

  /** Reports a resumption of `id` as the engine would, and lets it generate again. */
  simulateResumption(id: string, mode: ResumeMode): void {
    this.held.delete(id);
    this.events.emit("resumed", { id, mode, numLoadedTokens: 0, timeMs: performance.now() });
  }

  /** Number of sequences generating now. */
  get numActive(): number {
    return this.active.size;
  }

  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    const deadline = Date.now() + graceMs;
    while (this.active.size > 0 && Date.now() < deadline) await sleep(5);
    for (const id of this.active) this.abortFlags.add(id);
    while (this.active.size > 0) await sleep(5);
  }

  private logprobOf(id: number, k: number): TokenLogprob {
    const tok = this.options.tokenizer;
    const text = (t: number) => tok.decode([t], { stripLeadingSpace: false });
    const top = Array.from({ length: k }, (_, j) => {
      const alt = (id + j) % tok.vocabSize;
      return { tokenId: alt, token: text(alt), logprob: -0.25 * (j + 1) };
    });
    return { tokenId: id, token: text(id), logprob: -0.25, top };
  }

  private async *generate(req: GenerationRequest): AsyncGenerator<EngineOutput> {
    this.started.add(req.id);
    const detok = this.options.tokenizer.createDetokenizer({ stripLeadingSpace: false });
    const offset = req.sampling.temperature > 0 && req.sampling.seed !== null ? req.sampling.seed : 0;
    let all = "";
    let sent = 0;
    let numOut = 0;
    const base = { numPromptTokens: req.promptTokens.length, stopReason: null };
    const arrivalMs = performance.now();
    if (this.abortedBeforeStart.delete(req.id)) this.abortFlags.add(req.id);
    try {
      for (let i = 0; ; i++) {
        await sleep(this.options.tokenDelayMs ?? 1);
        while (this.held.has(req.id) && !this.abortFlags.has(req.id)) await sleep(2);
        numOut = i;
        if (this.abortFlags.has(req.id)) {
          this.finish(req, "abort", i, arrivalMs);
          yield {
            ...base,
            text: "",
            tokenIds: [],
            logprobs: null,
            finishReason: "abort",
            numOutputTokens: i,
          };
          return;
        }
        const id = this.script[(i + offset) % this.script.length] ?? 0;
        this.emitToken(req.id, i, arrivalMs);
        all += detok.push(id);
        const logprobs =
          req.sampling.topLogprobs === null ? null : [this.logprobOf(id, req.sampling.topLogprobs)];
        const common = { ...base, tokenIds: [id], logprobs, numOutputTokens: i + 1 };
        const hit = i + 1 >= req.minTokens ? firstStop(all, req.stop) : null;
        if (hit || req.stopTokenIds.includes(id)) {
          this.finish(req, "stop", i + 1, arrivalMs);
          yield {
            ...common,
            text: all.slice(sent, hit ? hit.at : all.length),
            finishReason: "stop",
            stopReason: hit ? hit.stop : id,
          };
          return;
        }
        if (i + 1 >= req.maxTokens) {
          this.finish(req, "length", i + 1, arrivalMs);
          yield { ...common, text: all.slice(sent), finishReason: "length" };
          return;
        }
        const upTo = Math.max(sent, all.length - heldBack(all, req.stop));
        yield { ...common, text: all.slice(sent, upTo), finishReason: null };
        sent = upTo;
      }
    } finally {
      this.active.delete(req.id);
      this.abortFlags.delete(req.id);
      this.started.delete(req.id);
      this.held.delete(req.id);
      // Left early (the reader returned): that is an abort.
      this.finish(req, "abort", numOut, arrivalMs);
      this.finished.delete(req.id);
    }
  }

  private emitToken(id: string, index: number, arrivalMs: number): void {
    const now = performance.now();
    if (index === 0) this.events.emit("firstToken", { id, ttftMs: now - arrivalMs, timeMs: now });
    else this.events.emit("interToken", { id, itlMs: this.options.tokenDelayMs ?? 1, timeMs: now });
  }

  /** Marks `req` finished and emits `requestFinished` (once), before its last output is read. */
  private finish(req: GenerationRequest, reason: FinishReason, numOut: number, arrivalMs: number): void {
    if (this.finished.has(req.id)) return;
    this.finished.add(req.id);
    this.events.emit("requestFinished", {
      id: req.id,
      finishReason: reason,
      numPromptTokens: req.promptTokens.length,
      numOutputTokens: numOut,
      e2eMs: performance.now() - arrivalMs,
      queueMs: 0,
      ttftMs: numOut > 0 ? 0 : null,
      numPreemptions: 0,
      // No reader model here: streams read as fast as they are written.
      rebufferSec: numOut > 0 ? 0 : null,
      timeMs: performance.now(),
      error: null,
    });
  }
}
