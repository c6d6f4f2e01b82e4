/**
 * The Runtime interface the engine drives: one forward pass plus sampling per `step`, over rows
 * the scheduler planned. Implemented by the native CPU runtime, the mock runtime (tests) and,
 * later, a simulated runtime (virtual time) and runtimes with KV tier transfers.
 */
import type { RowSampling, RunnerRow } from "./native-runner.js";

export type { RowSampling };

/**
 * One row (sequence) of a step: this step's tokens (a prefill chunk or one decode token), the
 * row's KV length after the step, its block table, and how to sample (absent = no sampling).
 */
export type RuntimeRow = RunnerRow;

/** Pool geometry and limits a runtime reports once initialised. */
export interface RuntimeInfo {
  /** KV blocks in the (device) pool. */
  readonly numBlocks: number;
  /** Tokens per KV block. */
  readonly blockTokens: number;
  /** Bytes of one KV block (all layers); 0 where it has no meaning (mock). */
  readonly blockBytes: number;
  readonly vocabSize: number;
  /** Most tokens one step may carry. */
  readonly maxBatchTokens: number;
  /** Blocks in the host KV tier (same block size); 0 or absent = no host tier. */
  readonly numHostBlocks?: number;
}

/**
 * A KV copy between tiers, issued with a step and overlapping it (TokenFlow's write-through,
 * evict and load). Block ids are those of each tier's pool; a block's data for all layers is
 * contiguous, so a run of blocks is one copy.
 */
export interface KvTransfer {
  /** Caller-chosen id, reported back in `completedTransferIds` of a later step. */
  readonly id: number;
  /** `store`: device → host (write-through or evict); `load`: host → device. */
  readonly direction: "store" | "load";
  readonly deviceBlocks: readonly number[];
  readonly hostBlocks: readonly number[];
}

/** Copy volume and busy time per direction (see `Runtime.takeTransferStats`). */
export interface TransferStats {
  readonly storeBytes: number;
  readonly storeMs: number;
  readonly loadBytes: number;
  readonly loadMs: number;
}

/** One step's input. */
export interface RuntimeStepInput {
  readonly rows: readonly RuntimeRow[];
  /**
   * KV transfers to start with this step; absent or empty = none. Runtimes without a host tier
   * (`info.numHostBlocks` 0/absent, mock) reject a non-empty list. A transfer holds its blocks
   * until its completion is reported: rows must not use a device block a load has not finished
   * filling, nor write one a store is still reading, and a load must not target a block this
   * step's rows use. With a host tier, `rows` may be empty while transfers are issued or in
   * flight: the step then just waits until one completes.
   */
  readonly transfers?: readonly KvTransfer[];
  /**
   * Grammar masks computed while the forward pass runs. The runtime calls it once per step, after
   * the forward pass has started and before sampling, with a zeroed `hasMask` ([numRows]) and a
   * `mask` of `ceil(vocabSize / 32)` words per row (both owned by the runtime, valid during the
   * call): the callee writes row r's allowed-token bits and sets `hasMask[r] = 1` for each row it
   * constrains. A row's own `sample.mask`, when set, wins over this. Absent = no deferred masks.
   */
  readonly fillMasks?: (mask: Int32Array, hasMask: Uint8Array) => void;
}

/**
 * A step's results, indexed by row. The arrays may be views owned by the runtime: valid until
 * its next `step`, so callers copy what they keep.
 */
export interface RuntimeStepOutput {
  /** [numRows] sampled token, -1 where not sampled (or the mask allowed no token). */
  readonly tokens: Int32Array;
  /** [numRows] log-probability of each sampled token (NaN where not sampled). */
  readonly logprobs: Float32Array;
  /** [numRows * MAX_TOP_LOGPROBS] top alternatives, -1 / NaN past each row's count. */
  readonly topIds: Int32Array;
  readonly topLogprobs: Float32Array;
  /** Time of the forward pass and of sampling, in ms (as the runtime measured it). */
  readonly forwardMs: number;
  readonly sampleMs: number;
  /** Time spent in `fillMasks` on the JS thread, in ms (0 without it); it overlaps `forwardMs`. */
  readonly maskMs?: number;
  /** Ids of transfers that completed since the previous step (absent = none). */
  readonly completedTransferIds?: readonly number[];
  /** Bytes copied by the transfers in `completedTransferIds` (absent = not measured). */
  readonly transferBytes?: number;
  /** Copy time of the transfers in `completedTransferIds`, ms (absent = not measured). */
  readonly transferMs?: number;
}

/** What the engine needs of a runtime. One `step` at a time. */
export interface Runtime {
  /** Short name for logs and stats, e.g. `native-cpu`, `mock`. */
  readonly kind: string;
  readonly info: RuntimeInfo;
  /** Runs one forward pass plus sampling over `input.rows`; rejects (never throws) on bad input. */
  step(input: RuntimeStepInput): Promise<RuntimeStepOutput>;
  /**
   * Issues `transfers` (if any) outside a step, then waits for every copy in flight and returns
   * the ids completed since the last report. Present on runtimes with a host tier; the engine
   * calls it when a step has no rows to run but copies must land (resumes of paused requests).
   */
  flushTransfers?(transfers?: readonly KvTransfer[]): Promise<readonly number[]>;
  /**
   * Bytes copied and time spent copying (ms, per direction) by the transfers completed since the
   * last call: the measured bandwidth the scheduler's cost model uses. Absent = not measured.
   */
  takeTransferStats?(): TransferStats;
  /** Releases the model and KV pool. Idempotent. */
  dispose(): void;
}

/**
 * The time source of the engine, scheduler and simulated runtimes. Everything that measures or
 * waits goes through it, so tests and simulations can run in virtual time.
 */
export interface Clock {
  /** Monotonic time in ms. */
  now(): number;
  /** Resolves after `ms` of this clock's time. */
  sleep(ms: number): Promise<void>;
}

/** Wall-clock time (`performance.now`, `setTimeout`). */
export const systemClock: Clock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
};

/**
 * Virtual time for tests and simulations: `sleep` advances the clock at once, so a simulated
 * step of 30 ms takes no wall time but measures 30 ms.
 */
export class VirtualClock implements Clock {
  constructor(private nowMs = 0) {}

  now(): number {
    return this.nowMs;
  }

  sleep(ms: number): Promise<void> {
    this.nowMs += Math.max(0, ms);
    return Promise.resolve();
  }

  /** Moves the clock forward by `ms`. */
  advance(ms: number): void {
    this.nowMs += Math.max(0, ms);
  }
}
