/**
 * The shape of the native addon (`build/Release/tokenflow_native.node`). This file is the only
 * place that declares it; everything else imports these types.
 */

/** CPU features detected at run time; the kernels dispatch on them. */
export interface CpuFeatures {
  avx2: boolean;
  fma: boolean;
  f16c: boolean;
  avx512f: boolean;
  avx512bw: boolean;
}

/**
 * Sampling parameters of `sampleRowForTest` (native `SamplingParams`). Every field is optional;
 * the defaults disable their stage. Stages run in this order: mask → bias → penalties →
 * (greedy: argmax) → temperature → top-k → top-p → min-p → one seeded draw.
 */
export interface SamplingParamsForTest {
  /** >= 0; 0 (default) = greedy. */
  temperature?: number;
  /** Integer >= 0; 0 (default) = disabled. */
  topK?: number;
  /** In (0, 1]; 1 (default) = disabled. Applied to the top-k set, renormalized. */
  topP?: number;
  /** In [0, 1]; drops tokens with p < minP * p_max; 0 (default) = disabled. */
  minP?: number;
  /** > 0; 1 (default) = disabled. Per distinct history token: logit > 0 → logit / p, else logit * p. */
  repetitionPenalty?: number;
  /** Subtracted once per distinct history token (OpenAI). */
  presencePenalty?: number;
  /** Subtracted once per occurrence in the history (OpenAI). */
  frequencyPenalty?: number;
  /** Request seed: a safe non-negative integer or a bigint < 2^64. */
  seed?: number | bigint;
  /** Index of the token being sampled; the draw depends on (seed, step) only. */
  step?: number | bigint;
  /** Integer in [0, 20]: how many top alternatives to report. */
  numTopLogprobs?: number;
}

/** Inputs beside the logits for `sampleRowForTest`. Ids must lie in [0, vocab). */
export interface SamplingInputsForTest {
  /** Tokens the penalties look at. */
  history?: Int32Array;
  /** Logit bias, given together with `biasValues` (same length); values are added. */
  biasIds?: Int32Array;
  biasValues?: Float32Array;
  /** Allowed tokens: ceil(vocab / 32) words, bit i % 32 of word i / 32 set = token i allowed. */
  mask?: Int32Array;
}

/**
 * Result of `sampleRowForTest`. Log-probabilities are log_softmax, over the allowed tokens, of
 * the logits after mask, bias and penalties at temperature 1, before top-k / top-p / min-p.
 */
export interface SampleResultForTest {
  /** The sampled token; -1 only when the mask allows no token. */
  token: number;
  /** Log-probability of `token`; -Infinity when `token` is -1. */
  logprob: number;
  /** Up to `numTopLogprobs` most likely tokens with p > 0, most likely first (ties: lower id). */
  topIds: Int32Array;
  topLogprobs: Float32Array;
}

/** Where one weight tensor lives, for the native runtime (mirrors the model layer's `TensorRef`). */
export interface NativeTensorDesc {
  /** Canonical GGUF name, e.g. `blk.0.attn_q.weight`. */
  name: string;
  /** Absolute path of the file holding the data (mapped read-only, used in place). */
  file: string;
  /** Absolute byte offset of the data in `file`. */
  offsetBytes: number;
  /** Bytes of data. */
  sizeBytes: number;
  /** GGML type id: 0 F32, 1 F16, 8 Q8_0, 30 BF16 (matrices); vectors F32/F16/BF16. */
  typeId: number;
  /** Row-major shape, e.g. `[out, in]`. */
  shape: number[];
}

/** `Runner.init` config: model hyperparameters, tensors, KV budget and threads. */
export interface NativeRunnerConfig {
  dim: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  ffnDim: number;
  vocabSize: number;
  normEps: number;
  ropeTheta: number;
  /** `normal` = adjacent pairs, `neox` = halves. */
  ropeStyle: "normal" | "neox";
  /** 1 / linear scaling factor (default 1). */
  ropeFreqScale?: number;
  /** headDim / 2 frequency divisors (Llama 3 scaling); a `rope_freqs.weight` tensor wins. */
  ropeFreqFactors?: Float32Array;
  qkvBias: boolean;
  qkNorm: boolean;
  tiedEmbeddings: boolean;
  tensors: NativeTensorDesc[];
  /** KV pool budget; the pool holds floor(kvCacheBytes / blockBytes) blocks. */
  kvCacheBytes: number;
  /**
   * Host KV tier budget (default 0 = no host tier): floor(hostKvBytes / blockBytes) blocks laid
   * out exactly as device blocks, plus a copy thread for transfers. A positive value below one
   * block is rejected.
   */
  hostKvBytes?: number;
  /** KV cache element type (default `f16`, as llama.cpp). */
  kvDtype?: "f16" | "f32";
  /** Compute threads, the step's own thread included (default: hardware concurrency). */
  numThreads?: number;
  /** Kernel instruction set (default `auto`; a level above the CPU's is clamped down). */
  isa?: "auto" | "avx512" | "avx2" | "scalar";
  /** Most tokens one step may carry (default 4096). */
  maxBatchTokens?: number;
  /** Pre-fault the model map at init (default true). */
  populate?: boolean;
}

