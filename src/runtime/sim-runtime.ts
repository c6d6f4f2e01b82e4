/**
 * The simulated runtime: a calibrated GPU cost model in virtual time behind the engine's
 * {@link Runtime} interface, so paper-scale serving runs on a laptop. Wiring:
 *
 * ```ts
 * const clock = new VirtualClock();
 * const runtime = SimRuntime.create("h200-llama3-8b", { clock, seed: 1 });
 * const engine = new Engine({ runtime, tokenizer: simTokenizer(runtime.info.vocabSize), clock });
 * ```
 */
import { InvalidArgumentError } from "../errors.js";
import { MAX_TOP_LOGPROBS } from "./native-runner.js";
import type {
  Clock,
  KvTransfer,
  Runtime,
  RuntimeInfo,
  RuntimeRow,
  RuntimeStepInput,
  RuntimeStepOutput,
  TransferStats,
} from "./runtime.js";
import { batchShapeOfRows, blockBytes, forwardMs, sampleMs } from "./sim-cost-model.js";
import { SimKvTier } from "./sim-kv-tier.js";
import { type SimProfile, simProfile } from "./sim-profiles.js";
import { checkRow, contextHash, type SimRowLimits, writeRow } from "./sim-rows.js";
import { type SimSampleOutput, sampleSimRow } from "./sim-sampler.js";
import { SimTransferQueues } from "./sim-transfers.js";

/** Options of {@link SimRuntime.create}. */
export interface SimRuntimeOptions {
  /** Time source; with a {@link VirtualClock} a step advances virtual time and costs no wall time. */
  readonly clock: Clock;
  /** Seeds the simulated model's token choices (default 0). */
  readonly seed?: number;
  /** Device KV pool, bytes (default: the profile's). */
  readonly kvCacheBytes?: number;
  /** Host KV pool, bytes (default: the profile's); 0 = no host tier (transfers are refused). */
  readonly hostKvBytes?: number;
  /** Most tokens per step (default: the profile's). */
  readonly maxBatchTokens?: number;
}

/** Host tier geometry (block ids 0..numHostBlocks-1, same block size as the device pool). */
export interface SimHostInfo {
  readonly numHostBlocks: number;
}

/** Running totals of a {@link SimRuntime} (virtual time, ms). */
export interface SimRuntimeStats {
  readonly numSteps: number;
  readonly forwardMsTotal: number;
  readonly sampleMsTotal: number;
  /** Virtual time spent in steps without rows, waiting for transfers. */
  readonly idleWaitMsTotal: number;
  readonly numBlocksStored: number;
  readonly numBlocksLoaded: number;
}

/**
 * A simulated GPU: `step` validates rows like a real runtime, records their KV as hashes, sleeps
 * the cost model's time on the clock and samples hashed tokens. KV transfers run on per-direction
 * queues in virtual time and overlap compute. A step without rows (allowed only while transfers
 * are in flight) waits for the next transfer to finish.
 */
export class SimRuntime implements Runtime {
  readonly kind = "sim";
  readonly info: RuntimeInfo;
  readonly hostInfo: SimHostInfo;
  private readonly clock: Clock;
  private readonly seed: number;
  private readonly device: SimKvTier;
  private readonly transfers: SimTransferQueues;
  private readonly words: number;
  private out = allocOutput(0);
  private mask = new Int32Array(0);
  /** Per row of the current step: hash of its context blocks that the step does not write. */
  private prefixHash = new Float64Array(0);
  private hasMask = new Uint8Array(0);
  private totals = { numSteps: 0, forwardMsTotal: 0, sampleMsTotal: 0, idleWaitMsTotal: 0 };
  private numBlocksStored = 0;
  private numBlocksLoaded = 0;
  private isDisposed = false;

