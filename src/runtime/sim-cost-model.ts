/**
 * The simulated runtime's cost model: pure functions from a step's shape to simulated time.
 *
 * forward = stepOverhead + perRow × rows
 *         + max(weights / (bandwidth × weightEff), linearFLOPs / (peak × matmulEff))   weights phase
 *         + cachedKvBytes / (bandwidth × kvEff)                                          attention reads
 *         + attentionFLOPs / (peak × attentionEff)                                       attention math
 *         + prefillOverhead (any prefill row) + chunkedPrefillOverhead (any chunked prefill row)
 *
 * Decode batches are weight-bound until the GEMMs turn compute-bound (≈B256 on an H200); long
 * contexts add KV reads; long prefills add attention FLOPs. Transfers: bytes / link bandwidth
 * plus a fixed latency per copy, on a queue per direction that overlaps compute.
 */
import type { RuntimeRow } from "./runtime.js";
import type { SimHostLink, SimProfile } from "./sim-profiles.js";

/** What the cost model needs of one step (sums over its rows). */
export interface SimBatchShape {
  readonly numRows: number;
  /** Tokens computed this step (all rows). */
  readonly numTokens: number;
  /** Rows that sample a token (they run the output head). */
  readonly numSampled: number;
  /** Cached (prefix) tokens that attention reads from the KV pool, summed over rows. */
  readonly numKvTokensRead: number;
  /** Σ over rows of T × (prefix + (T + 1) / 2): query-key pairs of causal attention. */
  readonly numAttentionPairs: number;
  /** Some row carries more than one token (a prefill chunk). */
  readonly hasPrefill: boolean;
  /** Some prefill row has a cached prefix or is not the prompt's last chunk (paged path). */
  readonly hasChunkedPrefill: boolean;
}

/** One row as the cost model sees it. */
export interface SimRowShape {
  /** Tokens computed for the row this step. */
  readonly numNewTokens: number;
  /** The row's KV length after the step. */
  readonly contextLen: number;
  readonly isSampled: boolean;
}

type MutableShape = { -readonly [K in keyof SimBatchShape]: SimBatchShape[K] };

function emptyShape(numRows: number): MutableShape {
  return {
    numRows,
    numTokens: 0,
    numSampled: 0,
    numKvTokensRead: 0,
    numAttentionPairs: 0,
    hasPrefill: false,
    hasChunkedPrefill: false,
  };
}

function addRow(shape: MutableShape, t: number, contextLen: number, isSampled: boolean): void {
  const prefix = contextLen - t;
  shape.numTokens += t;
  if (isSampled) shape.numSampled++;
  shape.numKvTokensRead += prefix;
  shape.numAttentionPairs += t * (prefix + (t + 1) / 2);
  if (t > 1) {
    shape.hasPrefill = true;
    if (prefix > 0 || !isSampled) shape.hasChunkedPrefill = true;
  }
}

/** Sums a step's rows into a {@link SimBatchShape}. */
export function batchShape(rows: readonly SimRowShape[]): SimBatchShape {
  const shape = emptyShape(rows.length);
  for (const row of rows) addRow(shape, row.numNewTokens, row.contextLen, row.isSampled);
  return shape;
}

/** The {@link SimBatchShape} of runtime rows (reads lengths only; copies nothing). */
export function batchShapeOfRows(rows: readonly RuntimeRow[]): SimBatchShape {
  const shape = emptyShape(rows.length);
  for (const row of rows) addRow(shape, row.tokens.length, row.contextLen, !!row.sample);
  return shape;
}

/** Parameters of the weight GEMMs (all layers, output head excluded). */
export function linearParams(profile: SimProfile): number {
  const m = profile.model;
  const attention = 2 * m.dim * m.numHeads * m.headDim + 2 * m.dim * m.numKvHeads * m.headDim;
  return m.numLayers * (attention + 3 * m.dim * m.ffnDim);
}

