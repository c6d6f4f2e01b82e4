import { InvalidArgumentError, UnsupportedError } from "../errors.js";
import type { ModelSpec } from "../model/model-spec.js";
import type { TensorRef } from "../model/tensor-ref.js";
import { loadAddon } from "./addon.js";
import type {
  NativeRunnerConfig,
  NativeRunner as NativeRunnerHandle,
  NativeRunnerInfo,
  NativeStepInput,
  NativeStepResult,
  NativeTransferReport,
} from "./addon-types.js";
import {
  EMPTY_TRANSFER_REPORT,
  mergeTransferReports,
  TransferPacker,
  type TransferReport,
  toTransferReport,
} from "./native-transfers.js";
import type { KvTransfer } from "./runtime.js";

/** Tokens per KV block (fixed by the native pool). */
export const KV_BLOCK_TOKENS = 16;
/** Row stride of the top-logprob outputs. */
export const MAX_TOP_LOGPROBS = 20;

/** What the runner needs of an opened model (structurally an `OpenedModel`). */
export interface RunnableModel {
  readonly spec: ModelSpec;
  readonly tensors: ReadonlyMap<string, TensorRef>;
}

/** Runtime options of a native runner. */
export interface NativeRunnerOptions {
  /** KV pool budget in bytes; the pool holds floor(kvCacheBytes / blockBytes) blocks. */
  readonly kvCacheBytes: number;
  /**
   * Host KV tier budget in bytes (default 0 = no host tier): floor(hostKvBytes / blockBytes)
   * blocks with the device block layout, and a copy thread for transfers.
   */
  readonly hostKvBytes?: number;
  readonly kvDtype?: "f16" | "f32";
  /** Compute threads (default: all cores). */
  readonly numThreads?: number;
  readonly isa?: "auto" | "avx512" | "avx2" | "scalar";
  /** Most tokens per step (default 4096). */
  readonly maxBatchTokens?: number;
}

/** Sampling settings of one row; absent fields take neutral values (greedy by default). */
export interface RowSampling {
  readonly temperature?: number;
  readonly topK?: number;
  readonly topP?: number;
  readonly minP?: number;
  readonly repetitionPenalty?: number;
  readonly presencePenalty?: number;
  readonly frequencyPenalty?: number;
  readonly seed?: bigint | number;
  /** Index of the token being sampled within the request. */
  readonly stepIndex?: number;
  readonly numTopLogprobs?: number;
  /** Tokens the penalties look at. */
  readonly history?: ArrayLike<number>;
  readonly logitBias?: ReadonlyMap<number, number>;
  /** Allowed-token bitmask, ceil(vocab / 32) words; `null` = all allowed. */
  readonly mask?: Int32Array | null;
}

/** One row (sequence) of a step. */
export interface RunnerRow {
  /** This step's tokens of the row (a prefill chunk, or one decode token). */
  readonly tokens: ArrayLike<number>;
  /** KV length of the row after this step (its tokens take the last positions). */
  readonly contextLen: number;
  /** KV block ids of the row, at least ceil(contextLen / 16). */
  readonly blockTable: ArrayLike<number>;
  /** Sample a token from the row's last position; `null`/absent = no sampling (partial prefill). */
  readonly sample?: RowSampling | null;
  /**
   * The row is one decode token (a token the model sampled), not prompt tokens: it is summed in
   * llama.cpp's one-row order, which makes greedy decoding track llama.cpp bit for bit.
   */
  readonly decode?: boolean;
}

/** Options of {@link NativeRunner.step}. */
export interface StepOptions {
  /** Also return the sampled rows' raw logits. */
  readonly returnLogits?: boolean;
  /** Grammar masks filled while the forward pass runs (`RuntimeStepInput.fillMasks`). */
  readonly fillMasks?: (mask: Int32Array, hasMask: Uint8Array) => void;
  /**
   * KV transfers to start with this step (needs a host tier); they copy while the forward pass
   * runs. See `NativeStepInput.numTransfers` for what the addon rejects.
   */
  readonly transfers?: readonly KvTransfer[];
}

/**
 * A step's results. The typed arrays are views owned by the runner, valid until its next step;
 * the transfer report's arrays belong to the caller.
 */