  private constructor(
    readonly profile: SimProfile,
    options: SimRuntimeOptions,
  ) {
    const bytes = blockBytes(profile);
    const numBlocks = Math.floor(
      positive(options.kvCacheBytes ?? profile.kvCacheBytes, "kvCacheBytes") / bytes,
    );
    if (numBlocks < 1)
      throw new InvalidArgumentError(`kvCacheBytes holds no ${bytes}-byte block`, "kvCacheBytes");
    const hostKvBytes = options.hostKvBytes ?? profile.hostKvBytes;
    if (!(hostKvBytes >= 0)) throw new InvalidArgumentError("hostKvBytes must be >= 0", "hostKvBytes");
    const numHostBlocks = Math.floor(hostKvBytes / bytes);
    this.info = {
      numBlocks,
      blockTokens: profile.blockTokens,
      blockBytes: bytes,
      vocabSize: profile.model.vocabSize,
      maxBatchTokens: Math.floor(
        positive(options.maxBatchTokens ?? profile.maxBatchTokens, "maxBatchTokens"),
      ),
      numHostBlocks,
    };
    this.hostInfo = { numHostBlocks };
    this.clock = options.clock;
    this.seed = options.seed ?? 0;
    this.device = new SimKvTier(numBlocks, profile.blockTokens);
    const host = new SimKvTier(numHostBlocks, profile.blockTokens);
    this.transfers = new SimTransferQueues(profile.hostLink, bytes, this.device, host);
    this.words = Math.ceil(this.info.vocabSize / 32);
  }

  /** A simulated runtime for `profile` (a {@link SimProfile} or a built-in name). Synchronous. */
  static create(profile: SimProfile | string, options: SimRuntimeOptions): SimRuntime {
    return new SimRuntime(typeof profile === "string" ? simProfile(profile) : profile, options);
  }

  /** Running totals since creation. */
  stats(): SimRuntimeStats {
    return { ...this.totals, numBlocksStored: this.numBlocksStored, numBlocksLoaded: this.numBlocksLoaded };
  }

  /** Transfers issued and not yet reported complete. */
  get numTransfersInFlight(): number {
    return this.transfers.numInFlight;
  }

  async step(input: RuntimeStepInput): Promise<RuntimeStepOutput> {
    if (this.isDisposed) throw new InvalidArgumentError("the sim runtime was disposed");
    const rows = input.rows;
    const transfers = input.transfers ?? [];
    const loading = this.transfers.validate(transfers);
    const n = rows.length;
    if (n === 0 && transfers.length === 0 && this.transfers.numInFlight === 0)
      throw new InvalidArgumentError("a step needs at least one row (or a transfer to wait for)");
    this.checkRows(rows, loading);
    const startMs = this.clock.now();
    this.issue(transfers, startMs);
    for (const row of rows) writeRow(this.device, row);
    if (this.out.tokens.length < n) this.out = allocOutput(n * 2);
    const out = viewOutput(this.out, n);
    const shape = batchShapeOfRows(rows);
    const fwdMs = forwardMs(this.profile, shape);
    const smpMs = sampleMs(this.profile, shape.numSampled);
    const maskMs = input.fillMasks ? this.fillMasks(input.fillMasks, n) : 0;
    for (let r = 0; r < n; r++) this.sample(rows[r] as RuntimeRow, r, out, input.fillMasks !== undefined);
    const nextEnd = this.transfers.nextEndMs();
    const waitMs = n === 0 && nextEnd !== null ? Math.max(0, nextEnd - startMs) : 0;
    await this.clock.sleep(fwdMs + smpMs + waitMs);
    this.totals.numSteps++;
    this.totals.forwardMsTotal += fwdMs;
    this.totals.sampleMsTotal += smpMs;
    this.totals.idleWaitMsTotal += waitMs;
    const completed = this.transfers.completeUntil(this.clock.now());
    return {
      ...out,
      forwardMs: fwdMs,
      sampleMs: smpMs,
      maskMs,
      ...(completed.length > 0 ? { completedTransferIds: completed } : {}),
    };
  }

