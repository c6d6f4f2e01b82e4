import type { Detokenizer } from "../model/detokenizer.js";
import { ReaderBuffer } from "../scheduler/buffer-model.js";
import type { Sequence } from "../scheduler/sequence.js";
import type { ConstraintMatcher } from "./constraint.js";
import type { EngineOutput, FinishReason, GenerationRequest, TokenLogprob } from "./engine-types.js";
import type { OutputStream } from "./output-stream.js";
import { StopStringHoldback } from "./stop-strings.js";

/** How a token ended its request; `text` is the last text to stream. */
export interface FinishDecision {
  readonly reason: FinishReason;
  readonly stopReason: string | number | null;
  readonly text: string;
}

/**
 * The engine's per-request output state: the scheduler's {@link Sequence}, the incremental
 * detokenizer, stop-string hold-back, the constraint matcher, and the tokens (and logprobs)
 * not yet covered by an emitted output.
 */
export class RequestState {
  /** Time of the first / latest generated token (clock ms), `null` before the first. */
  firstTokenMs: number | null = null;
  lastTokenMs: number | null = null;
  /** The reader model shown by `Engine.snapshot` (the scheduling policy keeps its own). */
  readonly reader: ReaderBuffer;
  /** Set by `abort` while the request is in the step in flight; honoured after it. */
  isAbortRequested = false;
  isFinished = false;
  private readonly holdback: StopStringHoldback;
  private readonly stopIds: ReadonlySet<number>;
  private pendingIds: number[] = [];
  private pendingLogprobs: TokenLogprob[] = [];

  constructor(
    readonly request: GenerationRequest,
    readonly seq: Sequence,
    readonly stream: OutputStream,
    private readonly detokenizer: Detokenizer,
    readonly matcher: ConstraintMatcher | null,
    /** The seed actually used (the request's, or one the engine drew). */
    readonly seed: number,
    private readonly isEog: (id: number) => boolean,
    defaultRateTokPerS: number,
  ) {
    this.reader = new ReaderBuffer(request.consumptionRateTokPerS ?? defaultRateTokPerS);
    this.holdback = new StopStringHoldback(request.stop);
    this.stopIds = new Set(request.stopTokenIds);
  }

  /** Whether EOS and stop tokens are still forbidden (below `minTokens`). */
  get isBelowMinTokens(): boolean {
    return this.seq.numOutputTokens < this.request.minTokens;
  }

  /** Appends a sampled token and streams what is safe; returns how it ends the request, if it does. */
  acceptToken(token: number, logprob: TokenLogprob | null): FinishDecision | null {
    this.seq.appendToken(token);
    this.pendingIds.push(token);
    if (logprob) this.pendingLogprobs.push(logprob);
    if (this.matcher && !this.matcher.acceptToken(token))
      throw new Error(`token ${token} violates the output constraint`);
    const canStop = !this.isBelowMinTokens;
    const checked = this.holdback.push(this.detokenizer.push(token), canStop);
    if (checked.stop !== null) return { reason: "stop", stopReason: checked.stop, text: checked.text };
    const req = this.request;
    let end: FinishDecision | null = null;
    if (canStop && this.stopIds.has(token)) end = { reason: "stop", stopReason: token, text: "" };
    else if (canStop && !req.ignoreEos && this.isEog(token))
      end = { reason: "stop", stopReason: null, text: "" };
    else if (this.matcher?.isTerminated()) end = { reason: "stop", stopReason: null, text: "" };
    else if (this.seq.numOutputTokens >= req.maxTokens)
      end = { reason: "length", stopReason: null, text: "" };
    // The request ends without a stop string: held-back text and bytes are final now.
    if (end) return { ...end, text: checked.text + this.holdback.flush() + this.detokenizer.flush() };
    if (checked.text.length > 0) this.emit(checked.text, null, null);
    return null;
  }

  /** Pushes the final output (the stream ends). */
  finish(reason: FinishReason, stopReason: string | number | null, text: string, error?: Error): void {
    if (this.isFinished) return;
    this.isFinished = true;
    this.emit(text, reason, stopReason, error);
  }

  private emit(
    text: string,
    reason: FinishReason | null,
    stopReason: string | number | null,
    error?: Error,
  ): void {
    const output: EngineOutput = {
      text,
      tokenIds: this.pendingIds,
      logprobs: this.request.sampling.topLogprobs === null ? null : this.pendingLogprobs,
      finishReason: reason,
      stopReason,
      numPromptTokens: this.seq.numPromptTokens,
      numOutputTokens: this.seq.numOutputTokens,
      ...(error ? { error } : {}),
    };
    this.pendingIds = [];
    this.pendingLogprobs = [];
    this.stream.push(output);
  }
}