export interface RunnerStepOutput extends TransferReport {
  /** [numRows] sampled tokens, -1 where not sampled. */
  readonly tokens: Int32Array;
  /** [numRows] log-probability of each sampled token (NaN where not sampled). */
  readonly logprobs: Float32Array;
  /** [numRows * 20] top alternatives (-1 / NaN past each row's count). */
  readonly topIds: Int32Array;
  readonly topLogprobs: Float32Array;
  /** [numSampled * vocab] raw logits of the sampled rows, when asked for. */
  readonly logits: Float32Array | null;
  readonly numSampled: number;
  readonly forwardMs: number;
  readonly sampleMs: number;
  /** Time in `fillMasks`, ms (0 without it). */
  readonly maskMs: number;
}

/**
 * Llama-3 rotary frequency divisors (as llama.cpp's converter writes `rope_freqs.weight`):
 * 1 for high frequencies, `factor` for low ones, smoothly in between.
 */
export function llama3RopeFactors(spec: ModelSpec): Float32Array | undefined {
  const s = spec.ropeScaling;
  if (s?.type !== "llama3") return undefined;
  const half = spec.headDim / 2;
  const out = new Float32Array(half);
  const lowWavelen = s.originalContextLength / s.lowFreqFactor;
  const highWavelen = s.originalContextLength / s.highFreqFactor;
  for (let i = 0; i < half; i++) {
    const freq = 1 / spec.ropeTheta ** ((2 * i) / spec.headDim);
    const wavelen = (2 * Math.PI) / freq;
    if (wavelen < highWavelen) out[i] = 1;
    else if (wavelen > lowWavelen) out[i] = s.factor;
    else {
      const smooth =
        (s.originalContextLength / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
      out[i] = 1 / ((1 - smooth) / s.factor + smooth);
    }
  }
  return out;
}

/** Builds the native init config of a model: hyperparameters plus where each tensor lives. */
export function runnerConfigFromModel(
  model: RunnableModel,
  options: NativeRunnerOptions,
): NativeRunnerConfig {
  const spec = model.spec;
  const tensors = [...model.tensors.values()].map((t) => ({
    name: t.name,
    file: t.file,
    offsetBytes: t.offsetBytes,
    sizeBytes: t.sizeBytes,
    typeId: t.type.id,
    shape: [...t.shape],
  }));
  const factors = spec.ropeFreqFactors ? undefined : llama3RopeFactors(spec);
  return {
    dim: spec.dim,
    numLayers: spec.numLayers,
    numHeads: spec.numHeads,
    numKvHeads: spec.numKvHeads,
    headDim: spec.headDim,
    ffnDim: spec.ffnDim,
    vocabSize: spec.vocabSize,
    normEps: spec.normEps,
    ropeTheta: spec.ropeTheta,
    ropeStyle: spec.ropeStyle,
    ropeFreqScale: spec.ropeScaling?.type === "linear" ? 1 / spec.ropeScaling.factor : 1,
    ...(factors ? { ropeFreqFactors: factors } : {}),
    qkvBias: spec.qkvBias,
    qkNorm: spec.qkNorm,
    tiedEmbeddings: spec.tiedEmbeddings,
    tensors,
    kvCacheBytes: options.kvCacheBytes,
    ...(options.kvDtype ? { kvDtype: options.kvDtype } : {}),
    ...(options.numThreads ? { numThreads: options.numThreads } : {}),
    ...(options.isa ? { isa: options.isa } : {}),
    ...(options.maxBatchTokens ? { maxBatchTokens: options.maxBatchTokens } : {}),
    ...(options.hostKvBytes ? { hostKvBytes: options.hostKvBytes } : {}),
  };
}

type Ctor<T> = { new (n: number): T };

/** Typed arrays reused across steps, grown geometrically. */
class ArrayCache {
  private readonly arrays = new Map<string, ArrayLike<unknown>>();

  get<T extends { length: number }>(key: string, ctor: Ctor<T>, length: number): T {
    const have = this.arrays.get(key) as T | undefined;
    if (have && have.length >= length) return have;
    const made = new ctor(Math.max(length, (have?.length ?? 0) * 2, 16));
    this.arrays.set(key, made as unknown as ArrayLike<unknown>);
    return made;
  }
}

function checkInt(value: number, min: number, what: string): void {
  if (!Number.isInteger(value) || value < min)
    throw new InvalidArgumentError(`${what} must be an integer >= ${min} (got ${value})`);
}

/**
 * The native CPU runtime for one model: packs rows into reused typed arrays, validates their
 * shapes, and runs each step (forward pass + sampling) off the event loop.
 */
export class NativeRunner {
  private readonly cache = new ArrayCache();
  private readonly transferPacker = new TransferPacker();
  /** A step or a transfer flush is in flight. */
  private stepping = false;
  /** Completions the addon reported during a step that then failed: handed out next time. */
  private carried: TransferReport = EMPTY_TRANSFER_REPORT;

  private constructor(
    private readonly handle: NativeRunnerHandle,
    /** Pool geometry and kernel level, as the addon reports them. */
    readonly info: NativeRunnerInfo,
  ) {}

  /** Maps the model's tensors natively and sizes the KV pool (and the host tier, if any). */
  static async create(model: RunnableModel, options: NativeRunnerOptions): Promise<NativeRunner> {
    const addon = loadAddon();
    const handle = new addon.Runner();
    const info = await handle.init(runnerConfigFromModel(model, options));
    return new NativeRunner(handle, info);
  }

  /**
   * Runs one step over `rows`; with `returnLogits`, also copies the sampled rows' raw logits.
   * With `fillMasks`, the forward pass starts first and `fillMasks` runs on this thread while it
   * computes (see `RuntimeStepInput.fillMasks`); sampling follows with the masks it wrote.
   * With `transfers`, the copies start before the forward pass; the output reports every
   * transfer completed since the previous report. `rows` may be empty (host tier only) while
   * transfers are issued or in flight: the step then waits until one completes.
   */
  async step(rows: readonly RunnerRow[], opts: StepOptions = {}): Promise<RunnerStepOutput> {
    if (this.stepping) throw new InvalidArgumentError("a step is already running on this runner");
    if (opts.transfers?.length && this.info.numHostBlocks === 0)
      throw new UnsupportedError("this runner has no host KV tier (create it with hostKvBytes)");
    const input = this.pack(rows, opts.returnLogits ?? false);
    this.transferPacker.pack(input, opts.transfers ?? []);
    this.stepping = true;
    try {
      let maskMs = 0;
      let r: NativeStepResult;
      if (opts.fillMasks) {
        input.deferSampling = true;
        const forward = this.handle.step(input);
        let fillError: unknown = null;
        try {
          maskMs = this.fillDeferredMasks(input, rows, opts.fillMasks);
        } catch (error) {
          fillError = error;
        }
        // The forward pass settles before any error surfaces: the runner is never left busy.
        const forwarded = await forward;
        // Completions the forward half reported survive a failure of what follows.
        this.carried = mergeTransferReports(this.carried, toTransferReport(forwarded));
        if (fillError !== null) throw fillError;
        r = { ...(await this.handle.sample(input)), forwardMs: forwarded.forwardMs };
      } else {
        input.deferSampling = false;
        r = await this.handle.step(input);
      }
      const report = this.takeReport(r);
      return {
        tokens: input.outTokens.subarray(0, rows.length),
        logprobs: input.outLogprobs.subarray(0, rows.length),
        topIds: input.outTopIds.subarray(0, rows.length * MAX_TOP_LOGPROBS),
        topLogprobs: input.outTopLogprobs.subarray(0, rows.length * MAX_TOP_LOGPROBS),
        logits: input.logitsOut ? input.logitsOut.subarray(0, r.numSampled * this.info.vocabSize) : null,
        maskMs,
        numSampled: r.numSampled,
        forwardMs: r.forwardMs,
        sampleMs: r.sampleMs,
        ...report,
      };
    } finally {
      this.stepping = false;
    }
  }

  /**
   * Runs `fill` over the step's mask arrays while the forward pass is in flight and returns its
   * time in ms. Rows with their own `sample.mask` keep it.
   */
  private fillDeferredMasks(
    input: NativeStepInput,
    rows: readonly RunnerRow[],
    fill: NonNullable<StepOptions["fillMasks"]>,
  ): number {
    const n = rows.length;
    const words = Math.ceil(this.info.vocabSize / 32);
    const hasOwn = input.hasMask ?? null;
    const hasMask = this.cache.get("deferredHasMask", Uint8Array, n).subarray(0, n);
    const bitmask = input.bitmask ?? this.cache.get("bitmask", Int32Array, n * words);
    hasMask.fill(0);
    const t0 = performance.now();
    fill(bitmask.subarray(0, n * words), hasMask);
    const maskMs = performance.now() - t0;
    for (const [r, row] of rows.entries()) {
      const own = row.sample?.mask;
      if (own) bitmask.set(own, r * words);
      if (hasOwn?.[r]) hasMask[r] = 1;
    }
    input.hasMask = hasMask;
    input.bitmask = bitmask;
    return maskMs;
  }

  /** Low level: one step from caller-packed arrays (the engine's input packer, tests). */
  stepRaw(input: NativeStepInput): Promise<NativeStepResult> {
    return this.handle.step(input);
  }

  /**
   * Issues `transfers` (if any) without rows, waits until every transfer issued so far has
   * completed, and reports those not reported yet (for an engine with nothing to compute).
   * Rejects while a step is in flight, and if the runner is disposed meanwhile. Without a host
   * tier and without transfers it resolves at once with nothing.
   */
  async flushTransfers(transfers: readonly KvTransfer[] = []): Promise<TransferReport> {
    if (this.stepping) throw new InvalidArgumentError("a step is already running on this runner");
    // A row-less step issues them (the addon's flush takes no input), then the flush waits.
    if (transfers.length > 0)
      this.carried = mergeTransferReports(this.carried, await this.step([], { transfers }));
    this.stepping = true;
    try {
      return this.takeReport(await this.handle.flushTransfers());
    } finally {
      this.stepping = false;
    }
  }

  /** The carried-over completions followed by `native`'s; each is handed out exactly once. */
  private takeReport(native: NativeTransferReport): TransferReport {
    const report = mergeTransferReports(this.carried, toTransferReport(native));
    this.carried = EMPTY_TRANSFER_REPORT;
    return report;
  }

  /** Frees the model map and the KV pools; queued transfers are abandoned. */
  dispose(): void {
    this.handle.dispose();
  }

  private pack(rows: readonly RunnerRow[], returnLogits: boolean): NativeStepInput {
    // Without a host tier there is nothing a row-less step could wait for.
    if (rows.length === 0 && this.info.numHostBlocks === 0)
      throw new InvalidArgumentError("a step needs at least one row");
    let numTokens = 0;
    let maxBlocks = 1;
    for (const [i, row] of rows.entries()) {
      checkInt(row.tokens.length, 1, `rows[${i}].tokens.length`);
      checkInt(row.contextLen, row.tokens.length, `rows[${i}].contextLen`);
      const blocks = Math.ceil(row.contextLen / KV_BLOCK_TOKENS);
      if (row.blockTable.length < blocks)
        throw new InvalidArgumentError(`rows[${i}].blockTable needs ${blocks} blocks`);
      numTokens += row.tokens.length;
      maxBlocks = Math.max(maxBlocks, blocks);
    }
    const n = rows.length;
    const input = this.arrays(n, numTokens, maxBlocks);
    let t = 0;
    for (const [r, row] of rows.entries()) {
      input.rowQueryStart[r] = t;
      input.rowContextLen[r] = row.contextLen;
      for (let b = 0; b < Math.ceil(row.contextLen / KV_BLOCK_TOKENS); b++)
        input.blockTables[r * maxBlocks + b] = row.blockTable[b] ?? -1;
      for (let i = 0; i < row.tokens.length; i++, t++) {
        const pos = row.contextLen - row.tokens.length + i;
        input.tokens[t] = row.tokens[i] ?? -1;
        input.positions[t] = pos;
        input.slotMapping[t] =
          (row.blockTable[Math.floor(pos / KV_BLOCK_TOKENS)] ?? -1) * KV_BLOCK_TOKENS +
          (pos % KV_BLOCK_TOKENS);
      }
      this.packSampling(input, r, row.sample ?? null);
      if (row.decode && row.tokens.length !== 1)
        throw new InvalidArgumentError(`rows[${r}] is a decode row of ${row.tokens.length} tokens`);
      (input.rowIsDecode as Uint8Array)[r] = row.decode ? 1 : 0;
    }
    input.rowQueryStart[n] = t;
    this.packExtras(input, rows);
    const numSampled = rows.filter((r) => r.sample).length;
    input.logitsOut = returnLogits
      ? this.cache.get("logits", Float32Array, Math.max(1, numSampled) * this.info.vocabSize)
      : null;
    return input;
  }

  private arrays(n: number, numTokens: number, maxBlocks: number): NativeStepInput {
    const c = this.cache;
    return {
      numRows: n,
      numTokens,
      maxBlocksPerRow: maxBlocks,
      tokens: c.get("tokens", Int32Array, numTokens),
      positions: c.get("positions", Int32Array, numTokens),
      rowQueryStart: c.get("rowQueryStart", Int32Array, n + 1),
      rowContextLen: c.get("rowContextLen", Int32Array, n),
      blockTables: c.get("blockTables", Int32Array, n * maxBlocks),
      slotMapping: c.get("slotMapping", Int32Array, numTokens),
      rowIsDecode: c.get("rowIsDecode", Uint8Array, n),
      sample: c.get("sample", Uint8Array, n),
      temperature: c.get("temperature", Float32Array, n),
      topP: c.get("topP", Float32Array, n),
      minP: c.get("minP", Float32Array, n),
      repetitionPenalty: c.get("repetitionPenalty", Float32Array, n),
      presencePenalty: c.get("presencePenalty", Float32Array, n),
      frequencyPenalty: c.get("frequencyPenalty", Float32Array, n),
      topK: c.get("topK", Int32Array, n),
      seed: c.get("seed", BigUint64Array, n),
      stepIndex: c.get("stepIndex", Int32Array, n),
      numTopLogprobs: c.get("numTopLogprobs", Int32Array, n),
      outTokens: c.get("outTokens", Int32Array, n),
      outLogprobs: c.get("outLogprobs", Float32Array, n),
      outTopIds: c.get("outTopIds", Int32Array, n * MAX_TOP_LOGPROBS),
      outTopLogprobs: c.get("outTopLogprobs", Float32Array, n * MAX_TOP_LOGPROBS),
    };
  }

  private packSampling(input: NativeStepInput, r: number, s: RowSampling | null): void {
    input.sample[r] = s ? 1 : 0;
    input.temperature[r] = s?.temperature ?? 0;
    input.topP[r] = s?.topP ?? 1;
    input.minP[r] = s?.minP ?? 0;
    input.repetitionPenalty[r] = s?.repetitionPenalty ?? 1;
    input.presencePenalty[r] = s?.presencePenalty ?? 0;
    input.frequencyPenalty[r] = s?.frequencyPenalty ?? 0;
    input.topK[r] = s?.topK ?? 0;
    input.seed[r] = BigInt(s?.seed ?? 0);
    input.stepIndex[r] = s?.stepIndex ?? 0;
    input.numTopLogprobs[r] = s?.numTopLogprobs ?? 0;
  }

  /** Penalty history, logit bias and masks, only when some row uses them. */
  private packExtras(input: NativeStepInput, rows: readonly RunnerRow[]): void {
    const n = rows.length;
    const c = this.cache;
    if (rows.some((r) => r.sample?.history?.length)) {
      const total = rows.reduce((sum, r) => sum + (r.sample?.history?.length ?? 0), 0);
      input.historyStart = c.get("historyStart", Int32Array, n + 1);
      input.historyTokens = c.get("historyTokens", Int32Array, total);
      let k = 0;
      for (const [r, row] of rows.entries()) {
        input.historyStart[r] = k;
        for (const id of Array.from(row.sample?.history ?? [])) input.historyTokens[k++] = id;
      }
      input.historyStart[n] = k;
    }
    if (rows.some((r) => r.sample?.logitBias?.size)) {
      const total = rows.reduce((sum, r) => sum + (r.sample?.logitBias?.size ?? 0), 0);
      input.biasStart = c.get("biasStart", Int32Array, n + 1);
      input.biasIds = c.get("biasIds", Int32Array, total);
      input.biasValues = c.get("biasValues", Float32Array, total);
      let k = 0;
      for (const [r, row] of rows.entries()) {
        input.biasStart[r] = k;
        for (const [id, v] of row.sample?.logitBias ?? []) {
          input.biasIds[k] = id;
          input.biasValues[k++] = v;
        }
      }
      input.biasStart[n] = k;
    }
    if (rows.some((r) => r.sample?.mask)) {
      const words = Math.ceil(this.info.vocabSize / 32);
      input.hasMask = c.get("hasMask", Uint8Array, n);
      input.bitmask = c.get("bitmask", Int32Array, n * words);
      for (const [r, row] of rows.entries()) {
        const mask = row.sample?.mask ?? null;
        if (mask && mask.length !== words)
          throw new InvalidArgumentError(`rows[${r}] mask must have ${words} words`);
        input.hasMask[r] = mask ? 1 : 0;
        if (mask) input.bitmask.set(mask, r * words);
      }
    }
  }
}