  /**
   * Issues `transfers` without a step, advances the clock until every copy in flight has
   * landed, and returns the ids completed since the last report.
   */
  async flushTransfers(transfers: readonly KvTransfer[] = []): Promise<readonly number[]> {
    if (this.isDisposed) throw new InvalidArgumentError("the sim runtime was disposed");
    this.transfers.validate(transfers);
    this.issue(transfers, this.clock.now());
    const done: number[] = [];
    for (let end = this.transfers.nextEndMs(); end !== null; end = this.transfers.nextEndMs()) {
      const waitMs = Math.max(0, end - this.clock.now());
      this.totals.idleWaitMsTotal += waitMs;
      await this.clock.sleep(waitMs);
      done.push(...this.transfers.completeUntil(this.clock.now()));
    }
    return done;
  }

  takeTransferStats(): TransferStats {
    return this.transfers.takeStats();
  }

  dispose(): void {
    this.isDisposed = true;
  }

  private issue(transfers: readonly KvTransfer[], nowMs: number): void {
    this.transfers.issue(transfers, nowMs);
    for (const t of transfers)
      if (t.direction === "store") this.numBlocksStored += t.deviceBlocks.length;
      else this.numBlocksLoaded += t.deviceBlocks.length;
  }

  /** Checks every row (rejecting the step before anything changes) and keeps their prefix hashes. */
  private checkRows(rows: readonly RuntimeRow[], loading: ReadonlySet<number>): void {
    const isBlocked =
      loading.size === 0 && this.transfers.numLoadsInFlight === 0
        ? null
        : (b: number) => this.transfers.isLoading(b) || loading.has(b);
    const limits: SimRowLimits = { device: this.device, vocabSize: this.info.vocabSize, isBlocked };
    if (this.prefixHash.length < rows.length) this.prefixHash = new Float64Array(rows.length * 2);
    let numTokens = 0;
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r] as RuntimeRow;
      this.prefixHash[r] = checkRow(row, r, limits);
      numTokens += row.tokens.length;
    }
    if (numTokens > this.info.maxBatchTokens)
      throw new InvalidArgumentError(`step of ${numTokens} tokens exceeds ${this.info.maxBatchTokens}`);
  }

  private fillMasks(fill: NonNullable<RuntimeStepInput["fillMasks"]>, n: number): number {
    if (this.mask.length < n * this.words) {
      this.mask = new Int32Array(n * 2 * this.words);
      this.hasMask = new Uint8Array(n * 2);
    }
    const hasMask = this.hasMask.subarray(0, n);
    hasMask.fill(0);
    const t0 = performance.now();
    fill(this.mask.subarray(0, n * this.words), hasMask);
    return performance.now() - t0;
  }

  private sample(row: RuntimeRow, r: number, out: SimSampleOutput, hasDeferred: boolean): void {
    const s = row.sample;
    if (!s) return;
    const deferred =
      hasDeferred && this.hasMask[r] ? this.mask.subarray(r * this.words, (r + 1) * this.words) : null;
    const draw = {
      contextHash: contextHash(this.device, row, this.prefixHash[r] as number),
      contextLen: row.contextLen,
      runtimeSeed: this.seed,
      vocabSize: this.info.vocabSize,
    };
    sampleSimRow(draw, s, s.mask ?? deferred, r, out);
  }
}

function positive(value: number, name: string): number {
  if (!(value > 0)) throw new InvalidArgumentError(`${name} must be > 0, got ${value}`, name);
  return value;
}

function allocOutput(n: number): SimSampleOutput {
  return {
    tokens: new Int32Array(n),
    logprobs: new Float32Array(n),
    topIds: new Int32Array(n * MAX_TOP_LOGPROBS),
    topLogprobs: new Float32Array(n * MAX_TOP_LOGPROBS),
  };
}

/** Views of the first `n` rows of `buf`, reset to "not sampled". */
function viewOutput(buf: SimSampleOutput, n: number): SimSampleOutput {
  const out = {
    tokens: buf.tokens.subarray(0, n).fill(-1),
    logprobs: buf.logprobs.subarray(0, n).fill(Number.NaN),
    topIds: buf.topIds.subarray(0, n * MAX_TOP_LOGPROBS).fill(-1),
    topLogprobs: buf.topLogprobs.subarray(0, n * MAX_TOP_LOGPROBS).fill(Number.NaN),
  };
  return out;
}