/** Simulated time of a step's forward pass, ms. */
export function forwardMs(profile: SimProfile, batch: SimBatchShape): number {
  if (batch.numRows === 0) return 0;
  const m = profile.model;
  const f = profile.fit;
  const bw = profile.memoryBandwidthBytesPerS;
  const peak = profile.peakBf16FlopsPerS;
  const linearFlops =
    2 * linearParams(profile) * batch.numTokens + 2 * m.dim * m.vocabSize * batch.numSampled;
  const weightsS = Math.max(
    m.weightBytes / (bw * f.weightReadEfficiency),
    linearFlops / (peak * f.matmulEfficiency),
  );
  const kvS = (batch.numKvTokensRead * m.kvBytesPerToken) / (bw * f.kvReadEfficiency);
  const attentionFlops = 4 * m.numLayers * m.numHeads * m.headDim * batch.numAttentionPairs;
  const attentionS = attentionFlops / (peak * f.attentionEfficiency);
  return (
    profile.stepOverheadMs +
    f.perRowMs * batch.numRows +
    1000 * (weightsS + kvS + attentionS) +
    (batch.hasPrefill ? f.prefillOverheadMs : 0) +
    (batch.hasChunkedPrefill ? f.chunkedPrefillOverheadMs : 0)
  );
}

/** Simulated time of sampling `numSampled` rows (fp32 logits read twice), ms; 0 for none. */
export function sampleMs(profile: SimProfile, numSampled: number): number {
  if (numSampled === 0) return 0;
  const logitBytes = numSampled * profile.model.vocabSize * 4;
  return profile.fit.sampleBaseMs + (1000 * 2 * logitBytes) / profile.memoryBandwidthBytesPerS;
}

/** Forward time of a decode step: `numRows` rows of one token each at `contextLen`, all sampled. */
export function decodeStepMs(profile: SimProfile, numRows: number, contextLen: number): number {
  const row = { numNewTokens: 1, contextLen, isSampled: true };
  return forwardMs(profile, batchShape(Array.from({ length: numRows }, () => row)));
}

/**
 * Forward time of one prefill row of `numTokens` over `prefixLen` cached tokens; `isLastChunk`
 * false for a chunk the prompt continues after (not sampled).
 */
export function prefillStepMs(
  profile: SimProfile,
  numTokens: number,
  prefixLen = 0,
  isLastChunk = true,
): number {
  const row = { numNewTokens: numTokens, contextLen: prefixLen + numTokens, isSampled: isLastChunk };
  return forwardMs(profile, batchShape([row]));
}

/** Bytes of one KV block (all layers, K and V) of a profile. */
export function blockBytes(profile: SimProfile): number {
  return profile.model.kvBytesPerToken * profile.blockTokens;
}

/**
 * Time of `numCopies` copies moving `bytes` in all over the host link, ms: each copy pays the
 * link's fixed latency, the bytes stream at its bandwidth.
 */
export function transferMs(
  link: SimHostLink,
  direction: "store" | "load",
  bytes: number,
  numCopies: number,
): number {
  const isStore = direction === "store";
  const latencyMs = isStore ? link.storeCopyLatencyMs : link.loadCopyLatencyMs;
  const bytesPerS = isStore ? link.storeBytesPerS : link.loadBytesPerS;
  return numCopies * latencyMs + (1000 * bytes) / bytesPerS;
}

/**
 * Copies needed for a block list: one per run of blocks contiguous in both tiers (a block's KV is
 * contiguous across layers, so a run is one copy). 0 for an empty list.
 */
export function countCopies(deviceBlocks: readonly number[], hostBlocks: readonly number[]): number {
  let copies = 0;
  for (let i = 0; i < deviceBlocks.length; i++) {
    const contiguous =
      i > 0 &&
      deviceBlocks[i] === (deviceBlocks[i - 1] as number) + 1 &&
      hostBlocks[i] === (hostBlocks[i - 1] as number) + 1;
    if (!contiguous) copies++;
  }
  return copies;
}