/** What an initialised runner reports. */
export interface NativeRunnerInfo {
  /** KV blocks in the pool. */
  numBlocks: number;
  /** Bytes of one block (all layers' K and V of 16 tokens, contiguous). */
  blockBytes: number;
  /** Tokens per KV block (16). */
  blockTokens: number;
  /** Blocks of the host KV tier; 0 = no host tier (steps with transfers are rejected). */
  numHostBlocks: number;
  numThreads: number;
  isa: "avx512" | "avx2" | "scalar";
  vocabSize: number;
  maxBatchTokens: number;
  kvDtype: "f16" | "f32";
}

/**
 * One step's input. Every array is owned by the caller and may be longer than needed (only
 * the prefix the counts imply is read); the addon copies what it needs before `step` returns
 * its promise, and writes the `out*` arrays (and `logitsOut`) when the promise resolves.
 * Row r's tokens are `rowQueryStart[r] .. rowQueryStart[r+1]-1` and take the LAST positions
 * of its context: position = rowContextLen[r] - (its query count) + i, and their K/V go to
 * `slotMapping` = blockTables[r][pos / 16] * 16 + pos % 16 (checked).
 */
export interface NativeStepInput {
  numRows: number;
  numTokens: number;
  /** Row stride of `blockTables`. */
  maxBlocksPerRow: number;
  /** [numTokens] token ids < vocabSize. */
  tokens: Int32Array;
  /** [numTokens] positions (see above). */
  positions: Int32Array;
  /** [numRows + 1] starts of each row's tokens; 0 first, numTokens last, strictly increasing. */
  rowQueryStart: Int32Array;
  /** [numRows] KV length of each row after this step. */
  rowContextLen: Int32Array;
  /** [numRows * maxBlocksPerRow] block ids; entries past a row's context are ignored. */
  blockTables: Int32Array;
  /** [numTokens] KV slot of each token. */
  slotMapping: Int32Array;
  /**
   * Optional [numRows] 1 = the row is one decode token (sampled by the model), computed in
   * llama.cpp's one-row summation order; 0 = prompt tokens (its batched order), whatever the
   * chunk size. Either way a row's result never depends on the other rows.
   */
  rowIsDecode?: Uint8Array | null;
  /** [numRows] 1 = sample a token from the row's last position this step. */
  sample: Uint8Array;
  /** [numRows] sampling parameters (read for sampled rows only). */
  temperature: Float32Array;
  topP: Float32Array;
  minP: Float32Array;
  repetitionPenalty: Float32Array;
  presencePenalty: Float32Array;
  frequencyPenalty: Float32Array;
  topK: Int32Array;
  seed: BigUint64Array;
  /** Index of the token being sampled within its request (the draw depends on seed and it). */
  stepIndex: Int32Array;
  /** 0..20 top alternatives to report per row. */
  numTopLogprobs: Int32Array;
  /** Optional penalty history: [numRows + 1] offsets into `historyTokens`. */
  historyStart?: Int32Array | null;
  historyTokens?: Int32Array | null;
  /** Optional logit bias: [numRows + 1] offsets into `biasIds` / `biasValues`. */
  biasStart?: Int32Array | null;
  biasIds?: Int32Array | null;
  biasValues?: Float32Array | null;
  /** Optional allowed-token masks: [numRows] flags and [numRows * ceil(vocab / 32)] words. */
  hasMask?: Uint8Array | null;
  bitmask?: Int32Array | null;
  /** [numRows] out: sampled token, -1 where not sampled (or the mask allowed nothing). */
  outTokens: Int32Array;
  /** [numRows] out: log-probability of the sampled token (NaN where not sampled). */
  outLogprobs: Float32Array;
  /** [numRows * 20] out: top alternatives, -1 / NaN past each row's count. */
  outTopIds: Int32Array;
  outTopLogprobs: Float32Array;
  /** Optional out: raw last-position logits of each sampled row, in row order (numSampled * vocab). */
  logitsOut?: Float32Array | null;
  /**
   * true = `step` runs the forward pass only (no `out*` written, `sampleMs` 0); the caller then
   * fills `hasMask` / `bitmask` and calls `sample` with this same object.
   */
  deferSampling?: boolean;
  /**
   * KV transfers to issue with this step (needs a host tier); absent or 0 = none. They are
   * queued before the forward pass starts and copied on the transfer thread while it runs
   * (one FIFO queue per direction, served alternately in chunks). A transfer holds its blocks
   * until its completion is reported (in a step result or by `flushTransfers`), and the step is
   * rejected, naming the field, when:
   * - a load targets a device block this step's rows read or write, or one a transfer in
   *   flight reads or fills; or reads a host block a store in flight (or of this step) fills;
   * - a store reads a device block this step's rows write or a load in flight fills; or fills
   *   a host block another store fills or a load reads;
   * - a row reads or writes a block whose load is not reported yet, or writes a block a store
   *   in flight still reads (rows may read it);
   * - an id repeats within the step or matches a transfer in flight.
   * `numRows` may be 0 while transfers are issued or in flight: the step then only waits until
   * one completes (or none is running).
   */
  numTransfers?: number;
  /** [numTransfers] caller-chosen ids, distinct from each other and from those in flight. */
  transferIds?: Int32Array | null;
  /** [numTransfers] 1 = load (host → device), 0 = store (device → host). */
  transferIsLoad?: Uint8Array | null;
  /**
   * [numTransfers + 1] offsets into the block lists: transfer k copies pairs
   * transferStart[k] .. transferStart[k+1]-1; 0 first, strictly increasing (>= 1 pair each).
   */
  transferStart?: Int32Array | null;
  /** [transferStart[numTransfers]] device block of each pair, < numBlocks. */
  transferDeviceBlocks?: Int32Array | null;
  /** [transferStart[numTransfers]] host block of each pair, < numHostBlocks. */
  transferHostBlocks?: Int32Array | null;
}

