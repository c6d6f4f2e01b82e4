import type { DecodeOptions, Detokenizer } from "../model/detokenizer.js";
import type { Clock, Runtime } from "../runtime/runtime.js";
import type { SchedulerPolicy } from "../scheduler/policy.js";
import type { ConstraintMatcherFactory } from "./constraint.js";

/** What the engine needs of a tokenizer (a `Tokenizer` fits). */
export interface EngineTokenizer {
  createDetokenizer(options?: DecodeOptions): Detokenizer;
  decode(ids: ArrayLike<number>, options?: DecodeOptions): string;
  isEog(id: number): boolean;
  /** Every id that ends generation. */
  readonly eogIds: readonly number[];
}

/** Options of {@link Engine}. */
export interface EngineOptions {
  readonly runtime: Runtime;
  readonly tokenizer: EngineTokenizer;
  /** Default: the system clock. */
  readonly clock?: Clock;
  /** Token budget per step (`--max-num-batched-tokens`); default min(2048, runtime max). */
  readonly maxNumBatchedTokens?: number;
  /** Most running sequences (`--max-num-seqs`); default 256. */
  readonly maxNumSeqs?: number;
  /** Most waiting requests before `submit` throws QueueFullError; default 4096. */
  readonly maxNumWaiting?: number;
  /** Longest prompt + max tokens (the model's context); default: unlimited (the KV pool still limits). */
  readonly maxModelLen?: number;
  /** Default: FCFS. */
  readonly policy?: SchedulerPolicy;
  /** Creates matchers for requests with a `constraint` (the grammar engine); absent = constraints refused. */
  readonly constraintMatcherFactory?: ConstraintMatcherFactory;
  /** Reader rate (tok/s) of requests that state none, for buffer models (default 20). */
  readonly defaultConsumptionRateTokPerS?: number;
  /** Seed for requests without one (default: crypto random). */
  readonly randomSeed?: () => number;
}
