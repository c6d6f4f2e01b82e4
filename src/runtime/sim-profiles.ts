/**
 * Hardware + model profiles of the simulated runtime: what a GPU and a model shape cost, and how
 * much KV memory the TokenFlow paper's experiments give them. Every constant says where it comes
 * from: a datasheet, the H200 calibration file (`data/calibration/h200-steptime.json` in the
 * shared data), the paper (`papers/tokenflow.md`), or a choice where the paper is silent.
 */
import { InvalidArgumentError } from "../errors.js";

/** Transformer shape of a simulated model (bf16 weights and KV). */
export interface SimModelShape {
  /** Short model name, e.g. `llama3-8b`. */
  readonly name: string;
  readonly numLayers: number;
  /** Hidden size. */
  readonly dim: number;
  readonly numHeads: number;
  readonly numKvHeads: number;
  readonly headDim: number;
  /** MLP inner size (gated: three matrices of dim × ffnDim). */
  readonly ffnDim: number;
  readonly vocabSize: number;
  /** All weights in bytes (embedding and output head included). */
  readonly weightBytes: number;
  /** KV bytes of one token over all layers (K and V). */
  readonly kvBytesPerToken: number;
  /** Longest context the model supports, tokens. */
  readonly contextLength: number;
}

/** The host ↔ device link that KV transfers use; each direction is its own queue. */
export interface SimHostLink {
  /** Device → host (`store`) bandwidth, bytes/s. */
  readonly storeBytesPerS: number;
  /** Host → device (`load`) bandwidth, bytes/s. */
  readonly loadBytesPerS: number;
  /** Fixed cost of one copy (one contiguous run of blocks), ms, per direction. */
  readonly storeCopyLatencyMs: number;
  readonly loadCopyLatencyMs: number;
}

/**
 * Coefficients of the step-time model (see sim-cost-model.ts) that are fitted, not read off a
 * datasheet. Efficiencies are fractions of the profile's peak bandwidth or FLOP/s.
 */
export interface SimFitParams {
  /** Extra fixed time of a step carrying prefill tokens (eager launches, no CUDA graph), ms. */
  readonly prefillOverheadMs: number;
  /**
   * Extra fixed time of a step carrying a chunked prefill (paged-attention path), ms: on the H200 a
   * 512-token chunk without prefix took 16.3 ms where a whole 512-token prompt took 12.2 ms.
   */
  readonly chunkedPrefillOverheadMs: number;
  /** Time per row (sequence) of a step, ms. */
  readonly perRowMs: number;
  /** Fraction of peak bandwidth at which weights stream. */
  readonly weightReadEfficiency: number;
  /** Fraction of peak bandwidth at which cached KV is read by attention. */
  readonly kvReadEfficiency: number;
  /** Fraction of peak FLOP/s reached by the weight GEMMs. */
  readonly matmulEfficiency: number;
  /** Fraction of peak FLOP/s reached by prefill attention. */
  readonly attentionEfficiency: number;
  /** Fixed time of sampling a step's rows, ms (logits are then read twice as fp32). */
  readonly sampleBaseMs: number;
}

/** A simulated GPU serving one model. */
export interface SimProfile {
  /** Profile name, e.g. `h200-llama3-8b`. */
  readonly name: string;
  readonly deviceName: string;
  /** Device memory, bytes. */
  readonly deviceMemoryBytes: number;
  /** Peak device memory bandwidth, bytes/s. */
  readonly memoryBandwidthBytesPerS: number;
  /** Peak dense bf16 tensor throughput, FLOP/s. */
  readonly peakBf16FlopsPerS: number;
  /** Fixed time of every step (launch, CUDA-graph replay, host work), ms. */
  readonly stepOverheadMs: number;
  readonly hostLink: SimHostLink;
  readonly model: SimModelShape;
  /** Tokens per KV block. */
  readonly blockTokens: number;
  /** Longest context served, tokens. */
  readonly contextLength: number;
  /** Device KV pool, bytes. */
  readonly kvCacheBytes: number;
  /** Host KV pool (pinned memory for offloaded KV), bytes. */
  readonly hostKvBytes: number;
  /** Most tokens one step may carry. */
  readonly maxBatchTokens: number;
  readonly fit: SimFitParams;
}

/** Llama-3-8B (shape from its config.json). */
const LLAMA3_8B: SimModelShape = {
  name: "llama3-8b",
  numLayers: 32,
  dim: 4096,
  numHeads: 32,
  numKvHeads: 8,
  headDim: 128,
  ffnDim: 14336,
  vocabSize: 128256,
  // ≈8.03 B bf16 parameters: the calibration file's figure (weight_bytes).
  weightBytes: 16_060_514_304,
  // 2 (K, V) × 32 layers × 8 KV heads × 128 dims × 2 bytes; the calibration file agrees.
  kvBytesPerToken: 131_072,
  // Llama 3 (not 3.1) was trained with an 8k context.
  contextLength: 8192,
};