/**
 * Transfers completed since the previous report (each is reported exactly once), in completion
 * order. Arrays are fresh and owned by the caller.
 */
export interface NativeTransferReport {
  /** Ids of the completed transfers. */
  completedTransferIds: Int32Array;
  /** 1 where the transfer was a load, 0 a store. */
  completedTransferIsLoad: Uint8Array;
  /** Bytes each one copied (its blocks × blockBytes). */
  completedTransferBytes: Float64Array;
  /** Time the copy thread spent copying each one, ms (bytes / ms = its bandwidth). */
  completedTransferMs: Float64Array;
  /** Time from issue to completion of each one, ms (queueing behind other copies included). */
  completedTransferLatencyMs: Float64Array;
  /** Sum of `completedTransferBytes`. */
  transferBytes: number;
  /** Sum of `completedTransferMs`. */
  transferMs: number;
}

/** What a step reports beside the `out*` arrays it filled (and the transfers completed). */
export interface NativeStepResult extends NativeTransferReport {
  numSampled: number;
  /** Wall time of the forward pass and of sampling, in milliseconds. */
  forwardMs: number;
  sampleMs: number;
}

/**
 * A native runner: `init` maps the model and sizes the KV pool, `step` runs one forward pass
 * plus sampling off the event loop. Both reject (never throw) on bad input; one call at a time.
 */
export interface NativeRunner {
  init(config: NativeRunnerConfig): Promise<NativeRunnerInfo>;
  step(input: NativeStepInput): Promise<NativeStepResult>;
  /**
   * Samples the rows of the previous step, run with `deferSampling`: re-reads only `hasMask` /
   * `bitmask` of `input` (the same object), fills its `out*` arrays. Rejects without such a step.
   */
  sample(input: NativeStepInput): Promise<NativeStepResult>;
  /**
   * Waits off the event loop until every transfer issued so far has completed, then reports
   * those not reported yet. Counts as a call: rejects while a step is in flight. Resolves at
   * once, empty, without a host tier; rejects if the runner is disposed meanwhile.
   */
  flushTransfers(): Promise<NativeTransferReport>;
  /**
   * TEST ONLY: `true` stops the copy thread before its next chunk (transfers stay in flight,
   * deterministically), `false` lets it go on. Dispose works either way. Throws TypeError on a
   * non-boolean.
   */
  holdTransfersForTest(hold: boolean): void;
  /**
   * Frees the model map and KV pools (after the call in flight, if any). Queued transfers are
   * abandoned (the copy thread stops after its current chunk). Idempotent.
   */
  dispose(): void;
  /** The init report, or `null` before init / after dispose. */
  info(): NativeRunnerInfo | null;
}

/** Everything the addon exports. */
export interface NativeAddon {
  /** Version string of the compiled addon. */
  readonly version: string;
  /** CPU features available to the kernels on this machine. */
  cpuFeatures(): CpuFeatures;
  /** The native CPU runtime: `new Runner()`, then `init(config)`. */
  readonly Runner: new () => NativeRunner;
  /**
   * TEST ONLY: samples one row with native `sample_row` (`logits` is not modified). Throws
   * TypeError / RangeError on malformed arguments.
   */
  sampleRowForTest(
    logits: Float32Array,
    params: SamplingParamsForTest,
    inputs?: SamplingInputsForTest,
  ): SampleResultForTest;
}
