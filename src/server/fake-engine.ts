/**
 * A small stand-in engine for server tests: it "generates" a fixed script of tokens with the real
 * tokenizer, one token per tick, honouring max tokens, stop strings (never streaming part of
 * one), stop token ids, logprobs, abort and a bounded queue. It records what it was asked.
 */
import type { EngineOutput, GenerationRequest, TokenLogprob } from "../engine/engine-types.js";
import { QueueFullError } from "../errors.js";
import type { Tokenizer } from "../model/tokenizer.js";
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
  private readonly active = new Set<string>();
  private readonly abortFlags = new Set<string>();
  /** Sequences whose generator body has begun (an unstarted one cleans up on abort). */
  private readonly started = new Set<string>();
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
    else this.active.delete(id);
  }

  stats(): ServerEngineStats {
    return { numRunning: this.active.size, numWaiting: 0, numPreemptions: 0, kvUsage: this.active.size / 64 };
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
    const base = { numPromptTokens: req.promptTokens.length, stopReason: null };
    try {
      for (let i = 0; ; i++) {
        await sleep(this.options.tokenDelayMs ?? 1);
        if (this.abortFlags.has(req.id)) {
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
        all += detok.push(id);
        const logprobs =
          req.sampling.topLogprobs === null ? null : [this.logprobOf(id, req.sampling.topLogprobs)];
        const common = { ...base, tokenIds: [id], logprobs, numOutputTokens: i + 1 };
        const hit = i + 1 >= req.minTokens ? firstStop(all, req.stop) : null;
        if (hit || req.stopTokenIds.includes(id)) {
          const end = hit ? hit.at : all.length;
          yield {
            ...common,
            text: all.slice(sent, end),
            finishReason: "stop",
            stopReason: hit ? hit.stop : id,
          };
          return;
        }
        if (i + 1 >= req.maxTokens) {
          yield { ...common, text: all.slice(sent), finishReason: "length" };
          return;
        }
        const end = Math.max(sent, all.length - heldBack(all, req.stop));
        yield { ...common, text: all.slice(sent, end), finishReason: null };
        sent = end;
      }
    } finally {
      this.active.delete(req.id);
      this.abortFlags.delete(req.id);
      this.started.delete(req.id);
    }
  }
}