/** Qwen2.5-32B (shape from its config.json; untied output head). */
const QWEN25_32B: SimModelShape = {
  name: "qwen2.5-32b",
  numLayers: 64,
  dim: 5120,
  numHeads: 40,
  numKvHeads: 8,
  headDim: 128,
  ffnDim: 27648,
  vocabSize: 152064,
  // ≈32.76 B bf16 parameters: the calibration file's figure (weight_bytes).
  weightBytes: 65_526_824_960,
  // 2 × 64 layers × 8 KV heads × 128 dims × 2 bytes; the calibration file agrees.
  kvBytesPerToken: 262_144,
  // The model's native context without rope scaling (config.json).
  contextLength: 32768,
};

/** H200 SXM, from NVIDIA's datasheet: 141 GB HBM3e, 4.8 TB/s, 989 TFLOP/s dense bf16. */
const H200 = { deviceName: "NVIDIA H200", memory: 141e9, bandwidth: 4.8e12, flops: 989e12 };

/**
 * The H200's host link as measured with the calibration (`kv_block_copies`): one coalesced copy
 * of 512 blocks (1.07 GB) takes 19.65 ms device→host and 19.59 ms host→device (≈55 GB/s each way,
 * concurrent with compute); 32,768 per-(block, layer, K/V) copies of the same bytes take 358.8 ms
 * and 378.4 ms, i.e. ≈10.4 µs and ≈11.0 µs per copy on top of the bytes.
 */
const H200_LINK: SimHostLink = {
  storeBytesPerS: 54.6e9,
  loadBytesPerS: 54.8e9,
  storeCopyLatencyMs: 0.0104,
  loadCopyLatencyMs: 0.011,
};

/**
 * PCIe 4.0 x16 (A6000, RTX 4090): 32 GB/s raw per direction, ≈25 GB/s achieved for pinned copies.
 * Per-copy latency: the H200 figure (driver and launch bound, not link bound) - an assumption.
 */
const PCIE4_LINK: SimHostLink = {
  storeBytesPerS: 25e9,
  loadBytesPerS: 25e9,
  storeCopyLatencyMs: 0.0104,
  loadCopyLatencyMs: 0.011,
};

/**
 * Fitted to h200-steptime.json, llama3-8b entries (least squares on relative error; max error
 * 6.0%, on the chunked prefills: measured 16.3 / 15.4 / 19.6 ms at prefix 0 / 2k / 8k is not
 * monotonic in the prefix, the model is).
 */
const H200_LLAMA_FIT: SimFitParams = {
  prefillOverheadMs: 0.7,
  chunkedPrefillOverheadMs: 3.2,
  perRowMs: 0.007,
  weightReadEfficiency: 0.78,
  kvReadEfficiency: 0.95,
  matmulEfficiency: 0.69,
  attentionEfficiency: 0.58,
  // Not in the calibration file (it times forward passes only): an estimate.
  sampleBaseMs: 0.02,
};

/**
 * Scales the H200 Llama fit to another GPU running the same model: efficiencies and launch-bound
 * overheads carry over unchanged (an assumption: no measurements), the per-row time is treated as
 * memory traffic and scales with the bandwidth ratio.
 */
function scaledLlamaFit(bandwidthBytesPerS: number): SimFitParams {
  return { ...H200_LLAMA_FIT, perRowMs: H200_LLAMA_FIT.perRowMs * (H200.bandwidth / bandwidthBytesPerS) };
}

/**
 * A KV pool as SGLang sizes it: `memFraction` of device memory holds weights plus KV, so
 * KV = memFraction × memory − weights (activations are ignored).
 */
function kvPoolBytes(memoryBytes: number, memFraction: number, model: SimModelShape): number {
  return Math.floor(memoryBytes * memFraction - model.weightBytes);
}

const h200Llama: SimProfile = {
  name: "h200-llama3-8b",
  deviceName: H200.deviceName,
  deviceMemoryBytes: H200.memory,
  memoryBandwidthBytesPerS: H200.bandwidth,
  peakBf16FlopsPerS: H200.flops,
  stepOverheadMs: 0.85, // fitted to h200-steptime.json (llama3-8b)
  hostLink: H200_LINK,
  model: LLAMA3_8B,
  blockTokens: 16, // the engine's KV block (KV_BLOCK_TOKENS)
  contextLength: LLAMA3_8B.contextLength,
  // Paper §7.1 / tokenflow.md §8.1: the H200 controlled tests start at mem-frac=0.3, which leaves
  // 0.3 × 141 GB − 16.06 GB ≈ 26.2 GB (≈200k tokens) of KV.
  kvCacheBytes: kvPoolBytes(H200.memory, 0.3, LLAMA3_8B),
  // The paper does not size the host pool. Choice: 200 GB, enough for the whole 400-request
  // burst of setup (a) (≈2.6k tokens × 128 KiB each ≈ 134 GB), a fraction of an H200 node's RAM.
  hostKvBytes: 200e9,
  // Choice (the paper is silent): twice SGLang's 8k chunked-prefill default; activations fit.
  maxBatchTokens: 16384,
  fit: H200_LLAMA_FIT,
};

