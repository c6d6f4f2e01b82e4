/**
 * Where a sequence is in the scheduler: queued (new, or preempted to recompute), running on
 * the device (possibly still loading its KV back), paused with its KV on the host tier, done.
 */
export type SequenceStatus = "waiting" | "running" | "paused" | "finished";

/** What the scheduler needs to know to create a {@link Sequence}. */
export interface SequenceInit {
  readonly id: string;
  readonly promptTokens: readonly number[];
  /** Most tokens to generate. */
  readonly maxTokens: number;
  /** Arrival time (clock ms). */
  readonly arrivalMs: number;
  /** Tokens/s its reader consumes (buffer-aware policies); `null` = unknown. */
  readonly consumptionRateTokPerS?: number | null;
}

/**
 * One sequence as the scheduler sees it (nano-vllm's `Sequence`): its tokens, how many of them
 * are in the KV cache, and its place in the queues. The engine appends sampled tokens.
 */
export class Sequence {
  readonly id: string;
  readonly numPromptTokens: number;
  /** Prompt then generated tokens (owned by the sequence; callers only read). */
  readonly tokens: number[];
  /** Generated tokens only (owned by the sequence; callers only read). */
  readonly outputTokens: number[] = [];
  readonly maxTokens: number;
  readonly arrivalMs: number;
  readonly consumptionRateTokPerS: number | null;
  status: SequenceStatus = "waiting";
  /** Tokens whose KV is in the cache (0 after a recompute preemption; while paused, what it had on the device). */
  numComputedTokens = 0;
  /** Order of the latest admission to `running` (larger = more recent); -1 = never admitted. */
  admitOrder = -1;
  numPreemptions = 0;
  /** Clock ms of the first admission (queueing time), or `null`. */
  firstScheduledMs: number | null = null;
  /** Free slot for the policy's per-sequence data (e.g. TokenFlow's buffer model). */
  policyState: unknown = null;

  constructor(init: SequenceInit) {
    this.id = init.id;
    this.numPromptTokens = init.promptTokens.length;
    this.tokens = [...init.promptTokens];
    this.maxTokens = init.maxTokens;
    this.arrivalMs = init.arrivalMs;
    this.consumptionRateTokPerS = init.consumptionRateTokPerS ?? null;
  }

  /** Prompt plus generated tokens. */
  get numTokens(): number {
    return this.tokens.length;
  }

  get numOutputTokens(): number {
    return this.outputTokens.length;
  }

  /** Tokens still to put into the KV cache before the next token can be sampled. */
  get numUncomputedTokens(): number {
    return this.tokens.length - this.numComputedTokens;
  }

  /** Appends a sampled token. */
  appendToken(id: number): void {
    this.tokens.push(id);
    this.outputTokens.push(id);
  }
}