const h200Qwen: SimProfile = {
  name: "h200-qwen2.5-32b",
  deviceName: H200.deviceName,
  deviceMemoryBytes: H200.memory,
  memoryBandwidthBytesPerS: H200.bandwidth,
  peakBf16FlopsPerS: H200.flops,
  stepOverheadMs: 2.5, // fitted to h200-steptime.json (qwen2.5-32b)
  hostLink: H200_LINK,
  model: QWEN25_32B,
  blockTokens: 16,
  contextLength: QWEN25_32B.contextLength,
  // The paper's 20-minute BurstGPT run (§7, tokenflow.md §8.1) gives no memory fraction. Choice:
  // SGLang-like 0.85, i.e. 0.85 × 141 GB − 65.5 GB ≈ 54.3 GB (≈207k tokens) of KV.
  kvCacheBytes: kvPoolBytes(H200.memory, 0.85, QWEN25_32B),
  // Not in the paper. Choice: 256 GB of pinned host memory (≈1M tokens at 256 KiB each).
  hostKvBytes: 256e9,
  maxBatchTokens: 16384, // choice, as for h200-llama3-8b
  fit: {
    // Fitted to h200-steptime.json (qwen2.5-32b; max error 5.0%).
    prefillOverheadMs: 3.0,
    // No chunked-prefill entries for this model: the llama3-8b value scaled by layers (64 / 32).
    chunkedPrefillOverheadMs: 6.4,
    perRowMs: 0.0223,
    weightReadEfficiency: 0.85,
    kvReadEfficiency: 0.95,
    matmulEfficiency: 0.685,
    attentionEfficiency: 0.48,
    sampleBaseMs: 0.02, // estimate, as for llama3-8b
  },
};

/** RTX A6000 datasheet: 48 GB GDDR6, 768 GB/s, 154.8 TFLOP/s dense bf16 (309.7 with sparsity). */
const a6000Llama: SimProfile = {
  name: "a6000-llama3-8b",
  deviceName: "NVIDIA RTX A6000",
  deviceMemoryBytes: 48e9,
  memoryBandwidthBytesPerS: 768e9,
  peakBf16FlopsPerS: 154.8e12,
  stepOverheadMs: 0.85, // the H200 llama3-8b fit (launch bound) - an assumption
  hostLink: PCIE4_LINK,
  model: LLAMA3_8B,
  blockTokens: 16,
  contextLength: LLAMA3_8B.contextLength,
  // The paper's A6000 runs (real traces) give no memory fraction. Choice: SGLang-like 0.85,
  // i.e. 0.85 × 48 GB − 16.06 GB ≈ 24.7 GB of KV.
  kvCacheBytes: kvPoolBytes(48e9, 0.85, LLAMA3_8B),
  hostKvBytes: 64e9, // not in the paper; choice for a workstation
  maxBatchTokens: 8192, // choice: SGLang's chunked-prefill default
  fit: scaledLlamaFit(768e9),
};

/** RTX 4090 (Ada whitepaper): 24 GB GDDR6X, 1008 GB/s, 165.2 TFLOP/s dense bf16 (fp32 accumulate). */
const rtx4090Llama: SimProfile = {
  name: "rtx4090-llama3-8b",
  deviceName: "NVIDIA GeForce RTX 4090",
  deviceMemoryBytes: 24e9,
  memoryBandwidthBytesPerS: 1008e9,
  peakBf16FlopsPerS: 165.2e12,
  stepOverheadMs: 0.85, // the H200 llama3-8b fit (launch bound) - an assumption
  hostLink: PCIE4_LINK,
  model: LLAMA3_8B,
  blockTokens: 16,
  contextLength: LLAMA3_8B.contextLength,
  // The paper's RTX 4090 tests (Table 1) give no memory fraction. Choice: SGLang-like 0.85, i.e.
  // 0.85 × 24 GB − 16.06 GB ≈ 4.3 GB (≈33k tokens): tight, as the bursts of setups (a)/(b) need.
  kvCacheBytes: kvPoolBytes(24e9, 0.85, LLAMA3_8B),
  hostKvBytes: 32e9, // not in the paper; choice for a desktop with 64 GB of RAM
  maxBatchTokens: 4096, // choice: 24 GB leaves little room for activations
  fit: scaledLlamaFit(1008e9),
};

/** Every built-in profile by name. */
export const SIM_PROFILES: Readonly<Record<string, SimProfile>> = Object.freeze({
  [h200Llama.name]: h200Llama,
  [h200Qwen.name]: h200Qwen,
  [a6000Llama.name]: a6000Llama,
  [rtx4090Llama.name]: rtx4090Llama,
});

/** The built-in profile `name`; throws InvalidArgumentError listing the valid names. */
export function simProfile(name: string): SimProfile {
  const profile = Object.hasOwn(SIM_PROFILES, name) ? SIM_PROFILES[name] : undefined;
  if (!profile)
    throw new InvalidArgumentError(
      `unknown simulation profile "${name}"; valid: ${Object.keys(SIM_PROFILES).join(", ")}`,
      "profile",
    );
  return profile;
}
